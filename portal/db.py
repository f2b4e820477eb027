"""Database engines: SQLite (embedded default) and PostgreSQL, with the engine-specific parts in one place."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from pathlib import Path
from typing import AsyncIterator, Protocol

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from portal.tables import TABLES, Revision

SQLITE_BUSY_TIMEOUT_S = 30
_sqlite_writer = asyncio.Lock()


class RevisionMirror(Protocol):
    """Where page caches read the revision when it is not the database (Redis: `portal.shared`)."""

    async def read_revision(self) -> int | None: ...

    async def publish_revision(self, value: int) -> None: ...


_mirror: RevisionMirror | None = None
_bumped: ContextVar[list[int] | None] = ContextVar("portal_revision_bumped", default=None)


def mirror_revision(mirror: RevisionMirror | None) -> None:
    global _mirror
    _mirror = mirror


def engine_from_url(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    return PostgresEngine(config={"dsn": url}, log_queries=False)


def bind(engine: Engine) -> None:
    """Point every table at this engine (no piccolo_conf lookup at run time)."""
    for table in TABLES:
        table._meta.db = engine


def engine() -> Engine:
    return Revision._meta.db


async def open_engine(engine: Engine) -> None:
    if isinstance(engine, SQLiteEngine):
        await engine.run_ddl("PRAGMA journal_mode=WAL")  # persists in the file
    else:
        await engine.start_connection_pool(min_size=1, max_size=10)


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction that writes: on SQLite take the write lock up front, one writer per process.

    Inside another write_transaction() it joins the outer one (Piccolo nests by joining), so a use
    case can compose service functions and its audit entry into one atomic change. A revision bumped
    inside is published to the mirror only after the commit."""
    db = engine()
    if db.current_transaction.get() is not None:
        yield
        return
    bumped: list[int] = []
    token = _bumped.set(bumped)
    try:
        if isinstance(db, SQLiteEngine):
            async with _sqlite_writer:
                async with db.transaction(transaction_type=TransactionType.immediate):
                    yield
        else:
            async with db.transaction():
                yield
    finally:
        _bumped.reset(token)
    if bumped and _mirror is not None:
        await _mirror.publish_revision(max(bumped))


async def bump_revision() -> None:
    """Call inside every write that changes what the catalogue shows."""
    rows = await Revision.raw("UPDATE revision SET value = value + 1 RETURNING value")
    bumped = _bumped.get()
    if bumped is not None and engine().current_transaction.get() is not None:
        bumped.extend(row["value"] for row in rows)
    elif rows and _mirror is not None:
        await _mirror.publish_revision(rows[0]["value"])


async def current_revision() -> int:
    """Read on every cached page view: from the mirror when there is one (seeded from the database when
    it has no value), else from the database."""
    if _mirror is not None:
        value = await _mirror.read_revision()
        if value is None:
            value = await database_revision()
            await _mirror.publish_revision(value)
        return value
    return await database_revision()


async def database_revision() -> int:
    """On SQLite this skips Piccolo's connection-per-query: a read-only connection kept open per process
    answers in microseconds (WAL readers never block)."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        row = _revision_reader(db.connection_kwargs["database"]).execute("SELECT value FROM revision").fetchone()
        return row[0] if row else 0
    rows = await Revision.raw("SELECT value FROM revision")
    return rows[0]["value"] if rows else 0


@functools.cache
def _revision_reader(path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)


async def ping() -> None:
    await Revision.raw("SELECT 1")


def instant(value: datetime | str) -> datetime:
    """A timestamp read by raw SQL: PostgreSQL returns datetimes, SQLite (in expressions) UTC ISO strings."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


async def migrate(database_url: str) -> None:
    """Apply Piccolo's migrations to the database at this URL."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    os.environ["DATABASE_URL"] = database_url
    os.environ["PICCOLO_CONF"] = "portal.piccolo_conf"
    result = await run_forwards("portal")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


def is_postgres() -> bool:
    return isinstance(engine(), PostgresEngine)


def lock_clause(alias: str | None = None, shared: str | None = None) -> str:
    """Row lock for a read inside write_transaction(): PostgreSQL locks the row (and share-locks
    `shared`, a row it reads but must not see change); SQLite's IMMEDIATE transaction already
    holds the database's write lock."""
    if not is_postgres():
        return ""
    clause = f" FOR UPDATE OF {alias}" if alias else " FOR UPDATE"
    return clause + (f" FOR SHARE OF {shared}" if shared else "")


class NotFound(Exception):
    """The record does not exist or is not visible here."""
