"""Rosters and attendance against the real database, with scope (404) and role (403) in the domain."""

from __future__ import annotations

import pytest

from portal.db import NotFound
from portal.operations import rosters
from portal.tables import Attendance
from tests import operations_world
from tests.operations_world import now

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(empty_db):
    return await operations_world.build()


async def test_a_meetings_roster_lists_families_members_ages_and_contacts(world):
    _, code = await world.book(world.open_single, world.open_meeting, adults=1, children=((2020, 1),))
    roster = await rosters.meeting_roster(world.coordinator, world.open_meeting)
    assert roster.capacity == 2 and roster.seats_taken == 2 and roster.waiting == 0
    [booking] = roster.bookings
    assert booking.code == code and booking.status == "confirmed" and booking.email.endswith("@example.it")
    kinds = sorted((p.kind, p.age_months is not None) for p in booking.participants)
    assert kinds == [("adult", False), ("child", True)]
    child = next(p for p in booking.participants if p.kind == "child")
    assert "anni" in child.age or "years" in child.age


async def test_attendance_is_marked_and_replaced_and_read_back(world):
    await world.book(world.open_single, world.open_meeting)
    roster = await rosters.meeting_roster(world.operator, world.open_meeting)  # the assigned operator
    participant = roster.bookings[0].participants[0]
    marked = await rosters.mark_attendance(world.operator, world.open_meeting, participant.id, True, now())
    assert marked.present is True
    await rosters.mark_attendance(world.operator, world.open_meeting, participant.id, False, now())
    assert await Attendance.count() == 1
    roster = await rosters.meeting_roster(world.operator, world.open_meeting)
    assert roster.bookings[0].participants[0].present is False


async def test_a_course_has_an_attendance_grid_over_all_its_meetings(world):
    await world.book(world.course, None)
    grid = await rosters.attendance_grid(world.coordinator, world.course)
    assert [m["id"] for m in grid.meetings] == world.course_meetings
    participant = grid.bookings[0].participants[0]
    await rosters.mark_attendance(world.coordinator, world.course_meetings[1], participant.id, True, now())
    grid = await rosters.attendance_grid(world.coordinator, world.course)
    assert grid.mark(world.course_meetings[1], participant.id) is True
    assert grid.mark(world.course_meetings[0], participant.id) is None
    assert grid.present_count(participant.id) == 1


async def test_scope_and_roles(world):
    await world.book(world.open_single, world.open_meeting)
    with pytest.raises(NotFound):  # another hub's meeting does not exist for this coordinator
        await rosters.meeting_roster(world.other_coordinator, world.open_meeting)
    with pytest.raises(NotFound):  # an operator sees only the activities assigned to them
        await rosters.meeting_roster(world.operator, world.course_meetings[0])
    assert (await rosters.meeting_roster(world.admin, world.open_meeting)).bookings
    other = await rosters.meeting_roster(world.other_coordinator, world.other_meeting)
    participant_id = (await rosters.meeting_roster(world.admin, world.open_meeting)).bookings[0].participants[0].id
    with pytest.raises(NotFound):  # a participant of another meeting
        await rosters.mark_attendance(world.other_coordinator, world.other_meeting, participant_id, True, now())
    assert other.bookings == []
    overview = await rosters.overview(world.operator, now())
    assert [a["id"] for a in overview] == [world.open_single]
