"""With REDIS_URL, web sessions, throttles and the page cache's revision live in the real Redis server."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import redis as redis_client

from portal import db, shared
from portal.app import create_app
from portal.booking import service
from portal.identity import codes
from portal.links import Links
from portal.tables import Throttle, WebSession
from tests import factories
from tests.web.signin import sign_in

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving(settings):
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def redis_keys(settings, pattern: str) -> list[bytes]:
    client = redis_client.Redis.from_url(settings.redis_url)
    try:
        return list(client.scan_iter(match=settings.redis_prefix + pattern))
    finally:
        client.close()


async def test_a_session_lives_in_redis_and_every_app_instance_sees_it(redis_settings, empty_db):
    await factories.family("anna@example.it")
    async with serving(redis_settings) as first:
        await sign_in(first, "anna@example.it")
        assert (await first.get("/famiglia", follow_redirects=False)).status_code == 200
        cookie = first.cookies["session"]
    assert redis_keys(redis_settings, "sessions:" + cookie)
    assert not await WebSession.exists().where(WebSession.key == cookie)
    async with serving(redis_settings) as second:  # another process, another node: same Redis
        second.cookies.set("session", cookie)
        assert (await second.get("/famiglia", follow_redirects=False)).status_code == 200


async def test_sign_in_throttles_count_in_redis(redis_settings, empty_db):
    shared.connect(redis_settings.redis_url, redis_settings.redis_prefix)
    try:
        now = datetime.now(timezone.utc)
        for _ in range(codes.CODES_PER_EMAIL[0]):
            await codes.request_code("anna@example.it", "sign_in", "it", "10.0.0.1", now,
                                     base_url="http://testserver", secret_key=redis_settings.secret_key)
        with pytest.raises(codes.TooManyRequests) as refused:
            await codes.request_code("anna@example.it", "sign_in", "it", "10.0.0.2", now,
                                     base_url="http://testserver", secret_key=redis_settings.secret_key)
        assert 0 < refused.value.retry_after <= codes.CODES_PER_EMAIL[1]
    finally:
        await shared.disconnect()
    assert not await Throttle.exists()
    assert redis_keys(redis_settings, "throttle:code:email:*")


async def test_the_revision_reaches_redis_only_after_the_commit(redis_settings, empty_db):
    state = shared.connect(redis_settings.redis_url, redis_settings.redis_prefix)
    try:
        before = await db.current_revision()  # seeded from the database
        assert await state.read_revision() == before == await db.database_revision()
        async with db.write_transaction():
            await db.bump_revision()
            assert await state.read_revision() == before  # not committed: readers keep the old pages
        assert await db.current_revision() == before + 1
        with pytest.raises(RuntimeError):
            async with db.write_transaction():
                await db.bump_revision()
                raise RuntimeError("rolled back")
        assert await db.current_revision() == before + 1 == await db.database_revision()
        await state.forget_revision()  # Redis restarted: the next reader seeds it from the database
        assert await db.current_revision() == before + 1
        await state.publish_revision(before)  # a late, lower publication never goes back
        assert await state.read_revision() == before + 1
    finally:
        await shared.disconnect()


async def test_a_cached_page_shows_a_change_made_by_another_process_at_once(redis_settings, empty_db, smtp_server):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    activity = await factories.activity(services["gruppi-genitori"], hub, "Gruppo genitori", audience="adults",
                                        capacity=17, slug="gruppo")
    meeting = await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(days=10))
    async with serving(redis_settings) as http:
        assert "17 posti liberi" in (await http.get("/attivita/gruppo")).text
        assert "17 posti liberi" in (await http.get("/attivita/gruppo")).text  # now from the cache
        target = await service.find_target("gruppo", meeting)
        links = Links(redis_settings.base_url, redis_settings.secret_key)
        await service.set_capacity(target, 23, "staff:1", datetime.now(timezone.utc), links)
        assert "23 posti liberi" in (await http.get("/attivita/gruppo")).text
    assert redis_keys(redis_settings, "revision")


async def test_without_redis_pages_read_the_database_and_writes_still_commit(empty_db):
    from tests.mail_server import free_port

    shared.connect(f"redis://127.0.0.1:{free_port()}/0", "portal-test-down:")  # nothing listens there
    try:
        before = await db.database_revision()
        assert await db.current_revision() == before
        async with db.write_transaction():
            await db.bump_revision()
        assert await db.current_revision() == before + 1 == await db.database_revision()
    finally:
        await shared.disconnect()
