"""The places the demo catalogue shows as taken, held by demo families' confirmed bookings: every seat
counter equals its live bookings, as on real data, and the staff's rosters show who is coming.

A family of two adults and two children takes up to four seats where seats count participants, one
where they count families; a family books each meeting or course at most once, so the demo has as
many families as its fullest meeting needs. No mail is queued for these bookings.
"""

from __future__ import annotations

import math
from datetime import datetime

from portal.booking.service import new_code
from portal.tables import Activity, Booking, BookingEvent, BookingParticipant, Family, Meeting, Member

# None of them is a surname of households/demo.py, whose families tests find by name.
SURNAMES = ("Romano", "Ferrari", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "Mancini",
            "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro")
MEMBERS = (("adult", "Maria", None), ("adult", "Luca", None), ("child", "Sofia", 2019), ("child", "Marco", 2022))
CHUNK = 500


async def hold_taken_places(now: datetime) -> int:
    """Book, for demo families, every place the catalogue counts as taken; returns the bookings made."""
    targets = await _taken()
    needed = max((_bookings_for(target) for target in targets), default=0)
    households = [await _family(number, now) for number in range(needed)]
    bookings = []
    for target in targets:
        remaining = target["seats_taken"]
        for family_id, members in households:
            if remaining == 0:
                break
            seats = 1 if target["seat_unit"] == "family" else min(len(members), remaining)
            bookings.append((target, family_id, members[:2] if target["seat_unit"] == "family" else members[:seats],
                             seats))
            remaining -= seats
    for first in range(0, len(bookings), CHUNK):
        await _insert(bookings[first:first + CHUNK], now)
    return len(bookings)


def _bookings_for(target: dict) -> int:
    per_family = 1 if target["seat_unit"] == "family" else len(MEMBERS)
    return math.ceil(target["seats_taken"] / per_family)


async def _taken() -> list[dict]:
    """Meetings and courses with seats taken: (activity, meeting or None, seats_taken, seat_unit)."""
    meetings = await Meeting.raw(
        "SELECT m.activity, m.id AS meeting, m.seats_taken, a.seat_unit FROM meeting m"
        " JOIN activity a ON a.id = m.activity WHERE m.seats_taken > 0 ORDER BY m.id")
    courses = await Activity.raw(
        "SELECT id AS activity, NULL AS meeting, seats_taken, seat_unit FROM activity WHERE seats_taken > 0"
        " ORDER BY id")
    return [*meetings, *courses]


async def _family(number: int, now: datetime) -> tuple[int, list[int]]:
    """A demo family of four: its id and its members' ids, adults first."""
    surname = SURNAMES[number % len(SURNAMES)]
    rows = await Family.insert(Family(
        email=f"famiglia.{number + 1}@demo.invalid", name="Maria", surname=surname, phone="", district="",
        language="it", privacy_acknowledged_at=now, created_at=now, last_active_at=now,
    )).returning(Family.id)
    family_id = rows[0]["id"]
    members = await Member.insert(*(
        Member(family=family_id, kind=kind, first_name=name, birth_year=year, birth_month=3 if year else None,
               created_at=now)
        for kind, name, year in MEMBERS
    )).returning(Member.id)
    return family_id, [row["id"] for row in members]


async def _insert(bookings: list[tuple[dict, int, list[int], int]], now: datetime) -> None:
    codes = [new_code() for _ in bookings]
    rows = await Booking.insert(*(
        Booking(code=code, family=family_id, activity=target["activity"], meeting=target["meeting"],
                status="confirmed", seats=seats, joined_at=now, created_at=now, updated_at=now)
        for code, (target, family_id, _, seats) in zip(codes, bookings)
    )).returning(Booking.id, Booking.code)
    ids = {row["code"]: row["id"] for row in rows}
    await BookingParticipant.insert(*(
        BookingParticipant(booking=ids[code], member=member)
        for code, (_, _, members, _) in zip(codes, bookings) for member in members
    ))
    await BookingEvent.insert(*(
        BookingEvent(booking=ids[code], from_status=None, to_status="confirmed", actor="system", note="", at=now)
        for code in codes
    ))
