"""Staff accounts on the real database: administrators manage them, everyone changes their password;
roles and assignments go to the audit log."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from portal import audit
from portal.admin import staffing
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.identity import staff_access
from portal.identity.staff_access import Forbidden
from portal.tables import AuditEntry, StaffActivity, StaffHub, StaffUser
from tests import factories
from tests.web.staff_signin import PASSWORD
from tests.web.staff_signin import loaded_staff as staff

pytestmark = pytest.mark.anyio


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def world(empty_db):
    services = await factories.taxonomy()
    hub_a, hub_b = await factories.hub("a", "Polo A"), await factories.hub("b", "Polo B")
    activity_a = await factories.activity(services["attivita-culturali"], hub_a)
    return {"hubs": (hub_a, hub_b), "activity": activity_a, "admin": await staff("admin@example.it")}


async def test_an_admin_creates_an_account_with_an_initial_password_shown_once(world):
    hub_a, _ = world["hubs"]
    staff_id, password = await staffing.create_account(world["admin"], {
        "name": "Carla Coordinatrice", "email": " Carla@Example.it ", "role": "coordinator", "hubs": [str(hub_a)],
    }, now())
    assert password and len(password) >= staff_access.MIN_PASSWORD_LENGTH
    row = await StaffUser.select().where(StaffUser.id == staff_id).first()
    assert row["email"] == "carla@example.it" and row["role"] == "coordinator"
    assert row["password_hash"].startswith("$argon2id$") and password not in row["password_hash"]
    assert await staff_access.authenticate("carla@example.it", password, "1.2.3.4", now()) == staff_id
    assert [r["hub"] for r in await StaffHub.select().where(StaffHub.staff == staff_id)] == [hub_a]
    entry = (await audit.entries("staff_user", staff_id))[0]
    assert entry["action"] == "staff.create" and entry["actor"] == world["admin"].actor
    assert entry["details"]["hubs"] == [hub_a] and entry["details"]["password"] == "initial"


async def test_a_chosen_password_must_be_long_enough_and_emails_unique(world):
    with pytest.raises(FormErrors) as short:
        await staffing.create_account(world["admin"], {"name": "Ugo", "email": "ugo@example.it", "role": "operator",
                                                       "password": "short"}, now())
    assert set(short.value.by_field) == {"password"}
    with pytest.raises(FormErrors) as taken:
        await staffing.create_account(world["admin"], {"name": "Altro", "email": "ADMIN@example.it",
                                                       "role": "operator"}, now())
    assert set(taken.value.by_field) == {"email"}
    with pytest.raises(FormErrors) as bad:
        await staffing.create_account(world["admin"], {"name": "", "email": "nope", "role": "boss",
                                                       "hubs": ["999999"]}, now())
    assert set(bad.value.by_field) == {"name", "email", "role", "hubs"}
    assert await StaffUser.count() == 1


async def test_role_active_and_assignments_are_audited(world):
    hub_a, hub_b = world["hubs"]
    staff_id, _ = await staffing.create_account(world["admin"], {
        "name": "Olga", "email": "olga@example.it", "role": "operator", "activities": [str(world["activity"])],
    }, now())
    await staffing.update_account(world["admin"], staff_id, {
        "name": "Olga", "email": "olga@example.it", "role": "coordinator", "active": "1",
        "hubs": [str(hub_a), str(hub_b)], "reason": "promossa",
    }, now())
    account = await staffing.account(world["admin"], staff_id)
    assert account.role == "coordinator" and account.hub_ids == {hub_a, hub_b} and not account.activity_ids
    actions = {e["action"]: e for e in await audit.entries("staff_user", staff_id)}
    assert actions["staff.role"]["details"] == {"from": "operator", "to": "coordinator"}
    assert actions["staff.role"]["reason"] == "promossa"
    assert actions["staff.assignments"]["details"]["hubs_added"] == [hub_a, hub_b]
    assert actions["staff.assignments"]["details"]["activities_removed"] == [world["activity"]]
    epoch = (await StaffUser.select(StaffUser.session_epoch).where(StaffUser.id == staff_id).first())["session_epoch"]
    await staffing.update_account(world["admin"], staff_id, {"name": "Olga", "email": "olga@example.it",
                                                             "role": "coordinator", "hubs": [str(hub_a)]}, now())
    row = await StaffUser.select().where(StaffUser.id == staff_id).first()
    assert not row["active"] and row["session_epoch"] == epoch + 1  # disabled: its sessions end
    assert await staff_access.load_staff(staff_id) is None
    assert (await audit.entries("staff_user", staff_id))[0]["action"] in ("staff.active", "staff.assignments")


async def test_an_admin_cannot_demote_or_disable_themselves(world):
    admin = world["admin"]
    with pytest.raises(FormErrors) as refused:
        await staffing.update_account(admin, admin.id, {"name": admin.name, "email": admin.email,
                                                        "role": "operator"}, now())
    assert set(refused.value.by_field) == {"role", "active"}
    assert (await StaffUser.select(StaffUser.role).where(StaffUser.id == admin.id).first())["role"] == "admin"


async def test_only_admins_manage_staff_and_unknown_accounts_are_not_found(world):
    hub_a, _ = world["hubs"]
    coordinator = await staff("coord@example.it", "coordinator", (hub_a,))
    for call in (staffing.accounts(coordinator), staffing.account(coordinator, world["admin"].id),
                 staffing.create_account(coordinator, {}, now()), staffing.reset_password(coordinator, 1, now())):
        with pytest.raises(Forbidden):
            await call
    with pytest.raises(NotFound):
        await staffing.account(world["admin"], 999999)


async def test_change_password_checks_the_current_one_and_ends_other_sessions(world):
    admin = world["admin"]
    cases = [
        ({"current_password": "", "new_password": "x" * 12, "repeat_password": "x" * 12}, {"current_password"}),
        ({"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"}, {"new_password"}),
        ({"current_password": PASSWORD, "new_password": "x" * 12, "repeat_password": "y" * 12}, {"repeat_password"}),
        ({"current_password": "wrong password!", "new_password": "x" * 12, "repeat_password": "x" * 12},
         {"current_password"}),
    ]
    for values, fields in cases:
        with pytest.raises(FormErrors) as refused:
            await staffing.change_password(admin, values, now())
        assert set(refused.value.by_field) == fields
    renewed = await staffing.change_password(admin, {"current_password": PASSWORD, "new_password": "a new long secret",
                                                     "repeat_password": "a new long secret"}, now())
    assert renewed.session_epoch == admin.session_epoch + 1
    assert await staff_access.authenticate(admin.email, "a new long secret", None, now()) == admin.id


async def test_reset_password_and_sign_out_everywhere_move_the_epoch(world):
    hub_a, _ = world["hubs"]
    target = await staff("op@example.it", "operator", (hub_a,))
    password = await staffing.reset_password(world["admin"], target.id, now())
    assert await staff_access.authenticate("op@example.it", password, None, now()) == target.id
    await staffing.sign_out_everywhere(target)
    assert (await staff_access.load_staff(target.id)).session_epoch == target.session_epoch + 2
    assert await AuditEntry.count().where(AuditEntry.action == "staff.password_reset") == 1


async def test_audit_record_accepts_a_staff_or_a_plain_actor(empty_db):
    await audit.record("system", "test.action", "thing", None, "x" * 600, {"when": now(), "ids": {3, 1}}, now())
    row = await AuditEntry.select().first()
    assert row["actor"] == "system" and len(row["reason"]) == 500
    assert json.loads(row["details"])["ids"] == [1, 3]


async def test_admin_assignments_are_not_kept(world):
    staff_id, _ = await staffing.create_account(world["admin"], {
        "name": "Seconda Admin", "email": "admin2@example.it", "role": "admin", "hubs": [str(world["hubs"][0])],
        "activities": [str(world["activity"])], "password": "another long password"}, now())
    assert await StaffHub.count().where(StaffHub.staff == staff_id) == 0
    assert await StaffActivity.count().where(StaffActivity.staff == staff_id) == 0
