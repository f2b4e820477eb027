"""Which households a staff member may reach: those that have, or had, something with one of their
hubs — a booking, an access request, a solidarity offer or need, a note, a referral, a key worker.
Administrators reach every household. Anything else does not exist for them (NotFound → 404)."""

from __future__ import annotations

from portal.db import NotFound
from portal.identity.staff_access import Staff, visible_hub_ids
from portal.tables import Family

# Every (family, hub) pair the portal knows of: one derived table, so a list costs one query.
LINKS = """(
    SELECT b.family AS family, a.hub AS hub FROM booking b JOIN activity a ON a.id = b.activity
    UNION SELECT r.family, a.hub FROM access_request r JOIN activity a ON a.id = r.activity
    UNION SELECT o.family, o.hub FROM solidarity_offer o
    UNION SELECT n.family, n.hub FROM need n WHERE n.family IS NOT NULL
    UNION SELECT h.family, h.hub FROM household_note h
    UNION SELECT f.family, f.hub FROM referral f
    UNION SELECT k.family, k.hub FROM key_worker k
) AS links"""


def placeholders(values: list) -> str:
    return ", ".join("{}" for _ in values)


async def own_hubs(staff: Staff) -> set[int] | None:
    """The hubs whose staff this member is (notes, separation services); None: an administrator."""
    return await visible_hub_ids(staff)


async def hubs_of(family_ids: list[int]) -> dict[int, list[dict]]:
    """The hubs each family is known at (id, name), by family: one query for the whole list."""
    if not family_ids:
        return {}
    rows = await Family.raw(
        f"SELECT DISTINCT links.family AS family, hub.id AS id, hub.name AS name FROM {LINKS}"
        f" JOIN hub ON hub.id = links.hub WHERE links.family IN ({placeholders(family_ids)})"
        " ORDER BY hub.name", *family_ids)
    found: dict[int, list[dict]] = {family_id: [] for family_id in family_ids}
    for row in rows:
        found[row["family"]].append({"id": row["id"], "name": row["name"]})
    return found


async def household(staff: Staff, family_id: int) -> dict:
    """The family row, if this staff member may reach it; otherwise it does not exist for them."""
    family = await Family.select().where((Family.id == family_id) & Family.erased_at.is_null()).first()
    if family is None:
        raise NotFound(family_id)
    hubs = await own_hubs(staff)
    if hubs is not None:
        known = await Family.raw(
            f"SELECT 1 AS known FROM {LINKS} WHERE links.family = {{}} AND links.hub IN ({placeholders(list(hubs))})",
            family_id, *hubs) if hubs else []
        if not known:
            raise NotFound(family_id)
    return family
