"""Waiting lists as the staff see and change them: the order of joining, promotion out of order (with
a reason), removal, and a booking added by hand (a phone booking) — all through portal.booking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from portal import db
from portal.booking import staff as staff_booking
from portal.booking.rules import BookingRefused
from portal.booking.service import BookingResult
from portal.i18n import N_, ROME
from portal.identity.staff_access import Staff
from portal.links import Links
from portal.operations import scope
from portal.operations.rosters import RosterBooking, roster_bookings
from portal.tables import Hub


@dataclass(frozen=True)
class WaitingList:
    activity: dict
    meeting: dict | None  # None: a course's list (or a direct enrolment's)
    hub: dict
    capacity: int
    seats_taken: int
    entries: list[RosterBooking]  # in the order of joining

    @property
    def free(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def path(self) -> str:
        """Where this list lives in the staff area."""
        if self.meeting is not None:
            return f"/staff/attese/incontri/{self.meeting['id']}"
        return f"/staff/attese/attivita/{self.activity['id']}"


async def waiting_list(staff: Staff, activity_id: int, meeting_id: int | None) -> WaitingList:
    if meeting_id is not None:
        found = await scope.meeting(staff, meeting_id, "waiting_list")
        activity, meeting, hub = found.activity, found.meeting, found.hub
        if activity["format"] == "course" or meeting["private"]:
            raise scope.NotFound(meeting_id)  # a course waits as a whole; a private meeting has no list
        capacity = meeting["capacity"] if meeting["capacity"] is not None else activity["capacity"]
        taken = meeting["seats_taken"]
    else:
        activity = await scope.activity(staff, activity_id, "waiting_list")
        if activity["format"] != "course" and activity["access"] in ("open", "approval"):
            raise scope.NotFound(activity_id)  # single dates wait meeting by meeting
        hub = await _hub(activity)
        meeting, capacity, taken = None, activity["capacity"], activity["seats_taken"]
    on = _start(meeting) if meeting else datetime.now(ROME).date()
    entries = await roster_bookings(meeting, activity, on, {}, statuses=("waitlisted",))
    entries.sort(key=lambda b: (b.joined_at, b.id))
    return WaitingList(activity, meeting, hub, capacity, taken, entries)


async def list_of_booking(staff: Staff, booking_id: int) -> WaitingList:
    """The list a booking belongs to (its meeting's, or its activity's)."""
    booking, activity = await scope.booking(staff, booking_id, "waiting_list")
    return await waiting_list(staff, activity["id"], booking["meeting"])


async def promote(staff: Staff, booking_id: int, reason: str, raise_capacity: bool, now: datetime,
                  links: Links) -> list[int]:
    await scope.booking(staff, booking_id, "waiting_list")
    return await staff_booking.promote_out_of_order(booking_id, staff.actor, reason, now, links,
                                                    raise_capacity=raise_capacity)


async def remove(staff: Staff, booking_id: int, reason: str, now: datetime, links: Links) -> None:
    await scope.booking(staff, booking_id, "waiting_list")
    await staff_booking.remove_from_waiting_list(booking_id, staff.actor, reason, now, links)


async def add_by_phone(staff: Staff, activity_id: int, meeting_id: int | None, family_id: int,
                       member_ids: list[int], raise_capacity: bool, reason: str, now: datetime,
                       links: Links) -> BookingResult:
    """A booking taken by phone: it fits, or waits at the end of the list, or — when the staff say so,
    with a reason — the capacity is raised by exactly the missing places."""
    activity = (await waiting_list(staff, activity_id, meeting_id)).activity  # scope and role: 404 / 403
    if activity["access"] not in ("open", "approval"):
        raise BookingRefused(N_("This activity has no bookings: enrol the family directly instead."))
    target = await staff_booking.staff_target(activity["id"], meeting_id)
    return await staff_booking.book_for_family(target, family_id, member_ids, staff.actor, now, links,
                                               raise_capacity=raise_capacity, reason=reason)


def _start(meeting: dict) -> date:
    return db.instant(meeting["starts_at"]).astimezone(ROME).date()


async def _hub(activity: dict) -> dict:
    return await Hub.select(Hub.id, Hub.name, Hub.slug, Hub.phone).where(Hub.id == activity["hub"]).first()
