"""Waiting lists, phone bookings and capacity raises by staff: seats taken never exceed capacity, every
change is a BookingEvent by `staff:ID`, and the out-of-order ones are in the audit log."""

from __future__ import annotations

import pytest

from portal import audit
from portal.booking.rules import BookingRefused
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.operations import households, waiting
from portal.tables import Activity, Booking, BookingEvent, Meeting, Outbox
from tests import operations_world
from tests.operations_world import LINKS, now

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(empty_db):
    return await operations_world.build()


async def booking(code: str) -> dict:
    return await Booking.select().where(Booking.code == code).first()


async def meeting_seats(meeting_id: int) -> tuple[int, int]:
    row = await Meeting.select(Meeting.capacity, Meeting.seats_taken, Meeting.activity.capacity).where(
        Meeting.id == meeting_id).first()
    return (row["capacity"] if row["capacity"] is not None else row["activity.capacity"]), row["seats_taken"]


async def full_meeting_with_a_queue(world) -> tuple[str, str]:
    await world.book(world.open_single, world.open_meeting, adults=2)  # capacity 2: full
    _, first = await world.book(world.open_single, world.open_meeting, adults=1)
    _, second = await world.book(world.open_single, world.open_meeting, adults=1)
    return first, second


async def test_the_list_is_in_order_of_joining_with_the_time(world):
    first, second = await full_meeting_with_a_queue(world)
    listing = await waiting.waiting_list(world.operator, world.open_single, world.open_meeting)
    assert [e.code for e in listing.entries] == [first, second]
    assert listing.entries[0].joined_at <= listing.entries[1].joined_at and listing.free == 0


async def test_promotion_out_of_order_needs_a_reason_and_an_explicit_capacity_raise(world):
    first, second = await full_meeting_with_a_queue(world)
    second_id = (await booking(second))["id"]
    with pytest.raises(BookingRefused):  # no reason
        await waiting.promote(world.operator, second_id, "  ", True, now(), LINKS)
    with pytest.raises(BookingRefused) as refused:  # it does not fit, and no raise was asked for
        await waiting.promote(world.operator, second_id, "Urgent family situation", False, now(), LINKS)
    assert refused.value.details == {"missing": 1}
    assert await meeting_seats(world.open_meeting) == (2, 2)
    await waiting.promote(world.operator, second_id, "Urgent family situation", True, now(), LINKS)
    assert (await booking(second))["status"] == "confirmed" and (await booking(first))["status"] == "waitlisted"
    capacity, taken = await meeting_seats(world.open_meeting)
    assert (capacity, taken) == (3, 3)
    event = await BookingEvent.select().where(BookingEvent.booking == second_id).order_by(
        BookingEvent.id, ascending=False).first()
    assert event["actor"] == world.operator.actor and event["to_status"] == "confirmed"
    actions = {e["action"]: e for e in await audit.entries()}
    assert actions["booking.promote_out_of_order"]["reason"] == "Urgent family situation"
    assert actions["capacity.raise"]["details"] == {"from": 2, "to": 3}


async def test_removal_from_the_list_is_audited_and_told_to_the_family(world):
    first, _ = await full_meeting_with_a_queue(world)
    mails = await Outbox.count()
    await waiting.remove(world.coordinator, (await booking(first))["id"], "Asked by phone", now(), LINKS)
    assert (await booking(first))["status"] == "cancelled"
    assert await Outbox.count() == mails + 1
    assert (await audit.entries())[0]["action"] == "booking.remove_from_waiting_list"


async def test_a_phone_booking_when_full_waits_or_raises_the_capacity_explicitly(world):
    await world.book(world.open_single, world.open_meeting, adults=2)
    family_id = await households.create(world.operator, {"name": "Maria", "surname": "Esposito",
                                                         "email": "", "phone": "+39 081 555 1234"}, now())
    [found] = await households.find("maria esposito")
    assert found.id == family_id and found.members[0].kind == "adult"
    member_ids = [found.members[0].id]
    waits = await waiting.add_by_phone(world.operator, world.open_single, world.open_meeting, family_id, member_ids,
                                       False, "", now(), LINKS)
    assert waits.status == "waitlisted"
    await Booking.update({Booking.status: "cancelled"}).where(Booking.code == waits.code)  # start again
    with pytest.raises(BookingRefused):  # a raise needs a reason
        await waiting.add_by_phone(world.operator, world.open_single, world.open_meeting, family_id, member_ids,
                                   True, "", now(), LINKS)
    booked = await waiting.add_by_phone(world.operator, world.open_single, world.open_meeting, family_id,
                                        member_ids, True, "Family referred by social services", now(), LINKS)
    assert booked.status == "confirmed"
    capacity, taken = await meeting_seats(world.open_meeting)
    assert (capacity, taken) == (3, 3)  # raised by exactly the missing seat: never taken > capacity
    event = await BookingEvent.select().where(BookingEvent.booking == (await booking(booked.code))["id"]).first()
    assert event["actor"] == world.operator.actor


async def test_a_course_phone_booking_raises_the_course_capacity(world):
    for _ in range(3):
        await world.book(world.course, None)
    family_id, members = await operations_world.factories.family()
    result = await waiting.add_by_phone(world.coordinator, world.course, None, family_id, members, True,
                                        "Extra place agreed with the educator", now(), LINKS)
    assert result.status == "confirmed"
    row = await Activity.select(Activity.capacity, Activity.seats_taken).where(Activity.id == world.course).first()
    assert row == {"capacity": 4, "seats_taken": 4}


async def test_scope_and_roles(world):
    first, _ = await full_meeting_with_a_queue(world)
    first_id = (await booking(first))["id"]
    with pytest.raises(NotFound):
        await waiting.waiting_list(world.other_coordinator, world.open_single, world.open_meeting)
    with pytest.raises(NotFound):
        await waiting.remove(world.other_coordinator, first_id, "x", now(), LINKS)
    with pytest.raises(NotFound):  # single dates have no activity-wide list
        await waiting.waiting_list(world.admin, world.open_single, None)


async def test_a_new_family_needs_a_name_and_a_way_to_reach_it(world):
    with pytest.raises(FormErrors) as invalid:
        await households.create(world.operator, {"name": "", "surname": "Rossi", "email": "", "phone": ""}, now())
    assert set(invalid.value.by_field) == {"name", "email"}
    await households.create(world.operator, {"name": "Anna", "surname": "Bianchi", "email": "Anna@Example.it"}, now())
    with pytest.raises(FormErrors) as duplicate:
        await households.create(world.operator, {"name": "Anna", "surname": "Bianchi", "email": "anna@example.it"},
                                now())
    assert duplicate.value.status_code == 409
    assert [f.surname for f in await households.find("ANNA@example.it")] == ["Bianchi"]
    assert await households.find("%") == [] and await households.find("Anna") == []
