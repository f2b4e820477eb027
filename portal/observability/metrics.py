"""Prometheus metrics: what the portal counts, and the `/metrics` page.

Counters and histograms are kept per process by prometheus_client. With several uvicorn workers a
scrape reaches one of them, so `portal serve` runs prometheus_client's multiprocess mode: it points
PROMETHEUS_MULTIPROC_DIR at an empty directory before the workers start, each worker writes its
figures to files there, and a scrape adds up every worker's files. Figures that describe the shared
database rather than a process (the mail outbox) are read from the database at scrape time, so every
node reports the same value.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from datetime import datetime, timezone

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from portal import db
from portal.observability import MULTIPROCESS_ENV
from portal.tables import Outbox

REQUESTS = Counter("portal_http_requests", "HTTP requests answered, per route template and status",
                   ["method", "route", "status"])
LATENCY = Histogram("portal_http_request_duration_seconds", "Time to answer, per route template",
                    ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
BOOKINGS = Counter("portal_bookings", "Bookings made, by outcome (confirmed, pending, waitlisted)", ["outcome"])
SIGN_IN_CODES = Counter("portal_sign_in_codes", "Sign-in codes mailed, by purpose", ["purpose"])
DRAWS = Counter("portal_draws", "Lottery draws run")

__all__ = ["BOOKINGS", "CONTENT_TYPE_LATEST", "DRAWS", "LATENCY", "REQUESTS", "SIGN_IN_CODES", "count_booking",
           "count_draw", "count_sign_in_code", "exposition", "may_read"]


def count_booking(outcome: str) -> None:
    BOOKINGS.labels(outcome).inc()


def count_draw() -> None:
    DRAWS.inc()


def count_sign_in_code(purpose: str) -> None:
    SIGN_IN_CODES.labels(purpose).inc()


def may_read(client_host: str | None, authorization: str | None, allowed: tuple[str, ...],
             token: str | None) -> bool:
    """From an allowed address (METRICS_ALLOW), or with `Authorization: Bearer METRICS_TOKEN`."""
    if token and authorization and authorization.startswith("Bearer "):
        if hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(client_host or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in allowed)


async def exposition() -> bytes:
    """Every process's counters and the outbox as the database holds it, in the text format."""
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(await _database_figures())


class _Figures:
    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self):
        return self.families


async def _database_figures() -> CollectorRegistry:
    rows = await Outbox.raw(
        "SELECT status, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox"
        " WHERE status IN ('pending', 'failed') GROUP BY status")
    by_status = {row["status"]: row for row in rows}
    pending = by_status.get("pending")
    age = 0.0
    if pending and pending["oldest"] is not None:
        age = max(0.0, (datetime.now(timezone.utc) - db.instant(pending["oldest"])).total_seconds())
    queued = GaugeMetricFamily("portal_outbox_messages", "Mail in the outbox not sent yet, by status",
                               labels=["status"])
    for status in ("pending", "failed"):
        queued.add_metric([status], by_status[status]["n"] if status in by_status else 0)
    oldest = GaugeMetricFamily("portal_outbox_oldest_pending_age_seconds",
                               "Age of the oldest mail waiting to be sent (0 when none waits)", value=age)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Figures([queued, oldest]))
    return registry
