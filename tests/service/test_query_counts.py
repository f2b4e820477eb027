"""The staff queues load a page of rows with a fixed number of queries, whatever its length: each list is
read with 5 rows and then with 50, counting the SQL statements the engine actually runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from itertools import count

import pytest

from portal import db
from portal.operations import approvals, enrolment, requests, waiting
from portal.solidarity import matches, needs, offers
from portal.tables import (
    AccessRequest,
    Booking,
    BookingParticipant,
    Match,
    Need,
    OfferHelpKind,
    Service,
    SolidarityOffer,
)
from tests import factories, operations_world, solidarity_world

pytestmark = pytest.mark.anyio
_numbers = count(1)


@asynccontextmanager
async def counted_statements():
    """Every statement run through the engine (inside transactions too), on SQLite and PostgreSQL."""
    engine_class = type(db.engine())  # its instances have slots: patch the class for the while
    statements: list[str] = []
    run = engine_class.run_querystring

    async def counting(engine, querystring, *args, **kwargs):
        statements.append(str(querystring))
        return await run(engine, querystring, *args, **kwargs)

    engine_class.run_querystring = counting
    try:
        yield statements
    finally:
        engine_class.run_querystring = run


async def assert_fixed_queries(add_rows: Callable[[int], Awaitable[None]], load: Callable[[], Awaitable[list]]):
    await add_rows(5)
    async with counted_statements() as few:
        assert len(await load()) == 5
    await add_rows(45)
    async with counted_statements() as many:
        assert len(await load()) == 50
    assert few, "the list ran no query at all: the counting does not see the engine"
    assert len(many) == len(few), "\n".join(many)


async def booking(family_id: int, member_ids: list[int], activity: int, meeting: int | None, status: str) -> int:
    now = operations_world.now()
    rows = await Booking.insert(Booking(
        code=f"Q{next(_numbers):06d}", family=family_id, activity=activity, meeting=meeting, status=status,
        seats=len(member_ids), joined_at=now, created_at=now, updated_at=now,
    )).returning(Booking.id)
    await BookingParticipant.insert(*(BookingParticipant(booking=rows[0]["id"], member=m) for m in member_ids))
    return rows[0]["id"]


async def family_booking(activity: int, meeting: int | None, status: str) -> int:
    family_id, members = await factories.family(children=((2018, 3),))
    return await booking(family_id, members, activity, meeting, status)


# -- operations ----------------------------------------------------------------------------


async def test_approvals_queue(empty_db):
    world = await operations_world.build()

    async def add(n: int) -> None:
        for _ in range(n):
            await family_booking(world.consent_course, None, "pending")

    await assert_fixed_queries(add, lambda: approvals.pending_list(world.coordinator))


async def test_access_requests_queue(empty_db):
    world = await operations_world.build()

    async def add(n: int) -> None:
        now = operations_world.now()
        for i in range(n):
            family_id, _ = await factories.family()
            await AccessRequest.insert(AccessRequest(
                code=f"R{next(_numbers):06d}", family=family_id, activity=world.request, contact_by="phone",
                preferred_times="", note="", status="new", created_at=now, updated_at=now, confidential_notes="",
                assigned_staff=world.coordinator.id if i % 2 else None))

    await assert_fixed_queries(add, lambda: requests.queue(world.coordinator, None, None))


async def test_waiting_list(empty_db):
    world = await operations_world.build()

    async def add(n: int) -> None:
        for _ in range(n):
            await family_booking(world.open_single, world.open_meeting, "waitlisted")

    async def load() -> list:
        return (await waiting.waiting_list(world.coordinator, world.open_single, world.open_meeting)).entries

    await assert_fixed_queries(add, load)


async def test_enrolment_list(empty_db):
    world = await operations_world.build()
    service = (await Service.select(Service.id).where(Service.slug == "spazio-neutro").first())["id"]

    async def add(n: int) -> None:
        for _ in range(n):
            activity = await factories.activity(service, world.hub_a, access="referral",
                                                seat_unit="family", capacity=5)
            await family_booking(activity, None, "confirmed")

    async def load() -> list:
        return [row for row in await enrolment.activities(world.coordinator) if row["enrolments"]]

    await assert_fixed_queries(add, load)


# -- solidarity ----------------------------------------------------------------------------


async def offer(world: solidarity_world.World, status: str = "new") -> int:
    now = solidarity_world.now()
    family_id, _ = await factories.family()
    rows = await SolidarityOffer.insert(SolidarityOffer(
        family=family_id, hub=world.centro, status=status, weekdays="1,3", time_bands="afternoon",
        districts="Municipalità 2", languages="it", presentation="Siamo una famiglia.", other_help="",
        staff_notes="riservato", created_at=now, updated_at=now,
    )).returning(SolidarityOffer.id)
    await OfferHelpKind.insert(OfferHelpKind(offer=rows[0]["id"], kind=world.homework),
                               OfferHelpKind(offer=rows[0]["id"], kind=world.hosting))
    return rows[0]["id"]


async def need(world: solidarity_world.World, family_id: int | None = None) -> int:
    now = solidarity_world.now()
    rows = await Need.insert(Need(
        hub=world.centro, kind=world.homework, weekdays="1", time_bands="afternoon", district="Municipalità 2",
        language="it", family=family_id, contact_name="" if family_id else "Mario Bianchi", contact_phone="333",
        contact_email="", status="open", staff_notes="", created_at=now, updated_at=now,
    )).returning(Need.id)
    return rows[0]["id"]


async def test_offers_queue(empty_db):
    world = await solidarity_world.build()

    async def add(n: int) -> None:
        for _ in range(n):
            await offer(world)

    await assert_fixed_queries(add, lambda: offers.queue(world.coordinator, None, None))


async def test_needs_list(empty_db):
    world = await solidarity_world.build()

    async def add(n: int) -> None:
        for i in range(n):
            await need(world, world.helped if i % 2 else None)

    await assert_fixed_queries(add, lambda: needs.listing(world.coordinator, None))


async def test_matches_of_a_need_and_its_candidates(empty_db):
    world = await solidarity_world.build()
    need_id = await need(world, world.helped)

    async def add_matches(n: int) -> None:
        now = solidarity_world.now()
        for _ in range(n):
            await Match.insert(Match(
                offer=await offer(world, "active"), need=need_id, status="proposed", shared_with_volunteer="",
                shared_with_family="", follow_up_notes="", created_at=now, updated_at=now + timedelta(seconds=1)))

    await assert_fixed_queries(add_matches, lambda: matches.need_matches(world.coordinator, need_id))
    other_need = await need(world)
    await SolidarityOffer.update({SolidarityOffer.status: "closed"}, force=True)

    async def add_offers(n: int) -> None:
        for _ in range(n):
            await offer(world, "active")

    await assert_fixed_queries(add_offers, lambda: matches.candidates(world.coordinator, other_need))
