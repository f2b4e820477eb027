"""The staff dashboard against the real database: today's meetings and the rest of the week's (Europe/Rome
dates), places and waiting lists, what waits for a decision, and each role's scope; a few queries
whatever the number of meetings."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from portal import db
from portal.operations import dashboard
from portal.tables import AccessRequest, Booking, Meeting
from tests import factories, operations_world
from tests.factories import rome

pytestmark = pytest.mark.anyio

NOW = rome(2031, 1, 8, 10, 0)  # a Wednesday morning; the week ends on Sunday 12 January


@pytest.fixture
async def world(empty_db):
    world = await operations_world.build()
    meetings = {
        "today": await factories.meeting(world.open_single, rome(2031, 1, 8, 17, 0)),
        "today_late": await factories.meeting(world.open_single, rome(2031, 1, 8, 23, 30), capacity=5),
        "thursday_night": await factories.meeting(world.open_single, rome(2031, 1, 9, 0, 30)),  # Wed 23:30 UTC
        "course": await factories.meeting(world.course, rome(2031, 1, 9, 18, 0)),
        "sunday_b": await factories.meeting(world.other_single, rome(2031, 1, 12, 11, 0)),
        "yesterday": await factories.meeting(world.open_single, rome(2031, 1, 7, 17, 0)),
        "next_monday": await factories.meeting(world.open_single, rome(2031, 1, 13, 9, 0)),
        "cancelled": await factories.meeting(world.course, rome(2031, 1, 10, 18, 0), status="cancelled"),
    }
    for _ in range(3):  # capacity 2: two places taken, one family waits
        await world.book(world.open_single, meetings["today"])
    await world.book(world.course, None)  # the course's places are the cycle's
    for _ in range(4):  # capacity 3: one family waits for the whole course
        await world.book(world.course, None)
    await world.book(world.consent_course, None, adults=0, children=((2018, 3),))  # held for approval
    family_id, _ = await factories.family()
    for activity, status in ((world.request, "new"), (world.request, "contacted"), (world.request, "closed"),
                             (world.other_single, "new")):
        await AccessRequest.insert(AccessRequest(
            code=f"R{activity}{status}"[:12], family=family_id, activity=activity, contact_by="phone",
            preferred_times="", note="", status=status, created_at=NOW, updated_at=NOW, confidential_notes=""))
    world.meetings = meetings
    return world


def ids(lines: list[dashboard.MeetingLine]) -> list[int]:
    return [line.id for line in lines]


def test_the_week_ends_on_sunday_in_rome():
    assert dashboard.week_of(NOW) == (date(2031, 1, 8), date(2031, 1, 12))
    sunday_night = rome(2031, 1, 12, 23, 30)
    assert dashboard.week_of(sunday_night) == (date(2031, 1, 12), date(2031, 1, 12))
    assert dashboard.week_of(rome(2031, 1, 13, 0, 30)) == (date(2031, 1, 13), date(2031, 1, 19))


async def test_an_admin_sees_today_and_the_rest_of_the_week_everywhere(world):
    m = world.meetings
    found = await dashboard.build(world.admin, NOW)
    assert found.today == date(2031, 1, 8) and found.week_end == date(2031, 1, 12)
    assert ids(found.today_meetings) == [m["today"], m["today_late"]]
    assert ids(found.week_meetings) == [m["thursday_night"], m["course"], m["cancelled"], m["sunday_b"]]
    assert {line.hub_name for line in found.week_meetings} == {"Polo Centro", "Polo Nord"}
    assert found.pending_approvals == 1
    assert (found.new_requests, found.contacted_requests) == (2, 1)
    assert [hub.name for hub in found.scope] == ["Polo Centro", "Polo Nord"]  # the listing below


async def test_places_and_waiting_lists_of_single_meetings_and_courses(world):
    m = world.meetings
    found = await dashboard.build(world.admin, NOW)
    lines = {line.id: line for line in found.today_meetings + found.week_meetings}
    today = lines[m["today"]]
    assert (today.seats_taken, today.capacity, today.waiting, today.full) == (2, 2, 1, True)
    assert today.activity_title == "Festa delle famiglie" and today.hub_name == "Polo Centro"
    assert today.roster_path == f"/staff/registri/incontri/{m['today']}"
    assert today.waiting_list_path == f"/staff/attese/incontri/{m['today']}"
    late = lines[m["today_late"]]  # the meeting's own capacity wins over the activity's
    assert (late.seats_taken, late.capacity, late.waiting) == (0, 5, 0)
    course = lines[m["course"]]
    assert (course.format, course.seats_taken, course.capacity, course.waiting) == ("course", 3, 3, 2)
    assert course.waiting_list_path == f"/staff/attese/attivita/{world.course}"
    cancelled = lines[m["cancelled"]]
    assert cancelled.cancelled and cancelled.waiting_list_path is None
    assert lines[m["today"]].starts_at == rome(2031, 1, 8, 17, 0)


async def test_a_coordinator_never_sees_another_hubs_meetings_or_requests(world):
    m = world.meetings
    found = await dashboard.build(world.coordinator, NOW)
    assert m["sunday_b"] not in ids(found.week_meetings)
    assert {line.hub_name for line in found.today_meetings + found.week_meetings} == {"Polo Centro"}
    assert (found.pending_approvals, found.new_requests, found.contacted_requests) == (1, 1, 1)
    other = await dashboard.build(world.other_coordinator, NOW)
    assert ids(other.today_meetings) == [] and ids(other.week_meetings) == [m["sunday_b"]]
    assert (other.pending_approvals, other.new_requests, other.contacted_requests) == (0, 1, 0)


async def test_an_operator_sees_only_their_activitys_meetings_and_no_decisions(world):
    m = world.meetings
    found = await dashboard.build(world.operator, NOW)
    assert ids(found.today_meetings) == [m["today"], m["today_late"]]
    assert ids(found.week_meetings) == [m["thursday_night"]]
    assert (found.pending_approvals, found.new_requests, found.contacted_requests) == (None, None, None)
    assert [a.id for hub in found.scope for a in hub.activities] == [world.open_single]


async def test_nothing_in_scope_means_an_empty_dashboard(world):
    nobody = await operations_world.staff("nessuno@example.it", "operator")
    found = await dashboard.build(nobody, NOW)
    assert found.today_meetings == [] and found.week_meetings == [] and found.scope == []


async def test_the_number_of_queries_does_not_grow_with_the_meetings(world, monkeypatch):
    engine = type(db.engine())
    original = engine.run_querystring
    calls: list[str] = []

    async def counting(self, querystring, *args, **kwargs):
        calls.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine, "run_querystring", counting)
    await dashboard.build(world.coordinator, NOW)
    few = len(calls)
    for day in range(9, 13):
        for hour in (9, 11, 15, 18):
            await factories.meeting(world.open_single, rome(2031, 1, day, hour, 0))
            await factories.meeting(world.course, rome(2031, 1, day, hour, 30))
    calls.clear()
    found = await dashboard.build(world.coordinator, NOW)
    assert len(found.week_meetings) > 30
    assert len(calls) == few <= 10, calls


async def test_a_waiting_booking_of_another_meeting_is_not_counted(world):
    m = world.meetings
    family_id, _ = await factories.family()
    moment = datetime(2031, 1, 1, tzinfo=NOW.tzinfo)
    await Booking.insert(Booking(code="ALTRO1", family=family_id, activity=world.open_single,
                                 meeting=m["next_monday"], status="waitlisted", seats=1, joined_at=moment,
                                 created_at=moment, updated_at=moment))
    found = await dashboard.build(world.admin, NOW)
    lines = {line.id: line for line in found.today_meetings + found.week_meetings}
    assert lines[m["today"]].waiting == 1 and lines[m["thursday_night"]].waiting == 0
    assert m["next_monday"] not in lines


async def test_a_meeting_just_after_midnight_in_rome_belongs_to_that_day(world):
    m = world.meetings
    row = await Meeting.select(Meeting.starts_at).where(Meeting.id == m["thursday_night"]).first()
    assert db.instant(row["starts_at"]).date() == date(2031, 1, 8)  # still Wednesday in UTC
    found = await dashboard.build(world.admin, NOW)
    assert m["thursday_night"] in ids(found.week_meetings)
    assert [line.local_date for line in found.week_meetings][0] == date(2031, 1, 9)
