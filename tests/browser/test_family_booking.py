"""A family on a phone signs in with the mailed code, adds a child, books a course, sees it, cancels it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests import factories
from tests.browser.conftest import first_sign_in

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
EMAIL = "giulia@example.it"


@pytest.fixture
async def course(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("stella", "Polo Stella")
    activity = await factories.activity(
        services["gruppi-bambini-ragazzi"], hub, "Emozioni in gioco", format="course", audience="children",
        age_min_months=72, age_max_months=143, capacity=10, slug="emozioni-in-gioco")
    first = datetime.now(timezone.utc) + timedelta(days=14)
    for week in range(4):
        await factories.meeting(activity, first + timedelta(weeks=week))


async def test_sign_in_add_a_child_book_a_course_and_cancel(server, phone, mailbox, course):
    await phone.goto(server + "/attivita/emozioni-in-gioco/prenota")
    await first_sign_in(phone, mailbox, EMAIL, "Giulia", "Esposito")

    await phone.goto(server + "/famiglia/componenti")
    await phone.click("label[for=add-kind-child]")
    await phone.fill("#add-first-name", "Marco")
    await phone.select_option("#add-birth-month", "3")
    await phone.fill("#add-birth-year", str(datetime.now().year - 8))
    await phone.click("form[action='/famiglia/componenti'] button[type=submit]")
    assert "Marco" in await phone.content()

    await phone.goto(server + "/attivita/emozioni-in-gioco/prenota")
    await phone.get_by_label("Marco").check()  # the step ticks him already: he fits the activity
    await phone.click("form[action$='/riepilogo'] button[type=submit]")
    await phone.wait_for_url("**/prenota/riepilogo**")
    await phone.click("form[action='/attivita/emozioni-in-gioco/prenota'] button[type=submit]")
    await phone.wait_for_url("**/famiglia/prenotazioni/*")
    code = phone.url.rsplit("/", 1)[1]
    assert code in await phone.content()

    await phone.goto(server + "/famiglia/prenotazioni")
    assert "Emozioni in gioco" in await phone.content()
    await phone.click(f"form[action='/famiglia/prenotazioni/{code}/annulla'] button[type=submit]")
    await phone.wait_for_url(f"**/famiglia/prenotazioni/{code}")
    assert await phone.locator(".badge.bg-secondary").count() == 1  # cancelled
