"""Waiting-list counters beside the seats taken (filled in the next migration)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T23:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "waiting counters"

PARAMS = {
    "default": 0, "null": False, "primary_key": False, "unique": False, "index": False,
    "index_method": IndexMethod.btree, "choices": None, "db_column_name": None, "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
    for table_class_name, tablename in (("Activity", "activity"), ("Meeting", "meeting")):
        manager.add_column(
            table_class_name=table_class_name, tablename=tablename, column_name="waiting",
            db_column_name="waiting", column_class_name="Integer", column_class=Integer, params=PARAMS,
            schema=None,
        )
    return manager
