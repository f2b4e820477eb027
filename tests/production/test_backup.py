"""The backup drill, on the test's engine: back up while families book, restore into an empty database,
find the same bookings, waiting lists and outbox, and serve them."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import anyio
import pytest

from portal.booking import service
from portal.links import Links
from portal.maintenance import backup
from portal.tables import Booking, Meeting, Outbox
from tests import factories
from tests.production.nodes import get, start_node
from tests.production.restored import empty_database, tables_on

pytestmark = pytest.mark.anyio
PORTAL = Path(sys.executable).parent / "portal"
RUSH = 40


async def state() -> dict:
    bookings = await Booking.select(Booking.code, Booking.status, Booking.seats, Booking.family, Booking.meeting,
                                    Booking.joined_at).order_by(Booking.code)
    meetings = await Meeting.select(Meeting.id, Meeting.capacity, Meeting.seats_taken).order_by(Meeting.id)
    # not the status: another test's server may be sending this database's mail meanwhile
    outbox = await Outbox.select(Outbox.message_id, Outbox.to_address, Outbox.subject).order_by(Outbox.message_id)
    return {"bookings": bookings, "meetings": meetings, "outbox": outbox}


def waiting_lists_hold(snapshot: dict) -> None:
    """Seats counted match the live bookings, and no waiting booking fits the free seats."""
    for meeting in snapshot["meetings"]:
        mine = [b for b in snapshot["bookings"] if b["meeting"] == meeting["id"]]
        live = sum(b["seats"] for b in mine if b["status"] in ("confirmed", "pending"))
        assert meeting["seats_taken"] == live
        free = meeting["capacity"] - live
        assert all(b["seats"] > free for b in mine if b["status"] == "waitlisted")


def portal(*arguments: str, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PORTAL), *arguments], env={**os.environ, "DATABASE_URL": database_url},
                          capture_output=True, text=True, timeout=300)


async def test_backup_under_load_restores_into_a_working_portal(migrated, empty_db, smtp_server, tmp_path):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    activity = await factories.activity(services["gruppi-genitori"], hub, "Gruppo genitori", audience="adults",
                                        seat_unit="family", capacity=12, slug="gruppo")
    soon = datetime.now(timezone.utc) + timedelta(days=10)
    rushed = await factories.meeting(activity, soon, capacity=12)
    calm = await factories.meeting(activity, soon + timedelta(days=7), capacity=30)
    families = [await factories.family() for _ in range(RUSH + 5)]
    links = Links(migrated.base_url, migrated.secret_key)

    async def book(family: tuple[int, list[int]], meeting: int) -> str:
        target = await service.find_target("gruppo", meeting)
        result = await service.book(family[0], target, family[1][:1], datetime.now(timezone.utc), links)
        return result.code

    for family in families[RUSH:]:
        await book(family, calm)
    told_before_backup: list[str] = []
    backup_started = anyio.Event()

    async def rush_one(family) -> None:
        await anyio.sleep(random.uniform(0, 0.6))
        code = await book(family, rushed)
        if not backup_started.is_set():
            told_before_backup.append(code)

    during = tmp_path / "during.backup"
    async with anyio.create_task_group() as group:
        for family in families[:RUSH]:
            group.start_soon(rush_one, family)
        await anyio.sleep(0.3)
        backup_started.set()
        await anyio.to_thread.run_sync(backup.backup, migrated.database_url, during)
    after = tmp_path / "after.backup"
    made = portal("backup", str(after), database_url=migrated.database_url)
    assert made.returncode == 0, made.stderr
    source = await state()
    assert len(source["bookings"]) == RUSH + 5 and source["outbox"]
    waiting_lists_hold(source)

    async with empty_database(migrated.database_url, tmp_path) as url:
        restored = portal("restore", str(during), database_url=url)
        assert restored.returncode == 0, restored.stderr
        again = portal("restore", str(during), database_url=url)
        assert again.returncode == 1 and "not empty" in again.stderr  # never over a database with data
        async with tables_on(url):
            snapshot = await state()
        waiting_lists_hold(snapshot)  # one consistent moment, taken while families were booking
        codes = {b["code"] for b in snapshot["bookings"]}
        assert set(told_before_backup) <= codes
        assert all(b in source["bookings"] for b in snapshot["bookings"])
        assert all(m in source["outbox"] for m in snapshot["outbox"])

    async with empty_database(migrated.database_url, tmp_path) as url:
        restored = portal("restore", str(after), database_url=url)
        assert restored.returncode == 0, restored.stderr
        async with tables_on(url):
            assert await state() == source
        node = start_node({"DATABASE_URL": url, "SECRET_KEY": migrated.secret_key, "MAIL_WORKER": "0"},
                          tmp_path / "restored-node", workers=1)
        try:
            status, page = get(node.url + "/attivita/gruppo")
        finally:
            node.stop()
            time.sleep(0.2)
        assert status == 200 and "25 posti liberi" in page


async def test_a_backup_of_the_other_engine_is_refused(migrated, tmp_path):
    wrong = tmp_path / "wrong.backup"
    wrong.write_bytes(b"PGDMP" if migrated.database_url.startswith("sqlite") else b"SQLite format 3\x00")
    async with empty_database(migrated.database_url, tmp_path) as url:
        with pytest.raises(backup.BackupError, match="is not a"):
            backup.restore(url, wrong)
