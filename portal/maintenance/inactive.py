"""Families nobody has signed in for a long time: warned by mail, then erased as a deletion of the account
would (portal.families.erasure), unless someone signs in meanwhile.

A family counts as active at its last sign-in (or its creation) and when it last booked."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal import db
from portal.families.erasure import erase_family
from portal.i18n import LANGUAGES
from portal.links import Links
from portal.mail import messages, outbox
from portal.tables import Family

WARNING_DAYS = 30  # between the warning and the erasure

_INACTIVE = (
    "SELECT f.id, f.email, f.language, f.retention_warned_at, COALESCE(f.last_active_at, f.created_at) AS active"
    " FROM family f WHERE f.erased_at IS NULL AND COALESCE(f.last_active_at, f.created_at) < {}"
    " AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.family = f.id AND b.created_at >= {})"
)


async def families(inactive_months: int, now: datetime, links: Links, *, dry_run: bool = False) -> dict[str, int]:
    cutoff = now - timedelta(days=round(inactive_months * 365.25 / 12))
    rows = await Family.raw(_INACTIVE, cutoff, cutoff)
    warned = erased = 0
    for row in rows:
        warned_at = db.instant(row["retention_warned_at"]) if row["retention_warned_at"] else None
        if warned_at is None or warned_at < db.instant(row["active"]):
            warned += 1 if dry_run else await _warn(row, inactive_months, now, links)
        elif warned_at <= now - timedelta(days=WARNING_DAYS):
            if not dry_run:
                await erase_family(row["id"], now, links)
            erased += 1
    return {"inactive families warned": warned, "inactive families erased": erased}


async def _warn(family: dict, inactive_months: int, now: datetime, links: Links) -> int:
    """The warning mail, once: the mark and the mail commit together, whichever worker gets there first."""
    language = family["language"] if family["language"] in LANGUAGES else "it"
    message = messages.account_inactive(language, inactive_months, WARNING_DAYS, links.url("/accedi"))
    async with db.write_transaction():
        marked = await Family.raw(
            "UPDATE family SET retention_warned_at = {} WHERE id = {}"
            " AND (retention_warned_at IS NULL OR retention_warned_at < COALESCE(last_active_at, created_at))"
            " RETURNING id", now, family["id"])
        if marked:
            await outbox.enqueue(family["email"], message, now, outbox.mail_domain(links.base_url))
    return 1 if marked else 0
