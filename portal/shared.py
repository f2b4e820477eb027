"""State every process and every machine must see: in Redis when REDIS_URL is set, else in the database.

Three things live here: web sessions (Litestar's `RedisStore`), throttle counters (one INCR per hit
in a fixed window) and a mirror of the catalogue's revision counter, which page caches read on every
view. The database stays the truth for the revision: a write transaction bumps it there and, once it
has committed, publishes the new value to Redis only if it is higher than what Redis holds. So Redis
never announces a revision whose data a reader could not yet see, and when Redis loses the key
(restart, eviction, or its one-minute expiry) the next reader seeds it again from the database. While
Redis cannot be reached, readers ask the database and writes still commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from litestar.stores.base import Store
from redis.asyncio import Redis
from redis.exceptions import RedisError

from portal import db
from portal.tables import Throttle

_PUBLISH_IF_HIGHER = """
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
return redis.call('GET', KEYS[1])
"""
REVISION_TTL_S = 60  # a publication lost while Redis was unreachable is corrected within a minute
log = logging.getLogger("portal.shared")


class RedisState:
    """One process's connection to the shared Redis, with every key under `prefix`."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        self._publish = self.client.register_script(_PUBLISH_IF_HIGHER)

    def session_store(self) -> Store:
        from litestar.stores.redis import RedisStore

        return RedisStore(self.client, namespace=self.prefix + "sessions")

    async def hit(self, key: str, window_start: int, window_end: int) -> int:
        """Count one hit of `key` in the window starting at `window_start`; the hits so far."""
        name = f"{self.prefix}throttle:{key}:{window_start}"
        async with self.client.pipeline(transaction=True) as pipeline:
            pipeline.incr(name)
            pipeline.expireat(name, window_end + 60)
            hits, _ = await pipeline.execute()
        return int(hits)

    async def read_revision(self) -> int | None:
        """None when Redis has no value, or cannot be reached: then the database answers."""
        try:
            value = await self.client.get(self.prefix + "revision")
        except (RedisError, OSError) as error:
            log.warning("Redis unreachable, reading the revision from the database: %s", type(error).__name__)
            return None
        return int(value) if value is not None else None

    async def publish_revision(self, value: int) -> None:
        """After a commit: a failure must not turn a committed change into an error page."""
        try:
            await self._publish(keys=[self.prefix + "revision"], args=[value, REVISION_TTL_S])
        except (RedisError, OSError) as error:
            log.warning("Redis unreachable, revision %s not published: %s", value, type(error).__name__)

    async def forget_revision(self) -> None:
        """After a restore the database's counter may be lower: the next reader seeds it again."""
        await self.client.delete(self.prefix + "revision")

    async def ping(self) -> None:
        await self.client.ping()

    async def close(self) -> None:
        await self.client.aclose()


_state: RedisState | None = None


def connect(redis_url: str | None, prefix: str) -> RedisState | None:
    """Use Redis for this process's shared state (None: the database). Call once per process."""
    global _state
    _state = RedisState(redis_url, prefix) if redis_url else None
    db.mirror_revision(_state)
    return _state


async def disconnect() -> None:
    global _state
    if _state is not None:
        await _state.close()
    _state = None
    db.mirror_revision(None)


def redis() -> RedisState | None:
    return _state


async def hit(key: str, limit: tuple[int, int], now: datetime) -> int | None:
    """Count one hit of `key` in the current fixed window, atomically, where every process sees it.

    Returns None while within the limit, else the seconds until the window ends."""
    hits_allowed, seconds = limit
    start = int(now.timestamp()) // seconds * seconds
    if _state is not None:
        hits = await _state.hit(key, start, start + seconds)
    else:
        hits = await _count_in_database(key, datetime.fromtimestamp(start, tz=timezone.utc))
    if hits <= hits_allowed:
        return None
    return max(1, start + seconds - int(now.timestamp()))


async def _count_in_database(key: str, window_start: datetime) -> int:
    """An upsert on the `throttle` table, committed at once."""
    async with db.write_transaction():
        rows = await Throttle.raw(
            'INSERT INTO throttle ("key", window_start, hits) VALUES ({}, {}, 1)'
            ' ON CONFLICT ("key", window_start) DO UPDATE SET hits = throttle.hits + 1 RETURNING hits',
            key, window_start,
        )
    return rows[0]["hits"]
