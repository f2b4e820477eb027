"""A family on a phone filters the catalogue by area (HTMX) and opens an activity."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests import factories
from tests.browser.conftest import PHONE, open_page

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


@pytest.fixture
async def catalogue(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    soon = datetime.now(timezone.utc) + timedelta(days=2)
    for service, title in (("gruppi-genitori", "Primi passi insieme"), ("gruppi-di-parola", "Gruppo di parola 6–11"),
                           ("attivita-culturali", "Festa delle famiglie")):
        activity = await factories.activity(services[service], hub, title, slug=title.split()[0].lower() + "-test")
        await factories.meeting(activity, soon)


async def test_filter_by_area_then_open_an_activity(server, phone, catalogue):
    requests = []
    phone.on("request", lambda request: requests.append(request.url))
    await phone.goto(server + "/")
    assert await phone.locator("#results article").count() == 3

    await phone.evaluate("window.sameDocument = true")
    await phone.select_option("#filter-area", "separazione")
    await phone.wait_for_url("**/?area=separazione**")
    results = phone.locator("#results article")
    await results.first.wait_for()
    await phone.wait_for_function("document.querySelectorAll('#results article').length === 1")
    assert await results.first.locator("h3").inner_text() == "Gruppo di parola 6–11"
    assert await phone.evaluate("window.sameDocument === true"), "htmx swapped the results in place"
    assert any("area=separazione" in url for url in requests)

    await results.first.locator("h3 a").click()
    await phone.wait_for_url("**/attivita/gruppo-test")
    assert await phone.locator("h1").inner_text() == "Gruppo di parola 6–11"
    assert all(url.startswith(server) for url in requests), "no request may leave for another host"


async def test_filters_work_without_javascript(server, chromium_path, catalogue):
    async with open_page(chromium_path, PHONE, java_script_enabled=False) as page:
        await page.goto(server + "/")
        await page.select_option("#filter-area", "solidarieta")
        await page.click("form[role=search] button[type=submit]")
        await page.wait_for_url("**/?*area=solidarieta*")
        assert await page.locator("#results article").count() == 1
