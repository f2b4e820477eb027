"""The machine's real Redis server for tests: a database number and a key prefix of their own, cleaned up.

TEST_REDIS_URL names it (default redis://127.0.0.1:6379/7). Without a reachable server the tests that
need it are skipped, saying how to start one, except in CI (REQUIRE_EXTERNAL_TOOLS=1), where they fail.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import replace

import pytest
import redis as redis_client

from portal.settings import Settings
from tests.external import missing

DEFAULT_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_URL)
    try:
        redis_client.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis_client.RedisError as error:
        missing(f"no Redis at {url} ({error}); `apt-get install -y redis-server` starts one")
    return url


@pytest.fixture
def redis_prefix(redis_url: str):
    """A prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"portal-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis_client.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def redis_settings(migrated: Settings, redis_url: str, redis_prefix: str) -> Settings:
    return replace(migrated, redis_url=redis_url, redis_prefix=redis_prefix)
