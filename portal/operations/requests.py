"""Access requests as the hubs handle them: a queue per hub, a staff member assigned, a status (new,
contacted, accepted, closed), confidential notes that only the staff of that hub read, and the
family's enrolment into the activity from the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal import audit, db
from portal.booking.service import BookingResult
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.i18n import N_, gettext
from portal.identity.staff_access import (
    Forbidden,
    Staff,
    activity_in_scope,
    authorize,
    listed_hub_ids,
    visible_hubs,
)
from portal.links import Links
from portal.operations import enrolment, scope
from portal.tables import AccessRequest, StaffHub, StaffUser

STATUSES = ("new", "contacted", "accepted", "closed")
STATUS_LABELS = {"new": N_("New"), "contacted": N_("Contacted"), "accepted": N_("Accepted"), "closed": N_("Closed")}
NOTES_LENGTH = 4000


@dataclass(frozen=True)
class RequestView:
    id: int
    code: str
    status: str
    created_at: datetime
    updated_at: datetime
    contact_by: str
    preferred_times: str
    note: str
    activity_id: int
    activity_title: str
    activity_access: str
    hub_id: int
    hub_name: str
    family_id: int
    name: str
    surname: str
    email: str
    phone: str
    assigned_staff: int | None
    assigned_name: str
    notes_visible: bool  # confidential notes: only the staff of this hub
    confidential_notes: str  # "" when not visible

    @property
    def status_label(self) -> str:
        return gettext(STATUS_LABELS[self.status])


def may_read_notes(staff: Staff, hub_id: int) -> bool:
    """Confidential notes are for the staff who belong to the request's hub, whatever their role."""
    return hub_id in staff.hub_ids


async def hubs(staff: Staff) -> list[dict]:
    authorize(staff, "requests")
    return await visible_hubs(staff)


async def queue(staff: Staff, hub_id: int | None, status: str | None) -> list[RequestView]:
    """A hub's requests (or those of every hub one may see), open ones first, oldest first."""
    authorize(staff, "requests")
    hub_ids = await listed_hub_ids(staff, hub_id)
    query = _select()
    if hub_ids is not None:
        query = query.where(AccessRequest.activity.hub.is_in(hub_ids))
    if status in STATUSES:
        query = query.where(AccessRequest.status == status)
    views = await _views(staff, query.order_by(AccessRequest.created_at).order_by(AccessRequest.id))
    order = {"new": 0, "contacted": 1, "accepted": 2, "closed": 3}
    return sorted(views, key=lambda v: order[v.status])


async def request(staff: Staff, request_id: int) -> RequestView:
    row = await AccessRequest.select(AccessRequest.activity).where(AccessRequest.id == request_id).first()
    if row is None:
        raise NotFound(request_id)
    await activity_in_scope(staff, row["activity"])
    authorize(staff, "requests")
    return await _view(staff, request_id)


async def assignable(hub_id: int) -> list[dict]:
    """Who can take a request of this hub: its active coordinators (and administrators who belong to it)."""
    return await StaffHub.select(StaffHub.staff.id.as_alias("id"), StaffHub.staff.name.as_alias("name")).where(
        (StaffHub.hub == hub_id) & (StaffHub.staff.active == True)
        & StaffHub.staff.role.is_in(["coordinator", "admin"])).order_by(StaffHub.staff.name)


async def update(staff: Staff, request_id: int, values: Mapping[str, Any], now: datetime) -> RequestView:
    """Status and assignment; the confidential notes only from staff of the hub (others never see them)."""
    current = await request(staff, request_id)
    errors: dict[str, str] = {}
    status = (values.get("status") or current.status).strip()
    if status not in STATUSES:
        errors["status"] = gettext("Choose a status from the list.")
    assigned_raw = (values.get("assigned_staff") or "").strip()
    assigned = int(assigned_raw) if assigned_raw.isascii() and assigned_raw.isdigit() else None
    if assigned_raw and (assigned is None or assigned not in {s["id"] for s in await assignable(current.hub_id)}):
        errors["assigned_staff"] = gettext("Choose a member of this hub's staff.")
    columns: dict = {AccessRequest.status: status, AccessRequest.assigned_staff: assigned,
                     AccessRequest.updated_at: now}
    if "confidential_notes" in values:
        if not current.notes_visible:
            raise Forbidden("confidential_notes")
        notes = (values.get("confidential_notes") or "").replace("\r\n", "\n").strip()
        if len(notes) > NOTES_LENGTH:
            errors["confidential_notes"] = gettext("Write at most %(max)s characters.", max=NOTES_LENGTH)
        columns[AccessRequest.confidential_notes] = notes
    if errors:
        raise FormErrors(errors)
    async with db.write_transaction():
        await AccessRequest.update(columns).where(AccessRequest.id == request_id)
        changes = {"status": [current.status, status], "assigned_staff": [current.assigned_staff, assigned]}
        if AccessRequest.confidential_notes in columns:
            changes["notes_changed"] = columns[AccessRequest.confidential_notes] != current.confidential_notes
        await audit.record(staff, "access_request.update", "access_request", request_id, "", changes, now)
    return await _view(staff, request_id)


async def enrol(staff: Staff, request_id: int, member_ids: list[int], raise_capacity: bool, reason: str,
                now: datetime, links: Links) -> BookingResult:
    """Enrol the requesting family into the activity; the request is then accepted."""
    current = await request(staff, request_id)
    authorize(staff, "enrolment")
    if current.status == "closed":
        raise scope.Refused(N_("This request is closed: reopen it to enrol the family."))
    result = await enrolment.enrol(staff, current.activity_id, current.family_id, member_ids, raise_capacity,
                                   reason, now, links)
    async with db.write_transaction():
        await AccessRequest.update({AccessRequest.status: "accepted", AccessRequest.updated_at: now}).where(
            AccessRequest.id == request_id)
        await audit.record(staff, "access_request.enrol", "access_request", request_id, "",
                           {"booking": result.code, "status": result.status}, now)
    return result


def _select():
    """A request with its activity, hub and family, in one query."""
    return AccessRequest.select(
        AccessRequest.all_columns(), AccessRequest.activity.title, AccessRequest.activity.access,
        AccessRequest.activity.hub, AccessRequest.activity.hub.name, AccessRequest.family.name,
        AccessRequest.family.surname, AccessRequest.family.email, AccessRequest.family.phone)


async def _view(staff: Staff, request_id: int) -> RequestView:
    return (await _views(staff, _select().where(AccessRequest.id == request_id)))[0]


async def _views(staff: Staff, query) -> list[RequestView]:
    """The requests of one query, with the names of the staff assigned (one more query for them all)."""
    rows = await query
    assigned = {r["assigned_staff"] for r in rows if r["assigned_staff"]}
    names = {s["id"]: s["name"] for s in await StaffUser.select(StaffUser.id, StaffUser.name).where(
        StaffUser.id.is_in(list(assigned)))} if assigned else {}
    return [_request_view(staff, r, names.get(r["assigned_staff"], "")) for r in rows]


def _request_view(staff: Staff, r: dict, assigned_name: str) -> RequestView:
    hub_id = r["activity.hub"]
    visible = may_read_notes(staff, hub_id)
    return RequestView(
        id=r["id"], code=r["code"], status=r["status"], created_at=r["created_at"], updated_at=r["updated_at"],
        contact_by=r["contact_by"], preferred_times=r["preferred_times"], note=r["note"],
        activity_id=r["activity"], activity_title=r["activity.title"], activity_access=r["activity.access"],
        hub_id=hub_id, hub_name=r["activity.hub.name"], family_id=r["family"], name=r["family.name"] or "",
        surname=r["family.surname"] or "", email=r["family.email"] or "", phone=r["family.phone"] or "",
        assigned_staff=r["assigned_staff"], assigned_name=assigned_name, notes_visible=visible,
        confidential_notes=(r["confidential_notes"] or "") if visible else "",
    )
