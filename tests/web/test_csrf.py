"""Every form and HTMX call of the app refuses a missing or wrong CSRF token (whatever route is added)."""

from __future__ import annotations

import re

import pytest

from tests.web.signin import sign_in

pytestmark = pytest.mark.anyio


def post_paths(app) -> list[str]:
    paths = []
    for route in app.routes:
        if "POST" in getattr(route, "methods", set()):
            paths.append(re.sub(r"\{(\w+):(\w+)\}", lambda m: "1" if m.group(2) == "int" else "x", route.path))
    return sorted(set(paths))


async def test_every_post_route_refuses_a_missing_or_wrong_token(client, empty_db):
    from tests import factories

    await factories.family("csrf@example.it")
    await sign_in(client, "csrf@example.it")
    paths = post_paths(client._transport.app)
    assert "/attivita/x/prenota" in paths and "/famiglia/elimina" in paths and "/accedi" in paths
    for path in paths:
        missing = await client.post(path, data={"x": "1"})
        forged = await client.post(path, data={"_csrf_token": "forged"}, headers={"x-csrftoken": "forged"})
        htmx = await client.post(path, headers={"HX-Request": "true"})
        assert missing.status_code == forged.status_code == htmx.status_code == 403, path
