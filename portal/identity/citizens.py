"""Families and the SPID/CIE identities that sign them in.

A returning citizen is found by the keyed hash of the identity (portal.identity.oidc.Citizen);
the subject and the fiscal number are never stored. A first sign-in creates the family from the
claims when the provider gave an e-mail address no family holds; any other address is proved by the
mailed code first, and the identity is connected once the code is verified. A family that came
by e-mail connects SPID or CIE from its family area, signed in both ways.
"""

from __future__ import annotations

from datetime import datetime

from portal import db
from portal.identity import codes
from portal.identity.oidc import Citizen, OidcError
from portal.tables import Family, FamilyIdentity


async def returning_family(citizen: Citizen, now: datetime) -> int | None:
    """The family this identity signs in, or None for a first sign-in."""
    async with db.write_transaction():
        rows = await FamilyIdentity.raw(
            "UPDATE family_identity SET last_used_at = {} WHERE subject_hash = {} AND family IN"
            " (SELECT id FROM family WHERE erased_at IS NULL) RETURNING family", now, citizen.subject_hash)
    return rows[0]["family"] if rows else None


async def email_is_free(email: str) -> bool:
    return not await Family.exists().where(Family.email == email)


async def create_family(citizen: Citizen, language: str, now: datetime) -> int | None:
    """A new family from the claims, its e-mail as the provider gave it; None when the address is
    missing or a family already holds it (then the mailed code proves the address)."""
    if not citizen.email:
        return None
    try:
        email = codes.normalise_email(citizen.email)
    except codes.InvalidEmail:
        return None
    async with db.write_transaction():
        if await Family.exists().where(Family.email == email):
            return None
        rows = await Family.insert(Family(
            email=email, name=citizen.given_name, surname=citizen.family_name, phone="", district="",
            language=language, created_at=now,
        )).returning(Family.id)
        await _connect(rows[0]["id"], citizen, now)
    return rows[0]["id"]


async def connect(family_id: int, citizen: Citizen, now: datetime) -> None:
    """Connect the identity to the family (a no-op if it already is); OidcError("linked_elsewhere")
    when it signs in another family. Names the family has not given yet come from the claims."""
    async with db.write_transaction():
        await _connect(family_id, citizen, now)
        profile = await Family.select(Family.name, Family.surname).where(Family.id == family_id).first()
        if profile and not profile["name"] and not profile["surname"]:
            await Family.update({Family.name: citizen.given_name, Family.surname: citizen.family_name}).where(
                Family.id == family_id)


async def _connect(family_id: int, citizen: Citizen, now: datetime) -> None:
    rows = await FamilyIdentity.raw(
        "INSERT INTO family_identity (family, subject_hash, method, created_at, last_used_at)"
        " VALUES ({}, {}, {}, {}, {}) ON CONFLICT (subject_hash) DO NOTHING RETURNING family",
        family_id, citizen.subject_hash, citizen.method, now, now)
    if rows:
        return
    holder = await FamilyIdentity.select(FamilyIdentity.family).where(
        FamilyIdentity.subject_hash == citizen.subject_hash).first()
    if holder is None or holder["family"] != family_id:
        raise OidcError("linked_elsewhere")


async def connected_methods(family_id: int) -> list[str]:
    """The buttons through which this family has connected an identity (spid, cie)."""
    rows = await FamilyIdentity.select(FamilyIdentity.method).where(FamilyIdentity.family == family_id)
    return sorted({row["method"] for row in rows})
