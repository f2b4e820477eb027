"""What staff change on seats, through the same path as families: transaction → lock → count → decide →
write → queue mail. Seats taken never exceed capacity (DESIGN §4.1): where staff need a place the list
does not give, they raise the capacity explicitly, with a reason in the audit log, in the same
transaction. Every change staff make here is written to the audit log in its transaction.
Authorization is the caller's (portal.operations); these functions take the actor."""

from __future__ import annotations

from datetime import UTC, datetime

from portal import audit, db
from portal.booking import notices
from portal.booking.rules import BookingRefused, check_participants, decide, seats_needed
from portal.booking.service import (
    BookingResult,
    Target,
    _household,
    _insert_booking,
    _live_booking,
    _lock_seats,
    _result,
    _set_status,
    _target_of,
    promote_waiting_list,
)
from portal.db import NotFound
from portal.i18n import N_
from portal.links import Links
from portal.tables import Activity, Booking, Meeting

REASON_LENGTH = 500


async def staff_target(activity_id: int, meeting_id: int | None) -> Target:
    """Any activity and meeting of it (unpublished, private or referral too): staff book at any time.
    With no meeting, the booking claims the activity's seats (a course, or a direct enrolment)."""
    activity = await Activity.select().where(Activity.id == activity_id).first()
    if activity is None:
        raise NotFound(activity_id)
    if meeting_id is None:
        first = await Meeting.select(Meeting.starts_at).where(
            (Meeting.activity == activity_id) & (Meeting.status == "scheduled")).order_by(Meeting.starts_at).first()
        return Target(activity, None, first["starts_at"] if first else datetime.now(UTC))
    meeting = await Meeting.select(Meeting.starts_at).where(
        (Meeting.id == meeting_id) & (Meeting.activity == activity_id)).first()
    if meeting is None:
        raise NotFound(meeting_id)
    return Target(activity, meeting_id, meeting["starts_at"])


async def target_of_booking(booking: dict) -> Target:
    """The seats a booking holds; a direct enrolment with no meeting yet still has a target."""
    if booking["meeting"] is None:
        return await staff_target(booking["activity"], None)
    return await _target_of(booking)


async def book_for_family(target: Target, family_id: int, member_ids: list[int], actor: str, now: datetime,
                          links: Links, *, raise_capacity: bool = False, reason: str = "") -> BookingResult:
    """A booking made by staff (a phone booking, a direct enrolment). It fits, waits at the end of the
    list, or — only when the staff ask, with a reason — the capacity grows by exactly the missing seats."""
    household = await _household(family_id)
    chosen = [household[member_id] for member_id in dict.fromkeys(member_ids) if member_id in household]
    if len(chosen) != len(set(member_ids)):
        raise NotFound("member")
    check_participants(target.audience, chosen, list(household.values()), target.starts_at.date())
    seats = seats_needed(target.audience, chosen)
    reason = " ".join(reason.split())[:REASON_LENGTH]
    if raise_capacity and not reason:
        raise BookingRefused(N_("Give the reason for raising the capacity."))
    async with db.write_transaction():
        capacity, taken = await _lock_seats(target)
        existing = await _live_booking(family_id, target)
        if existing:
            return await _result(existing, existing=True)
        if raise_capacity and capacity - taken < seats:
            capacity = await _raise_capacity(target, capacity, taken + seats, actor, reason, now)
        status = decide(target.activity["access"], capacity - taken, seats, target.activity["waiting_list"])
        booking_id, code = await _insert_booking(family_id, target, status, seats, chosen, now, actor=actor)
        await audit.record(actor, "booking.staff_create", "booking", booking_id, reason, {
            "code": code, "status": status, "seats": seats, "family": family_id, "activity": target.activity_id,
            "meeting": target.meeting_id}, now)
        await db.bump_revision()
        await notices.booking_changed(booking_id, status, now, links)
        return await _result({"id": booking_id, "code": code, "status": status, "seats": seats,
                              "activity": target.activity_id, "meeting": target.meeting_id})


async def promote_out_of_order(booking_id: int, actor: str, reason: str, now: datetime, links: Links, *,
                               raise_capacity: bool = False) -> list[int]:
    """Give a waiting booking its place ahead of those who joined before it, for a reason (audited).

    After every transaction no waiting booking fits the free seats, so a promotion out of order
    normally needs the capacity raised by the missing seats: the staff must say so explicitly."""
    reason = " ".join(reason.split())[:REASON_LENGTH]
    if not reason:
        raise BookingRefused(N_("Give the reason for promoting this booking out of order."))
    booking = await _booking(booking_id)
    target = await target_of_booking(booking)
    async with db.write_transaction():
        capacity, taken = await _lock_seats(target)
        booking = await _booking(booking_id)
        if booking["status"] != "waitlisted":
            raise BookingRefused(N_("This booking is no longer on the waiting list."))
        missing = booking["seats"] - (capacity - taken)
        if missing > 0:
            if not raise_capacity:
                raise BookingRefused(
                    N_("It needs %(missing)s more places than are free: raise the capacity to promote it."),
                    missing=missing)
            capacity = await _raise_capacity(target, capacity, taken + booking["seats"], actor, reason, now)
        status = "pending" if target.activity["access"] == "approval" else "confirmed"
        await _set_status(booking, status, actor, now, reason)
        await audit.record(actor, "booking.promote_out_of_order", "booking", booking_id, reason,
                           {"to": status, "seats": booking["seats"], "capacity": capacity}, now)
        promoted = await promote_waiting_list(target, now, links)  # nothing fits, unless seats were free
        await db.bump_revision()
        await notices.booking_changed(booking_id, "promoted", now, links)
        return [booking_id, *promoted]


async def remove_from_waiting_list(booking_id: int, actor: str, reason: str, now: datetime, links: Links) -> None:
    """Take a booking off the waiting list (it held no seats, so nobody moves up); audited, family told."""
    reason = " ".join(reason.split())[:REASON_LENGTH]
    if not reason:
        raise BookingRefused(N_("Give the reason for removing this booking from the waiting list."))
    booking = await _booking(booking_id)
    target = await target_of_booking(booking)
    async with db.write_transaction():
        await _lock_seats(target)
        booking = await _booking(booking_id)
        if booking["status"] != "waitlisted":
            raise BookingRefused(N_("This booking is no longer on the waiting list."))
        await _set_status(booking, "cancelled", actor, now, reason)
        await audit.record(actor, "booking.remove_from_waiting_list", "booking", booking_id, reason,
                           {"seats": booking["seats"]}, now)
        await db.bump_revision()
        await notices.booking_changed(booking_id, "cancelled", now, links)


async def decide_pending(booking_id: int, approve: bool, actor: str, now: datetime, links: Links,
                         message: str = "") -> list[int]:
    """Confirm a held place, or decline it and give the seats to the waiting list. Where the activity
    asks for both parents' consent, it must have been recorded before the place is confirmed."""
    booking = await _booking(booking_id)
    target = await target_of_booking(booking)
    status = "confirmed" if approve else "declined"
    mail = await notices.render_ahead(booking_id, status, status, links, message)  # before the lock
    async with db.write_transaction():
        await _lock_seats(target)
        booking = await _booking(booking_id)
        if booking["status"] != "pending":
            raise BookingRefused(N_("This request has already been decided."))
        if approve and target.activity["both_parents_consent"] and booking["consent_recorded_at"] is None:
            raise BookingRefused(N_("Record that both parents' consent was acquired before confirming."))
        await _set_status(booking, status, actor, now, message)
        promoted: list[int] = []
        if not approve:
            promoted = await promote_waiting_list(target, now, links)
        await audit.record(actor, "booking.approve" if approve else "booking.decline", "booking", booking_id,
                           message, {"seats": booking["seats"], "promoted": promoted}, now)
        await notices.enqueue(mail, now, links)
    await db.bump_revision()  # the catalogue's pages: a moment later, outside the lock
    return promoted


async def _raise_capacity(target: Target, capacity: int, needed: int, actor: str, reason: str,
                          now: datetime) -> int:
    """Inside the caller's lock: raise the target's capacity to `needed`, and log why."""
    if target.meeting_id is None:
        await Activity.update({Activity.capacity: needed, Activity.updated_at: now}).where(
            Activity.id == target.activity_id)
        record_type, record_id = "activity", target.activity_id
    else:
        await Meeting.update({Meeting.capacity: needed, Meeting.updated_at: now}).where(
            Meeting.id == target.meeting_id)
        record_type, record_id = "meeting", target.meeting_id
    await audit.record(actor, "capacity.raise", record_type, record_id, reason,
                       {"from": capacity, "to": needed}, now)
    return needed


async def _booking(booking_id: int) -> dict:
    booking = await Booking.select().where(Booking.id == booking_id).first()
    if booking is None:
        raise NotFound(booking_id)
    return booking
