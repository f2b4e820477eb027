"""Two nodes behind a real load balancer behave as one portal.

Two `portal serve` processes (two workers each, each also sending mail and queuing reminders) share one
PostgreSQL database and one Redis; HAProxy spreads requests over them round robin, without sticky
sessions. Needs PostgreSQL (one SQLite file cannot be shared by two machines), Redis and HAProxy.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from aiosmtpd.controller import Controller

from portal import shared
from portal.booking import service
from portal.links import Links
from portal.tables import Booking, Meeting, Outbox, Reminder
from tests import factories
from tests.external import missing
from tests.mail_server import ReceivedMail, _Collector, free_port
from tests.production.nodes import PORTAL, start_haproxy, start_node
from tests.production.restored import empty_database, tables_on
from tests.web.staff_signin import staff_member, staff_sign_in

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.nodes,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                       reason="several nodes share one PostgreSQL database: set TEST_DATABASE_URL"),
]
RUSH_FAMILIES = 60
CAPACITY = 10
REMINDED = 3


@pytest.fixture(scope="module")
def haproxy() -> str:
    path = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    if path is None:
        missing("HAProxy is missing: apt-get install -y haproxy")
    return path


@pytest.fixture(scope="module")
async def cluster(migrated, redis_url, haproxy, tmp_path_factory):
    """A database of their own (no other test's server may send its mail), the data, then two nodes and the
    load balancer; the test process publishes revisions to the same Redis."""
    directory = tmp_path_factory.mktemp("nodes")
    async with empty_database(migrated.database_url, directory) as url:
        migrated_here = subprocess.run([str(PORTAL), "migrate"], env={**os.environ, "DATABASE_URL": url},
                                       capture_output=True, text=True, timeout=300)
        assert migrated_here.returncode == 0, migrated_here.stderr
        async with tables_on(url):
            settings = replace(migrated, database_url=url)
            prefix = f"portal-nodes-{uuid.uuid4().hex[:8]}:"
            shared.connect(redis_url, prefix)
            mailbox = _Collector()
            smtp_port = free_port()
            controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
            controller.start()
            env = {"DATABASE_URL": url, "SECRET_KEY": settings.secret_key, "REDIS_URL": redis_url,
                   "REDIS_PREFIX": prefix, "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "MAIL_WORKER": "1",
                   "BASE_URL": "http://portal.test",
                   "STAFF_TWO_FACTOR": "off"}  # the staff here sign in with a password alone
            processes = []
            try:
                world = await _world(settings)
                nodes = [start_node(env, directory / name) for name in ("a", "b")]
                processes += nodes
                balancer = start_haproxy([node.url for node in nodes], directory)
                processes.append(balancer)
                yield {**world, "nodes": nodes, "balancer": balancer,
                       "mail": ReceivedMail(mailbox, env["SMTP_URL"], smtp_port)}
            finally:
                for process in reversed(processes):
                    process.stop()
                controller.stop()
                state = shared.redis()
                async for key in state.client.scan_iter(match=prefix + "*"):
                    await state.client.delete(key)
                await shared.disconnect()


async def _world(settings) -> dict:
    links = Links(settings.base_url, settings.secret_key)
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    soon = datetime.now(timezone.utc) + timedelta(days=10)
    world = {"hub": hub}
    for slug, capacity in (("rush", CAPACITY), ("stop", CAPACITY), ("change", 17)):
        activity = await factories.activity(services["gruppi-genitori"], hub, f"Gruppo {slug}", audience="adults",
                                            seat_unit="family", capacity=capacity, slug=slug)
        world[slug] = {"activity": activity, "meeting": await factories.meeting(activity, soon)}
    reminded = await factories.activity(services["gruppi-genitori"], hub, "Domani", audience="adults",
                                        seat_unit="family", capacity=5, slug="domani", booking_closes_hours=1)
    tomorrow = await factories.meeting(reminded, datetime.now(timezone.utc) + timedelta(hours=30))
    for _ in range(REMINDED):  # booked before the nodes start: all four workers queue reminders at once
        family, members = await factories.family()
        await service.book(family, await service.find_target("domani", tomorrow), members[:1],
                           datetime.now(timezone.utc), links)
    world["tomorrow"] = tomorrow
    world["staff"] = await staff_member("admin@example.it")
    return world


async def _signed_in_family(cookie_store) -> tuple[int, int, str]:
    """A family with a web session in the shared Redis, as a sign-in would leave it."""
    family, members = await factories.family()
    session_id = uuid.uuid4().hex
    await cookie_store.set(session_id, json.dumps({"family": family, "epoch": 0}).encode(), expires_in=3600)
    return family, members[0], session_id


async def _rush(base_url: str, slug: str, meeting: int, families: int, during=None) -> list[tuple[int, str]]:
    """Families book one meeting at once; each gets (status code, what it was told)."""
    store = shared.redis().session_store()
    people = [await _signed_in_family(store) for _ in range(families)]
    limits = httpx.Limits(max_connections=families)

    async def book(family: tuple[int, int, str]) -> tuple[int, str]:
        """One press of "book", and one more after an error page, as a family would."""
        answer = await press(family)
        if answer[0] != 303:
            await asyncio.sleep(2)
            answer = await press(family)
        return answer

    async def press(family: tuple[int, int, str]) -> tuple[int, str]:
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
            http.cookies.set("session", family[2])
            try:
                page = await http.get("/")  # the CSRF cookie
                if "csrftoken" not in http.cookies:
                    return page.status_code, "no page"
                response = await http.post(f"/attivita/{slug}/prenota", data={
                    "incontro": str(meeting), "partecipante": str(family[1]), "_csrf_token": http.cookies["csrftoken"]})
            except httpx.HTTPError as error:
                return 0, type(error).__name__
            return response.status_code, response.headers.get("location", "")

    tasks = [asyncio.create_task(book(family)) for family in people]
    if during is not None:
        await during()
    return await asyncio.gather(*tasks)


async def _seats(meeting: int) -> tuple[int, dict[str, int]]:
    row = await Meeting.select(Meeting.seats_taken).where(Meeting.id == meeting).first()
    statuses: dict[str, int] = {}
    for booking in await Booking.select(Booking.status).where(Booking.meeting == meeting):
        statuses[booking["status"]] = statuses.get(booking["status"], 0) + 1
    return row["seats_taken"], statuses


async def test_a_family_signed_in_on_one_node_is_signed_in_on_the_other(cluster):
    first, second = (node.url for node in cluster["nodes"])
    await factories.family("anna@example.it")
    async with httpx.AsyncClient(base_url=first) as on_first:
        await on_first.get("/accedi")
        token = on_first.cookies["csrftoken"]
        asked = await on_first.post("/accedi", data={"email": "anna@example.it", "_csrf_token": token})
        assert asked.status_code == 303
        mail = await Outbox.select(Outbox.text_body).where(Outbox.to_address == "anna@example.it").first()
        code = next(word for word in mail["text_body"].split() if word.isdigit() and len(word) == 6)
        signed = await on_first.post("/accedi/codice", data={"code": code, "_csrf_token": token})
        assert signed.status_code == 303
        cookies = on_first.cookies
    for base_url in (second, cluster["balancer"].url, cluster["balancer"].url):
        async with httpx.AsyncClient(base_url=base_url, cookies=cookies) as elsewhere:
            assert (await elsewhere.get("/famiglia", follow_redirects=False)).status_code == 200


async def test_sign_in_throttles_count_across_nodes(cluster):
    nodes = [node.url for node in cluster["nodes"]]
    async with httpx.AsyncClient(base_url=nodes[0]) as browser:
        await browser.get("/accedi")
        token = browser.cookies["csrftoken"]
        answers = []
        for attempt in range(6):  # five codes an hour for one address, on whichever node
            response = await browser.post(nodes[attempt % 2] + "/accedi",
                                          data={"email": "throttled@example.it", "_csrf_token": token})
            answers.append(response.status_code)
    assert answers == [303] * 5 + [429]


async def test_a_staff_change_on_one_node_is_seen_at_once_on_the_other(cluster):
    first, second = (node.url for node in cluster["nodes"])
    meeting = cluster["change"]["meeting"]
    async with httpx.AsyncClient(base_url=second) as visitor:
        assert "17 posti liberi" in (await visitor.get("/attivita/change")).text
        assert "17 posti liberi" in (await visitor.get("/attivita/change")).text  # cached now
        feed = (await visitor.get("/calendari/attivita/change.ics")).text
        assert "STATUS:CANCELLED" not in feed
        async with httpx.AsyncClient(base_url=first) as staff:
            assert (await staff_sign_in(staff, "admin@example.it")).status_code == 303
            changed = await staff.post(f"/staff/incontri/{meeting}/capienza", data={
                "capacity": "23", "reason": "Sala più grande", "_csrf_token": staff.cookies["csrftoken"]})
            assert changed.status_code == 303
            assert "23 posti liberi" in (await visitor.get("/attivita/change")).text
            cancelled = await staff.post(f"/staff/incontri/{meeting}/annulla", data={
                "message": "Chiusura straordinaria.", "_csrf_token": staff.cookies["csrftoken"]})
            assert cancelled.status_code == 303
        assert "STATUS:CANCELLED" in (await visitor.get("/calendari/attivita/change.ics")).text


async def test_a_rush_over_both_nodes_never_over_books_and_mail_goes_once(cluster):
    meeting = cluster["rush"]["meeting"]
    answers = await _rush(cluster["balancer"].url, "rush", meeting, RUSH_FAMILIES)
    assert all(status == 303 and "/famiglia/prenotazioni/" in told for status, told in answers), answers
    taken, statuses = await _seats(meeting)
    assert taken == CAPACITY and statuses == {"confirmed": CAPACITY, "waitlisted": RUSH_FAMILIES - CAPACITY}
    for _ in range(300):  # the four workers send the outbox
        if not await Outbox.exists().where(Outbox.status == "pending"):
            break
        await asyncio.sleep(0.2)
    sent = await Outbox.select(Outbox.message_id).where(Outbox.status == "sent")
    received = cluster["mail"].message_ids()
    assert not await Outbox.exists().where(Outbox.status != "sent")
    assert sorted(received) == sorted(row["message_id"] for row in sent)  # each message once
    reminders = await Reminder.select(Reminder.booking).where(Reminder.meeting == cluster["tomorrow"])
    assert len(reminders) == REMINDED == len({row["booking"] for row in reminders})


async def test_stopping_a_node_mid_rush_loses_nothing_a_family_was_told(cluster):
    meeting = cluster["stop"]["meeting"]

    async def stop_one_node() -> None:
        await asyncio.sleep(0.3)
        cluster["nodes"][0].stop(signal.SIGKILL)

    answers = await _rush(cluster["balancer"].url, "stop", meeting, RUSH_FAMILIES, during=stop_one_node)
    told = [location.rsplit("/", 1)[1] for status, location in answers if status == 303]
    assert told, answers
    codes = {row["code"] for row in await Booking.select(Booking.code).where(Booking.meeting == meeting)}
    assert set(told) <= codes
    assert cluster["nodes"][0].process.poll() is not None  # the node did stop mid-rush
    taken, statuses = await _seats(meeting)
    assert taken == statuses.get("confirmed", 0) <= CAPACITY
    assert statuses.get("waitlisted", 0) == 0 or taken == CAPACITY
    assert sum(statuses.values()) == len(codes) >= len(told)
