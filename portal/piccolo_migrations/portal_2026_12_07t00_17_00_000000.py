"""One translation per activity and language."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T00:17:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "activity translation index"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS activity_translation_once ON activity_translation (activity, language)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
