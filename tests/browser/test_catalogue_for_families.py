"""The catalogue knows the family: 'for your family' when signed in, district and age first (and remembered)
when not, and one card per service with its nearest hubs."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from portal.demo import loader as demo
from portal.tables import Family
from tests import factories
from tests.browser.conftest import PHONE, open_page, sign_in_with_code
from tests.browser.test_phone_first_booking import born

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
DISTRICT = "Municipalità 4"
HOME_HUB = "Poggioreale"
SPAZIO = "Spazio 0–3: gioco e incontro"


@pytest.fixture
async def demo_catalogue(empty_db):
    await demo.load_demo(datetime.now(timezone.utc))


async def signed_in(page, server, mailbox, email: str, children: tuple) -> None:
    await factories.family(email, children=children)
    await Family.update({Family.district: DISTRICT}).where(Family.email == email)
    await page.goto(f"{server}/accedi?next=/")
    await sign_in_with_code(page, mailbox, email)
    await page.wait_for_url(f"{server}/")


async def test_a_family_with_a_two_year_old_sees_0_3_activities_of_its_district_first(
        server, phone, mailbox, demo_catalogue):
    await signed_in(phone, server, mailbox, "due-anni@example.it", (born(26),))
    section = phone.locator(".for-family")
    assert (await section.bounding_box())["y"] < PHONE["height"], "it opens the home page"
    cards = section.locator("article")
    assert await cards.count() >= 2
    hubs = [await card.locator("p.meta").first.inner_text() for card in await cards.all()]
    at_home = [HOME_HUB in hub for hub in hubs]
    assert at_home[0] and at_home == sorted(at_home, reverse=True), "the district's hub first"
    titles = [await card.locator("h3").inner_text() for card in await cards.all()]
    assert SPAZIO in titles[: at_home.count(True)], "the 0–3 mornings of its district"
    assert "0–2" in await cards.nth(titles.index(SPAZIO)).inner_text()

    await phone.goto(f"{server}/famiglia")
    assert await phone.locator(".for-family article").count() == await cards.count()


async def test_a_child_entering_a_new_age_band_is_named(server, phone, mailbox, demo_catalogue):
    await signed_in(phone, server, mailbox, "quasi-sei@example.it", (born(70),))
    milestone = phone.locator(".for-family .milestone")
    assert await milestone.count() == 1
    text = await milestone.inner_text()
    assert "Bimbo 0" in text and "compie 6 anni" in text, text
    assert "age=6" in await milestone.locator("a").get_attribute("href")


async def test_district_and_age_come_first_and_are_remembered_for_the_visit(server, chromium_path, demo_catalogue):
    async with open_page(chromium_path, PHONE) as page:
        await page.goto(server + "/")
        controls = page.locator("form.catalogue-filters :is(input, select):visible")
        assert [await controls.nth(i).get_attribute("id") for i in range(2)] == ["filter-district", "filter-age"]
        await page.select_option("#filter-district", DISTRICT)
        await page.wait_for_url("**district=**")
        await page.fill("#filter-age", "2")
        await page.wait_for_url("**age=2**")
        await page.locator("#results h3 a").first.click()
        await page.wait_for_url("**/attivita/**")
        await page.goto(server + "/")
        assert "age=2" in page.url and await page.input_value("#filter-district") == DISTRICT
        await page.click("text=Azzera i filtri")
        await page.goto(server + "/")
        assert await page.input_value("#filter-age") == "", "cleared filters are forgotten"
    async with open_page(chromium_path, PHONE) as page:  # another visit starts afresh
        await page.goto(server + "/")
        assert page.url == server + "/"


async def test_one_card_per_service_with_its_nearest_hubs(server, phone, demo_catalogue):
    await phone.goto(f"{server}/?district={DISTRICT}&age=2")
    cards = phone.locator("#results article", has=phone.locator("h3", has_text=SPAZIO))
    assert await cards.count() == 1, "one card for the five hubs that run it"
    places = cards.first.locator(".card-places > li")
    assert await places.count() == 3
    assert HOME_HUB in await places.first.inner_text()
    assert await cards.first.locator("a.date-choice").count() >= 1
    assert "Anche in:" in await cards.first.inner_text()

    await phone.goto(f"{server}/?district=Municipalità 9&age=2")
    card = phone.locator("#results article", has=phone.locator("h3", has_text=SPAZIO))
    assert "Soccavo" in await card.locator(".card-places > li").first.inner_text()

    await phone.goto(f"{server}/poli/poggioreale-san-lorenzo-vicaria")
    assert await phone.locator("#results article", has=phone.locator("h3", has_text=SPAZIO)).count() == 1
    await phone.goto(f"{server}/?hub=centro-storico")
    assert all([await card.locator(".card-places > li").count() == 1
                for card in await phone.locator("#results article").all()])
