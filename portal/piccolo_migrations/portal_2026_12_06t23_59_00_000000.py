"""The household file: one key worker per household and hub; notes and referrals listed by household."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T23:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "household file indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS key_worker_once ON key_worker (family, hub)",
    "CREATE INDEX IF NOT EXISTS household_note_family_hub ON household_note (family, hub)",
    "CREATE INDEX IF NOT EXISTS referral_family_hub ON referral (family, hub)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        for statement in STATEMENTS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(run)
    return manager
