"""Meetings from the staff area: one or a weekly series, edits that bump the sequence, cancellations
that tell every booked family through the outbox."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from portal import audit, db
from portal.admin import meetings as meetings_admin
from portal.booking import service
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.i18n import ROME
from portal.identity.staff_access import Forbidden
from portal.links import Links
from portal.tables import Activity, Booking, BookingEvent, Meeting, Outbox
from tests import factories
from tests.web.staff_signin import loaded_staff as staff

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")


def now() -> datetime:
    return datetime.now(timezone.utc)


def next_year() -> int:
    return now().astimezone(ROME).year + 1


@pytest.fixture
async def world(empty_db):
    services = await factories.taxonomy()
    hub_a, hub_b = await factories.hub("a", "Polo A"), await factories.hub("b", "Polo B")
    single = await factories.activity(services["attivita-culturali"], hub_a, capacity=2, audience="adults")
    course = await factories.activity(services["gruppi-genitori"], hub_a, format="course", capacity=5,
                                      audience="adults")
    separated = await factories.activity(services["genitori-separati"], hub_a, capacity=3, audience="adults")
    other = await factories.activity(services["attivita-culturali"], hub_b)
    return {"hubs": (hub_a, hub_b), "single": single, "course": course, "separated": separated, "other": other,
            "coordinator": await staff("coord@example.it", "coordinator", (hub_a,))}


async def slug_of(activity_id: int) -> str:
    return (await Activity.select(Activity.slug).where(Activity.id == activity_id).first())["slug"]


async def test_add_one_meeting_with_local_date_and_its_own_capacity(world):
    year = next_year()
    meeting_id = await meetings_admin.add_meeting(world["coordinator"], world["single"], {
        "date": f"{year}-03-29", "start": "01:30", "end": "03:30", "place": "Sala blu", "capacity": "4"}, now())
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert db.instant(row["starts_at"]) == datetime(year, 3, 29, 1, 30, tzinfo=ROME)
    assert row["local_date"] == date(year, 3, 29) and row["local_weekday"] == date(year, 3, 29).isoweekday()
    assert row["capacity"] == 4 and row["place"] == "Sala blu" and row["sequence"] == 0
    assert (await audit.entries("meeting", meeting_id))[0]["action"] == "meeting.create"


async def test_bad_meeting_input_is_explained_by_field(world):
    with pytest.raises(FormErrors) as refused:
        await meetings_admin.add_meeting(world["coordinator"], world["single"], {
            "date": "yesterday", "start": "18:00", "end": "17:00", "capacity": "-1"}, now())
    assert set(refused.value.by_field) == {"date", "end", "capacity"}
    with pytest.raises(FormErrors) as past:
        await meetings_admin.add_meeting(world["coordinator"], world["single"], {
            "date": "2020-01-01", "start": "17:00", "end": "18:00"}, now())
    assert set(past.value.by_field) == {"date"}
    assert await Meeting.count() == 0


def test_series_days_skip_closing_days():
    days = meetings_admin.series_days(date(2026, 12, 1), date(2026, 12, 31), {2, 4}, {date(2026, 12, 24)})
    assert days[0] == date(2026, 12, 1) and date(2026, 12, 24) not in days
    assert all(day.isoweekday() in (2, 4) for day in days) and len(days) == 9
    assert meetings_admin.parse_closing_days("2026-12-24, 31/12/2026\nboh") == (
        {date(2026, 12, 24), date(2026, 12, 31)}, ["boh"])


async def test_a_weekly_series_between_two_dates_skipping_closing_days(world):
    year = next_year()
    ids = await meetings_admin.add_series(world["coordinator"], world["course"], {
        "first_date": f"{year}-12-01", "last_date": f"{year}-12-31", "weekdays": ["2", "4"], "start": "17:00",
        "end": "18:30", "place": "Sala", "closing_days": f"{year}-12-24\n25/12/{year}\n{year}-12-08"}, now())
    rows = await Meeting.select().where(Meeting.id.is_in(ids)).order_by(Meeting.starts_at)
    expected = meetings_admin.series_days(date(year, 12, 1), date(year, 12, 31), {2, 4},
                                          {date(year, 12, 24), date(year, 12, 25), date(year, 12, 8)})
    assert [row["local_date"] for row in rows] == expected
    assert all(db.instant(r["starts_at"]).astimezone(ROME).strftime("%H:%M") == "17:00" for r in rows)
    assert all(r["capacity"] is None for r in rows)  # a course's places are the cycle's
    entry = (await audit.entries("activity", world["course"]))[0]
    assert entry["action"] == "meeting.create_series" and entry["details"]["meetings"] == ids


async def test_series_refusals(world):
    year = next_year()
    base = {"first_date": f"{year}-12-10", "last_date": f"{year}-12-01", "weekdays": [], "start": "17:00",
            "end": "18:00", "closing_days": "31-31-31"}
    with pytest.raises(FormErrors) as refused:
        await meetings_admin.add_series(world["coordinator"], world["single"], base, now())
    assert set(refused.value.by_field) == {"last_date", "weekdays", "closing_days"}
    first, last = date(year, 12, 9), date(year, 12, 10)
    absent = next(day for day in range(1, 8) if day not in (first.isoweekday(), last.isoweekday()))
    with pytest.raises(FormErrors) as empty:
        await meetings_admin.add_series(world["coordinator"], world["single"], {
            **base, "first_date": first.isoformat(), "last_date": last.isoformat(), "weekdays": [str(absent)],
            "closing_days": ""}, now())
    assert set(empty.value.by_field) == {"first_date"}
    assert await Meeting.count() == 0


async def test_editing_time_or_place_bumps_the_sequence(world):
    meeting_id = await factories.meeting(world["single"], now() + timedelta(days=10), place="Sala")
    values = meetings_admin.form_values(await Meeting.select().where(Meeting.id == meeting_id).first())
    assert not await meetings_admin.update_meeting(world["coordinator"], meeting_id, values, now())
    assert (await Meeting.select(Meeting.sequence).where(Meeting.id == meeting_id).first())["sequence"] == 0
    assert await meetings_admin.update_meeting(world["coordinator"], meeting_id, {**values, "place": "Cortile"}, now())
    moved = (now() + timedelta(days=12)).astimezone(ROME).date()
    assert await meetings_admin.update_meeting(world["coordinator"], meeting_id, {
        **values, "place": "Cortile", "date": moved.isoformat(), "start": "10:00", "end": "11:00"}, now())
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert row["sequence"] == 2 and row["place"] == "Cortile" and row["local_date"] == moved
    assert db.instant(row["updated_at"]) > db.instant(row["starts_at"]) - timedelta(days=30)


async def test_cancelling_a_single_meeting_cancels_its_bookings_and_tells_every_family(world):
    meeting_id = await factories.meeting(world["single"], now() + timedelta(days=7))
    target = await service.find_target(await slug_of(world["single"]), meeting_id)
    codes = []
    for _ in range(3):  # two confirmed, one waiting
        family, members = await factories.family(adults=1)
        codes.append((await service.book(family, target, members, now(), LINKS)).code)
    await Outbox.delete(force=True)
    told = await meetings_admin.cancel_meeting(world["coordinator"], meeting_id,
                                               {"message": "Il polo resta chiuso per lavori."}, now(), LINKS)
    assert told == 3
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert row["status"] == "cancelled" and row["sequence"] == 1 and row["cancelled_at"] and row["seats_taken"] == 0
    assert {b["status"] for b in await Booking.select(Booking.status)} == {"cancelled"}
    mails = await Outbox.select()
    assert len(mails) == 3 and all("Il polo resta chiuso per lavori." in m["text_body"] for m in mails)
    title = (await Activity.select(Activity.title).where(Activity.id == world["single"]).first())["title"]
    assert all(title in m["subject"] and m["to_address"] for m in mails)
    events = await BookingEvent.select().where(BookingEvent.to_status == "cancelled")
    assert len(events) == 3 and {e["actor"] for e in events} == {world["coordinator"].actor}
    entry = (await audit.entries("meeting", meeting_id))[0]
    assert entry["action"] == "meeting.cancel" and entry["reason"] == "Il polo resta chiuso per lavori."
    with pytest.raises(FormErrors) as again:
        await meetings_admin.cancel_meeting(world["coordinator"], meeting_id, {"message": "Ancora"}, now(), LINKS)
    assert again.value.status_code == 409
    with pytest.raises(FormErrors):
        await meetings_admin.update_meeting(world["coordinator"], meeting_id, {"date": "2030-01-01"}, now())


async def test_cancelling_a_course_meeting_keeps_the_enrolments_and_tells_the_families(world):
    first = await factories.meeting(world["course"], now() + timedelta(days=7))
    second = await factories.meeting(world["course"], now() + timedelta(days=14))
    target = await service.find_target(await slug_of(world["course"]), None)
    for _ in range(2):
        family, members = await factories.family(adults=1, language="en")
        await service.book(family, target, members, now(), LINKS)
    await Outbox.delete(force=True)
    told = await meetings_admin.cancel_meeting(world["coordinator"], second, {"message": "Sciopero."}, now(), LINKS)
    assert told == 2
    assert {b["status"] for b in await Booking.select(Booking.status)} == {"confirmed"}
    assert (await Activity.select(Activity.seats_taken).where(Activity.id == world["course"]).first())[
        "seats_taken"] == 2
    mails = await Outbox.select()
    assert len(mails) == 2 and all(m["subject"].startswith("Date cancelled") for m in mails)
    assert all("Your enrolment stays" in m["text_body"] and "Sciopero." in m["text_body"] for m in mails)
    assert (await Meeting.select(Meeting.status).where(Meeting.id == first).first())["status"] == "scheduled"


async def test_a_separation_service_cancellation_mail_stays_neutral(world):
    meeting_id = await factories.meeting(world["separated"], now() + timedelta(days=7))
    target = await service.find_target(await slug_of(world["separated"]), meeting_id)
    family, members = await factories.family(adults=1, language="en")
    await service.book(family, target, members, now(), LINKS)
    await Outbox.delete(force=True)
    await meetings_admin.cancel_meeting(world["coordinator"], meeting_id, {"message": "Rinviato."}, now(), LINKS)
    mail = await Outbox.select().first()
    title = (await Activity.select(Activity.title).where(Activity.id == world["separated"]).first())["title"]
    assert title not in mail["subject"] and title not in mail["text_body"] and title not in mail["html_body"]


async def test_a_cancellation_needs_a_message(world):
    meeting_id = await factories.meeting(world["single"], now() + timedelta(days=7))
    with pytest.raises(FormErrors) as refused:
        await meetings_admin.cancel_meeting(world["coordinator"], meeting_id, {"message": "  "}, now(), LINKS)
    assert set(refused.value.by_field) == {"message"}
    assert (await Meeting.select(Meeting.status).where(Meeting.id == meeting_id).first())["status"] == "scheduled"


async def test_meeting_scope_and_roles(world):
    other_meeting = await factories.meeting(world["other"], now() + timedelta(days=7))
    values = {"date": "2030-01-01", "start": "10:00", "end": "11:00", "message": "x"}
    for call in (meetings_admin.add_meeting(world["coordinator"], world["other"], values, now()),
                 meetings_admin.update_meeting(world["coordinator"], other_meeting, values, now()),
                 meetings_admin.cancel_meeting(world["coordinator"], other_meeting, values, now(), LINKS)):
        with pytest.raises(NotFound):
            await call
    operator = await staff("op@example.it", "operator", activities=(world["other"],))
    for call in (meetings_admin.add_meeting(operator, world["other"], values, now()),
                 meetings_admin.update_meeting(operator, other_meeting, values, now()),
                 meetings_admin.cancel_meeting(operator, other_meeting, values, now(), LINKS)):
        with pytest.raises(Forbidden):
            await call
    assert len(await meetings_admin.meetings_of(operator, world["other"])) == 1  # operators see them


async def test_cancelling_a_private_appointment_tells_its_family_and_keeps_the_enrolment(world):
    family, _ = await factories.family(adults=1, language="en")
    rows = await Booking.insert(Booking(code="PRIVATE1", family=family, activity=world["single"], status="confirmed",
                                        seats=1, joined_at=now(), created_at=now(), updated_at=now())
                                ).returning(Booking.id)
    meeting_id = await factories.meeting(world["single"], now() + timedelta(days=3), private=True,
                                         private_booking=rows[0]["id"])
    meeting, activity = await meetings_admin.meeting_in_scope(world["coordinator"], meeting_id)
    assert await meetings_admin.families_told(meeting, activity) == 1
    assert await meetings_admin.cancel_meeting(world["coordinator"], meeting_id, {"message": "Malattia."}, now(),
                                               LINKS) == 1
    assert (await Booking.select(Booking.status).first())["status"] == "confirmed"
    mail = await Outbox.select().first()
    assert mail["subject"].startswith("Date cancelled") and "Malattia." in mail["text_body"]
