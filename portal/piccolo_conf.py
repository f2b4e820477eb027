"""Piccolo's configuration, read by the migration runner; the app binds its own engine."""

from piccolo.conf.apps import AppRegistry

from portal.db import engine_from_url
from portal.settings import load_settings

DB = engine_from_url(load_settings().database_url)
APP_REGISTRY = AppRegistry(apps=["portal.piccolo_migrations"])
