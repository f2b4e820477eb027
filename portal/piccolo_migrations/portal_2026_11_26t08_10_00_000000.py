"""Indexes and checks Piccolo's table constraints cannot express on SQLite, and the revision row."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T08:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "catalogue indexes, seat checks, revision row"

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS meeting_activity_start ON meeting (activity, starts_at)",
    "CREATE INDEX IF NOT EXISTS activity_hub_service ON activity (hub, service)",
    "INSERT INTO revision (value) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM revision)",
]
POSTGRES_ONLY = [  # SQLite cannot add a constraint to an existing table
    "ALTER TABLE activity ADD CONSTRAINT activity_seats_within_capacity"
    " CHECK (seats_taken >= 0 AND seats_taken <= capacity)",
    "ALTER TABLE meeting ADD CONSTRAINT meeting_seats_not_negative CHECK (seats_taken >= 0)",
    "ALTER TABLE meeting ADD CONSTRAINT meeting_seats_within_capacity"
    " CHECK (capacity IS NULL OR seats_taken <= capacity)",
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
