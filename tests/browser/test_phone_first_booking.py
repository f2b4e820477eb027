"""A family's first booking on a 390×844 phone, on the demo catalogue: the action in the first screen, a
new family books with a child in at most 12 actions, a signed-in family in at most 4 taps, and adding a
child works without JavaScript too."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from portal.demo import loader as demo
from portal.i18n import ROME
from portal.tables import Activity, Family, Hub
from tests import factories
from tests.browser.conftest import PHONE, mailed_code, open_page, sign_in_with_code

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
SPAZIO = "spazio-0-3-gioco-e-incontro-poggioreale"  # single, open, families with children of 0–3 years
FOLD = PHONE["height"]
FREE_DATE = ".activity-action .next-dates a.date-choice:has-text('liber') >> nth=0"  # "posti liberi": confirmed


@pytest.fixture
async def demo_catalogue(empty_db):
    await demo.load_demo(datetime.now(timezone.utc))


def born(months: int) -> tuple[int, int]:
    today = datetime.now(timezone.utc).astimezone(ROME).date()
    total = today.year * 12 + today.month - 1 - months
    return total // 12, total % 12 + 1


async def bottom(locator) -> float:
    box = await locator.bounding_box()
    assert box is not None, "the element is shown"
    return box["y"] + box["height"]


async def test_the_action_is_in_the_first_screen_of_every_activity_and_hub_page(server, phone, demo_catalogue):
    activities = await Activity.select(Activity.slug, Activity.access).where(Activity.published == True)  # noqa: E712
    with_dates = 0
    for activity in activities:
        await phone.goto(f"{server}/attivita/{activity['slug']}")
        action = phone.locator(".activity-action")
        assert await bottom(action.locator("h2")) <= FOLD, activity["slug"]
        first_date = action.locator(".next-dates a.date-choice").first
        if await first_date.count():
            with_dates += 1
            assert await bottom(first_date) <= FOLD, activity["slug"]
            assert await bottom(action.locator("a.btn-primary")) <= FOLD, activity["slug"]
            assert "/prenota" in await first_date.get_attribute("href")
        description = phone.locator("#descrizione")
        assert (await description.bounding_box())["y"] > (await action.bounding_box())["y"]
    assert with_dates > 30

    for hub in await Hub.select(Hub.slug):
        await phone.goto(f"{server}/poli/{hub['slug']}")
        first_card = phone.locator("#results article").first
        assert await bottom(first_card.locator("h3")) <= FOLD, hub["slug"]
        first_date = phone.locator("#results a.date-choice").first
        assert await bottom(first_date) <= FOLD, hub["slug"]


async def test_a_new_family_books_with_a_new_child_in_at_most_12_actions(server, phone, mailbox, demo_catalogue):
    """An action is a tap, a choice in a list, or typing into a field; typing that ends with the
    keyboard's Enter ("Go") submits the form within the same action."""
    email = "nuova@example.it"
    actions = 0

    async def tap(selector: str) -> None:
        nonlocal actions
        actions += 1
        await phone.click(selector)

    async def type_in(selector: str, text: str, go: bool = False) -> None:
        nonlocal actions
        actions += 1
        await phone.fill(selector, text)
        if go:
            await phone.press(selector, "Enter")

    await phone.goto(f"{server}/attivita/{SPAZIO}")
    await tap(FREE_DATE)
    await phone.wait_for_url("**/accedi?next=**")
    await type_in("#sign-in-email", email, go=True)
    await phone.wait_for_url("**/accedi/codice")
    await type_in("#sign-in-code", await mailed_code(mailbox, email), go=True)
    await phone.wait_for_url("**/famiglia/profilo**")
    await tap("label[for=profile-privacy]")
    await type_in("#profile-name", "Giulia")
    await type_in("#profile-surname", "Esposito", go=True)
    await phone.wait_for_url("**/prenota?incontro=*")
    assert await phone.locator("#participants-form").count() == 1

    year, month = born(14)
    await type_in("#child-first-name", "Marco")
    actions += 1
    await phone.select_option("#child-birth-month", str(month))
    await type_in("#child-birth-year", str(year), go=True)
    marco = phone.locator("#participants-form label", has_text="Marco")
    await marco.wait_for()
    assert await phone.is_checked("#participants-form input[name=partecipante] >> nth=-1"), "the new child is chosen"
    assert "/prenota" in phone.url, "still in the booking"

    await tap("#participants-form button[type=submit]")
    await phone.wait_for_url("**/prenota/riepilogo**")
    await tap(f"form[action='/attivita/{SPAZIO}/prenota'] button[type=submit]")
    await phone.wait_for_url("**/famiglia/prenotazioni/*")
    assert await phone.locator(".badge.bg-success").count() >= 1  # confirmed
    assert actions <= 12, actions


async def test_a_signed_in_family_books_in_at_most_4_taps(server, phone, mailbox, demo_catalogue):
    email = "conosciuta@example.it"
    await factories.family(email, children=(born(20),))
    await phone.goto(f"{server}/accedi?next=/attivita/{SPAZIO}")
    await sign_in_with_code(phone, mailbox, email)
    await phone.wait_for_url(f"**/attivita/{SPAZIO}")

    taps = 0
    for selector, then in ((FREE_DATE, "**/prenota?incontro=*"),
                           ("#participants-form button[type=submit]", "**/prenota/riepilogo**"),
                           (f"form[action='/attivita/{SPAZIO}/prenota'] button[type=submit]",
                            "**/famiglia/prenotazioni/*")):
        taps += 1
        await phone.click(selector)
        await phone.wait_for_url(then)
    assert await phone.locator(".badge.bg-success").count() >= 1
    assert taps <= 4


async def test_adding_a_child_works_without_javascript(server, chromium_path, mailbox, demo_catalogue):
    email = "senza-js@example.it"
    await factories.family(email)
    async with open_page(chromium_path, PHONE, java_script_enabled=False) as page:
        await page.goto(f"{server}/accedi")
        await page.fill("#sign-in-email", email)
        await page.click("form[action='/accedi'] button[type=submit]")
        await page.fill("#sign-in-code", await mailed_code(mailbox, email))
        await page.click("form[action='/accedi/codice'] button[type=submit]")
        await page.goto(f"{server}/attivita/{SPAZIO}")
        await page.click(FREE_DATE)
        step = page.url
        await page.fill("#child-first-name", "")
        await page.click("#partecipanti form[method=post] button[type=submit]")
        assert await page.locator("#error-first_name").count() == 1  # a clear message by the field
        year, month = born(30)
        await page.fill("#child-first-name", "Sara")
        await page.select_option("#child-birth-month", str(month))
        await page.fill("#child-birth-year", str(year))
        await page.click("#partecipanti form[method=post] button[type=submit]")
        await page.wait_for_url("**/prenota?*partecipante=*")
        assert step.split("?")[0] == page.url.split("?")[0], "back on the same step"
        assert await page.is_checked("#participants-form label:has-text('Sara') >> xpath=preceding-sibling::input")
        assert await page.is_checked("#participants-form input[name=partecipante] >> nth=0"), "the adult stays chosen"
        await page.click("#participants-form button[type=submit]")
        await page.wait_for_url("**/prenota/riepilogo**")
        assert "Sara" in await page.content()
    assert await Family.count().where(Family.email == email) == 1
