"""Booking invariants the database enforces: one live booking per family, ordered waiting lists."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T08:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "booking indexes and checks"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS booking_one_live_per_family"
    " ON booking (family, activity, COALESCE(meeting, 0))"
    " WHERE status IN ('pending', 'confirmed', 'waitlisted')",
    "CREATE INDEX IF NOT EXISTS booking_queue ON booking (activity, meeting, status, joined_at, id)",
    "CREATE UNIQUE INDEX IF NOT EXISTS throttle_key_window ON throttle (key, window_start)",
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at)",
]
POSTGRES_ONLY = [
    "ALTER TABLE booking ADD CONSTRAINT booking_seats_positive CHECK (seats > 0)",
    "ALTER TABLE access_request ADD CONSTRAINT access_request_note_short CHECK (char_length(note) <= 200)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        db = engine_finder()
        for statement in STATEMENTS:
            await db.run_ddl(statement)
        if db.engine_type == "postgres":
            for statement in POSTGRES_ONLY:
                await db.run_ddl(statement)

    manager.add_raw(run)
    return manager
