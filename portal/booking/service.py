"""The one write path for seats. A family's booking decides and claims in one short write (claim.py);
a cancellation, a decline, a capacity change or a promotion runs transaction → lock → count → decide →
write → queue mail. Either way the target's counters (seats taken, bookings waiting) move with every
status change, in the same transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from portal import db
from portal.booking import claim, draw, notices
from portal.booking.queue import same_list, waiting_position
from portal.booking.rules import (
    HOLDING_SEATS,
    LIVE,
    Audience,
    BookingRefused,
    Participant,
    Window,
    cancellation_deadline,
    check_participants,
    decide,
    promotions,
    seats_needed,
)
from portal.db import NotFound
from portal.i18n import N_
from portal.links import Links
from portal.observability import metrics
from portal.tables import Activity, Booking, BookingEvent, BookingParticipant, Meeting, Member

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Target:
    """What a booking claims seats on: one meeting (single) or the whole activity (course)."""

    activity: dict
    meeting_id: int | None
    starts_at: datetime  # the meeting, or a course's first meeting
    draw_open: bool = True  # False: known to take no requests for a draw (draw.open_for need not look)

    @property
    def activity_id(self) -> int:
        return self.activity["id"]

    @property
    def audience(self) -> Audience:
        a = self.activity
        return Audience(a["audience"], a["age_min_months"], a["age_max_months"], a["seat_unit"])

    @property
    def window(self) -> Window:
        return Window(self.activity["booking_opens_at"], self.starts_at, self.activity["booking_closes_hours"])


@dataclass(frozen=True)
class BookingResult:
    code: str
    status: str
    seats: int
    position: int | None  # on the waiting list
    existing: bool = False  # a repeated submit returns the live booking


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


async def find_target(slug: str, meeting_id: int | None) -> Target:
    """The published, bookable activity and meeting a family asks for, in one statement: a booking
    reads this on every submit of a rush."""
    rows = await Activity.raw(
        "SELECT a.*, (SELECT MIN(m.starts_at) FROM meeting m WHERE m.activity = a.id AND m.status = 'scheduled'"
        " AND m.private = {} AND (a.format = 'course' OR m.id = {})) AS target_starts_at,"
        " EXISTS (SELECT 1 FROM draw d WHERE d.activity = a.id AND d.status = 'open') AS draw_open"
        " FROM activity a WHERE a.slug = {} AND a.published = {}", False, meeting_id, slug, True)
    if not rows:
        raise NotFound(slug)
    activity = rows[0]
    if activity["access"] not in ("open", "approval"):
        raise BookingRefused(N_("This activity cannot be booked online."))
    starts_at = activity.pop("target_starts_at")
    draw_open = bool(activity.pop("draw_open"))
    if activity["format"] == "course":
        if starts_at is None:
            raise BookingRefused(N_("No dates are scheduled yet."))
        return Target(activity, None, db.instant(starts_at), draw_open)
    if meeting_id is None:
        raise BookingRefused(N_("Choose a date."))
    if starts_at is None:
        raise NotFound(meeting_id)
    return Target(activity, meeting_id, db.instant(starts_at), draw_open)


async def book(family_id: int, target: Target, member_ids: list[int], now: datetime, links: Links) -> BookingResult:
    """Book whole or wait whole; a repeated submit returns the family's live booking, which the claim's
    unique index finds. Everything that can be read or rendered is done before the one short write that
    decides and claims (claim.py).
    While the activity collects requests for a draw, the booking is such a request (draw.py)."""
    draw_state = await draw.open_for(target.activity_id, target.meeting_id) if target.draw_open else None
    mail_context, members = await notices.context_and_members(family_id, target.activity_id, target.meeting_id)
    chosen, seats = _check(_participants(members), target, member_ids, now, check_window=draw_state is None)
    if draw_state is not None:
        return await draw.request(draw_state, family_id, target, chosen, seats, now, links)
    code = new_code()
    holding = "pending" if target.activity["access"] == "approval" else "confirmed"
    request = claim.Claim(
        code=code, family_id=family_id, activity_id=target.activity_id, meeting_id=target.meeting_id,
        access=target.activity["access"], has_waiting_list=target.activity["waiting_list"], seats=seats,
        member_ids=[p.member_id for p in chosen], actor=f"family:{family_id}", now=now,
        mail=notices.prepare(mail_context, code, holding, links),
    )
    try:
        claimed = await claim.claim(request)
    except (claim.AlreadyBooked, BookingRefused):  # a repeated submit (the unique index): its booking answers
        existing = await _live_booking(family_id, target)
        if existing is None:
            raise
        return await _result(existing, existing=True)
    metrics.count_booking(claimed.status)
    return BookingResult(code, claimed.status, seats, claimed.position)


async def preview(family_id: int, target: Target, member_ids: list[int], now: datetime) -> BookingResult:
    """What booking would give now, for the summary step; nothing is written."""
    existing = await _live_booking(family_id, target)
    if existing:
        return await _result(existing, existing=True)
    draw_state = await draw.open_for(target.activity_id, target.meeting_id) if target.draw_open else None
    _, seats = _check(await _household(family_id), target, member_ids, now, check_window=draw_state is None)
    if draw_state is not None:
        draw_state.check_window(now)
        return BookingResult("", "requested", seats, None)
    capacity, taken = await _lock_seats(target)
    status = decide(target.activity["access"], capacity - taken, seats, target.activity["waiting_list"])
    return BookingResult("", status, seats, None)


async def cancel(booking_code: str, family_id: int | None, actor: str, now: datetime, links: Links) -> BookingResult:
    """Cancel a live booking (families until the deadline, staff at any time) and promote the list."""
    booking = await _booking(booking_code, family_id)
    target = await _target_of(booking)
    if family_id is not None and now >= cancellation_deadline(target.starts_at,
                                                             target.activity["cancellation_hours"]):
        raise BookingRefused(N_("The cancellation deadline has passed: please call the hub."))
    mail = await notices.render_ahead(booking["id"], "cancelled", "cancelled", links)  # before the lock
    async with db.write_transaction():
        await _lock_seats(target)
        booking = await _booking(booking_code, family_id)  # re-read under the lock
        if booking["status"] not in LIVE:
            return await _result(booking, existing=True)
        await _set_status(booking, "cancelled", actor, now)
        await promote_waiting_list(target, now, links)
        await notices.enqueue(mail, now, links)
    await db.bump_revision()  # the catalogue's pages: a moment later, outside the lock
    return await _result({**booking, "status": "cancelled"})


async def decide_pending(booking_id: int, approve: bool, actor: str, now: datetime, links: Links,
                         note: str = "") -> None:
    """Staff confirm a held place, or decline it and give the seats to the waiting list."""
    booking = await Booking.select().where(Booking.id == booking_id).first()
    if booking is None:
        raise NotFound(booking_id)
    target = await _target_of(booking)
    async with db.write_transaction():
        await _lock_seats(target)
        booking = await Booking.select().where(Booking.id == booking_id).first()
        if booking["status"] != "pending":
            raise BookingRefused(N_("This request has already been decided."))
        await _set_status(booking, "confirmed" if approve else "declined", actor, now, note)
        if not approve:
            await promote_waiting_list(target, now, links)
        await db.bump_revision()
        await notices.booking_changed(booking_id, "confirmed" if approve else "declined", now, links)


async def set_capacity(target: Target, capacity: int, actor: str, now: datetime, links: Links) -> list[int]:
    """Change the capacity of a meeting (single) or a course; raising it promotes the waiting list.
    Lowering it below the seats taken is refused: the database keeps taken <= capacity."""
    async with db.write_transaction():
        _, taken = await _lock_seats(target)
        if capacity < taken:
            raise BookingRefused(N_("The capacity cannot be lower than the places already taken."),
                                 taken=taken)
        if target.meeting_id is None:
            await Activity.update({Activity.capacity: capacity}).where(Activity.id == target.activity_id)
        else:
            await Meeting.update({Meeting.capacity: capacity}).where(Meeting.id == target.meeting_id)
        promoted = await promote_waiting_list(target, now, links)
        await db.bump_revision()
        return promoted


async def promote_waiting_list(target: Target, now: datetime, links: Links) -> list[int]:
    """Inside the caller's transaction and lock: move the bookings that now fit, first-fit in order."""
    capacity, taken = await _lock_seats(target)
    queue = await _queue(target)
    promoted = promotions(capacity - taken, [(row["id"], row["seats"]) for row in queue])
    status = "pending" if target.activity["access"] == "approval" else "confirmed"
    for row in queue:
        if row["id"] in promoted:
            await _set_status(row, status, "system", now)
            await notices.booking_changed(row["id"], "promoted", now, links)
    return promoted


# -- the parts ---------------------------------------------------------------------------------


def _check(household: dict[int, Participant], target: Target, member_ids: list[int], now: datetime,
           check_window: bool = True) -> tuple[list[Participant], int]:
    """The booking window (a draw has its own) and the participants' fit; returns the participants and
    the seats they take."""
    chosen = [household[member_id] for member_id in dict.fromkeys(member_ids) if member_id in household]
    if len(chosen) != len(set(member_ids)):
        raise NotFound("member")  # another family's member looks like a missing one
    if check_window:
        target.window.check(now)
    check_participants(target.audience, chosen, list(household.values()), target.starts_at.date())
    return chosen, seats_needed(target.audience, chosen)


async def _household(family_id: int) -> dict[int, Participant]:
    return _participants(await Member.raw(
        "SELECT id, kind, birth_year, birth_month FROM member WHERE family = {}", family_id))


def _participants(members: list[dict]) -> dict[int, Participant]:
    return {row["id"]: Participant(row["id"], row["kind"], row["birth_year"], row["birth_month"]) for row in members}


async def _lock_seats(target: Target) -> tuple[int, int]:
    """Capacity and seats taken of the target, its row locked until the transaction ends."""
    if target.meeting_id is None:
        rows = await Activity.raw(
            "SELECT capacity, seats_taken FROM activity WHERE id = {}" + db.lock_clause(), target.activity_id)
    else:
        rows = await Meeting.raw(
            "SELECT COALESCE(m.capacity, a.capacity) AS capacity, m.seats_taken FROM meeting m"
            " JOIN activity a ON a.id = m.activity WHERE m.id = {}" + db.lock_clause("m", shared="a"),
            target.meeting_id)
    return rows[0]["capacity"], rows[0]["seats_taken"]


async def _queue(target: Target) -> list[dict]:
    where, args = same_list(target.activity_id, target.meeting_id)
    return await Booking.raw(
        f"SELECT id, status, seats, activity, meeting FROM booking WHERE {where} AND status = 'waitlisted'"
        " ORDER BY joined_at, id", *args)


async def _live_booking(family_id: int, target: Target) -> dict | None:
    where, args = same_list(target.activity_id, target.meeting_id)
    rows = await Booking.raw(
        f"SELECT * FROM booking WHERE family = {{}} AND {where} AND status IN {LIVE!r}", family_id, *args)
    return rows[0] if rows else None


async def _insert_booking(family_id: int, target: Target, status: str, seats: int,
                          chosen: list[Participant], now: datetime, actor: str | None = None) -> tuple[int, str]:
    """Insert the booking, its participants and its first event (by the family, or by `actor`: staff)."""
    code = new_code()
    joined_at = max(now, datetime.now(timezone.utc))  # read under the lock: the list's order is the lock's
    rows = await Booking.insert(Booking(
        code=code, family=family_id, activity=target.activity_id, meeting=target.meeting_id, status=status,
        seats=seats, joined_at=joined_at, created_at=now, updated_at=now,
    )).returning(Booking.id)
    booking_id = rows[0]["id"]
    await BookingParticipant.insert(*(BookingParticipant(booking=booking_id, member=p.member_id) for p in chosen))
    await BookingEvent.insert(BookingEvent(booking=booking_id, from_status=None, to_status=status,
                                           actor=actor or f"family:{family_id}", note="", at=now))
    await _count({"seats": seats, "activity": target.activity_id, "meeting": target.meeting_id}, None, status)
    return booking_id, code


async def _set_status(booking: dict, status: str, actor: str, now: datetime, note: str = "") -> None:
    """Change a booking's status, record the change and keep its target's counters (under the lock)."""
    await Booking.update({Booking.status: status, Booking.updated_at: now}).where(Booking.id == booking["id"])
    await BookingEvent.insert(BookingEvent(booking=booking["id"], from_status=booking["status"], to_status=status,
                                           actor=actor, note=note[:300], at=now))
    await _count(booking, booking["status"], status)


async def _count(booking: dict, from_status: str | None, to_status: str) -> None:
    """The target's seats taken and waiting bookings follow every status change of its bookings."""
    seats = booking["seats"] * ((to_status in HOLDING_SEATS) - (from_status in HOLDING_SEATS))
    waiting = (to_status == "waitlisted") - (from_status == "waitlisted")
    if not seats and not waiting:
        return
    table = Activity if booking["meeting"] is None else Meeting
    row_id = booking["activity"] if booking["meeting"] is None else booking["meeting"]
    await table.update({table.seats_taken: table.seats_taken + seats, table.waiting: table.waiting + waiting}).where(
        table.id == row_id)


async def _booking(code: str, family_id: int | None) -> dict:
    query = Booking.select().where(Booking.code == code)
    if family_id is not None:  # a family sees only its own bookings
        query = query.where(Booking.family == family_id)
    booking = await query.first()
    if booking is None:
        raise NotFound(code)
    return booking


async def _target_of(booking: dict) -> Target:
    activity = await Activity.select().where(Activity.id == booking["activity"]).first()
    if booking["meeting"] is None:
        first = await Meeting.select(Meeting.starts_at).where(
            (Meeting.activity == activity["id"]) & (Meeting.status == "scheduled")).order_by(Meeting.starts_at).first()
        # a direct enrolment (portal.booking.staff) may have no meeting yet: its deadline is now
        return Target(activity, None, first["starts_at"] if first else datetime.now(timezone.utc))
    meeting = await Meeting.select(Meeting.starts_at).where(Meeting.id == booking["meeting"]).first()
    return Target(activity, booking["meeting"], meeting["starts_at"])


async def _result(booking: dict, existing: bool = False) -> BookingResult:
    return BookingResult(booking["code"], booking["status"], booking["seats"], await waiting_position(booking),
                         existing)


async def booking_owner(code: str) -> int | None:
    """The family of a booking, for a signed one-click link (the signature is the authorization)."""
    row = await Booking.select(Booking.family).where(Booking.code == code).first()
    return row["family"] if row else None
