"""Hubs in the staff area: administrators create them, coordinators edit their own, everyone sees
the hubs and activities of their scope (the staff home)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from piccolo.query.functions.aggregate import Count

from portal import audit, db
from portal.form_fields import Form, refuse
from portal.i18n import N_
from portal.identity import staff_access
from portal.identity.staff_access import Staff
from portal.tables import Activity, Hub, Meeting

TEXT_FIELDS = {  # name: (max length, message when missing or None, several lines)
    "name": (200, N_("Enter the hub's name."), False),
    "district": (120, N_("Enter the district."), False),
    "neighbourhoods": (300, None, False),
    "address": (200, N_("Enter the address."), False),
    "postcode": (10, None, False),
    "city": (80, N_("Enter the city."), False),
    "phone": (40, None, False),
    "email": (120, None, False),
    "opening_hours": (2000, None, True),
    "description": (5000, None, True),
}
SLUG_LENGTH = 80


@dataclass(frozen=True)
class ScopeActivity:
    id: int
    title: str
    slug: str
    access: str
    format: str
    published: bool
    upcoming_meetings: int


@dataclass(frozen=True)
class ScopeHub:
    id: int
    name: str
    district: str
    activities: list[ScopeActivity]


async def overview(staff: Staff, now: datetime) -> list[ScopeHub]:
    """The hubs and activities this staff member works on, for the home page."""
    hub_ids, activity_ids = await staff_access.visible_hub_ids(staff), await staff_access.visible_activity_ids(staff)
    hub_query = Hub.select(Hub.id, Hub.name, Hub.district).order_by(Hub.name)
    if hub_ids is not None:
        hub_query = hub_query.where(Hub.id.is_in(list(hub_ids) or [0]))
    activity_query = Activity.select(Activity.id, Activity.title, Activity.slug, Activity.access, Activity.format,
                                     Activity.published, Activity.hub).order_by(Activity.title)
    if activity_ids is not None:
        activity_query = activity_query.where(Activity.id.is_in(list(activity_ids) or [0]))
    activities = await activity_query
    counts = await _upcoming_counts([row["id"] for row in activities], now)
    by_hub: dict[int, list[ScopeActivity]] = {}
    for row in activities:
        by_hub.setdefault(row["hub"], []).append(ScopeActivity(
            row["id"], row["title"], row["slug"], row["access"], row["format"], row["published"],
            counts.get(row["id"], 0)))
    return [ScopeHub(row["id"], row["name"], row["district"], by_hub.get(row["id"], [])) for row in await hub_query]


async def hub(staff: Staff, hub_id: int) -> dict:
    """A hub in scope (404 otherwise)."""
    return await staff_access.hub_in_scope(staff, hub_id)


async def editable_hub(staff: Staff, hub_id: int) -> dict:
    """A hub this staff member may edit: in scope (else 404) and not an operator (403)."""
    found = await staff_access.hub_in_scope(staff, hub_id)
    staff_access.authorize(staff, "edit_hub")
    return found


def require_create(staff: Staff) -> None:
    """Only administrators create hubs (403 otherwise)."""
    staff_access.authorize(staff, "create_hub")


def may_create_hub(staff: Staff) -> bool:
    return staff.is_admin


def may_edit(staff: Staff) -> bool:
    """Hubs, activities and meetings of one's scope: everyone but operators."""
    return staff.role != "operator"


def form_values(hub: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: hub.get(name) or "" for name in TEXT_FIELDS}
    values["slug"] = hub.get("slug", "")
    for name in ("latitude", "longitude"):
        values[name] = "" if hub.get(name) is None else str(hub[name])
    return values


def parse_hub(values: Mapping[str, Any]) -> dict[str, Any]:
    """The hub's columns from a form, or FormErrors."""
    form = Form(values)
    columns: dict[str, Any] = {}
    for name, (max_length, missing, multiline) in TEXT_FIELDS.items():
        columns[name] = form.text(name, max_length, missing, multiline)
    if columns["email"]:
        columns["email"] = form.email("email")
    columns["slug"] = form.slug("slug", columns["name"], SLUG_LENGTH)
    columns["latitude"] = form.decimal("latitude", -90, 90)
    columns["longitude"] = form.decimal("longitude", -180, 180)
    if (columns["latitude"] is None) != (columns["longitude"] is None) and "latitude" not in form.errors:
        form.error("latitude", N_("Enter both latitude and longitude, or neither."))
    form.raise_if_any()
    return columns


async def create_hub(staff: Staff, values: Mapping[str, Any], now: datetime) -> int:
    staff_access.authorize(staff, "create_hub")
    columns = parse_hub(values)
    async with db.write_transaction():
        await _slug_is_free(columns["slug"], None)
        rows = await Hub.insert(Hub(**columns)).returning(Hub.id)
        hub_id = rows[0]["id"]
        await db.bump_revision()
        await audit.record(staff, "hub.create", "hub", hub_id, "", {"slug": columns["slug"]}, now)
    return hub_id


async def update_hub(staff: Staff, hub_id: int, values: Mapping[str, Any], now: datetime) -> None:
    current = await editable_hub(staff, hub_id)
    columns = parse_hub(values)
    changed = sorted(name for name, value in columns.items() if current.get(name) != value)
    async with db.write_transaction():
        await _slug_is_free(columns["slug"], hub_id)
        await Hub.update({getattr(Hub, name): value for name, value in columns.items()}).where(Hub.id == hub_id)
        await db.bump_revision()
        if changed:
            await audit.record(staff, "hub.update", "hub", hub_id, "", {"changed": changed}, now)


async def hub_activities(staff: Staff, hub_id: int, now: datetime) -> list[ScopeActivity]:
    """The activities of a hub in scope that this staff member sees."""
    await staff_access.hub_in_scope(staff, hub_id)
    visible = await staff_access.visible_activity_ids(staff)
    query = Activity.select(Activity.id, Activity.title, Activity.slug, Activity.access, Activity.format,
                            Activity.published).where(Activity.hub == hub_id).order_by(Activity.title)
    if visible is not None:
        query = query.where(Activity.id.is_in(list(visible) or [0]))
    rows = await query
    counts = await _upcoming_counts([row["id"] for row in rows], now)
    return [ScopeActivity(**row, upcoming_meetings=counts.get(row["id"], 0)) for row in rows]


async def _slug_is_free(slug: str, hub_id: int | None) -> None:
    query = Hub.exists().where(Hub.slug == slug)
    if hub_id is not None:
        query = query.where(Hub.id != hub_id)
    if await query:
        raise refuse("slug", N_("Another hub already uses this web address name."))


async def _upcoming_counts(activity_ids: list[int], now: datetime) -> dict[int, int]:
    if not activity_ids:
        return {}
    rows = await Meeting.select(Meeting.activity, Count(Meeting.id, alias="n")).where(
        Meeting.activity.is_in(activity_ids) & (Meeting.status == "scheduled") & (Meeting.starts_at >= now)
    ).group_by(Meeting.activity)
    return {row["activity"]: row["n"] for row in rows}
