"""Work done outside requests: sending queued mail, queuing meeting reminders, applying the retention
policy once a day."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timezone

from portal.booking import reminders
from portal.links import Links
from portal.mail import outbox
from portal.maintenance import retention
from portal.settings import Settings

log = logging.getLogger("portal.maintenance.worker")
REMINDER_INTERVAL_S = 60
RETENTION_INTERVAL_S = 24 * 3600


async def run(settings: Settings, stop: asyncio.Event) -> None:
    await asyncio.gather(outbox.run_worker(settings, stop), _queue_reminders(settings, stop),
                         _apply_retention(settings, stop))


async def _apply_retention(settings: Settings, stop: asyncio.Event) -> None:
    """Daily, from the start. Several workers may run it at once: each step is safe to repeat."""
    links = Links(settings.base_url, settings.secret_key)
    policy = retention.Policy.from_settings(settings)
    while not stop.is_set():
        try:
            outcome = await retention.apply(policy, datetime.now(timezone.utc), links)
            log.info("retention applied: %s", ", ".join(f"{n} {name}" for name, n in outcome.items() if n) or "nothing")
        except Exception:
            log.exception("applying the retention policy failed; retrying in a day")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RETENTION_INTERVAL_S)


async def _queue_reminders(settings: Settings, stop: asyncio.Event) -> None:
    links = Links(settings.base_url, settings.secret_key)
    while not stop.is_set():
        try:
            await reminders.queue_due(datetime.now(timezone.utc), links)
        except Exception:
            log.exception("queuing reminders failed; retrying in %s s", REMINDER_INTERVAL_S)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REMINDER_INTERVAL_S)
