"""One reminder per booking and meeting, however many workers queue them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T08:23:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "reminder index"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX IF NOT EXISTS reminder_once ON reminder (booking, meeting)")

    manager.add_raw(run)
    return manager
