"""The audit trail: who did what to which record, when and why. Call record() inside the write
transaction that makes the change, so the entry and the change commit (or roll back) together.
Administrators read the log through portal.admin.audit_log (filters, pages)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from portal.tables import AuditEntry

REASON_MAX = 500


def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if all(isinstance(v, (int, str)) for v in value) else list(value)
    return str(value)


async def record(actor: Any, action: str, record_type: str, record_id: int | None, reason: str,
                 details: dict | None, now: datetime) -> None:
    """Write one audit entry. actor is "staff:ID" | "family:ID" | "system", or anything with an
    .actor attribute (a portal.identity.staff_access.Staff); details is JSON-serialised (dates as ISO)."""
    actor_text = getattr(actor, "actor", actor)
    await AuditEntry.insert(AuditEntry(
        actor=str(actor_text)[:60], action=action[:60], record_type=record_type[:40], record_id=record_id,
        reason=(reason or "")[:REASON_MAX],
        details=json.dumps(details or {}, default=_default, ensure_ascii=False, sort_keys=True), at=now,
    ))


async def record_many(actor: Any, action: str, record_type: str, record_ids: list[int], details: dict | None,
                      now: datetime) -> None:
    """One entry per record (the same action on each), written in a single statement."""
    if not record_ids:
        return
    actor_text = str(getattr(actor, "actor", actor))[:60]
    text = json.dumps(details or {}, default=_default, ensure_ascii=False, sort_keys=True)
    await AuditEntry.insert(*(AuditEntry(
        actor=actor_text, action=action[:60], record_type=record_type[:40], record_id=record_id, reason="",
        details=text, at=now) for record_id in record_ids))


async def entries(record_type: str | None = None, record_id: int | None = None, limit: int = 100) -> list[dict]:
    """The latest entries, newest first, optionally for one record (details decoded)."""
    query = AuditEntry.select()
    if record_type is not None:
        query = query.where(AuditEntry.record_type == record_type)
    if record_id is not None:
        query = query.where(AuditEntry.record_id == record_id)
    rows = await query.order_by(AuditEntry.at, ascending=False).order_by(AuditEntry.id, ascending=False).limit(limit)
    for row in rows:
        try:
            row["details"] = json.loads(row["details"] or "{}")
        except ValueError:
            row["details"] = {}
    return rows
