"""An appointment service shows its free slots one day at a time: htmx swaps the day, plain links without JS."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from portal.i18n import ROME
from tests import factories
from tests.browser.conftest import PHONE, open_page

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


@pytest.fixture
async def appointments(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    activity = await factories.activity(services["mediazione-familiare"], hub, "Colloquio con la pedagogista",
                                        slug="colloquio", capacity=1, seat_unit="family", audience="adults")
    first = (datetime.now(ROME) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    slots = {}
    for day, hours in ((0, (9, 10)), (1, (9, 10, 11)), (2, (15,))):
        for hour in hours:
            starts = first + timedelta(days=day, hours=hour - 9)
            slots[(day, hour)] = await factories.meeting(activity, starts, minutes=45,
                                                         seats_taken=1 if (day, hour) == (1, 10) else 0)
    return {"first_day": first.date(), "slots": slots}


async def test_day_picker_swaps_the_day_in_place(server, phone, appointments):
    await phone.goto(server + "/attivita/colloquio")
    days = phone.locator(".slot-days a")
    assert await days.count() == 3
    assert await phone.locator(".slot-days a[aria-current=date]").count() == 1
    assert await phone.locator(".slot-times time").all_inner_texts() == ["09:00–09:45", "10:00–10:45"]

    await phone.evaluate("window.sameDocument = true")
    await days.nth(1).click()
    second_day = (appointments["first_day"] + timedelta(days=1)).isoformat()
    await phone.wait_for_url(f"**giorno={second_day}**")
    await phone.wait_for_function("document.querySelectorAll('.slot-times a').length === 2")
    assert await phone.locator(".slot-times time").all_inner_texts() == ["09:00–09:45", "11:00–11:45"]  # 10:00 taken
    assert await phone.evaluate("window.sameDocument === true"), "htmx swapped the day in place"
    assert "aria-current" in await days.nth(1).evaluate("e => e.outerHTML")

    await phone.locator(".slot-times a").first.click()
    await phone.wait_for_url("**/accedi?next=**")
    assert f"incontro%3D{appointments['slots'][(1, 9)]}" in phone.url or \
        f"incontro={appointments['slots'][(1, 9)]}" in phone.url


async def test_day_picker_works_without_javascript(server, chromium_path, appointments):
    async with open_page(chromium_path, PHONE, java_script_enabled=False) as page:
        await page.goto(server + "/attivita/colloquio")
        await page.locator(".slot-days a").nth(2).click()
        third_day = (appointments["first_day"] + timedelta(days=2)).isoformat()
        await page.wait_for_url(f"**/attivita/colloquio?giorno={third_day}#orari")
        assert await page.locator(".slot-times time").all_inner_texts() == ["15:00–15:45"]
