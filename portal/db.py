"""Database engines: SQLite (embedded default) and PostgreSQL, with the engine-specific parts in one place."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Protocol, TypeVar

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

from portal.tables import TABLES, Revision

SQLITE_BUSY_TIMEOUT_S = 30
SQLITE_POOL_SIZE = 4  # connections per process for statements outside write transactions
T = TypeVar("T")


class SQLiteConnection:
    """A connection to the SQLite file kept open, used by one thread only. The process's writer is one:
    every write transaction runs there, and a whole short transaction can run there in a single call."""

    def __init__(self, connection_kwargs: dict[str, Any]) -> None:
        self._kwargs = connection_kwargs
        self._connection: sqlite3.Connection | None = None
        self.lock = asyncio.Lock()  # one transaction at a time on the connection
        # A pool thread, not aiosqlite's: the interpreter stops it at exit even if close() was missed.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = sqlite3.connect(**self._kwargs, check_same_thread=False)
            self._connection.row_factory = dict_factory
            self._connection.execute("PRAGMA foreign_keys = 1")
        return self._connection

    async def call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on the writer's thread; one hop of the event loop, however many statements."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, lambda: work(self._open()))

    async def execute(self, sql: str, args: list | tuple = ()) -> list[dict]:
        return await self.call(lambda connection: connection.execute(sql, args).fetchall())

    def close(self) -> None:
        def close_connection() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
        self._thread.submit(close_connection).result()
        self._thread.shutdown(wait=True)


class SQLitePool:
    """A few long-lived connections for the statements outside write transactions (reads, mostly:
    WAL readers never block the writer), instead of Piccolo's new connection and thread per query."""

    def __init__(self, connection_kwargs: dict[str, Any], size: int) -> None:
        self._connections = [SQLiteConnection(connection_kwargs) for _ in range(size)]
        self._idle: asyncio.Queue[SQLiteConnection] | None = None

    async def execute(self, sql: str, args: list | tuple = ()) -> list[dict]:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for connection in self._connections:
                self._idle.put_nowait(connection)
        connection = await self._idle.get()
        try:
            return await connection.execute(sql, args)
        finally:
            self._idle.put_nowait(connection)

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


class _WriterTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction on the process's long-lived writer instead of a new connection."""

    async def get_connection(self) -> SQLiteConnection:
        return self.engine.writer()

    async def begin(self) -> None:
        await self.connection.execute(f"BEGIN {self.transaction_type.value}")

    async def commit(self) -> None:
        await self.connection.execute("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        await self.connection.execute("ROLLBACK")
        self._rolled_back = True

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        if exception and not self._rolled_back:
            await self.rollback()
        elif not exception and not self._committed and not self._rolled_back:
            await self.commit()
        self.engine.current_transaction.reset(self.context)  # the connection stays open
        return exception is None


class PortalSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine on long-lived connections: write transactions share one (the writer),
    other statements take one of a small pool (WAL readers never block the writer)."""

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)
        self._writer: SQLiteConnection | None = None
        self._pool: SQLitePool | None = None

    def writer(self) -> SQLiteConnection:
        if self._writer is None:
            self._writer = SQLiteConnection(self.connection_kwargs)
        return self._writer

    def close_connections(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    async def _run_in_new_connection(self, query: str, args: list | None = None, query_type: str = "generic",
                                     table=None):
        if self._pool is None:
            self._pool = SQLitePool(self.connection_kwargs, SQLITE_POOL_SIZE)
        return await self._pool.execute(query, args or [])

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> SQLiteTransaction:
        if transaction_type is TransactionType.immediate:
            return _WriterTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)
        return super().transaction(transaction_type, allow_nested)

    async def _run_in_existing_connection(self, connection, query: str, args: list | None = None,
                                          query_type: str = "generic", table=None):
        if isinstance(connection, SQLiteConnection):
            return await connection.execute(query, args or [])
        return await super()._run_in_existing_connection(connection, query, args, query_type, table)


class LockTimings:
    """How long each booking held its seats' lock, appended to a file (one number in ms per line) when
    PORTAL_LOCK_TIMINGS names one: a measurement for the bench, off in production."""

    def __init__(self) -> None:
        self._fd: int | None = None

    def enable(self, path: Path | None) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if path else None

    def record(self, seconds: float) -> None:
        if self._fd is not None:
            os.write(self._fd, f"{seconds * 1000:.3f}\n".encode())


lock_timings = LockTimings()


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
        return PortalSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
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
        await engine.start_connection_pool(min_size=1, max_size=10, reset=_keep_session_state)


async def _keep_session_state(connection: object) -> None:
    """asyncpg's default reset sends a round trip (`RESET ALL; UNLISTEN *; …`) after every pooled query.
    The portal changes no session state (no SET, LISTEN, advisory lock or cursor kept open), and
    asyncpg still rolls back a transaction left open, so there is nothing to reset."""


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
    elif isinstance(engine, PortalSQLiteEngine):
        engine.close_connections()


@asynccontextmanager
async def sqlite_write_lock() -> AsyncIterator[None]:
    """One writer per process on SQLite: the write connection is the process's, one transaction at a time."""
    async with engine().writer().lock:
        yield


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
        if isinstance(db, PortalSQLiteEngine):
            async with db.writer().lock:
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


async def revision_bumped_outside() -> None:
    """After a committed write that bumped the revision in its own SQL (the booking claim): publish it."""
    if _mirror is not None:
        await _mirror.publish_revision(await database_revision())


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
