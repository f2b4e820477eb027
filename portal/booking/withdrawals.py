"""Staff take places back: a meeting cancelled, or a capacity lowered below the seats taken.

Every function here runs inside the caller's write transaction, on the seats service.py locks, and
queues the families' mail in that same transaction. Seats are only ever released here; giving them
to the waiting list is service.promote_waiting_list's job.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from portal import db
from portal.booking import notices
from portal.booking.queue import same_list, waiting_position
from portal.booking.rules import HOLDING_SEATS, BookingRefused
from portal.booking.service import Target, _lock_seats, _set_status, promote_waiting_list
from portal.i18n import N_
from portal.links import Links
from portal.mail import messages as mail
from portal.mail import outbox
from portal.tables import Activity, Booking, Meeting
from portal.taxonomy import SEPARATION_AREA

RELEASES = ("waitlisted", "cancelled")  # where a booking that gives up its place goes


async def locked_seats(target: Target) -> tuple[int, int]:
    """Capacity and seats taken of the target, locked until the caller's transaction ends."""
    return await _lock_seats(target)


async def holders(target: Target) -> list[dict]:
    """The bookings holding seats on the target, in the order they joined."""
    where, args = same_list(target.activity_id, target.meeting_id)
    return await Booking.raw(
        f"SELECT id, code, status, seats, joined_at, activity, meeting, family FROM booking WHERE {where}"
        " AND status IN ('pending', 'confirmed') ORDER BY joined_at, id", *args)


async def release(target: Target, choices: dict[int, str], actor: str, now: datetime, note: str,
                  links: Links) -> int:
    """The chosen bookings give up their seats: back to the head of the waiting list (keeping their
    order among themselves) or cancelled; each family is told, with the staff's note. Returns the
    seats released. The caller changes the capacity and promotes afterwards."""
    if any(to not in RELEASES for to in choices.values()):
        raise ValueError("a booking goes back to the waiting list or is cancelled")
    await _lock_seats(target)
    chosen = [row for row in await holders(target) if row["id"] in choices]
    if len(chosen) != len(choices):
        raise BookingRefused(N_("A chosen booking no longer holds a place: reload the page and choose again."))
    to_list = [row for row in chosen if choices[row["id"]] == "waitlisted"]
    if to_list and not target.activity["waiting_list"]:
        raise BookingRefused(N_("This activity has no waiting list: the bookings can only be cancelled."))
    head = await _head_of_list(target)
    candidates = [db.instant(row["joined_at"]) for row in to_list] + ([head] if head else [])
    earliest = min(candidates, default=now)
    released = 0
    for row in chosen:
        status = choices[row["id"]]
        await _set_status(row, status, actor, now, note)
        released += row["seats"]
    for position, row in enumerate(to_list):  # ahead of everyone waiting, in their own order
        joined_at = earliest - timedelta(microseconds=len(to_list) - position)
        await Booking.update({Booking.joined_at: joined_at}).where(Booking.id == row["id"])
    for row in chosen:
        kind = "back_to_waiting_list" if choices[row["id"]] == "waitlisted" else "place_withdrawn"
        await notify(row["id"], kind, note, now, links, target.meeting_id)
    return released


async def cancel_meeting_bookings(target: Target, actor: str, now: datetime, note: str, links: Links) -> list[int]:
    """A single activity's meeting is cancelled: every live booking on it is cancelled (the waiting
    list too, as there is nothing left to wait for) and its family told. Returns the bookings."""
    await _lock_seats(target)
    rows = await Booking.raw(
        "SELECT id, status, seats, activity, meeting FROM booking WHERE meeting = {}"
        " AND status IN ('pending', 'confirmed', 'waitlisted', 'requested')"
        " ORDER BY joined_at, id", target.meeting_id)
    for row in rows:
        await _set_status(row, "cancelled", actor, now, note)
    for row in rows:
        await notify(row["id"], "meeting_cancelled", note, now, links, target.meeting_id)
    return [row["id"] for row in rows]


async def notify_enrolled(activity_id: int, meeting_id: int, now: datetime, note: str, links: Links) -> list[int]:
    """A course's date is cancelled: the enrolments stay, and every family holding a place is told."""
    rows = await Booking.select(Booking.id).where(
        (Booking.activity == activity_id) & Booking.meeting.is_null() & Booking.status.is_in(list(HOLDING_SEATS)))
    for row in rows:
        await notify(row["id"], "date_cancelled", note, now, links, meeting_id)
    return [row["id"] for row in rows]


async def notify_holder(booking_id: int, meeting_id: int, now: datetime, note: str, links: Links) -> list[int]:
    """One enrolment's private meeting is cancelled: the enrolment stays, its family is told."""
    row = await Booking.select(Booking.id).where(
        (Booking.id == booking_id) & Booking.status.is_in(list(HOLDING_SEATS))).first()
    if row is None:
        return []
    await notify(booking_id, "date_cancelled", note, now, links, meeting_id)
    return [booking_id]


async def change_default_capacity(activity: dict, capacity: int, now: datetime, links: Links) -> list[int]:
    """A single activity's capacity, the default of its meetings without their own: refused if an
    upcoming meeting has more seats taken; past meetings keep the capacity they had; the upcoming
    ones' waiting lists are promoted. Returns the promoted bookings."""
    activity_id = activity["id"]
    await Activity.raw("SELECT id FROM activity WHERE id = {}" + db.lock_clause(), activity_id)
    upcoming = await Meeting.raw(
        "SELECT id, starts_at, seats_taken FROM meeting WHERE activity = {} AND capacity IS NULL"
        " AND status = 'scheduled' AND starts_at > {} ORDER BY id" + db.lock_clause(), activity_id, now)
    too_full = [row for row in upcoming if row["seats_taken"] > capacity]
    if too_full:
        raise BookingRefused(
            N_("Some meetings already have more places taken than that: lower them one at a time from "
               "each meeting's capacity page, choosing which bookings give up their place."),
            meetings=[row["id"] for row in too_full], taken=max(row["seats_taken"] for row in too_full))
    await Meeting.update({Meeting.capacity: activity["capacity"]}).where(
        (Meeting.activity == activity_id) & Meeting.capacity.is_null() & (Meeting.starts_at <= now))
    await Activity.update({Activity.capacity: capacity}).where(Activity.id == activity_id)
    changed = {**activity, "capacity": capacity}
    promoted: list[int] = []
    for row in upcoming:
        promoted += await promote_waiting_list(Target(changed, row["id"], db.instant(row["starts_at"])), now, links)
    return promoted


async def notify(booking_id: int, kind: mail.StaffNoticeKind, note: str, now: datetime, links: Links,
                 meeting_id: int | None = None) -> None:
    """Queue the mail of a change staff made; erased families get none."""
    details = await notices.booking_details(booking_id, meeting_id)
    if details is None or not details["email"]:
        return
    booking = mail.BookingMail(
        code=details["code"], activity_title=details["title"], hub_name=details["hub_name"],
        hub_address=details["hub_address"], hub_phone=details["hub_phone"], starts_at=details["starts_at"],
        place=details["place"], status=details["status"], waiting_position=await waiting_position(details),
        neutral=details["area"] == SEPARATION_AREA,
    )
    await outbox.enqueue(details["email"], mail.staff_notice(kind, details["language"], booking, note), now,
                         outbox.mail_domain(links.base_url))


async def _head_of_list(target: Target):
    where, args = same_list(target.activity_id, target.meeting_id)
    rows = await Booking.raw(f"SELECT MIN(joined_at) AS head FROM booking WHERE {where} AND status = 'waitlisted'",
                             *args)
    return db.instant(rows[0]["head"]) if rows and rows[0]["head"] else None

