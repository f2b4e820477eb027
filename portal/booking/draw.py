"""Allocation by draw (sorteggio), an activity's alternative to first come, first served.

During the request window families send a request exactly as they would book (same participants, same
checks): a `requested` booking, which holds no seat. Requests sent at the first or the last second count
the same. On the announced day staff type the seed announced beforehand (for example the first numbers
of a public lottery draw); the order is then a function of the seed and each request's public code
only, so anyone can recompute it from what the activity page publishes (scripts/draw_order.py):

    requests sorted by priority group, then by SHA-256(seed + ":" + code) in hexadecimal.

Seats are then given in that order, first-fit, a household never split; the rest join the waiting list
in the same order (or, without a waiting list, are told that the draw gave them no place). Every family
is mailed through the outbox, the audit log records who typed the seed, when, and the result, and a
draw runs once: the first "run" marks it drawn by a conditional update, any other finds it done.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal import audit, db
from portal.booking import notices
from portal.booking.queue import same_list
from portal.booking.rules import BookingRefused, Participant
from portal.i18n import N_
from portal.links import Links
from portal.observability import metrics
from portal.tables import Booking, Draw

SEED_LENGTH = 200


@dataclass(frozen=True)
class DrawState:
    id: int
    activity_id: int
    meeting_id: int | None
    opens_at: datetime
    closes_at: datetime
    draw_at: datetime
    seed_source: str
    district_first: bool
    first_time: bool
    status: str  # open | drawn
    seed: str
    drawn_at: datetime | None
    outcome: list[list]  # in draw order: [code, priority group, status]

    @property
    def drawn(self) -> bool:
        return self.status == "drawn"

    def accepts_requests(self, now: datetime) -> bool:
        return not self.drawn and self.opens_at <= now < self.closes_at

    def check_window(self, now: datetime) -> None:
        if now < self.opens_at:
            raise BookingRefused(N_("Requests for the draw are not open yet."), opens_at=self.opens_at)
        if now >= self.closes_at:
            raise BookingRefused(N_("Requests for the draw are closed."),
                                 draw_at=self.draw_at)


def draw_key(seed: str, code: str) -> str:
    return hashlib.sha256(f"{seed}:{code}".encode("utf-8")).hexdigest()


def draw_order(seed: str, requests: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(code, priority group) in draw order: group first, then the hash of seed and code."""
    return sorted(requests, key=lambda request: (request[1], draw_key(seed, request[0])))


def allocate(free: int, ordered: list[tuple[int, int]], holding: str, has_waiting_list: bool) -> dict[int, str]:
    """First-fit in draw order, households whole: (booking id, seats) -> the status each gets."""
    statuses = {}
    for booking_id, seats in ordered:
        if seats <= free:
            statuses[booking_id] = holding
            free -= seats
        else:
            statuses[booking_id] = "waitlisted" if has_waiting_list else "declined"
    return statuses


async def of_activity(activity_id: int) -> DrawState | None:
    row = await Draw.select().where(Draw.activity == activity_id).first()
    return _state(row) if row else None


async def open_for(activity_id: int, meeting_id: int | None) -> DrawState | None:
    """The draw that takes this target's bookings as requests, while it has not run."""
    state = await of_activity(activity_id)
    if state is None or state.drawn or state.meeting_id != meeting_id:
        return None
    return state


async def request(state: DrawState, family_id: int, target, chosen: list[Participant], seats: int, now: datetime,
                  links: Links):
    """A request for the draw, made like a booking; a repeated submit returns the live one."""
    from portal.booking import service

    state.check_window(now)
    context = await notices.context_for(family_id, target.activity_id, target.meeting_id)
    async with db.write_transaction():
        existing = await service._live_booking(family_id, target)
        if existing:
            return await service._result(existing, existing=True)
        booking_id, code = await service._insert_booking(family_id, target, "requested", seats, chosen, now)
        await notices.send(context, "requested", code, "requested", None, now, links, draw_at=state.draw_at)
    return service.BookingResult(code, "requested", seats, None)


async def run(activity_id: int, seed: str, actor: str, now: datetime, links: Links) -> DrawState:
    """Run the draw once, with the seed staff typed; refused before the window closes or once run."""
    from portal.booking import service
    from portal.booking.staff import staff_target

    seed = " ".join(seed.split())[:SEED_LENGTH]
    if not seed:
        raise BookingRefused(N_("Type the seed announced for the draw."))
    state = await of_activity(activity_id)
    if state is None:
        raise BookingRefused(N_("This activity has no draw."))
    target = await staff_target(activity_id, state.meeting_id)
    async with db.write_transaction():
        claimed = await Draw.raw(
            "UPDATE draw SET status = 'drawn', seed = {}, drawn_at = {}, drawn_by = {}, updated_at = {}"
            " WHERE id = {} AND status = 'open' AND requests_close_at <= {} RETURNING id",
            seed, now, actor, now, state.id, now)
        if not claimed:
            if (await of_activity(activity_id)).drawn:
                raise BookingRefused(N_("The draw has already been run."))
            raise BookingRefused(N_("The requests are still open: the draw runs after they close."))
        capacity, taken = await service._lock_seats(target)
        requests = await _requests(state, target)
        ordered = draw_order(seed, [(row["code"], row["group"]) for row in requests])
        by_code = {row["code"]: row for row in requests}
        holding = "pending" if target.activity["access"] == "approval" else "confirmed"
        statuses = allocate(capacity - taken, [(by_code[code]["id"], by_code[code]["seats"]) for code, _ in ordered],
                            holding, target.activity["waiting_list"])
        for place, (code, _) in enumerate(ordered):  # the waiting list keeps the draw's order
            await Booking.update({Booking.joined_at: now + timedelta(microseconds=place)}).where(
                Booking.id == by_code[code]["id"])
        for code, _ in ordered:
            row = by_code[code]
            await service._set_status(row, statuses[row["id"]], actor, now, "draw")
        for code, _ in ordered:
            status = statuses[by_code[code]["id"]]
            await notices.booking_changed(by_code[code]["id"], "not_drawn" if status == "declined" else status,
                                          now, links)
        outcome = [[code, group, statuses[by_code[code]["id"]]] for code, group in ordered]
        await Draw.update({Draw.outcome: json.dumps(outcome)}).where(Draw.id == state.id)
        await audit.record(actor, "draw.run", "draw", state.id, "", {
            "activity": activity_id, "seed": seed, "order": outcome, "capacity": capacity, "taken_before": taken,
        }, now)
        await db.bump_revision()
    metrics.count_draw()
    return await of_activity(activity_id)


async def _requests(state: DrawState, target) -> list[dict]:
    """The requests of the draw's target, each with its priority group: how many of the published
    priorities its family does not meet (0 first)."""
    where, args = same_list(target.activity_id, target.meeting_id)
    rows = await Booking.raw(
        f"SELECT b.id, b.code, b.seats, b.status, b.activity, b.meeting, b.family,"
        f" (CASE WHEN LOWER(TRIM(f.district)) = LOWER(TRIM(h.district)) THEN 1 ELSE 0 END) AS in_district,"
        f" (SELECT COUNT(*) FROM booking o JOIN activity oa ON oa.id = o.activity"
        f"  WHERE o.family = b.family AND o.id <> b.id AND oa.service = a.service AND o.status = 'confirmed'"
        f"  AND o.created_at >= {{}}) AS places_this_year"
        f" FROM booking b JOIN family f ON f.id = b.family JOIN activity a ON a.id = b.activity"
        f" JOIN hub h ON h.id = a.hub WHERE b.{where.replace(' AND ', ' AND b.')} AND b.status = 'requested'",
        state.opens_at.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0), *args)
    for row in rows:
        row["group"] = (int(state.district_first and not row["in_district"])
                        + int(state.first_time and row["places_this_year"] > 0))
    return rows


def _state(row: dict) -> DrawState:
    return DrawState(
        id=row["id"], activity_id=row["activity"], meeting_id=row["meeting"],
        opens_at=db.instant(row["requests_open_at"]), closes_at=db.instant(row["requests_close_at"]),
        draw_at=db.instant(row["draw_at"]), seed_source=row["seed_source"], district_first=row["district_first"],
        first_time=row["first_time"], status=row["status"], seed=row["seed"],
        drawn_at=db.instant(row["drawn_at"]) if row["drawn_at"] else None,
        outcome=json.loads(row["outcome"]) if row["outcome"] else [],
    )
