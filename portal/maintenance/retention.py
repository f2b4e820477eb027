"""The retention policy (GDPR art. 5(1)(e)): how long each kind of personal data is kept, applied daily
by the worker and previewed by `portal retention --dry-run`.

| data | kept |
|---|---|
| sign-in codes and throttle counters | a day after they expire |
| web sessions | until they end (30 days at most: a session signed out everywhere lapses then) |
| mail sent (or given up on) | 30 days |
| bookings and attendance | RETENTION_BOOKINGS_MONTHS (24) after the last meeting; then anonymous counts |
| access requests (with the staff's confidential notes) | RETENTION_REQUESTS_MONTHS (24) after they closed |
| solidarity offers, needs and matches (with the staff's notes) | the same, after they closed or ended |
| families nobody signed in for | RETENTION_INACTIVE_MONTHS (24): warned by mail, erased 30 days later |
| audit log | RETENTION_AUDIT_YEARS (5) |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from portal import audit, db
from portal.links import Links
from portal.maintenance import archive, inactive
from portal.settings import Settings
from portal.tables import (
    AccessRequest,
    AuditEntry,
    Match,
    Need,
    Outbox,
    SignInCode,
    SolidarityOffer,
    Throttle,
    WebSession,
)

AFTER_EXPIRY = timedelta(days=1)
SENT_MAIL = timedelta(days=30)


def months(n: int) -> timedelta:
    return timedelta(days=round(n * 365.25 / 12))


@dataclass(frozen=True)
class Policy:
    bookings_months: int = 24
    requests_months: int = 24
    inactive_months: int = 24
    audit_years: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(settings.retention_bookings_months, settings.retention_requests_months,
                   settings.retention_inactive_months, settings.retention_audit_years)


async def apply(policy: Policy, now: datetime, links: Links, *, dry_run: bool = False) -> dict[str, int]:
    """Remove what the policy says has been kept long enough; what went (or would go), per kind of data."""
    outcome: dict[str, int] = {}
    simple = [
        ("sign-in codes", SignInCode, SignInCode.expires_at < now - AFTER_EXPIRY),
        ("throttle counters", Throttle, Throttle.window_start < now - AFTER_EXPIRY),
        ("ended web sessions", WebSession, WebSession.expires_at < now),
        ("mail sent or given up", Outbox,
         Outbox.status.is_in(["sent", "failed"]) & (Outbox.created_at < now - SENT_MAIL)),
        ("audit entries", AuditEntry, AuditEntry.at < now - timedelta(days=round(policy.audit_years * 365.25))),
    ]
    for name, table, condition in simple:
        outcome[name] = await _delete(table, condition, dry_run)
    outcome.update(await archive.past_bookings(now - months(policy.bookings_months), now, dry_run=dry_run))
    outcome["access requests"] = await _closed_requests(now - months(policy.requests_months), dry_run)
    outcome.update(await _closed_solidarity(now - months(policy.requests_months), dry_run))
    outcome.update(await inactive.families(policy.inactive_months, now, links, dry_run=dry_run))
    if not dry_run and any(outcome.values()):
        async with db.write_transaction():
            await audit.record("system", "retention.applied", "retention", None, "", outcome, now)
    return outcome


async def _delete(table, condition, dry_run: bool) -> int:
    count = await table.count().where(condition)
    if count and not dry_run:
        async with db.write_transaction():
            await table.delete().where(condition)
    return count


async def _closed_requests(cutoff: datetime, dry_run: bool) -> int:
    """Closed or accepted requests (an accepted one became a booking, kept on its own terms)."""
    done = AccessRequest.status.is_in(["closed", "accepted"]) & (AccessRequest.updated_at < cutoff)
    rows = await AccessRequest.select(AccessRequest.id).where(done)
    if rows and not dry_run:
        ids = [row["id"] for row in rows]
        async with db.write_transaction():
            await Need.update({Need.access_request: None}).where(Need.access_request.is_in(ids))
            await AccessRequest.delete().where(AccessRequest.id.is_in(ids))
    return len(rows)


# A match that ended before the cutoff ("match" quoted: a keyword in SQLite).
OLD_MATCH = "m.status = 'ended' AND COALESCE(m.ended_at, m.updated_at) < {}"


async def _closed_solidarity(cutoff: datetime, dry_run: bool) -> dict[str, int]:
    """Ended matches, and closed needs and offers whose every match goes with them."""
    found = {
        "solidarity matches": (Match, await Match.raw('SELECT m.id FROM "match" m WHERE ' + OLD_MATCH, cutoff)),
        "solidarity needs": (Need, await Need.raw(
            "SELECT n.id FROM need n WHERE n.status = 'closed' AND n.updated_at < {} AND NOT EXISTS"
            ' (SELECT 1 FROM "match" m WHERE m.need = n.id AND NOT (' + OLD_MATCH + "))", cutoff, cutoff)),
        "solidarity offers": (SolidarityOffer, await SolidarityOffer.raw(
            "SELECT o.id FROM solidarity_offer o WHERE o.status = 'closed' AND o.updated_at < {} AND NOT EXISTS"
            ' (SELECT 1 FROM "match" m WHERE m.offer = o.id AND NOT (' + OLD_MATCH + "))", cutoff, cutoff)),
    }
    if not dry_run:
        for table, rows in found.values():  # matches first: they refer to the needs and offers
            if rows:
                async with db.write_transaction():
                    await table.delete().where(table.id.is_in([row["id"] for row in rows]))
    return {name: len(rows) for name, (_, rows) in found.items()}
