"""Allocation by draw: requests in a window, a published order anyone can recompute, priority groups,
first-fit without splitting households, a draw that runs once, and the counters kept."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from portal.booking import draw, service
from portal.booking.rules import BookingRefused
from portal.links import Links
from portal.observability import metrics
from portal.tables import Activity, AuditEntry, Booking, Draw, Family, Outbox
from tests import factories

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "draw_order.py"
SEED = "7 21 33 48 90"


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def lottery(empty_db):
    """A 5-seat single activity whose one meeting is allocated by draw; requests open now, for five minutes."""
    hub = await factories.hub(district="Municipalità 2")
    services = await factories.taxonomy()
    activity = await factories.activity(services["attivita-culturali"], hub, capacity=5, slug="festa-sorteggio")
    meeting = await factories.meeting(activity, now() + timedelta(days=14))
    start = now() - timedelta(seconds=1)
    await Draw.insert(Draw(
        activity=activity, meeting=meeting, requests_open_at=start, requests_close_at=start + timedelta(minutes=5),
        draw_at=start + timedelta(days=1), seed_source="Lotto, ruota di Napoli", status="open", seed="",
        drawn_by="", outcome="", updated_at=now()))
    return activity, meeting


async def request(meeting: int, family: tuple[int, list[int]], members: list[int] | None = None):
    target = await service.find_target("festa-sorteggio", meeting)
    return await service.book(family[0], target, members or family[1], now(), LINKS)


async def close_requests(activity: int) -> None:
    await Draw.update({Draw.requests_close_at: now() - timedelta(microseconds=1)}).where(Draw.activity == activity)


def recomputed(seed: str, outcome: list[list]) -> list[str]:
    """What the published script says, from what the activity page publishes."""
    done = subprocess.run([sys.executable, str(SCRIPT), seed, *(f"{code}:{group}" for code, group, _ in outcome)],
                          capture_output=True, text=True, check=True)
    return [line.split()[1] for line in done.stdout.splitlines()]


async def test_requests_are_drawn_in_an_order_the_script_recomputes(lottery):
    activity, meeting = lottery
    families = [await factories.family(adults=2 if i % 3 == 0 else 1) for i in range(8)]
    answers = await asyncio.gather(*(request(meeting, family) for family in families))
    assert {answer.status for answer in answers} == {"requested"}
    assert await Outbox.count() == 8  # "request received", through the outbox
    await close_requests(activity)
    state = await draw.run(activity, SEED, "staff:1", now(), LINKS)
    assert [code for code, _, _ in state.outcome] == recomputed(SEED, state.outcome)
    # first-fit in draw order, households whole: 5 seats
    seats = {row["code"]: row["seats"] for row in await Booking.select(Booking.code, Booking.seats)}
    free, expected = 5, {}
    for code, _, _ in state.outcome:
        expected[code] = "confirmed" if seats[code] <= free else "waitlisted"
        free -= seats[code] if seats[code] <= free else 0
    assert {code: status for code, _, status in state.outcome} == expected
    stored = {row["code"]: row["status"] for row in await Booking.select(Booking.code, Booking.status)}
    assert stored == expected
    waiting = [code for code, _, status in state.outcome if status == "waitlisted"]
    positions = [(await service._result(await Booking.select().where(Booking.code == code).first())).position
                 for code in waiting]
    assert positions == list(range(1, len(waiting) + 1))  # the waiting list keeps the draw's order
    assert await Outbox.count() == 16  # and every family is told the result
    entry = await AuditEntry.select().where(AuditEntry.action == "draw.run").first()
    assert entry["actor"] == "staff:1" and SEED in entry["details"]


async def test_priority_groups_come_first(lottery):
    activity, meeting = lottery
    await Draw.update({Draw.district_first: True}).where(Draw.activity == activity)
    families = [await factories.family() for _ in range(8)]
    near = {family_id for family_id, _ in families[::2]}
    await Family.update({Family.district: "municipalità 2 "}).where(Family.id.is_in(list(near)))
    for family in families:
        await request(meeting, family)
    await close_requests(activity)
    state = await draw.run(activity, SEED, "staff:1", now(), LINKS)
    groups = [group for _, group, _ in state.outcome]
    assert groups == sorted(groups) and groups.count(0) == 4
    assert [code for code, _, _ in state.outcome] == recomputed(SEED, state.outcome)
    codes_near = {row["code"] for row in await Booking.select(Booking.code).where(Booking.family.is_in(list(near)))}
    assert codes_near <= {code for code, _, status in state.outcome if status == "confirmed"}


async def test_requests_racing_the_close_get_a_definite_answer(lottery):
    activity, meeting = lottery
    families = [await factories.family() for _ in range(30)]
    closes_at = now() + timedelta(milliseconds=150)
    await Draw.update({Draw.requests_close_at: closes_at}).where(Draw.activity == activity)

    async def one(index, family):
        await asyncio.sleep(index * 0.01)
        asked_at = now()
        try:
            return asked_at, (await service.book(family[0], await service.find_target("festa-sorteggio", meeting),
                                                 family[1], asked_at, LINKS)).status
        except BookingRefused as refusal:
            return asked_at, refusal.reason

    answers = await asyncio.gather(*(one(i, family) for i, family in enumerate(families)))
    for asked_at, answer in answers:
        assert answer == ("requested" if asked_at < closes_at else
                          "Requests for the draw are closed.")
    assert await Booking.count() == sum(1 for _, answer in answers if answer == "requested")


async def test_requests_and_cancellations_together_then_one_draw_among_many_clicks(lottery):
    activity, meeting = lottery
    families = [await factories.family() for _ in range(20)]
    first = [await request(meeting, family) for family in families[:10]]

    async def cancel(result, family):
        return await service.cancel(result.code, family[0], f"family:{family[0]}", now(), LINKS)

    await asyncio.gather(*(cancel(r, f) for r, f in zip(first[:5], families[:5])),
                         *(request(meeting, family) for family in families[10:]))
    assert await Booking.count().where(Booking.status == "requested") == 15
    await close_requests(activity)

    async def click():
        try:
            return await draw.run(activity, SEED, "staff:1", now(), LINKS)
        except BookingRefused as refusal:
            return refusal.reason

    draws_before = metrics.DRAWS._value.get()
    outcomes = await asyncio.gather(*(click() for _ in range(5)))
    runs = [o for o in outcomes if isinstance(o, draw.DrawState)]
    assert len(runs) == 1 and outcomes.count("The draw has already been run.") == 4
    assert await AuditEntry.count().where(AuditEntry.action == "draw.run") == 1
    assert metrics.DRAWS._value.get() == draws_before + 1  # /metrics counts the draw once
    assert await Booking.count().where(Booking.status == "confirmed") == 5
    assert await Booking.count().where(Booking.status == "waitlisted") == 10


async def test_a_draw_does_not_run_before_the_requests_close(lottery):
    activity, _ = lottery
    with pytest.raises(BookingRefused, match="still open"):
        await draw.run(activity, SEED, "staff:1", now(), LINKS)
    assert (await Activity.select(Activity.seats_taken).where(Activity.id == activity).first())["seats_taken"] == 0
