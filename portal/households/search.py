"""Finding a household at /staff/famiglie: by surname (or name and surname), e-mail, phone, or a child's
first name and birth year — only among households known at the staff member's hubs (administrators:
all). A result shows the adults' names and the hubs, never the children."""

from __future__ import annotations

import re
from dataclasses import dataclass

from portal.households.scope import LINKS, hubs_of, own_hubs, placeholders
from portal.identity.staff_access import Staff
from portal.tables import Family, Member

RESULT_LIMIT = 30
QUERY_LENGTH = 100
MIN_LENGTH = 2
_CHILD = re.compile(r"^(\D+?)\s+((?:19|20)\d\d)$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
_DIGITS_ONLY = "REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(phone, ' ', ''), '-', ''), '.', ''),"\
    " '/', ''), '(', ''), ')', ''), '+', '')"


@dataclass(frozen=True)
class Result:
    id: int
    adults: list[str]  # the referent's name and surname first, then the other adults' first names
    hubs: list[str]


def criteria(query: str) -> tuple[str, list] | None:
    """The SQL condition on `family` for a query, or None when it is too short to search with."""
    text = " ".join((query or "").split())[:QUERY_LENGTH].lower()
    if len(text) < MIN_LENGTH:
        return None
    if "@" in text:
        return "family.email = {}", [text]
    if _PHONE.match(text):
        digits = re.sub(r"\D", "", text)
        if len(digits) < 6:
            return None
        return f"{_DIGITS_ONLY} LIKE {{}}", [f"%{digits[-9:]}%"]  # the last digits: with or without +39
    plain = re.sub(r"[%_\\]", " ", text).strip()  # no wildcards of the user's
    child = _CHILD.match(plain)
    if child:
        return ("family.id IN (SELECT member.family FROM member WHERE member.kind = 'child'"
                " AND LOWER(member.first_name) = {} AND member.birth_year = {})"), [child.group(1), int(child.group(2))]
    if len(plain) < MIN_LENGTH:
        return None
    return ("(LOWER(family.surname) LIKE {} OR LOWER(family.name || ' ' || family.surname) LIKE {}"
            " OR LOWER(family.surname || ' ' || family.name) LIKE {})"), [f"{plain}%"] * 3


async def search(staff: Staff, query: str) -> list[Result] | None:
    """The households matching the query in this staff member's scope; None when the query is too short."""
    found = criteria(query)
    if found is None:
        return None
    condition, args = found
    hubs = await own_hubs(staff)
    sql = f"SELECT family.id, family.name, family.surname FROM family WHERE {condition} AND family.erased_at IS NULL"
    if hubs is not None:
        if not hubs:
            return []
        sql += f" AND family.id IN (SELECT links.family FROM {LINKS} WHERE links.hub IN ({placeholders(list(hubs))}))"
        args = [*args, *hubs]
    rows = await Family.raw(sql + f" ORDER BY family.surname, family.name, family.id LIMIT {RESULT_LIMIT}", *args)
    ids = [row["id"] for row in rows]
    adults = await Member.select(Member.family, Member.first_name).where(
        Member.family.is_in(ids or [0]) & (Member.kind == "adult")).order_by(Member.id)
    known = await hubs_of(ids)
    results = []
    for row in rows:
        referent = f"{row['name']} {row['surname']}".strip()
        others = [a["first_name"] for a in adults if a["family"] == row["id"] and a["first_name"] != row["name"]]
        results.append(Result(row["id"], [referent, *others], [hub["name"] for hub in known[row["id"]]]))
    return results
