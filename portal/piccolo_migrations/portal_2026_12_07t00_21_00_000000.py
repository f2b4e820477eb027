"""A request for a draw is a live booking too: one per family and meeting or course."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T00:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "requests count as live bookings"

STATEMENTS = [
    "DROP INDEX IF EXISTS booking_one_live_per_family",
    "CREATE UNIQUE INDEX IF NOT EXISTS booking_one_live_per_family"
    " ON booking (family, activity, COALESCE(meeting, 0))"
    " WHERE status IN ('pending', 'confirmed', 'waitlisted', 'requested')",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
