"""`portal backup PATH` and `portal restore PATH`.

SQLite: the online backup API copies a consistent snapshot while the portal keeps writing (the copy
goes to a temporary file, renamed into place when complete). PostgreSQL: `pg_dump --format=custom`,
itself one consistent snapshot, restored with `pg_restore`. A restore goes into a new, empty database
only, so it can never mix two states; then the portal is started on it (and, with Redis, the revision
page caches key on is forgotten, so no page of the old state is served).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why, in one line for the operator."""


def sqlite_path(database_url: str) -> Path | None:
    return Path(database_url.removeprefix("sqlite:///")) if database_url.startswith("sqlite:///") else None


def backup(database_url: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite_path(database_url)
    if source is not None:
        if not source.exists():
            raise BackupError(f"there is no database at {source}")
        _sqlite_copy(source, partial)
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}",
              f"--dbname={database_url}"], "pg_dump")
    os.replace(partial, target)


def restore(database_url: str, source: Path) -> None:
    """Into an empty database only (a new SQLite file, or a PostgreSQL database just created)."""
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    with source.open("rb") as file:
        head = file.read(16)
    target = sqlite_path(database_url)
    if target is not None:
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup, and DATABASE_URL is SQLite")
        if _sqlite_has_tables(target):
            raise BackupError(f"the database at {target} is not empty: restore into a new file")
        target.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(source, target)
        return
    if not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source} is not a pg_dump custom-format backup, and DATABASE_URL is PostgreSQL")
    if _postgres_has_tables(database_url):
        raise BackupError("the PostgreSQL database is not empty: create a new one and restore into it")
    _run(["pg_restore", "--exit-on-error", "--no-owner", "--no-privileges", f"--dbname={database_url}",
          str(source)], "pg_restore")


def _sqlite_copy(source: Path, target: Path) -> None:
    source_connection = sqlite3.connect(source, timeout=30)
    target_connection = sqlite3.connect(target)
    try:
        source_connection.backup(target_connection)
    finally:
        target_connection.close()
        source_connection.close()


def _sqlite_has_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    finally:
        connection.close()


def _postgres_has_tables(database_url: str) -> bool:
    done = _run(["psql", "--no-psqlrc", "--tuples-only", "--no-align", f"--dbname={database_url}", "--command",
                 "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'"], "psql")
    return int(done.strip() or 0) > 0


def _run(command: list[str], tool: str) -> str:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{tool} is missing: install PostgreSQL's client tools (apt-get install postgresql-client)")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
    return done.stdout
