"""The audit log as administrators read it: every entry, newest first, a page at a time, filtered by
who (a staff member), what (the action, the kind of record), when (Europe/Rome dates) and why (words of
the reason). Only administrators read it (403 for everyone else). Filters come from the query string:
a value that cannot be read is refused by its field (400), never guessed at and never a 500."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from piccolo.columns.combination import WhereRaw

from portal import db
from portal.form_fields import Form, FormErrors
from portal.i18n import N_, ROME, gettext
from portal.identity.staff_access import Staff, authorize
from portal.tables import AuditEntry, StaffUser

PAGE_SIZE = 50
TEXT_LENGTH = 200
MAX_PAGE = 100_000
FIELDS = ("operatore", "azione", "tipo", "dal", "al", "testo")  # the query string's names, as the form's
RECORD_PAGES = {  # the staff page of each kind of record that has one
    "hub": "/staff/poli/{id}",
    "activity": "/staff/attivita/{id}",
    "meeting": "/staff/registri/incontri/{id}",
    "access_request": "/staff/richieste/{id}",
    "staff_user": "/staff/operatori/{id}",
    "family": "/staff/famiglie/{id}",
}
RECORD_LABELS = {
    "hub": N_("Hub"), "activity": N_("Activity"), "meeting": N_("Meeting"), "booking": N_("Booking"),
    "access_request": N_("Access request"), "staff_user": N_("Staff account"), "family": N_("Family"),
    "household_note": N_("Household note"), "referral": N_("Referral"), "partner_service": N_("Partner service"),
}


@dataclass(frozen=True)
class Filters:
    actor: int | None = None  # a staff member's id
    action: str = ""
    record_type: str = ""
    date_from: date | None = None  # Europe/Rome dates, both included
    date_to: date | None = None
    text: str = ""  # words of the reason

    def query(self, page: int | None = None) -> str:
        """The query string that shows these filters (and this page)."""
        pairs = [("operatore", "" if self.actor is None else str(self.actor)), ("azione", self.action),
                 ("tipo", self.record_type), ("dal", self.date_from.isoformat() if self.date_from else ""),
                 ("al", self.date_to.isoformat() if self.date_to else ""), ("testo", self.text)]
        pairs = [(name, value) for name, value in pairs if value]
        if page is not None and page > 1:
            pairs.append(("pagina", str(page)))
        return urlencode(pairs)


@dataclass(frozen=True)
class Choices:
    staff: list[tuple[int, str]]  # (id, name) of every staff account, by name
    actions: list[tuple[str, str]]  # (code, label) of those in the log
    record_types: list[tuple[str, str]]


@dataclass(frozen=True)
class LogEntry:
    id: int
    at: datetime
    actor: str  # as stored: staff:ID | family:ID | system
    actor_name: str  # the staff member's name, or a label
    action: str
    record_type: str
    record_id: int | None
    reason: str
    details: str  # compact JSON

    @property
    def record_label(self) -> str:
        return record_label(self.record_type)

    @property
    def record_path(self) -> str | None:
        pattern = RECORD_PAGES.get(self.record_type)
        return pattern.format(id=self.record_id) if pattern and self.record_id is not None else None


@dataclass(frozen=True)
class Results:
    entries: list[LogEntry]
    total: int
    page: int
    pages: int

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.entries else 0

    @property
    def last_shown(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.entries)


@dataclass(frozen=True)
class LogPage:
    """What the log page shows: the filters as entered, their errors, and (when they could be read) the entries."""

    choices: Choices
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    filters: Filters | None = None
    results: Results | None = None


async def log_page(staff: Staff, values: Mapping[str, Any]) -> LogPage:
    """The log page for these query values: the entries, or the errors by field (status 400)."""
    shown = {name: str(values.get(name) or "") for name in (*FIELDS, "pagina")}
    available = await choices(staff)
    try:
        filters, page = parse_filters(values, available)
    except FormErrors as invalid:
        return LogPage(available, shown, invalid.by_field)
    return LogPage(available, shown, filters=filters, results=await search(staff, filters, page))


async def choices(staff: Staff) -> Choices:
    """What the filters offer: staff by name, and the actions and kinds of record found in the log."""
    authorize(staff, "audit")
    people = await StaffUser.select(StaffUser.id, StaffUser.name).order_by(StaffUser.name).order_by(StaffUser.id)
    actions = await AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
    types = await AuditEntry.select(AuditEntry.record_type).distinct().order_by(AuditEntry.record_type)
    return Choices([(row["id"], row["name"]) for row in people], [(row["action"],) * 2 for row in actions],
                   [(row["record_type"], record_label(row["record_type"])) for row in types])


def parse_filters(values: Mapping[str, Any], available: Choices) -> tuple[Filters, int]:
    """The filters and the page number from the query string, or FormErrors (400) by field."""
    form = Form(values)
    actor_raw = form.raw("operatore").strip()
    actor = None
    if actor_raw:
        if actor_raw.isascii() and actor_raw.isdigit() and int(actor_raw) in {i for i, _ in available.staff}:
            actor = int(actor_raw)
        else:
            form.error("operatore", N_("Choose a staff member from the list."))
    action = form.raw("azione").strip()
    if action and action not in {code for code, _ in available.actions}:
        form.error("azione", N_("Choose an action from the list."))
    record_type = form.raw("tipo").strip()
    if record_type and record_type not in {code for code, _ in available.record_types}:
        form.error("tipo", N_("Choose a kind of record from the list."))
    date_from, date_to = form.day("dal"), form.day("al")
    if date_from and date_to and date_to < date_from:
        form.error("al", N_("The end date cannot be before the start date."))
    text = form.text("testo", TEXT_LENGTH)
    page_raw = form.raw("pagina").strip() or "1"
    if not (page_raw.isascii() and page_raw.isdigit() and 1 <= int(page_raw) <= MAX_PAGE):
        form.error("pagina", N_("Choose a page number from the list of pages."))
    if form.errors:
        raise FormErrors(form.errors, 400)
    return Filters(actor, action, record_type, date_from, date_to, text), int(page_raw)


async def search(staff: Staff, filters: Filters, page: int = 1) -> Results:
    """One page of the entries matching the filters, newest first; a page past the last shows the last."""
    authorize(staff, "audit")
    conditions = _conditions(filters)
    count_query = AuditEntry.count()
    for condition in conditions:
        count_query = count_query.where(condition)
    total = await count_query
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    query = AuditEntry.select()
    for condition in conditions:
        query = query.where(condition)
    rows = await query.order_by(AuditEntry.at, ascending=False).order_by(AuditEntry.id, ascending=False).limit(
        PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    names = await _staff_names(rows)
    return Results([_entry(row, names) for row in rows], total, page, pages)


def actor_label(actor: str, names: Mapping[int, str]) -> str:
    """Who an actor is, for people: the staff member's name, a family's number, or the system."""
    kind, _, number = actor.partition(":")
    if kind == "staff" and number.isdigit():
        return names.get(int(number)) or gettext("Staff member %(id)s (removed)", id=number)
    if kind == "family" and number.isdigit():
        return gettext("Family %(id)s", id=number)
    if actor == "system":
        return gettext("The portal (automatic)")
    return actor


def record_label(record_type: str) -> str:
    """A kind of record in the user's language (its code where it has no label)."""
    return gettext(RECORD_LABELS[record_type]) if record_type in RECORD_LABELS else record_type


def compact_details(stored: str) -> str:
    """The details as short JSON, as stored but without spaces."""
    try:
        decoded = json.loads(stored or "{}")
    except ValueError:
        return stored or ""
    if not decoded:
        return ""
    return json.dumps(decoded, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# -- the parts ----------------------------------------------------------------------------------


def _conditions(filters: Filters) -> list:
    conditions: list = []
    if filters.actor is not None:
        conditions.append(AuditEntry.actor == f"staff:{filters.actor}")
    if filters.action:
        conditions.append(AuditEntry.action == filters.action)
    if filters.record_type:
        conditions.append(AuditEntry.record_type == filters.record_type)
    if filters.date_from:
        conditions.append(AuditEntry.at >= _start_of(filters.date_from))
    if filters.date_to:
        conditions.append(AuditEntry.at < _start_of(filters.date_to + timedelta(days=1)))
    if filters.text:
        # LIKE with the user's % and _ taken literally; lower() on both sides, on either engine
        pattern = "%" + filters.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(WhereRaw("LOWER(reason) LIKE {} ESCAPE '\\'", pattern))
    return conditions


def _start_of(day: date) -> datetime:
    """The instant a Europe/Rome day begins (DST included)."""
    return datetime.combine(day, time(0, 0), tzinfo=ROME)


async def _staff_names(rows: list[dict]) -> dict[int, str]:
    ids = {int(number) for row in rows for kind, _, number in [row["actor"].partition(":")]
           if kind == "staff" and number.isdigit() and len(number) < 10}
    if not ids:
        return {}
    found = await StaffUser.select(StaffUser.id, StaffUser.name).where(StaffUser.id.is_in(sorted(ids)))
    return {row["id"]: row["name"] for row in found}


def _entry(row: dict, names: Mapping[int, str]) -> LogEntry:
    return LogEntry(
        id=row["id"], at=db.instant(row["at"]), actor=row["actor"], actor_name=actor_label(row["actor"], names),
        action=row["action"], record_type=row["record_type"], record_id=row["record_id"], reason=row["reason"] or "",
        details=compact_details(row["details"]),
    )
