"""A rush through the real forms, as families make it: each signs in with the code it was mailed, fills
in its profile and opens the booking step; then all of them press "book" at the same moment. The portal
runs as in production (`portal serve --workers 2`, mail sent by the web processes to a real SMTP
server). Exactly the seats are confirmed, the others wait with gap-free positions, every family is sent
to its own booking and gets one mail about it.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from portal.booking.queue import waiting_position
from portal.settings import Settings
from portal.tables import Booking, Family
from tests import factories
from tests.concurrency.served import two_workers
from tests.web.signin import csrf, sign_in

pytestmark = pytest.mark.anyio

FAMILIES = 60
CAPACITY = 10
SLUG = "laboratorio-affollato"


@pytest.fixture
async def served(empty_db: Settings, smtp_server, tmp_path):
    """One 10-seat meeting, and the portal served by two workers on the test database, sending mail."""
    services = await factories.taxonomy()
    activity = await factories.activity(services["attivita-culturali"], await factories.hub(), capacity=CAPACITY,
                                        slug=SLUG)
    meeting = await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(days=7))
    with two_workers(empty_db, smtp_server, tmp_path) as (base_url, _, _):
        yield base_url, meeting


async def ready_to_book(client: httpx.AsyncClient, email: str, meeting: int) -> dict[str, str]:
    """Sign in, fill in the profile, open the booking step: the form the family is about to send."""
    await sign_in(client, email)
    profile = await client.post("/famiglia/profilo", data={
        "name": "Giulia", "surname": email.split("@")[0], "privacy": "1", "language": "it", **csrf(client)})
    assert profile.status_code == 303, profile.text[:500]
    step = await client.get(f"/attivita/{SLUG}/prenota", params={"incontro": meeting})
    assert step.status_code == 200, step.text[:500]
    member = re.search(r'name="partecipante" value="(\d+)"', step.text).group(1)
    return {"incontro": str(meeting), "partecipante": member, **csrf(client)}


async def test_families_signed_in_through_the_forms_rush_one_meeting(served, smtp_server):
    base_url, meeting = served
    emails = [f"famiglia{number}@example.it" for number in range(FAMILIES)]
    clients = [httpx.AsyncClient(base_url=base_url, timeout=60) for _ in emails]
    try:
        gate = asyncio.Semaphore(8)  # families arrive over the morning, a few at a time

        async def prepare(client: httpx.AsyncClient, email: str) -> dict[str, str]:
            async with gate:
                return await ready_to_book(client, email, meeting)

        forms = await asyncio.gather(*(prepare(client, email) for client, email in zip(clients, emails)))
        answers = await asyncio.gather(*(client.post(f"/attivita/{SLUG}/prenota", data=form)
                                         for client, form in zip(clients, forms)))  # the opening minute
        assert [answer.status_code for answer in answers] == [303] * FAMILIES
        codes = [answer.headers["location"].removeprefix("/famiglia/prenotazioni/") for answer in answers]
        pages = await asyncio.gather(*(client.get(f"/famiglia/prenotazioni/{code}")
                                       for client, code in zip(clients, codes)))
        assert all(page.status_code == 200 and code in page.text for page, code in zip(pages, codes))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))

    families = {row["email"]: row["id"] for row in await Family.select(Family.id, Family.email)}
    bookings = {row["code"]: row for row in await Booking.select().where(Booking.meeting == meeting)}
    assert [bookings[code]["family"] for code in codes] == [families[email] for email in emails]  # each its own
    statuses = [row["status"] for row in bookings.values()]
    assert statuses.count("confirmed") == CAPACITY and statuses.count("waitlisted") == FAMILIES - CAPACITY
    positions = sorted([await waiting_position(row) for row in bookings.values() if row["status"] == "waitlisted"])
    assert positions == list(range(1, FAMILIES - CAPACITY + 1))

    deadline = time.monotonic() + 60  # the web processes send the mail
    while time.monotonic() < deadline:
        about_bookings = [message["To"] for message in smtp_server.messages
                          if message["Subject"].startswith(("Prenotazione confermata", "Lista d'attesa"))]
        if len(about_bookings) >= FAMILIES:
            break
        await asyncio.sleep(0.5)
    assert sorted(about_bookings) == sorted(emails)  # one mail each about its booking
