"""Staff assignments, attendance and feed tokens: one row per pair."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T08:39:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "staff and attendance indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS staff_hub_once ON staff_hub (staff, hub)",
    "CREATE UNIQUE INDEX IF NOT EXISTS staff_activity_once ON staff_activity (staff, activity)",
    "CREATE UNIQUE INDEX IF NOT EXISTS attendance_once ON attendance (meeting, participant)",
    "CREATE INDEX IF NOT EXISTS feed_token_owner ON feed_token (kind, owner)",
    "CREATE INDEX IF NOT EXISTS meeting_private_booking ON meeting (private_booking)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
