"""Families and their SPID/CIE identities against the real database: first sign-in, return,
connecting (once, even concurrently), erasure; and the second factor's single-use codes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from portal.families import erasure
from portal.identity import citizens, second_factor
from portal.identity.oidc import Citizen, OidcError
from portal.links import Links
from portal.tables import Family, FamilyIdentity
from tests.web.staff_signin import staff_member

pytestmark = pytest.mark.anyio
NOW = datetime(2031, 3, 3, 8, 0, 30, tzinfo=timezone.utc)
SECRET = "test-secret-key-test-secret-key-0123456789"


def citizen(subject: str = "a" * 64, email: str = "mario@example.it") -> Citizen:
    return Citizen(subject, "spid", "Mario", "Rossi", email)


async def family(email: str) -> int:
    rows = await Family.insert(Family(email=email, name="", surname="", phone="", district="", language="it",
                                      created_at=NOW)).returning(Family.id)
    return rows[0]["id"]


async def test_first_sign_in_creates_the_family_and_a_return_finds_it(empty_db):
    assert await citizens.returning_family(citizen(), NOW) is None
    family_id = await citizens.create_family(citizen(), "en", NOW)
    row = await Family.select().where(Family.id == family_id).first()
    assert (row["email"], row["name"], row["surname"], row["language"]) == ("mario@example.it", "Mario", "Rossi", "en")
    assert await citizens.returning_family(citizen(), NOW + timedelta(days=1)) == family_id
    used = await FamilyIdentity.select(FamilyIdentity.last_used_at).first()
    assert used["last_used_at"] is not None


async def test_no_family_is_created_for_a_missing_or_taken_address(empty_db):
    await family("mario@example.it")
    assert await citizens.create_family(citizen(), "it", NOW) is None
    assert await citizens.create_family(citizen(email=""), "it", NOW) is None
    assert await FamilyIdentity.count() == 0


async def test_connecting_fills_missing_names_and_refuses_another_familys_identity(empty_db):
    first, second = await family("a@example.it"), await family("b@example.it")
    await citizens.connect(first, citizen(), NOW)
    await citizens.connect(first, citizen(), NOW)  # again: nothing changes
    assert (await Family.select(Family.name).where(Family.id == first).first())["name"] == "Mario"
    with pytest.raises(OidcError) as refused:
        await citizens.connect(second, citizen(), NOW)
    assert refused.value.kind == "linked_elsewhere" and await citizens.connected_methods(first) == ["spid"]


async def test_one_identity_is_connected_once_under_concurrency(empty_db):
    families = [await family(f"f{n}@example.it") for n in range(6)]
    results = await asyncio.gather(*(citizens.connect(f, citizen(), NOW) for f in families), return_exceptions=True)
    assert sum(r is None for r in results) == 1 and await FamilyIdentity.count() == 1
    assert all(isinstance(r, OidcError) for r in results if r is not None)


async def test_erasure_forgets_the_identity(empty_db, settings):
    family_id = await citizens.create_family(citizen(), "it", NOW)
    await erasure.erase_family(family_id, NOW, Links(settings.base_url, settings.secret_key))
    assert await FamilyIdentity.count() == 0 and await citizens.returning_family(citizen(), NOW) is None


async def test_a_totp_code_is_accepted_once_even_concurrently(empty_db):
    staff_id = await staff_member("capo@example.it")
    secret = await second_factor.enrolment_secret(staff_id, NOW)
    assert await second_factor.enrolment_secret(staff_id, NOW) == secret  # the same enrolment until confirmed
    codes = await second_factor.confirm_enrolment(staff_id, pyotp.TOTP(secret).at(NOW), NOW, secret_key=SECRET,
                                                  client_ip="10.0.0.1")
    assert len(codes) == second_factor.RECOVERY_CODES and await second_factor.is_active(staff_id)
    later = NOW + timedelta(seconds=60)
    code = pyotp.TOTP(secret).at(later)
    results = await asyncio.gather(*(second_factor.verify(staff_id, code, later, secret_key=SECRET,
                                                          client_ip=f"10.0.0.{n}") for n in range(3)),
                                   return_exceptions=True)
    assert sum(r is None for r in results) == 1
    with pytest.raises(second_factor.SecondFactorRefused):
        await second_factor.enrolment_secret(staff_id, NOW)  # an active authenticator is not replaced
