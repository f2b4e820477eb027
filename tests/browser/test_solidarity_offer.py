"""A family on a phone signs in from the solidarity page and offers help; it then sees the offer's status."""

from __future__ import annotations

import pytest

from portal.tables import HelpKind, SolidarityOffer
from tests import factories
from tests.browser.conftest import first_sign_in

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
EMAIL = "solidale@example.it"


@pytest.fixture
async def hubs(empty_db):
    await factories.taxonomy()
    await factories.hub("stella", "Polo Stella", district="Municipalità 3")
    await HelpKind.insert(HelpKind(name="Aiuto compiti", active=True, position=1))


async def test_a_family_creates_a_solidarity_offer(server, phone, mailbox, hubs):
    await phone.goto(server + "/solidarieta")
    await phone.click("a[href='/famiglia/solidarieta/offerta']")
    await first_sign_in(phone, mailbox, EMAIL, "Teresa", "Solidale")

    await phone.wait_for_url("**/famiglia/solidarieta/offerta")
    await phone.locator("label", has_text="Aiuto compiti").click()
    await phone.locator("#offer-weekdays label").first.click()  # Monday
    await phone.locator("#offer-time_bands label").nth(1).click()  # afternoon
    await phone.locator("#offer-districts label", has_text="Municipalità 3").click()
    await phone.fill("#offer-presentation", "Due genitori e una figlia di dieci anni.")
    await phone.select_option("#offer-hub", label="Polo Stella (Municipalità 3)")
    await phone.click("form[action='/famiglia/solidarieta/offerta'] button[type=submit]")
    await phone.wait_for_url("**/famiglia/solidarieta?esito=inviata")
    assert await phone.locator(".offer-status").inner_text() == "Ricevuta" or \
        await phone.locator(".offer-status").count() == 1
    row = await SolidarityOffer.select().first()
    assert row["status"] == "new" and row["weekdays"] == "1" and row["time_bands"] == "afternoon"
