"""The migrations, and Piccolo's app configuration that lists them (read through portal.piccolo_conf)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from portal.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=str(Path(__file__).parent),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
