"""Registration-day rush: many families press "book" on one meeting at once.

Each guarantee has a control: with the lock removed and the window widened, the race is visible;
with the real code it is not. These tests commit for real.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from portal import db
from portal.booking import claim, service
from portal.booking.rules import Participant, decide
from portal.links import Links
from portal.tables import Booking, Meeting
from tests import factories

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")
CAPACITY = 30
BOOKERS = 200


@pytest.fixture
async def rush(empty_db):
    """One 30-seat meeting and 200 families of one adult each."""
    services = await factories.taxonomy()
    activity = await factories.activity(services["attivita-culturali"], await factories.hub(), capacity=CAPACITY,
                                        slug="festa-affollata")
    meeting = await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(days=7))
    families = [await factories.family(adults=1) for _ in range(BOOKERS)]
    return meeting, families


async def book_all(meeting: int, families) -> list:
    target = await service.find_target("festa-affollata", meeting)

    async def one(family_id: int, members: list[int]):
        try:
            return await service.book(family_id, target, members, datetime.now(timezone.utc), LINKS)
        except Exception as error:  # every booker must get an answer: collect what went wrong
            return error

    return await asyncio.gather(*(one(family_id, members) for family_id, members in families))


async def assert_invariants(meeting: int, expected_total: int) -> None:
    rows = await Booking.select(Booking.status, Booking.seats).where(Booking.meeting == meeting)
    held = sum(row["seats"] for row in rows if row["status"] in ("pending", "confirmed"))
    taken = (await Meeting.select(Meeting.seats_taken).where(Meeting.id == meeting).first())["seats_taken"]
    assert held == taken <= CAPACITY  # the counter matches the rows and never exceeds capacity
    assert len(rows) == expected_total


async def test_control_a_naive_read_then_write_overbooks(rush, monkeypatch):
    """With the conditional claim swapped for a read, a pause, then a write in its own transaction,
    the race shows: the real claim's single write is what prevents it."""
    meeting, families = rush
    target = await service.find_target("festa-affollata", meeting)

    async def read_pause_write(request: claim.Claim) -> claim.Claimed:
        capacity, taken = await service._lock_seats(target)  # outside any transaction: no lock
        await asyncio.sleep(0.05)
        status = decide(request.access, capacity - taken, request.seats, request.has_waiting_list)
        async with db.write_transaction():
            booking_id, _ = await service._insert_booking(request.family_id, target, status, request.seats,
                                                          [Participant(m, "adult") for m in request.member_ids],
                                                          request.now)
        return claim.Claimed(booking_id, status, None)

    monkeypatch.setattr(claim, "claim", read_pause_write)
    await book_all(meeting, families[:60])
    confirmed = await Booking.count().where((Booking.meeting == meeting) & (Booking.status == "confirmed"))
    assert confirmed > CAPACITY, "the control must see the overbooking it guards against"
    await Booking.delete().where(Booking.meeting == meeting)  # the counters check after the test needs no overbooking
    await Meeting.update({Meeting.seats_taken: 0, Meeting.waiting: 0}).where(Meeting.id == meeting)


async def test_200_concurrent_bookers_never_overbook(rush):
    meeting, families = rush
    results = await book_all(meeting, families)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    confirmed = [r for r in results if r.status == "confirmed"]
    waiting = sorted(r.position for r in results if r.status == "waitlisted")
    assert len(confirmed) == CAPACITY
    assert waiting == list(range(1, BOOKERS - CAPACITY + 1))  # gap-free positions
    await assert_invariants(meeting, BOOKERS)


async def test_cancellations_racing_bookings_keep_both_invariants(rush):
    meeting, families = rush
    first = await book_all(meeting, families[:40])
    confirmed = [(r, families[i][0]) for i, r in enumerate(first) if r.status == "confirmed"][:10]

    async def cancel(result, family_id):
        return await service.cancel(result.code, family_id, f"family:{family_id}", datetime.now(timezone.utc), LINKS)

    outcomes = await asyncio.gather(
        *(cancel(result, family_id) for result, family_id in confirmed),
        book_all(meeting, families[40:120]),
    )
    assert all(not isinstance(o, Exception) for o in outcomes)
    await assert_invariants(meeting, 120)
    rows = await Booking.select(Booking.status, Booking.seats).where(Booking.meeting == meeting)
    free = CAPACITY - sum(r["seats"] for r in rows if r["status"] in ("pending", "confirmed"))
    waiting = [r for r in rows if r["status"] == "waitlisted"]
    assert not (waiting and min(r["seats"] for r in waiting) <= free)  # no waiting booking fits the free seats


async def test_four_processes_on_postgresql(rush, migrated):
    if not db.is_postgres():
        pytest.skip("several server processes share one database only on PostgreSQL here")
    meeting, families = rush
    script = Path(__file__).with_name("booker.py")
    start_at = (datetime.now(timezone.utc) + timedelta(seconds=3)).timestamp()
    chunks = [families[i::4] for i in range(4)]
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), migrated.database_url, str(meeting), str(start_at),
             ",".join(f"{family}:{'.'.join(map(str, members))}" for family, members in chunk)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
        )
        for chunk in chunks
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err[-2000:]
    answers = [line.split() for out, _ in outputs for line in out.splitlines()]
    assert len(answers) == BOOKERS and not [a for a in answers if a[0] == "error"]
    assert sum(1 for a in answers if a[0] == "confirmed") == CAPACITY
    positions = sorted(int(a[1]) for a in answers if a[0] == "waitlisted")
    assert positions == list(range(1, BOOKERS - CAPACITY + 1))
    await assert_invariants(meeting, BOOKERS)
