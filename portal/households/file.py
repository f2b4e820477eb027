"""The household file as a staff member opens it: members (children by first name and age), the
timeline across services, the key worker per hub, the hub's notes and referrals, and what this staff
member may do from there. Opening it writes the audit log: one entry for the file, one per note read;
a refused opening (another hub's household, or none) is logged too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from portal import audit, db
from portal.db import NotFound
from portal.households import key_workers, notes, referrals, scope
from portal.households.timeline import Entry, timeline
from portal.i18n import ROME
from portal.identity.staff_access import Staff
from portal.tables import Member


@dataclass(frozen=True)
class Person:
    id: int
    kind: str
    first_name: str
    age_years: int | None  # children only


@dataclass(frozen=True)
class HouseholdFile:
    family: dict
    adults: list[Person]
    children: list[Person]
    hubs: list[dict]  # where the household is known
    timeline: list[Entry]
    notes: list[notes.Note]
    referrals: list[referrals.ReferralRow]
    key_workers: list[dict]
    may_write: bool  # notes, referrals, key workers: coordinators and administrators


def age_in_years(birth_year: int | None, birth_month: int | None, today: date) -> int | None:
    if birth_year is None or birth_month is None:
        return None
    return ((today.year - birth_year) * 12 + (today.month - birth_month)) // 12


async def open_file(staff: Staff, family_id: int, now: datetime) -> HouseholdFile:
    try:
        family = await scope.household(staff, family_id)
    except NotFound:  # the same answer as for no household; the attempt is kept for the privacy officer
        async with db.write_transaction():
            await audit.record(staff, "household.open_refused", "family", family_id, "", {}, now)
        raise
    own = await scope.own_hubs(staff)
    today = now.astimezone(ROME).date()
    members = await Member.select(Member.id, Member.kind, Member.first_name, Member.birth_year,
                                  Member.birth_month).where(Member.family == family_id).order_by(Member.id)
    people = [Person(m["id"], m["kind"], m["first_name"], age_in_years(m["birth_year"], m["birth_month"], today)
                     if m["kind"] == "child" else None) for m in members]
    shown_notes = await notes.visible(staff, family_id, own, now)
    async with db.write_transaction():
        await audit.record(staff, "household.open", "family", family_id, "", {}, now)
        await audit.record_many(staff, "household_note.read", "household_note", [n.id for n in shown_notes],
                                {"family": family_id}, now)
    return HouseholdFile(
        family=family, adults=[p for p in people if p.kind == "adult"],
        children=[p for p in people if p.kind == "child"],
        hubs=(await scope.hubs_of([family_id]))[family_id], timeline=await timeline(family, own), notes=shown_notes,
        referrals=await referrals.of_household(family_id, own), key_workers=await key_workers.of_household(family_id),
        may_write=staff.role != "operator",
    )
