"""Room for language tags such as zh_Hans in a family's (and a need's) language."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import PostgresEngine, engine_finder

ID = "2026-12-06T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "longer language tags"

# SQLite does not enforce a VARCHAR's length; PostgreSQL does.
STATEMENTS = [
    "ALTER TABLE family ALTER COLUMN language TYPE VARCHAR(10)",
    "ALTER TABLE need ALTER COLUMN language TYPE VARCHAR(10)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for statement in STATEMENTS:
                await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
