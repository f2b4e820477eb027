"""Family solidarity: one live offer per family, each help kind once per offer, one match per offer and need."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-26T09:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "solidarity indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS solidarity_offer_live_once ON solidarity_offer (family)"
    " WHERE status <> 'closed'",
    "CREATE UNIQUE INDEX IF NOT EXISTS offer_help_kind_once ON offer_help_kind (offer, kind)",
    'CREATE UNIQUE INDEX IF NOT EXISTS match_once ON "match" (offer, need)',
    "CREATE INDEX IF NOT EXISTS need_access_request ON need (access_request)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
