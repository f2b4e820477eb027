"""Shared fixtures: one migrated database per run (SQLite file, or TEST_DATABASE_URL for PostgreSQL)."""

from __future__ import annotations

import os

import httpx
import pytest

from portal import db
from portal.identity import staff_access
from portal.settings import Settings
from portal.tables import TABLES, Revision
from tests.mail_server import smtp_server  # noqa: F401  (a fixture for every test)
from tests.oidc.fixtures import oidc_portal_port, oidc_provider, portal_with_oidc, provider  # noqa: F401
from tests.redis_server import redis_prefix, redis_settings, redis_url  # noqa: F401

staff_access.use_cheapest_hashing()


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal-test.sqlite3'}"


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var_dir = tmp_path_factory.mktemp("var")
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-test-secret-key-0123456789",
        base_url="http://testserver",
        var_dir=var_dir,
        content_dir=var_dir / "content",
        run_mail_worker=False,
        staff_two_factor="off",  # the second factor's own tests turn it on
    )


@pytest.fixture(scope="session")
async def migrated(settings: Settings) -> Settings:
    await db.migrate(settings.database_url)
    engine = db.engine_from_url(settings.database_url)
    db.bind(engine)
    await db.open_engine(engine)
    yield settings
    await db.close_engine(engine)


@pytest.fixture
async def empty_db(migrated: Settings) -> Settings:
    """A database with the schema and no rows; each test writes what it needs."""
    for table in reversed(TABLES):
        if table is not Revision:
            await table.delete(force=True)
    await db.bump_revision()
    return migrated


@pytest.fixture
async def client(migrated: Settings):
    from portal.app import create_app

    app = create_app(migrated)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
