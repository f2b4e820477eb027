"""'For your family': what fits a signed-in family's children now and in the next three months.

Activities whose age range one of the children is in, or enters, before the horizon; those at the
family's district hub first. A child who enters a new age band before the horizon is named, with
the month: the hubs "accompany families through the stages of life".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from portal import db
from portal.booking import availability
from portal.booking.availability import Availability
from portal.booking.rules import Participant
from portal.catalogue import texts
from portal.catalogue.browse import CARD_COLUMNS, FROM_CATALOGUE, Card, card_from_row
from portal.i18n import ROME
from portal.tables import Activity, Family, Member

HORIZON_DAYS = 92  # three months
SHOWN = 6


@dataclass(frozen=True)
class Child:
    name: str
    person: Participant

    def age_on(self, day: date) -> int | None:
        return self.person.age_in_months(day)


@dataclass(frozen=True)
class Suggestion:
    card: Card
    dates: Availability | None
    children: tuple[str, ...]  # who it is for
    at_home_hub: bool


@dataclass(frozen=True)
class Milestone:
    """A child entering an activity's age band before the horizon."""

    child: str
    months: int  # the age reached
    month: date  # the first day of the month it is reached in
    age_min_months: int
    age_max_months: int | None
    at_home_hub: bool


@dataclass(frozen=True)
class ForFamily:
    district: str
    children: tuple[Child, ...]
    suggestions: tuple[Suggestion, ...]
    milestones: tuple[Milestone, ...]


async def suggestions(family_id: int, now: datetime) -> ForFamily:
    family = await Family.select(Family.district).where(Family.id == family_id).first()
    district = (family or {}).get("district") or ""
    rows = await Member.select(Member.id, Member.kind, Member.first_name, Member.birth_year, Member.birth_month).where(
        (Member.family == family_id) & (Member.kind == "child")).order_by(Member.birth_year).order_by(Member.id)
    children = tuple(Child(row["first_name"], Participant(row["id"], "child", row["birth_year"], row["birth_month"]))
                     for row in rows if row["birth_year"] and row["birth_month"])
    if not children:
        return ForFamily(district, (), (), ())
    today = now.astimezone(ROME).date()
    horizon = today + timedelta(days=HORIZON_DAYS)
    activities = await _upcoming(now, horizon)
    chosen = _fitting(activities, children, district, today, horizon)[:SHOWN]
    household = await availability.household(family_id)
    dates = await availability.for_activities([row["id"] for row, _ in chosen], now, household, per_activity=8)
    await texts.translate_titles([row for row, _ in chosen])
    found = tuple(
        Suggestion(card_from_row(row, None), dates.get(row["id"]), names, row["district"] == district)
        for row, names in chosen
    )
    return ForFamily(district, children, found, _milestones(activities, children, district, today, horizon))


async def _upcoming(now: datetime, horizon: date) -> list[dict]:
    """Published, bookable or requestable activities with a public meeting before the horizon. Services
    for separating couples are never suggested: a family looks for those itself."""
    return await Activity.raw(
        f"SELECT {CARD_COLUMNS}, h.district, (SELECT MIN(m.starts_at) FROM meeting m WHERE m.activity = a.id"
        " AND m.status = 'scheduled' AND m.private = {} AND m.starts_at >= {}) AS next_start"
        f" {FROM_CATALOGUE} WHERE a.published = {{}} AND a.access IN ('open', 'approval', 'request')"
        " AND ar.slug <> 'separazione'"
        " AND EXISTS (SELECT 1 FROM meeting m WHERE m.activity = a.id AND m.status = 'scheduled'"
        " AND m.private = {} AND m.starts_at >= {} AND m.local_date <= {})",
        False, now, True, False, now, horizon,
    )


def _in_band(row: dict, months: int | None) -> bool:
    if months is None:
        return False
    low = row["age_min_months"] if row["age_min_months"] is not None else 0
    high = row["age_max_months"] if row["age_max_months"] is not None else 10_000
    return low <= months <= high


def _has_ages(row: dict) -> bool:
    return row["age_min_months"] is not None or row["age_max_months"] is not None


def _fitting(activities: list[dict], children: tuple[Child, ...], district: str, today: date,
             horizon: date) -> list[tuple[dict, tuple[str, ...]]]:
    """Activities one of the children is in the age band of, now or by the horizon; home hub first."""
    found = []
    for row in activities:
        if not _has_ages(row):
            continue
        now_names = tuple(c.name for c in children if _in_band(row, c.age_on(today)))
        later_names = tuple(c.name for c in children if _in_band(row, c.age_on(horizon)))
        names = now_names or later_names
        if names:
            found.append((row, names, bool(now_names)))
    found.sort(key=lambda item: (item[0]["district"] != district, not item[2],
                                 _timestamp(item[0]["next_start"]), item[0]["title"]))
    seen: set[tuple[str, str]] = set()
    unique = []
    for row, names, _ in found:  # one suggestion per service and title: the nearest first
        key = (row["service_slug"], row["title"])
        if key not in seen:
            seen.add(key)
            unique.append((row, names))
    return unique


def _timestamp(value: object) -> float:
    return db.instant(value).timestamp() if value else math.inf


def _milestones(activities: list[dict], children: tuple[Child, ...], district: str, today: date,
                horizon: date) -> tuple[Milestone, ...]:
    """Each child's next age band that starts before the horizon (at most one per child)."""
    found = []
    for child in children:
        now_months, later_months = child.age_on(today), child.age_on(horizon)
        entering = [row for row in activities if row["age_min_months"] is not None
                    and now_months < row["age_min_months"] <= later_months]
        if not entering:
            continue
        entering.sort(key=lambda row: (row["district"] != district, row["age_min_months"]))
        row = entering[0]
        person = child.person
        total = person.birth_year * 12 + person.birth_month - 1 + row["age_min_months"]
        found.append(Milestone(child.name, row["age_min_months"], date(total // 12, total % 12 + 1, 1),
                               row["age_min_months"], row["age_max_months"], row["district"] == district))
    return tuple(found)
