"""Families the staff book for (a phone booking, a direct enrolment): found by e-mail or by name and
surname, or created with the minimum DESIGN §5 allows. The family signs in later with that e-mail and
finds its bookings there.

A staff member reaches a family by its id only if the family is known at one of their hubs
(households/scope.py) or if they found it by an exact search, or created it, in this session (the
handlers keep those ids in the session): an id typed into a URL shows nobody else's family."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal import audit, db
from portal.db import NotFound
from portal.families import accounts as families
from portal.form_fields import FormErrors
from portal.households import scope
from portal.i18n import gettext
from portal.identity import codes as identity
from portal.identity.staff_access import Staff
from portal.tables import Family, Member

SEARCH_LIMIT = 10


@dataclass(frozen=True)
class FoundFamily:
    id: int
    name: str
    surname: str
    email: str
    phone: str
    members: list[families.HouseholdMember]


async def find(query: str) -> list[FoundFamily]:
    """An exact e-mail address, or a name and surname (both, in any case): never a browse of everyone."""
    query = " ".join((query or "").split())[:254]
    if not query:
        return []
    if "@" in query:
        where, args = "email = {}", [query.lower()]
    else:
        words = query.lower().replace("%", " ").replace("_", " ").replace("\\", " ").split()[:6]  # no wildcards
        if len(words) < 2:
            return []
        pairs = []
        for cut in range(1, len(words)):  # "Anna Maria Rossi": any split into name and surname, either way
            first, last = " ".join(words[:cut]), " ".join(words[cut:])
            pairs += [(first, last), (last, first)]
        where = "(" + " OR ".join("(LOWER(name) = {} AND LOWER(surname) = {})" for _ in pairs) + ")"
        args = [word for pair in pairs for word in pair]
    rows = await Family.raw(
        f"SELECT id, name, surname, email, phone FROM family WHERE {where} AND erased_at IS NULL"
        f" ORDER BY surname, name, id LIMIT {SEARCH_LIMIT}", *args)
    return [FoundFamily(r["id"], r["name"], r["surname"], r["email"] or "", r["phone"] or "",
                        await families.members(r["id"])) for r in rows]


async def family(staff: Staff, family_id: int, found: Collection[int] = ()) -> FoundFamily:
    """The family, if this staff member may reach it (`found`: the ids their searches in this session
    returned); otherwise it does not exist for them (NotFound → 404)."""
    if family_id not in found:
        await scope.household(staff, family_id)
    row = await Family.select(Family.id, Family.name, Family.surname, Family.email, Family.phone).where(
        (Family.id == family_id) & Family.erased_at.is_null()).first()
    if row is None:
        raise NotFound(family_id)
    return FoundFamily(row["id"], row["name"], row["surname"], row["email"] or "", row["phone"] or "",
                       await families.members(family_id))


def parse_family(values: Mapping[str, Any]) -> dict:
    """Name and surname, an e-mail and/or a phone (one of them is needed to reach the family)."""
    errors: dict[str, str] = {}
    try:
        columns = families.parse_profile({**values, "district": "", "language": values.get("language") or "it"},
                                         acknowledged=True)
    except FormErrors as invalid:
        errors.update(invalid.by_field)
        columns = {}
    email = (values.get("email") or "").strip()
    if email:
        try:
            email = identity.normalise_email(email)
        except identity.InvalidEmail:
            errors["email"] = gettext("Enter a valid e-mail address, such as name@example.it.")
    elif not errors.get("phone") and not (values.get("phone") or "").strip():
        errors["email"] = gettext("Enter an e-mail address or a phone number, so that the hub can reach the family.")
    if errors:
        raise FormErrors(errors)
    return {**columns, "email": email or None}


async def create(staff: Staff, values: Mapping[str, Any], now: datetime) -> int:
    """A new family with its referent as first adult; an e-mail already known is refused (search for it)."""
    columns = parse_family(values)
    async with db.write_transaction():
        if columns["email"] and await Family.exists().where(Family.email == columns["email"]):
            raise FormErrors({"email": gettext(
                "A family with this e-mail already exists: search for it by its e-mail address.")}, 409)
        rows = await Family.insert(Family(
            email=columns["email"], name=columns["name"], surname=columns["surname"], phone=columns["phone"],
            district="", language=columns["language"], privacy_acknowledged_at=None, created_at=now,
        )).returning(Family.id)
        family_id = rows[0]["id"]
        await Member.insert(Member(family=family_id, kind="adult", first_name=columns["name"], created_at=now))
        await audit.record(staff, "family.create", "family", family_id, "", {"by": "staff"}, now)
    return family_id


async def add_member(staff: Staff, family_id: int, values: Mapping[str, Any], now: datetime,
                     found: Collection[int] = ()) -> int:
    await family(staff, family_id, found)
    member_id = await families.add_member(family_id, values, now)
    async with db.write_transaction():
        await audit.record(staff, "family.add_member", "family", family_id, "", {"member": member_id}, now)
    return member_id

