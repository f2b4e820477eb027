"""Changing capacity from the staff area: a single meeting's, a course's, or a single activity's
default. Raising it promotes the waiting list (booking.service.set_capacity); lowering it below the
places taken is refused, unless staff choose, explicitly, which bookings go back to the head of the
waiting list or are cancelled with a message. Every change is written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from portal import audit, db
from portal.admin.meetings import meeting_in_scope
from portal.booking import service, withdrawals
from portal.booking.rules import BookingRefused
from portal.db import NotFound
from portal.form_fields import Form, FormErrors
from portal.i18n import N_, gettext
from portal.identity import staff_access
from portal.identity.staff_access import Staff
from portal.links import Links
from portal.tables import Booking, Family, Meeting

MAX_CAPACITY = 1000
REASON_LENGTH = 300
MESSAGE_LENGTH = 500


@dataclass(frozen=True)
class Holder:
    """A booking holding places, as the capacity page lists it."""

    id: int
    code: str
    family: str
    seats: int
    status: str


@dataclass(frozen=True)
class CapacityPage:
    activity: dict
    meeting: dict | None  # None: the course's capacity, or a single activity's default
    capacity: int
    taken: int | None  # None for a single activity's default (each meeting counts its own)
    waiting: int
    holders: list[Holder]

    @property
    def is_default(self) -> bool:
        return self.meeting is None and self.activity["format"] == "single"


@dataclass(frozen=True)
class Outcome:
    capacity: int
    released: int
    promoted: list[int]


async def page(staff: Staff, activity_id: int | None = None, meeting_id: int | None = None) -> CapacityPage:
    """What the capacity form shows; in scope (404) and for a role that may change it (403)."""
    activity, meeting = await _in_scope(staff, activity_id, meeting_id)
    if activity["format"] == "single" and meeting is None:
        return CapacityPage(activity, None, activity["capacity"], None, 0, [])
    target = await _target(activity, meeting)
    rows = await Booking.raw(
        "SELECT COALESCE(m.capacity, a.capacity) AS capacity, m.seats_taken FROM meeting m JOIN activity a"
        " ON a.id = m.activity WHERE m.id = {}", meeting["id"]) if meeting else [activity]
    holders = await withdrawals.holders(target)
    families = {row["id"]: f"{row['name']} {row['surname']}".strip() for row in await Family.select(
        Family.id, Family.name, Family.surname).where(Family.id.is_in([h["family"] for h in holders] or [0]))}
    waiting = await Booking.count().where(
        (Booking.activity == activity["id"]) & (Booking.status == "waitlisted")
        & (Booking.meeting == meeting["id"] if meeting else Booking.meeting.is_null()))
    return CapacityPage(
        activity, meeting, rows[0]["capacity"], rows[0]["seats_taken"], waiting,
        [Holder(h["id"], h["code"], families.get(h["family"], ""), h["seats"], h["status"]) for h in holders])


async def change(staff: Staff, values: Mapping[str, Any], now: datetime, links: Links,
                 activity_id: int | None = None, meeting_id: int | None = None) -> Outcome:
    """The capacity form: the new number, a reason for the log, and (to go below the places taken)
    for each booking to give up its place, where it goes, with a message for those families."""
    current = await page(staff, activity_id, meeting_id)
    form = Form(values)
    capacity = form.integer("capacity", 1, MAX_CAPACITY, N_("Enter the number of places."))
    reason = form.text("reason", REASON_LENGTH, N_("Write why the capacity changes: it goes in the log."))
    message = form.text("message", MESSAGE_LENGTH, multiline=True)
    releases: dict[int, str] = {}
    for holder in current.holders:
        choice = form.raw(f"release-{holder.id}").strip()
        if choice in withdrawals.RELEASES:
            releases[holder.id] = choice
        elif choice not in ("", "keep"):
            form.error(f"release-{holder.id}", N_("Choose keep, waiting list or cancel."))
    if releases and not message:
        form.error("message", N_("Write a message for the families whose bookings change."))
    if releases and capacity is not None and current.taken is not None and capacity >= current.taken:
        form.error("capacity", N_("Choose bookings only to go below the places already taken."))
    form.raise_if_any()
    async with db.write_transaction():
        try:
            return await apply(staff, current.activity, current.meeting, capacity, releases, reason, message,
                               now, links)
        except BookingRefused as refusal:
            raise FormErrors({"capacity": refusal_message(refusal)}) from None


async def apply(staff: Staff, activity: dict, meeting: dict | None, capacity: int, releases: dict[int, str],
                reason: str, message: str, now: datetime, links: Links) -> Outcome:
    """Inside the caller's write transaction (no permission check here: the callers do it).
    Raises BookingRefused when the places taken still exceed the new capacity."""
    if meeting is None and activity["format"] == "single":
        if releases:
            raise ValueError("a single activity's bookings are released meeting by meeting")
        before = activity["capacity"]
        promoted = await withdrawals.change_default_capacity(activity, capacity, now, links)
        released, taken, record = 0, None, ("activity", activity["id"])
    else:
        target = await _target(activity, meeting)
        before, taken = await withdrawals.locked_seats(target)
        released = await withdrawals.release(target, releases, staff.actor, now, message, links) if releases else 0
        promoted = await service.set_capacity(target, capacity, staff.actor, now, links)
        record = ("meeting", meeting["id"]) if meeting else ("activity", activity["id"])
    await db.bump_revision()
    await audit.record(staff, "capacity.change", record[0], record[1], reason, {
        "from": before, "to": capacity, "taken": taken, "released": {str(k): v for k, v in releases.items()},
        "seats_released": released, "promoted": promoted, "message": message}, now)
    return Outcome(capacity, released, promoted)


def refusal_message(refusal: BookingRefused) -> str:
    text = gettext(refusal.reason)
    if "taken" in refusal.details:
        text += " " + gettext("Places taken: %(taken)s.", taken=refusal.details["taken"])
    return text


async def _in_scope(staff: Staff, activity_id: int | None, meeting_id: int | None) -> tuple[dict, dict | None]:
    if meeting_id is not None:
        meeting, activity = await meeting_in_scope(staff, meeting_id)
        if activity["format"] == "course" or meeting["status"] == "cancelled":
            raise NotFound(meeting_id)  # a course's places are the cycle's; a cancelled meeting has none
    else:
        activity, meeting = await staff_access.activity_in_scope(staff, activity_id), None
    staff_access.authorize(staff, "set_capacity")
    return activity, meeting


async def _target(activity: dict, meeting: dict | None) -> service.Target:
    if meeting is not None:
        return service.Target(activity, meeting["id"], db.instant(meeting["starts_at"]))
    first = await Meeting.select(Meeting.starts_at).where(
        (Meeting.activity == activity["id"]) & (Meeting.status == "scheduled")).order_by(Meeting.starts_at).first()
    return service.Target(activity, None, db.instant(first["starts_at"]) if first else datetime.now(timezone.utc))
