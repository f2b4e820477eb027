"""A coordinator at a desk creates a course and its weekly series, a family on a phone books it, and the
coordinator marks the child present at the first meeting (HTMX), which a reload keeps."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from babel import dates

from portal.i18n import ROME
from portal.tables import Activity, Attendance, Booking, BookingParticipant, Meeting
from tests import factories
from tests.browser.conftest import sign_in_with_code
from tests.web.staff_signin import PASSWORD, staff_member

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
COORDINATOR = "coordinatrice@example.it"
FAMILY = "famiglia.settimana@example.it"
SLUG = "laboratorio-settimanale"
TITLE = "Laboratorio del pomeriggio"


@pytest.fixture
async def week(empty_db):
    await factories.taxonomy()
    hub = await factories.hub("girasole", "Polo Girasole")
    await staff_member(COORDINATOR, "coordinator", hub_ids=(hub,))
    today = datetime.now(ROME).date()
    _, members = await factories.family(FAMILY, children=((today.year - 8, today.month),))
    return {"hub": hub, "child": members[-1]}


def shown_day(day) -> str:
    """A day as the staff activity page writes it (Italian, "EEE d MMM y")."""
    return dates.format_date(day, "EEE d MMM y", locale="it")


async def test_course_with_a_weekly_series_booked_then_attendance(server, desk, phone, mailbox, week):
    hub = week["hub"]
    first = datetime.now(ROME).date() + timedelta(days=7)
    closed = first + timedelta(weeks=2)
    last = first + timedelta(weeks=4)
    expected = [first, first + timedelta(weeks=1), first + timedelta(weeks=3), last]

    # The coordinator signs in and opens the hub.
    await desk.goto(server + "/staff/accedi")
    await desk.fill("#staff-email", COORDINATOR)
    await desk.fill("#staff-password", PASSWORD)
    await desk.click("form[action='/staff/accedi'] button[type=submit]")
    await desk.wait_for_url(server + "/staff/")
    await desk.goto(server + f"/staff/poli/{hub}")
    await desk.click(f"a[href='/staff/poli/{hub}/attivita/nuova']")
    await desk.wait_for_url(f"**/staff/poli/{hub}/attivita/nuova")

    # A published, open course for children of 6 to 10 years, 8 places.
    form = f"form[action='/staff/poli/{hub}/attivita/nuova']"
    await desk.fill("#field-title", TITLE)
    await desk.fill("#field-slug", SLUG)
    await desk.select_option("#field-service", "gruppi-bambini-ragazzi")
    await desk.fill("#field-summary", "Giochi e letture per bambini, ogni settimana.")
    await desk.select_option("#field-access", "open")
    await desk.select_option("#field-format", "course")
    await desk.select_option("#field-audience", "children")
    await desk.select_option("#field-seat_unit", "participant")
    await desk.fill("#field-age_min", "6")
    await desk.select_option("#field-age_min_unit", "years")
    await desk.fill("#field-age_max", "10")
    await desk.select_option("#field-age_max_unit", "years")
    await desk.fill("#field-capacity", "8")
    await desk.click("label[for=field-published]")  # the styled box sits under its label
    assert await desk.is_checked("#field-published")
    await desk.click(f"{form} button[type=submit]")
    await desk.wait_for_url("**/staff/attivita/*?esito=creata")
    activity_id = int(re.search(r"/staff/attivita/(\d+)", desk.url).group(1))
    activity = await Activity.select().where(Activity.id == activity_id).first()
    assert (activity["slug"], activity["format"], activity["access"], activity["audience"]) == (
        SLUG, "course", "open", "children")
    assert (activity["capacity"], activity["published"]) == (8, True)
    assert (activity["age_min_months"], activity["age_max_months"]) == (72, 131)
    assert await desk.locator("h1").inner_text() == TITLE

    # A weekly series on that weekday for four weeks from next week, one closing day skipped.
    await desk.click(f"a[href='/staff/attivita/{activity_id}/incontri/serie']")
    await desk.wait_for_url(f"**/staff/attivita/{activity_id}/incontri/serie")
    await desk.fill("#field-first_date", first.isoformat())
    await desk.fill("#field-last_date", last.isoformat())
    await desk.click(f"label[for=field-weekdays-{first.isoweekday()}]")
    assert await desk.is_checked(f"#field-weekdays-{first.isoweekday()}")
    await desk.fill("#field-start", "17:00")
    await desk.fill("#field-end", "18:30")
    await desk.fill("#field-place", "Sala grande")
    await desk.fill("#field-closing_days", closed.isoformat())
    await desk.click(f"form[action='/staff/attivita/{activity_id}/incontri/serie'] button[type=submit]")
    await desk.wait_for_url(f"**/staff/attivita/{activity_id}?esito=serie")

    meetings = await Meeting.select().where(Meeting.activity == activity_id).order_by(Meeting.starts_at)
    assert [m["local_date"] for m in meetings] == expected
    rows = desk.locator("tr[id^=meeting-]")
    assert await rows.count() == len(expected)
    for meeting, day in zip(meetings, expected):
        row = await desk.locator(f"tr#meeting-{meeting['id']}").inner_text()
        assert shown_day(day) in row and "17:00" in row
    assert shown_day(closed) not in await desk.locator("table").inner_text()

    # The family signs in on a phone with the mailed code and books the course for its child.
    await phone.goto(server + f"/attivita/{SLUG}/prenota")
    await sign_in_with_code(phone, mailbox, FAMILY)
    await phone.wait_for_url(f"**/attivita/{SLUG}/prenota")
    child = week["child"]
    await phone.locator(f"label[for=member-{child}]").check()  # ticked already: the child fits
    assert await phone.is_checked(f"#member-{child}")
    await phone.click("form[action$='/riepilogo'] button[type=submit]")
    await phone.wait_for_url("**/prenota/riepilogo**")
    await phone.click(f"form[action='/attivita/{SLUG}/prenota'] button[type=submit]")
    await phone.wait_for_url("**/famiglia/prenotazioni/*")
    code = phone.url.rsplit("/", 1)[1]
    assert await phone.locator("h1").inner_text() == TITLE
    assert code in await phone.locator("main").inner_text()
    assert await phone.locator(".badge.bg-success").count() == 1  # confirmed
    assert "Bimbo 0" in await phone.locator("main").inner_text()
    booking = await Booking.select().where(Booking.code == code).first()
    assert (booking["activity"], booking["meeting"], booking["status"]) == (activity_id, None, "confirmed")
    participant = (await BookingParticipant.select().where(BookingParticipant.booking == booking["id"]).first())["id"]

    # The coordinator opens the first meeting's roster and marks the child present.
    meeting_id = meetings[0]["id"]
    await desk.goto(server + f"/staff/registri/incontri/{meeting_id}")
    row = desk.locator(f"tr#p{participant}")
    assert "Bimbo 0" in await row.inner_text()
    toggle = f"form#att-{meeting_id}-{participant}"
    present = f"{toggle} button[name=present][value='1']"
    absent = f"{toggle} button[name=present][value='0']"
    assert await desk.get_attribute(present, "aria-pressed") == "false"
    await desk.wait_for_function("window.htmx !== undefined")
    await desk.evaluate("window.sameDocument = true")
    await desk.click(present)
    await desk.wait_for_selector(f"{present}[aria-pressed=true]")
    assert await desk.evaluate("window.sameDocument === true"), "htmx swapped the toggle in place"
    assert await desk.get_attribute(absent, "aria-pressed") == "false"

    await desk.reload()
    await desk.wait_for_selector(f"{present}[aria-pressed=true]")
    assert "btn-success" in await desk.get_attribute(present, "class")
    assert await desk.get_attribute(absent, "aria-pressed") == "false"
    marks = await Attendance.select(Attendance.meeting, Attendance.participant, Attendance.present)
    assert [(m["meeting"], m["participant"], bool(m["present"])) for m in marks] == [(meeting_id, participant, True)]
