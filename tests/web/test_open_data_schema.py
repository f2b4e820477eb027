"""The open-data API holds to its own OpenAPI schema: schemathesis generates requests from the schema
served by a running portal and checks every answer (status, content type, body) against it."""

from __future__ import annotations

import anyio
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.browser.conftest import serve_portal
from tests.web.test_open_data import catalogue  # noqa: F401  (public and private rows to serve)

pytestmark = pytest.mark.anyio


def check_every_operation(url: str) -> list[str]:
    schema = schemathesis.openapi.from_url(url + "/api/openapi.json")
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case):
            case.call_and_validate()

        conforms()
        checked.append(operation.label)
    return checked


async def test_api_conforms_to_its_schema(catalogue, migrated, tmp_path):  # noqa: F811
    with serve_portal(migrated, tmp_path) as url:
        checked = await anyio.to_thread.run_sync(check_every_operation, url)
    assert len(checked) == 6, checked
