"""Staff accounts: administrators manage them (roles, hubs, activities); everyone changes their own
password and signs out everywhere. Role and assignment changes are written to the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.concurrency import sync_to_thread

from portal import audit, db
from portal.db import NotFound
from portal.form_fields import Form, refuse
from portal.i18n import N_
from portal.identity import codes as identity
from portal.identity import staff_access
from portal.identity.staff_access import ROLES, Staff
from portal.tables import Activity, Hub, StaffActivity, StaffHub, StaffUser

NAME_LENGTH = 120
REASON_LENGTH = 300
PASSWORD_ATTEMPTS = (5, 15 * 60)  # checks of the current password, per account
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True)
class StaffAccount:
    id: int
    email: str
    name: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    hub_ids: frozenset[int]
    activity_ids: frozenset[int]


@dataclass(frozen=True)
class Choices:
    """What an account can be assigned: every hub, and every activity with its hub."""

    hubs: list[dict]
    activities: list[dict]


def initial_password() -> str:
    """Easy to read out and type: four groups of five, about 98 bits."""
    groups = ("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)


# -- administrators: the accounts ---------------------------------------------------------------


async def accounts(staff: Staff) -> list[StaffAccount]:
    staff_access.authorize(staff, "manage_staff")
    rows = await StaffUser.select(
        StaffUser.id, StaffUser.email, StaffUser.name, StaffUser.role, StaffUser.active, StaffUser.created_at,
        StaffUser.last_login_at,
    ).order_by(StaffUser.active, ascending=False).order_by(StaffUser.name)
    hubs, activities = await _assignments()
    return [_account(row, hubs, activities) for row in rows]


async def account(staff: Staff, staff_id: int) -> StaffAccount:
    staff_access.authorize(staff, "manage_staff")
    row = await StaffUser.select(
        StaffUser.id, StaffUser.email, StaffUser.name, StaffUser.role, StaffUser.active, StaffUser.created_at,
        StaffUser.last_login_at,
    ).where(StaffUser.id == staff_id).first()
    if row is None:
        raise NotFound(staff_id)
    hubs, activities = await _assignments(staff_id)
    return _account(row, hubs, activities)


async def choices(staff: Staff) -> Choices:
    staff_access.authorize(staff, "manage_staff")
    hubs = await Hub.select(Hub.id, Hub.name).order_by(Hub.name)
    activities = await Activity.select(Activity.id, Activity.title, Activity.hub).order_by(Activity.title)
    return Choices(hubs, activities)


def form_values(account: StaffAccount) -> dict[str, Any]:
    return {"name": account.name, "email": account.email, "role": account.role, "active": account.active,
            "hubs": sorted(account.hub_ids), "activities": sorted(account.activity_ids)}


async def create_account(staff: Staff, values: Mapping[str, Any], now: datetime) -> tuple[int, str | None]:
    """A new account; without a password from the administrator one is made, to be shown once.
    Returns the id and that initial password (None when the administrator chose it)."""
    staff_access.authorize(staff, "manage_staff")
    form = Form(values)
    fields = await _parse_account(form)
    password = form.raw("password")
    generated = None
    if password:
        problem = staff_access.check_new_password(password)
        if problem:
            form.errors.setdefault("password", problem)
    else:
        password = generated = initial_password()
    form.raise_if_any()
    await _email_is_free(fields["email"])
    password_hash = await staff_access.hash_password(password)  # slow: before the write lock
    async with db.write_transaction():
        await _email_is_free(fields["email"])
        rows = await StaffUser.insert(StaffUser(
            email=fields["email"], name=fields["name"], role=fields["role"], password_hash=password_hash,
            active=True, created_at=now,
        )).returning(StaffUser.id)
        staff_id = rows[0]["id"]
        hub_ids, activity_ids = _kept_assignments(fields)
        await _assign(staff_id, hub_ids, activity_ids)
        await audit.record(staff, "staff.create", "staff_user", staff_id, fields["reason"],
                           {"email": fields["email"], "role": fields["role"], "hubs": hub_ids,
                            "activities": activity_ids, "password": "initial" if generated else "chosen"}, now)
    return staff_id, generated


async def update_account(staff: Staff, staff_id: int, values: Mapping[str, Any], now: datetime) -> None:
    """Name, e-mail, role, active, hubs and activities. Administrators cannot lower their own role or
    disable themselves (so one always remains); disabling an account ends its sessions."""
    current = await account(staff, staff_id)
    form = Form(values)
    fields = await _parse_account(form)
    active = form.flag("active")
    if staff_id == staff.id and fields["role"] != current.role:
        form.error("role", N_("You cannot change your own role: ask another administrator."))
    if staff_id == staff.id and not active:
        form.error("active", N_("You cannot disable your own account: ask another administrator."))
    form.raise_if_any()
    if fields["email"] != current.email:
        await _email_is_free(fields["email"])
    hub_ids, activity_ids = _kept_assignments(fields)
    async with db.write_transaction():
        changes: dict[Any, Any] = {StaffUser.name: fields["name"], StaffUser.email: fields["email"],
                                   StaffUser.role: fields["role"], StaffUser.active: active}
        if current.active and not active:
            changes[StaffUser.session_epoch] = StaffUser.session_epoch + 1
        await StaffUser.update(changes).where(StaffUser.id == staff_id)
        reason = fields["reason"]
        if fields["role"] != current.role:
            await audit.record(staff, "staff.role", "staff_user", staff_id, reason,
                               {"from": current.role, "to": fields["role"]}, now)
        if active != current.active:
            await audit.record(staff, "staff.active", "staff_user", staff_id, reason,
                               {"from": current.active, "to": active}, now)
        if fields["email"] != current.email or fields["name"] != current.name:
            await audit.record(staff, "staff.details", "staff_user", staff_id, reason,
                               {"email": [current.email, fields["email"]], "name": [current.name, fields["name"]]},
                               now)
        if set(hub_ids) != current.hub_ids or set(activity_ids) != current.activity_ids:
            await StaffHub.delete().where(StaffHub.staff == staff_id)
            await StaffActivity.delete().where(StaffActivity.staff == staff_id)
            await _assign(staff_id, hub_ids, activity_ids)
            await audit.record(staff, "staff.assignments", "staff_user", staff_id, reason, {
                "hubs_added": sorted(set(hub_ids) - current.hub_ids),
                "hubs_removed": sorted(current.hub_ids - set(hub_ids)),
                "activities_added": sorted(set(activity_ids) - current.activity_ids),
                "activities_removed": sorted(current.activity_ids - set(activity_ids)),
            }, now)


async def reset_password(staff: Staff, staff_id: int, now: datetime) -> str:
    """A new initial password for someone who forgot theirs, shown once; their sessions end."""
    target = await account(staff, staff_id)
    password = initial_password()
    password_hash = await staff_access.hash_password(password)
    async with db.write_transaction():
        await StaffUser.update({StaffUser.password_hash: password_hash,
                                StaffUser.session_epoch: StaffUser.session_epoch + 1}).where(StaffUser.id == target.id)
        await audit.record(staff, "staff.password_reset", "staff_user", target.id, "", {}, now)
    return password


# -- everyone: their own account ------------------------------------------------------------------


async def change_password(staff: Staff, values: Mapping[str, Any], now: datetime) -> Staff:
    """With the current password; every other session ends (the epoch moves on). Returns the
    account as it is now, to sign this device in again."""
    form = Form(values)
    current, new, repeat = form.raw("current_password"), form.raw("new_password"), form.raw("repeat_password")
    if not current:
        form.error("current_password", N_("Enter your current password."))
    problem = staff_access.check_new_password(new)
    if problem:
        form.errors.setdefault("new_password", problem)
    elif new != repeat:
        form.error("repeat_password", N_("The two new passwords are different."))
    elif new == current:
        form.error("new_password", N_("Choose a password different from the current one."))
    form.raise_if_any()
    if await identity.hit(f"staff-password:{staff.id}", PASSWORD_ATTEMPTS, now) is not None:
        raise refuse("current_password", N_("Too many attempts: try again in a few minutes."), 429)
    row = await StaffUser.select(StaffUser.password_hash).where(StaffUser.id == staff.id).first()
    if row is None or not await _verify(row["password_hash"], current):
        raise refuse("current_password", N_("The current password is wrong."))
    password_hash = await staff_access.hash_password(new)
    async with db.write_transaction():
        await StaffUser.update({StaffUser.password_hash: password_hash,
                                StaffUser.session_epoch: StaffUser.session_epoch + 1}).where(StaffUser.id == staff.id)
        await audit.record(staff, "staff.password_changed", "staff_user", staff.id, "", {}, now)
    return await staff_access.load_staff(staff.id)


async def sign_out_everywhere(staff: Staff) -> None:
    """End every session of this account, this one included."""
    async with db.write_transaction():
        await StaffUser.update({StaffUser.session_epoch: StaffUser.session_epoch + 1}).where(StaffUser.id == staff.id)


# -- the parts ----------------------------------------------------------------------------------


async def _parse_account(form: Form) -> dict[str, Any]:
    name = form.text("name", NAME_LENGTH, N_("Enter the name."))
    email = form.email("email", N_("Enter the e-mail address."))
    role = form.choice("role", ROLES, N_("Choose a role from the list."))
    hub_ids, activity_ids = form.ids("hubs"), form.ids("activities")
    known_hubs = {row["id"] for row in await Hub.select(Hub.id).where(Hub.id.is_in(hub_ids or [0]))}
    if set(hub_ids) - known_hubs:
        form.error("hubs", N_("Choose hubs from the list."))
    known_activities = {row["id"] for row in
                        await Activity.select(Activity.id).where(Activity.id.is_in(activity_ids or [0]))}
    if set(activity_ids) - known_activities:
        form.error("activities", N_("Choose activities from the list."))
    reason = form.text("reason", REASON_LENGTH)
    return {"name": name, "email": email, "role": role, "hubs": hub_ids, "activities": activity_ids,
            "reason": reason}


def _kept_assignments(fields: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Administrators see everything: they keep no assignments."""
    if fields["role"] == "admin":
        return [], []
    return fields["hubs"], fields["activities"]


async def _email_is_free(email: str) -> None:
    if await StaffUser.exists().where(StaffUser.email == email):
        raise refuse("email", N_("Another account already uses this e-mail address."))


async def _assign(staff_id: int, hub_ids: list[int], activity_ids: list[int]) -> None:
    if hub_ids:
        await StaffHub.insert(*(StaffHub(staff=staff_id, hub=hub_id) for hub_id in hub_ids))
    if activity_ids:
        await StaffActivity.insert(*(StaffActivity(staff=staff_id, activity=a) for a in activity_ids))


async def _assignments(staff_id: int | None = None) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    hub_query, activity_query = StaffHub.select(StaffHub.staff, StaffHub.hub), \
        StaffActivity.select(StaffActivity.staff, StaffActivity.activity)
    if staff_id is not None:
        hub_query = hub_query.where(StaffHub.staff == staff_id)
        activity_query = activity_query.where(StaffActivity.staff == staff_id)
    hubs: dict[int, set[int]] = {}
    for row in await hub_query:
        hubs.setdefault(row["staff"], set()).add(row["hub"])
    activities: dict[int, set[int]] = {}
    for row in await activity_query:
        activities.setdefault(row["staff"], set()).add(row["activity"])
    return hubs, activities


def _account(row: dict, hubs: dict[int, set[int]], activities: dict[int, set[int]]) -> StaffAccount:
    return StaffAccount(
        id=row["id"], email=row["email"], name=row["name"], role=row["role"], active=row["active"],
        created_at=row["created_at"], last_login_at=row["last_login_at"],
        hub_ids=frozenset(hubs.get(row["id"], ())), activity_ids=frozenset(activities.get(row["id"], ())),
    )


async def _verify(stored: str, password: str) -> bool:
    try:
        return await sync_to_thread(PasswordHasher().verify, stored, password)
    except (VerificationError, InvalidHashError):
        return False

