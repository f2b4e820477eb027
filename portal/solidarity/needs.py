"""Needs of families the hub helps: recorded by staff from the family's access request, or by hand for
a family the hub knows (with its contact). Only the staff of the need's hub reach it (404 otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from portal import audit, db
from portal.db import NotFound
from portal.form_fields import Form
from portal.i18n import N_, gettext
from portal.identity.staff_access import Staff, authorize, hub_in_scope, listed_hub_ids
from portal.operations import requests as access_requests
from portal.solidarity.offers import ACTION, districts, help_kinds
from portal.solidarity.vocabulary import LANGUAGE_CODES, NEED_STATUSES, join, read_when, split, split_days
from portal.tables import Family, Need

NOTES_LENGTH = 4000


@dataclass(frozen=True)
class NeedView:
    id: int
    hub_id: int
    hub_name: str
    hub_phone: str
    kind_id: int
    kind_name: str
    weekdays: list[int]
    time_bands: list[str]
    district: str
    language: str
    family_id: int | None
    access_request_id: int | None
    contact_name: str  # the family's referent (from its account) or the contact given by hand
    contact_phone: str
    contact_email: str
    status: str
    staff_notes: str
    created_at: datetime

    @property
    def status_label(self) -> str:
        return gettext(NEED_STATUSES[self.status])

    @property
    def first_name(self) -> str:
        return (self.contact_name.split() or [""])[0]


async def parse_need(values: Mapping[str, Any], by_hand: bool) -> dict:
    form = Form(values)
    kind_ids = {kind["id"] for kind in await help_kinds()}
    kind = form.integer("kind", 1, 2**31 - 1, N_("Choose the kind of help."))
    if kind is not None and kind not in kind_ids:
        form.error("kind", N_("Choose the kind of help."))
    days, bands = read_when(form)
    district = form.choice("district", await districts(), N_("Choose a district from the list."))
    language = form.choice("language", LANGUAGE_CODES, N_("Choose a language from the list."))
    notes = form.text("staff_notes", NOTES_LENGTH, multiline=True)
    parsed = {"kind": kind, "weekdays": join(days), "time_bands": join(bands), "district": district,
              "language": language, "staff_notes": notes}
    if by_hand:
        parsed["contact_name"] = form.text("contact_name", 100, N_("Enter the name of the family's referent."))
        parsed["contact_phone"] = form.text("contact_phone", 30)
        parsed["contact_email"] = form.email("contact_email")
        if not parsed["contact_phone"] and not parsed["contact_email"] and "contact_email" not in form.errors:
            form.error("contact_phone", N_("Enter a phone number or an e-mail address."))
    form.raise_if_any()
    return parsed


async def request_defaults(staff: Staff, request_id: int) -> dict[str, Any]:
    """A new need's form from an access request: the family's district and language."""
    found = await access_requests.request(staff, request_id)
    authorize(staff, ACTION)
    family = await Family.select(Family.district, Family.language).where(Family.id == found.family_id).first()
    return {"district": family["district"] if family else "", "language": (family or {}).get("language") or "it",
            "weekdays": [], "time_bands": []}


async def create(staff: Staff, hub_id: int | None, request_id: int | None, values: Mapping[str, Any],
                 now: datetime) -> int:
    """From an access request (the family and hub come from it) or by hand for one of one's hubs."""
    family_id = None
    if request_id is not None:
        found = await access_requests.request(staff, request_id)  # 404 outside one's hubs
        hub_id, family_id = found.hub_id, found.family_id
    elif hub_id is None:
        raise NotFound("hub")
    await hub_in_scope(staff, hub_id)
    authorize(staff, ACTION)
    parsed = await parse_need(values, by_hand=request_id is None)
    async with db.write_transaction():
        rows = await Need.insert(Need(
            hub=hub_id, access_request=request_id, family=family_id, status="open", created_at=now, updated_at=now,
            contact_name=parsed.pop("contact_name", ""), contact_phone=parsed.pop("contact_phone", ""),
            contact_email=parsed.pop("contact_email", ""), **parsed,
        )).returning(Need.id)
        need_id = rows[0]["id"]
        await audit.record(staff, "need.create", "need", need_id, "", {"access_request": request_id}, now)
    return need_id


async def need_in_scope(staff: Staff, need_id: int) -> NeedView:
    row = await Need.select(Need.hub).where(Need.id == need_id).first()
    if row is None:
        raise NotFound(need_id)
    await hub_in_scope(staff, row["hub"])
    authorize(staff, ACTION)
    return await view(need_id)


async def update(staff: Staff, need_id: int, values: Mapping[str, Any], now: datetime) -> None:
    current = await need_in_scope(staff, need_id)
    form = Form(values)
    status = form.choice("status", NEED_STATUSES, N_("Choose a status from the list."))
    notes = form.text("staff_notes", NOTES_LENGTH, multiline=True)
    form.raise_if_any()
    async with db.write_transaction():
        await Need.update({Need.status: status, Need.staff_notes: notes, Need.updated_at: now}).where(
            Need.id == need_id)
        await audit.record(staff, "need.update", "need", need_id, "", {"status": [current.status, status]}, now)


async def listing(staff: Staff, hub_id: int | None) -> list[NeedView]:
    hubs = await listed_hub_ids(staff, hub_id)
    authorize(staff, ACTION)
    query = _select()
    if hubs is not None:
        query = query.where(Need.hub.is_in(hubs))
    return [_view(row) for row in await query.order_by(Need.created_at, ascending=False)]


async def view(need_id: int) -> NeedView:
    return _view(await _select().where(Need.id == need_id).first())


def _select():
    """A need with its hub, kind of help and family (when it has one), in one query."""
    return Need.select(Need.all_columns(), Need.hub.name, Need.hub.phone, Need.kind.name, Need.family.id,
                       Need.family.name, Need.family.surname, Need.family.phone, Need.family.email)


def _view(row: dict) -> NeedView:
    name, phone, email = row["contact_name"], row["contact_phone"], row["contact_email"]
    if row["family.id"] is not None:  # the family's account, not what was typed by hand
        name = f"{row['family.name'] or ''} {row['family.surname'] or ''}".strip()
        phone, email = row["family.phone"] or "", row["family.email"] or ""
    return NeedView(
        id=row["id"], hub_id=row["hub"], hub_name=row["hub.name"], hub_phone=row["hub.phone"], kind_id=row["kind"],
        kind_name=row["kind.name"], weekdays=split_days(row["weekdays"]), time_bands=split(row["time_bands"]),
        district=row["district"], language=row["language"], family_id=row["family"],
        access_request_id=row["access_request"], contact_name=name, contact_phone=phone, contact_email=email,
        status=row["status"], staff_notes=row["staff_notes"] or "", created_at=row["created_at"],
    )
