"""Seat and waiting counters recomputed from the live bookings, and checked on PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T23:31:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "seat and waiting counters backfilled from live bookings"

BACKFILL = [
    "UPDATE meeting SET"
    " seats_taken = (SELECT COALESCE(SUM(b.seats), 0) FROM booking b"
    " WHERE b.meeting = meeting.id AND b.status IN ('pending', 'confirmed')),"
    " waiting = (SELECT COUNT(*) FROM booking b WHERE b.meeting = meeting.id AND b.status = 'waitlisted')",
    "UPDATE activity SET"
    " seats_taken = (SELECT COALESCE(SUM(b.seats), 0) FROM booking b"
    " WHERE b.activity = activity.id AND b.meeting IS NULL AND b.status IN ('pending', 'confirmed')),"
    " waiting = (SELECT COUNT(*) FROM booking b"
    " WHERE b.activity = activity.id AND b.meeting IS NULL AND b.status = 'waitlisted')",
]
POSTGRES_ONLY = [  # SQLite cannot add a constraint to an existing table
    "ALTER TABLE meeting ADD CONSTRAINT meeting_waiting_not_negative CHECK (waiting >= 0)",
    "ALTER TABLE activity ADD CONSTRAINT activity_waiting_not_negative CHECK (waiting >= 0)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        db = engine_finder()
        for statement in BACKFILL:
            await db.run_ddl(statement)
        if db.engine_type == "postgres":
            for statement in POSTGRES_ONLY:
                await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
