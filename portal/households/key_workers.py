"""The key worker (referente) who follows a household at a hub: chosen among that hub's staff by its
coordinator or an administrator. The family sees the first name and the hub's phone, never more."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal import audit, db
from portal.booking.rules import LIVE
from portal.form_fields import refuse
from portal.households import scope
from portal.households.notes import WRITE_ACTION, writable_hubs
from portal.i18n import N_
from portal.identity.staff_access import Staff, authorize
from portal.tables import Booking, Hub, KeyWorker, StaffHub
from portal.taxonomy import service_name


@dataclass(frozen=True)
class FollowedAt:
    """What the family reads on /famiglia: a hub, the services it follows there, who follows it."""

    hub: str
    phone: str
    services: list[str]
    key_worker: str  # a first name, or ""


def first_name(full_name: str) -> str:
    return (full_name or "").split(" ")[0]


async def of_household(family_id: int) -> list[dict]:
    """Each hub's key worker for the file: hub, staff id and name."""
    return await KeyWorker.select(
        KeyWorker.hub, KeyWorker.staff, KeyWorker.assigned_at, KeyWorker.hub.name.as_alias("hub_name"),
        KeyWorker.staff.name.as_alias("staff_name"),
    ).where(KeyWorker.family == family_id).order_by(KeyWorker.hub.name)


async def candidates(staff: Staff) -> dict[int, list[dict]]:
    """Who may follow a household, per hub this staff member manages that has active staff."""
    hubs = [hub["id"] for hub in await writable_hubs(staff)] if staff.role != "operator" else []
    rows = await StaffHub.select(StaffHub.hub, StaffHub.staff, StaffHub.staff.name.as_alias("name")).where(
        StaffHub.hub.is_in(hubs or [0]) & (StaffHub.staff.active == True)).order_by(StaffHub.staff.name)  # noqa: E712
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row["hub"], []).append({"id": row["staff"], "name": row["name"]})
    return found


async def assign(staff: Staff, family_id: int, values: Mapping[str, Any], now: datetime) -> None:
    await scope.household(staff, family_id)
    authorize(staff, WRITE_ACTION)
    choices = await candidates(staff)
    raw_hub, _, raw_staff = str(values.get("key_worker") or "").partition("-")  # "hub-staff", one choice
    hub_id = next((hub for hub in choices if str(hub) == raw_hub), None)
    if hub_id is None:
        raise refuse("key_worker", N_("Choose the hub the household is followed at."))
    chosen = next((person["id"] for person in choices[hub_id] if str(person["id"]) == raw_staff), None)
    if chosen is None:
        raise refuse("key_worker", N_("Choose a member of this hub's staff."))
    async with db.write_transaction():
        await KeyWorker.delete().where((KeyWorker.family == family_id) & (KeyWorker.hub == hub_id))
        await KeyWorker.insert(KeyWorker(family=family_id, hub=hub_id, staff=chosen, assigned_at=now))
        await audit.record(staff, "household.key_worker", "family", family_id, "", {"hub": hub_id, "staff": chosen},
                           now)


async def followed_by(family_id: int) -> list[FollowedAt]:
    """For the family: at each hub where it has a live booking or a key worker, the services it follows
    there and the first name of who follows it, with the hub's phone. Never notes or referrals."""
    bookings = await Booking.select(
        Booking.activity.hub.as_alias("hub"), Booking.activity.service.slug.as_alias("service"),
    ).where((Booking.family == family_id) & Booking.status.is_in(list(LIVE)))
    workers = await KeyWorker.select(KeyWorker.hub, KeyWorker.staff.name.as_alias("name")).where(
        KeyWorker.family == family_id)
    hub_ids = sorted({row["hub"] for row in bookings} | {row["hub"] for row in workers})
    hubs = await Hub.select(Hub.id, Hub.name, Hub.phone).where(Hub.id.is_in(hub_ids or [0])).order_by(Hub.name)
    return [FollowedAt(
        hub=hub["name"], phone=hub["phone"],
        services=sorted({service_name(row["service"]) for row in bookings if row["hub"] == hub["id"]}),
        key_worker=next((first_name(w["name"]) for w in workers if w["hub"] == hub["id"]), ""),
    ) for hub in hubs]

