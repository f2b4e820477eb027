"""Approvals, direct enrolment with private meetings, and access requests against the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.booking.rules import BookingRefused
from portal.catalogue import browse as catalogue
from portal.catalogue.browse import Filters
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.i18n import ROME
from portal.identity.staff_access import Forbidden
from portal.operations import approvals, enrolment, requests
from portal.tables import AccessRequest, Booking, BookingEvent, Meeting, Outbox
from tests import factories, operations_world
from tests.operations_world import LINKS, now

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(empty_db):
    return await operations_world.build()


async def status(code: str) -> str:
    return (await Booking.select(Booking.status).where(Booking.code == code).first())["status"]


async def booking_id(code: str) -> int:
    return (await Booking.select(Booking.id).where(Booking.code == code).first())["id"]


async def test_approval_needs_the_recorded_consent_and_tells_the_family(world):
    _, code = await world.book(world.consent_course, None, adults=0, children=((2016, 5),))
    assert await status(code) == "pending"
    [pending] = await approvals.pending_list(world.coordinator)
    assert pending.consent_needed and not pending.can_approve
    with pytest.raises(BookingRefused):
        await approvals.decide(world.coordinator, pending.booking.id, True, "", now(), LINKS)
    today = now().astimezone(ROME).date()
    with pytest.raises(FormErrors):  # in the future
        await approvals.record_preliminary(world.coordinator, pending.booking.id,
                                           {"met_on": (today + timedelta(days=2)).isoformat(), "consent": "1"}, now())
    await approvals.record_preliminary(world.coordinator, pending.booking.id,
                                       {"met_on": today.isoformat(), "consent": "1"}, now())
    mails = await Outbox.count()
    await approvals.decide(world.coordinator, pending.booking.id, True, "Ci vediamo lunedì.", now(), LINKS)
    assert await status(code) == "confirmed"
    mail = await Outbox.select().order_by(Outbox.id, ascending=False).first()
    assert await Outbox.count() == mails + 1 and "Ci vediamo lunedì." in mail["text_body"]
    assert "Gruppo di parola" not in mail["subject"]  # the separation area's neutral subject
    event = await BookingEvent.select().where(BookingEvent.booking == pending.booking.id).order_by(
        BookingEvent.id, ascending=False).first()
    assert event["actor"] == world.coordinator.actor and event["to_status"] == "confirmed"


async def test_declining_frees_the_seats_and_promotes_the_list(world):
    _, first = await world.book(world.consent_course, None, adults=0, children=((2016, 5), (2017, 2)))  # 2 of 2
    _, waiting = await world.book(world.consent_course, None, adults=0, children=((2016, 1),))
    assert await status(waiting) == "waitlisted"
    await approvals.decide(world.coordinator, await booking_id(first), False, "Il gruppo non è adatto.", now(), LINKS)
    assert await status(first) == "declined" and await status(waiting) == "pending"


async def test_operators_may_not_approve_and_other_hubs_do_not_see(world):
    _, code = await world.book(world.consent_course, None, adults=0, children=((2016, 5),))
    with pytest.raises(Forbidden):
        await approvals.pending_list(world.operator)
    with pytest.raises(NotFound):  # not assigned to the operator: not found before forbidden
        await approvals.decide(world.operator, await booking_id(code), True, "", now(), LINKS)
    with pytest.raises(NotFound):
        await approvals.pending(world.other_coordinator, await booking_id(code))
    assert await approvals.pending_list(world.other_coordinator) == []


async def test_referral_enrolment_with_private_meetings_in_no_public_listing(world):
    family_id, members = await factories.family(adults=1, children=((2018, 3),))
    result = await enrolment.enrol(world.coordinator, world.referral, family_id, members, False, "", now(), LINKS)
    assert result.status == "confirmed"
    day = (now() + timedelta(days=3)).astimezone(ROME).date()
    meeting_id = await enrolment.schedule_meeting(
        world.coordinator, await booking_id(result.code),
        {"day": day.isoformat(), "start": "16:30", "minutes": "60", "place": "Stanza 2"}, now())
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    assert meeting["private"] and meeting["private_booking"] == await booking_id(result.code)
    found = await catalogue.search(Filters(date_from=day, date_to=day), now())
    assert found.total == 0  # the private meeting makes no activity show up on that day
    assert await catalogue.upcoming_meetings(world.referral, now()) == []
    with pytest.raises(FormErrors):
        await enrolment.schedule_meeting(world.coordinator, await booking_id(result.code),
                                         {"day": "ieri", "start": "25:00", "minutes": "0"}, now())
    educator = await operations_world.staff("educatrice@example.it", "operator", (world.hub_a,), (world.referral,))
    with pytest.raises(Forbidden):  # an operator who follows the service still may not enrol
        await enrolment.enrol(educator, world.referral, family_id, members, False, "", now(), LINKS)
    with pytest.raises(NotFound):
        await enrolment.enrol(world.other_coordinator, world.referral, family_id, members, False, "", now(), LINKS)
    with pytest.raises(NotFound):  # an open activity is booked, not enrolled into
        await enrolment.enrol(world.admin, world.open_single, family_id, members, False, "", now(), LINKS)


async def request_from(family_id: int, activity_id: int) -> int:
    rows = await AccessRequest.insert(AccessRequest(
        code=f"R{family_id}", family=family_id, activity=activity_id, contact_by="phone", preferred_times="mattina",
        note="=HYPERLINK(\"x\")", status="new", created_at=now(), updated_at=now(),
    )).returning(AccessRequest.id)
    return rows[0]["id"]


async def test_access_request_lifecycle_and_confidential_notes(world):
    family_id, members = await factories.family(adults=2)
    request_id = await request_from(family_id, world.request)
    [queued] = await requests.queue(world.coordinator, world.hub_a, None)
    assert queued.id == request_id and queued.status == "new" and queued.notes_visible
    coordinator_id = world.coordinator.id
    await requests.update(world.coordinator, request_id, {
        "status": "contacted", "assigned_staff": str(coordinator_id), "confidential_notes": "Riservato: note."}, now())
    seen = await requests.request(world.coordinator, request_id)
    assert seen.status == "contacted" and seen.assigned_name and seen.confidential_notes == "Riservato: note."
    hidden = await requests.request(world.admin, request_id)  # an administrator who is not of this hub
    assert not hidden.notes_visible and hidden.confidential_notes == ""
    with pytest.raises(Forbidden):
        await requests.update(world.admin, request_id, {"status": "contacted", "confidential_notes": "x"}, now())
    with pytest.raises(NotFound):
        await requests.request(world.other_coordinator, request_id)
    with pytest.raises(NotFound):
        await requests.queue(world.other_coordinator, world.hub_a, None)
    with pytest.raises(Forbidden):
        await requests.queue(world.operator, None, None)
    with pytest.raises(FormErrors):
        await requests.update(world.coordinator, request_id, {"status": "lost", "assigned_staff": "999"}, now())
    result = await requests.enrol(world.coordinator, request_id, members[:1], False, "", now(), LINKS)
    assert result.status == "confirmed"
    assert (await requests.request(world.coordinator, request_id)).status == "accepted"
    assert await requests.queue(world.coordinator, None, "accepted")


async def test_a_private_meeting_is_never_shown_to_another_enrolled_family(world):
    from portal.booking import listing, notices

    first, first_members = await factories.family(adults=1)
    second, second_members = await factories.family(adults=1)
    one = await enrolment.enrol(world.coordinator, world.referral, first, first_members, False, "", now(), LINKS)
    day = (now() + timedelta(days=3)).astimezone(ROME).date()
    await enrolment.schedule_meeting(world.coordinator, await booking_id(one.code),
                                     {"day": day.isoformat(), "start": "09:00", "minutes": "60", "place": "Stanza A"},
                                     now())
    two = await enrolment.enrol(world.coordinator, world.referral, second, second_members, False, "", now(), LINKS)
    [seen] = await listing.family_bookings(second)
    assert seen.code == two.code and seen.starts_at is None
    details = await notices.booking_details(await booking_id(two.code))
    assert details["place"] is None and details["starts_at"] is None
    [own] = await listing.family_bookings(first)
    assert own.starts_at is not None
