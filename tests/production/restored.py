"""A second, empty database beside the test database (a new SQLite file, or a new PostgreSQL database),
and a way to point the tables at it for a while."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from portal import db


@asynccontextmanager
async def empty_database(test_url: str, tmp_path: Path):
    if test_url.startswith("sqlite:///"):
        yield f"sqlite:///{tmp_path / f'restored-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    parts = urlsplit(test_url)
    name = f"{parts.path.strip('/')}_r{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(test_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def tables_on(url: str):
    """Point every table at the database at `url`, then back."""
    working = db.engine()
    engine = db.engine_from_url(url)
    db.bind(engine)
    await db.open_engine(engine)
    try:
        yield
    finally:
        await db.close_engine(engine)
        db.bind(working)
