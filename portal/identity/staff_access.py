"""Staff accounts and what each may see and do. Authorization lives here, in the domain layer:
records outside one's scope are not found (404); actions one's role may not take are forbidden (403)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from litestar.concurrency import sync_to_thread

from portal import db
from portal.db import NotFound
from portal.i18n import N_, gettext
from portal.identity import codes as identity
from portal.tables import Activity, Hub, StaffActivity, StaffHub, StaffUser

ROLES = ("admin", "coordinator", "operator")
ROLE_LABELS = {"admin": N_("Administrator"), "coordinator": N_("Hub coordinator"), "operator": N_("Operator")}
OPERATOR_ACTIONS = frozenset({"roster", "attendance", "waiting_list"})
ADMIN_ONLY_ACTIONS = frozenset({"manage_staff", "create_hub", "audit"})
LOGIN_LIMIT_PER_EMAIL = (5, 15 * 60)
LOGIN_LIMIT_PER_IP = (30, 15 * 60)
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile


class Forbidden(Exception):
    """The record is visible, but this role may not take the action (403)."""


class LoginRefused(Exception):
    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class Staff:
    id: int
    name: str
    email: str
    role: str
    session_epoch: int
    hub_ids: frozenset[int]
    activity_ids: frozenset[int]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        return f"staff:{self.id}"


def use_cheapest_hashing() -> None:
    """Tests only: argon2's cheapest profile, so suites do not spend seconds hashing."""
    global _hasher
    _hasher = PasswordHasher.from_parameters(CHEAPEST)


async def hash_password(password: str) -> str:
    return await sync_to_thread(_hasher.hash, password)  # ~100 ms: never on the event loop


def check_new_password(password: str) -> str | None:
    """The message for a password too weak to accept, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return gettext("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)
    return None


async def create_staff(email: str, name: str, role: str, password: str, now: datetime,
                       hub_ids: tuple[int, ...] = ()) -> int:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    password_hash = await hash_password(password)
    async with db.write_transaction():
        rows = await StaffUser.insert(StaffUser(
            email=identity.normalise_email(email), name=name.strip(), role=role, password_hash=password_hash,
            active=True, created_at=now,
        )).returning(StaffUser.id)
        staff_id = rows[0]["id"]
        if hub_ids:
            await StaffHub.insert(*(StaffHub(staff=staff_id, hub=hub_id) for hub_id in hub_ids))
    return staff_id


async def authenticate(email: str, password: str, client_ip: str | None, now: datetime) -> int:
    """The staff member's id, or LoginRefused; throttled per e-mail and per address."""
    normalised = (email or "").strip().lower()
    for key, limit in ((f"staff-login:{normalised}", LOGIN_LIMIT_PER_EMAIL),
                       (f"staff-login-ip:{client_ip}", LOGIN_LIMIT_PER_IP)):
        retry_after = await identity.hit(key, limit, now)
        if retry_after is not None:
            raise LoginRefused(gettext("Too many attempts: try again in a few minutes."), retry_after)
    row = await StaffUser.select(StaffUser.id, StaffUser.password_hash).where(
        (StaffUser.email == normalised) & (StaffUser.active == True)).first()  # noqa: E712
    stored = row["password_hash"] if row else _DUMMY_HASH  # the same work whether or not the account exists
    try:
        await sync_to_thread(_hasher.verify, stored, password)
    except (VerificationError, InvalidHashError):
        raise LoginRefused(gettext("Wrong e-mail or password.")) from None
    if row is None:
        raise LoginRefused(gettext("Wrong e-mail or password."))
    if _hasher.check_needs_rehash(stored):
        await StaffUser.update({StaffUser.password_hash: await hash_password(password)}).where(
            StaffUser.id == row["id"])
    await StaffUser.update({StaffUser.last_login_at: now}).where(StaffUser.id == row["id"])
    return row["id"]


_DUMMY_HASH = PasswordHasher.from_parameters(CHEAPEST).hash("not a real password")


async def load_staff(staff_id: int) -> Staff | None:
    row = await StaffUser.select().where((StaffUser.id == staff_id) & (StaffUser.active == True)).first()  # noqa: E712
    if row is None:
        return None
    hubs = await StaffHub.select(StaffHub.hub).where(StaffHub.staff == staff_id)
    activities = await StaffActivity.select(StaffActivity.activity).where(StaffActivity.staff == staff_id)
    return Staff(row["id"], row["name"], row["email"], row["role"], row["session_epoch"],
                 frozenset(h["hub"] for h in hubs), frozenset(a["activity"] for a in activities))


# -- scope and permissions -------------------------------------------------------------------


def authorize(staff: Staff, action: str) -> None:
    """Raise Forbidden when the role may not take this action on a record it can see."""
    if staff.is_admin:
        return
    if action in ADMIN_ONLY_ACTIONS or (staff.role == "operator" and action not in OPERATOR_ACTIONS):
        raise Forbidden(action)


async def visible_hub_ids(staff: Staff) -> set[int] | None:
    """None means every hub (an administrator)."""
    if staff.is_admin:
        return None
    if staff.role == "coordinator":
        return set(staff.hub_ids)
    rows = await Activity.select(Activity.hub).where(Activity.id.is_in(list(staff.activity_ids) or [0]))
    return {row["hub"] for row in rows}


async def visible_activity_ids(staff: Staff) -> set[int] | None:
    """None means every activity (an administrator)."""
    if staff.is_admin:
        return None
    if staff.role == "coordinator":
        rows = await Activity.select(Activity.id).where(Activity.hub.is_in(list(staff.hub_ids) or [0]))
        return {row["id"] for row in rows}
    return set(staff.activity_ids)


async def visible_hubs(staff: Staff) -> list[dict]:
    """The hubs one may see, by name: the choices of a staff list's hub filter."""
    visible = await visible_hub_ids(staff)
    query = Hub.select(Hub.id, Hub.name)
    if visible is not None:
        query = query.where(Hub.id.is_in(list(visible) or [0]))
    return await query.order_by(Hub.name)


async def listed_hub_ids(staff: Staff, hub_id: int | None) -> list[int] | None:
    """The hubs a staff list covers: the one asked for (NotFound outside one's scope), else every
    hub one may see; None means every hub (an administrator)."""
    if hub_id is not None:
        await hub_in_scope(staff, hub_id)
        return [hub_id]
    visible = await visible_hub_ids(staff)
    return None if visible is None else (list(visible) or [0])


async def hub_in_scope(staff: Staff, hub_id: int) -> dict:
    """The hub, if this staff member may see it; otherwise it does not exist for them."""
    hub = await Hub.select().where(Hub.id == hub_id).first()
    visible = await visible_hub_ids(staff)
    if hub is None or (visible is not None and hub_id not in visible):
        raise NotFound(hub_id)
    return hub


async def activity_in_scope(staff: Staff, activity_id: int) -> dict:
    activity = await Activity.select().where(Activity.id == activity_id).first()
    visible = await visible_activity_ids(staff)
    if activity is None or (visible is not None and activity_id not in visible):
        raise NotFound(activity_id)
    return activity


def role_label(role: str) -> str:
    return gettext(ROLE_LABELS[role])
