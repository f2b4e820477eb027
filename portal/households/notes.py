"""The hub's diary of its contacts with a household. A note belongs to one hub and is read only by that
hub's staff (administrators: all); every read is audit-logged. Its author may correct it for 24 hours,
and each earlier version is kept; notes are never deleted (retention aside). A note marked as protecting
a third party stays out of the family's data download, with the reason recorded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from portal import audit, db
from portal.db import NotFound
from portal.form_fields import Form
from portal.households import scope
from portal.households.vocabulary import NOTE_CATEGORIES, label
from portal.i18n import N_, ROME
from portal.identity.staff_access import Forbidden, Staff, authorize
from portal.tables import HouseholdNote, HouseholdNoteEdit, Hub

BODY_LENGTH = 4000
REASON_LENGTH = 300
EDIT_WINDOW = timedelta(hours=24)
WRITE_ACTION = "household_file"  # coordinators and administrators; operators read only


@dataclass(frozen=True)
class Note:
    id: int
    hub_id: int
    hub: str
    author_id: int | None
    author: str
    category: str
    contact_on: date
    body: str
    protects_third_party: bool
    protection_reason: str
    created_at: datetime
    updated_at: datetime
    edits: int  # earlier versions kept
    editable: bool  # by this viewer, now

    @property
    def category_label(self) -> str:
        return label(NOTE_CATEGORIES, self.category)


def editable(note: dict, staff: Staff, now: datetime) -> bool:
    return note["author"] == staff.id and now - note["created_at"] < EDIT_WINDOW


async def writable_hubs(staff: Staff) -> list[dict]:
    """The hubs this staff member writes notes and referrals for: their own (administrators: any)."""
    query = Hub.select(Hub.id, Hub.name).order_by(Hub.name)
    if not staff.is_admin:
        query = query.where(Hub.id.is_in(list(staff.hub_ids) or [0]))
    return await query


async def note_choices(staff: Staff) -> dict:
    """The hubs to write for, and the (value, label) options of the form's hub field."""
    hubs = await writable_hubs(staff)
    return {"hubs": hubs, "hub_options": [("", "–")] + [(hub["id"], hub["name"]) for hub in hubs]}


def parse(values: Mapping[str, Any], hub_ids: list[int], now: datetime) -> dict:
    form = Form(values)
    hub = form.choice("hub", [str(hub_id) for hub_id in hub_ids], N_("Choose the hub the note belongs to."))
    category = form.choice("category", NOTE_CATEGORIES, N_("Choose the kind of contact."))
    contact_on = form.day("contact_on", N_("Enter the day of the contact."))
    if contact_on and contact_on > now.astimezone(ROME).date():
        form.error("contact_on", N_("The day of the contact cannot be in the future."))
    body = form.text("body", BODY_LENGTH, N_("Write the note."), multiline=True)
    protects = form.flag("protects_third_party")
    reason = form.text("protection_reason", REASON_LENGTH)
    if protects and not reason:
        form.error("protection_reason", N_("Say whom the note protects and why, without names."))
    form.raise_if_any()
    return {"hub": int(hub), "category": category, "contact_on": contact_on, "body": body,
            "protects_third_party": protects, "protection_reason": reason if protects else ""}


async def add(staff: Staff, family_id: int, values: Mapping[str, Any], now: datetime) -> int:
    await scope.household(staff, family_id)
    authorize(staff, WRITE_ACTION)
    hubs = [hub["id"] for hub in await writable_hubs(staff)]
    columns = parse(values, hubs, now)
    async with db.write_transaction():
        rows = await HouseholdNote.insert(HouseholdNote(
            family=family_id, author=staff.id, created_at=now, updated_at=now, **columns,
        )).returning(HouseholdNote.id)
        note_id = rows[0]["id"]
        await audit.record(staff, "household_note.write", "household_note", note_id, "",
                           {"family": family_id, "hub": columns["hub"], "category": columns["category"]}, now)
    return note_id


async def _note_in_scope(staff: Staff, family_id: int, note_id: int) -> dict:
    await scope.household(staff, family_id)
    note = await HouseholdNote.select().where(
        (HouseholdNote.id == note_id) & (HouseholdNote.family == family_id)).first()
    own = await scope.own_hubs(staff)
    if note is None or (own is not None and note["hub"] not in own):
        raise NotFound(note_id)
    return note


async def _own_note(staff: Staff, family_id: int, note_id: int, now: datetime) -> dict:
    """A note its author may still correct. Anyone else: 403; after 24 hours: 403."""
    note = await _note_in_scope(staff, family_id, note_id)
    authorize(staff, WRITE_ACTION)
    if not editable(note, staff, now):
        raise Forbidden("edit note")
    return note


async def edit(staff: Staff, family_id: int, note_id: int, values: Mapping[str, Any], now: datetime) -> None:
    """Correct a note within its window; the version before is kept."""
    note = await _own_note(staff, family_id, note_id, now)
    columns = parse({**values, "hub": str(note["hub"])}, [note["hub"]], now)
    async with db.write_transaction():
        await HouseholdNoteEdit.insert(HouseholdNoteEdit(
            note=note_id, editor=staff.id, category=note["category"], contact_on=note["contact_on"],
            body=note["body"], protects_third_party=note["protects_third_party"],
            protection_reason=note["protection_reason"], edited_at=now,
        ))
        await HouseholdNote.update({
            HouseholdNote.category: columns["category"], HouseholdNote.contact_on: columns["contact_on"],
            HouseholdNote.body: columns["body"], HouseholdNote.protects_third_party: columns["protects_third_party"],
            HouseholdNote.protection_reason: columns["protection_reason"], HouseholdNote.updated_at: now,
        }).where(HouseholdNote.id == note_id)
        await audit.record(staff, "household_note.edit", "household_note", note_id, "", {"family": family_id}, now)


async def visible(staff: Staff, family_id: int, own: set[int] | None, now: datetime) -> list[Note]:
    """The notes of the viewer's hubs, newest contact first: two queries, whatever their number.
    The caller logs the reading (file.open_file)."""
    query = HouseholdNote.select(
        *HouseholdNote.all_columns(), HouseholdNote.hub.name.as_alias("hub_name"),
        HouseholdNote.author.name.as_alias("author_name"),
    ).where(HouseholdNote.family == family_id)
    if own is not None:
        query = query.where(HouseholdNote.hub.is_in(list(own) or [0]))
    rows = await query.order_by(HouseholdNote.contact_on, ascending=False).order_by(HouseholdNote.id, ascending=False)
    edits = await HouseholdNoteEdit.select(HouseholdNoteEdit.note).where(
        HouseholdNoteEdit.note.is_in([row["id"] for row in rows] or [0]))
    return [Note(
        id=row["id"], hub_id=row["hub"], hub=row["hub_name"], author_id=row["author"], author=row["author_name"] or "",
        category=row["category"], contact_on=row["contact_on"], body=row["body"],
        protects_third_party=bool(row["protects_third_party"]), protection_reason=row["protection_reason"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        edits=sum(1 for e in edits if e["note"] == row["id"]), editable=editable(row, staff, now),
    ) for row in rows]


@dataclass(frozen=True)
class NotePage:
    note: dict
    versions: list[dict]  # earlier versions, oldest first
    editable: bool  # by this viewer, now


async def note_page(staff: Staff, family_id: int, note_id: int, now: datetime) -> NotePage:
    """A note, its earlier versions and whether this viewer may still correct it; the reading is logged."""
    note = await _note_in_scope(staff, family_id, note_id)
    versions = await HouseholdNoteEdit.select(
        *HouseholdNoteEdit.all_columns(), HouseholdNoteEdit.editor.name.as_alias("editor_name"),
    ).where(HouseholdNoteEdit.note == note_id).order_by(HouseholdNoteEdit.edited_at).order_by(HouseholdNoteEdit.id)
    async with db.write_transaction():
        await audit.record(staff, "household_note.read", "household_note", note_id, "",
                           {"family": family_id, "versions": len(versions)}, now)
    return NotePage(note, versions, staff.role != "operator" and editable(note, staff, now))
