"""Work done outside requests: sending queued mail and queuing meeting reminders."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime, timezone

from portal.booking import reminders
from portal.links import Links
from portal.mail import outbox
from portal.settings import Settings

log = logging.getLogger("portal.worker")
REMINDER_INTERVAL_S = 60


async def run(settings: Settings, stop: asyncio.Event) -> None:
    await asyncio.gather(outbox.run_worker(settings, stop), _queue_reminders(settings, stop))


async def _queue_reminders(settings: Settings, stop: asyncio.Event) -> None:
    links = Links(settings.base_url, settings.secret_key)
    while not stop.is_set():
        try:
            await reminders.queue_due(datetime.now(timezone.utc), links)
        except Exception:
            log.exception("queuing reminders failed; retrying in %s s", REMINDER_INTERVAL_S)
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REMINDER_INTERVAL_S)
