"""The demo catalogue: Napoli's ten hubs with realistic activities and meetings, or N times more for benchmarks.

Everything is drawn from one seeded generator, so the same `now` date always gives the same data.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator, Sequence

from piccolo.table import Table

from portal import db
from portal.demo import places
from portal.demo.content import (
    FRI,
    HELP_KINDS,
    HORIZON_WEEKS,
    HUBS,
    MON,
    OFFERS,
    SAT,
    TEMPLATE_BY_KEY,
    HubSeed,
    Offer,
    Template,
    extra_hub,
)
from portal.i18n import ROME
from portal.tables import Activity, Area, HelpKind, Hub, Meeting, Service
from portal.taxonomy import AREAS, SERVICES

SEED = 20261126
CHUNK_SIZE = 500
CITY = "Napoli"


@dataclass(frozen=True)
class DemoSummary:
    hubs: int
    activities: int
    meetings: int


# -- planning (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedMeeting:
    starts_at: datetime
    ends_at: datetime
    local_date: date
    place: str
    capacity: int | None
    seats_taken: int
    cancelled: bool = False


@dataclass(frozen=True)
class PlannedActivity:
    slug: str
    template: Template
    hub: HubSeed
    seats_taken: int
    booking_opens_at: datetime | None
    published: bool
    meetings: tuple[PlannedMeeting, ...]


@dataclass(frozen=True)
class Plan:
    hubs: tuple[HubSeed, ...]
    activities: tuple[PlannedActivity, ...]

    @property
    def meeting_count(self) -> int:
        return sum(len(activity.meetings) for activity in self.activities)


FILLS_SOON = (("partial", 45), ("nearly", 20), ("full", 20), ("low", 15))
FILLS_LATER = (("partial", 45), ("nearly", 8), ("full", 5), ("low", 42))
FILLS_COURSE = (("partial", 50), ("nearly", 15), ("full", 15), ("low", 20))
SOON_DAYS = 14
HOLIDAYS = {  # Italian public holidays and Napoli's patron saint, San Gennaro (19 September)
    (1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (9, 19), (11, 1), (12, 8), (12, 25), (12, 26),
}


def plan_catalogue(now: datetime, scale: int = 1) -> Plan:
    """The whole demo catalogue, computed without touching the database."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if scale < 1:
        raise ValueError("scale must be at least 1")
    rng = random.Random(SEED)
    today = now.astimezone(ROME).date()
    hubs = demo_hubs(scale)
    hub_by_number = {hub.number: hub for hub in hubs}
    used_slugs: set[str] = set()
    activities = []
    for round_number in range(scale):
        for offer in round_offers(round_number, scale, rng):
            hub = hub_by_number[offer.hub]
            activities.append(plan_activity(offer, hub, today, rng, used_slugs))
    return Plan(hubs, tuple(activities))


def demo_hubs(scale: int) -> tuple[HubSeed, ...]:
    if scale == 1:
        return HUBS
    return HUBS + tuple(extra_hub(len(HUBS) + number) for number in range(1, scale + 1))


def round_offers(round_number: int, scale: int, rng: random.Random) -> Iterator[Offer]:
    """The offers of one copy of the catalogue: the real one first, then copies dealt out to the extra hubs."""
    if round_number == 0:
        yield from OFFERS
        return
    for position, offer in enumerate(OFFERS, start=(round_number - 1) * len(OFFERS)):
        hub = len(HUBS) + position % scale + 1
        yield replace(offer, hub=hub, **shifted_schedule(offer, rng))


def shifted_schedule(offer: Offer, rng: random.Random) -> dict[str, int]:
    template = TEMPLATE_BY_KEY[offer.template]
    weekday = rng.randint(MON, FRI) if offer.weekday < SAT else offer.weekday
    if template.format != "course":
        return {"weekday": weekday}
    last_week = offer.first_week + (template.count - 1) * template.every_weeks
    room = max(HORIZON_WEEKS - 1 - last_week, 0)
    return {"weekday": weekday, "first_week": offer.first_week + rng.randint(0, min(room, 2))}


def plan_activity(
    offer: Offer, hub: HubSeed, today: date, rng: random.Random, used_slugs: set[str]
) -> PlannedActivity:
    template = TEMPLATE_BY_KEY[offer.template]
    opens_at = opening_time(today, offer.opens_in_days)
    bookable = offer.published and opens_at is None
    meetings = tuple(plan_meetings(template, offer, today, rng, bookable))
    seats = 0
    if template.format == "course" and bookable and meetings:
        seats = seats_for(template.capacity, offer.fill or draw(rng, FILLS_COURSE), rng)
    return PlannedActivity(
        slug=unique_slug(f"{slugify(template.title)}-{hub.short}", used_slugs),
        template=template,
        hub=hub,
        seats_taken=seats,
        booking_opens_at=opens_at,
        published=offer.published,
        meetings=meetings,
    )


def opening_time(today: date, days: int | None) -> datetime | None:
    if days is None:
        return None
    return local_instant(today + timedelta(days=days), "09:00")


def plan_meetings(
    template: Template, offer: Offer, today: date, rng: random.Random, bookable: bool
) -> Iterator[PlannedMeeting]:
    index = 0
    for day in meeting_days(template, offer, today):
        for slot in range(template.slots_per_day):
            start = local_instant(day, offer.start) + timedelta(minutes=60 * slot)
            capacity, place = meeting_capacity_and_place(template, offer, index)
            cancelled = index in offer.cancelled
            seats = 0
            if template.format == "single" and bookable and not cancelled:
                seats = meeting_seats(capacity or template.capacity, offer.fill, (day - today).days, rng)
            yield PlannedMeeting(
                starts_at=start,
                ends_at=start + timedelta(minutes=template.minutes),
                local_date=day,
                place=place,
                capacity=capacity,
                seats_taken=seats,
                cancelled=cancelled,
            )
            index += 1


def meeting_days(template: Template, offer: Offer, today: date) -> list[date]:
    """A course's dates skip public holidays and keep their number; other dates fall on them and are dropped."""
    start = today + timedelta(weeks=offer.first_week)
    day = start + timedelta(days=(offer.weekday - start.isoweekday()) % 7)
    days: list[date] = []
    for _ in range(template.count):
        while template.format == "course" and is_holiday(day):
            day += timedelta(weeks=template.every_weeks)
        days.append(day)
        day += timedelta(weeks=template.every_weeks)
    return [day for day in days if not is_holiday(day)]


def is_holiday(day: date) -> bool:
    return (day.month, day.day) in HOLIDAYS or day == easter_sunday(day.year) + timedelta(days=1)


def easter_sunday(year: int) -> date:
    """The Gregorian Easter date (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * weekday) // 433
    month, day = divmod(h + weekday - 7 * m + 114, 31)
    return date(year, month, day + 1)


def meeting_capacity_and_place(template: Template, offer: Offer, index: int) -> tuple[int | None, str]:
    if offer.larger and offer.larger[0] == index:
        return offer.larger[1], offer.larger[2]
    return None, template.place


def meeting_seats(capacity: int, fill: str | None, days_ahead: int, rng: random.Random) -> int:
    soon = days_ahead < SOON_DAYS
    if capacity == 1:
        return int(rng.random() < (0.7 if soon else 0.3))
    return seats_for(capacity, fill or draw(rng, FILLS_SOON if soon else FILLS_LATER), rng)


def seats_for(capacity: int, fill: str, rng: random.Random) -> int:
    if fill == "full":
        return capacity
    if fill == "nearly":
        return max(capacity - rng.randint(1, 2), 0)
    if fill == "low":
        return rng.randint(0, capacity // 4)
    return rng.randint(capacity // 3, max(capacity - 3, capacity // 3))


def draw(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    names, weights = zip(*weighted)
    return rng.choices(names, weights)[0]


def local_instant(day: date, clock: str) -> datetime:
    """A Europe/Rome wall-clock time on a day, as a UTC instant."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=ROME).astimezone(timezone.utc)


def slugify(text: str) -> str:
    spaced = "".join(" " if unicodedata.category(char)[0] in "PSZ" else char for char in text)
    ascii_text = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def unique_slug(slug: str, used: set[str]) -> str:
    candidate, number = slug, 1
    while candidate in used:
        number += 1
        candidate = f"{slug}-{number}"
    used.add(candidate)
    return candidate


# -- loading ----------------------------------------------------------------------------------


async def is_empty() -> bool:
    return not await Hub.exists()


async def load_demo(now: datetime, scale: int = 1) -> DemoSummary:
    """Load the demo catalogue (N times larger for scale N) into a database without hubs."""
    plan = plan_catalogue(now, scale)
    async with db.write_transaction():
        if not await is_empty():
            raise ValueError("the database already holds hubs: the demo loads into an empty catalogue")
        service_ids = await ensure_taxonomy()
        hub_ids = await insert_with_ids(Hub, [hub_row(hub) for hub in plan.hubs])
        activity_ids = await insert_with_ids(
            Activity,
            [activity_row(activity, service_ids, hub_ids, now) for activity in plan.activities],
        )
        await insert_all(Meeting, meeting_rows(plan.activities, activity_ids, now))
        await places.hold_taken_places(now)
        if not await HelpKind.exists():
            await HelpKind.insert(*(HelpKind(name=name, active=True, position=position)
                                    for position, name in enumerate(HELP_KINDS)))
        await db.bump_revision()
    return DemoSummary(hubs=len(plan.hubs), activities=len(plan.activities), meetings=plan.meeting_count)


async def ensure_taxonomy() -> dict[str, int]:
    """The service ids by slug, inserting whatever areas and services are missing."""
    area_ids = await ids_by_slug(Area)
    missing_areas = [
        Area(slug=area.slug, position=position) for position, area in enumerate(AREAS) if area.slug not in area_ids
    ]
    area_ids |= await insert_with_ids(Area, missing_areas)
    service_ids = await ids_by_slug(Service)
    missing_services = [
        Service(slug=service.slug, area=area_ids[service.area], position=position)
        for position, service in enumerate(SERVICES)
        if service.slug not in service_ids
    ]
    return service_ids | await insert_with_ids(Service, missing_services)


async def ids_by_slug(table: type[Table]) -> dict[str, int]:
    rows = await table.select(table.id, table.slug)
    return {row["slug"]: row["id"] for row in rows}


async def insert_with_ids(table: type[Table], rows: Sequence[Table]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in chunked(rows):
        for row in await table.insert(*chunk).returning(table.id, table.slug):
            ids[row["slug"]] = row["id"]
    return ids


async def insert_all(table: type[Table], rows: Iterable[Table]) -> None:
    for chunk in chunked(rows):
        await table.insert(*chunk)


def chunked(rows: Iterable[Table]) -> Iterator[list[Table]]:
    chunk: list[Table] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def hub_row(hub: HubSeed) -> Hub:
    return Hub(
        slug=hub.slug,
        name=hub.name,
        district=f"Municipalità {hub.municipality}",
        neighbourhoods=hub.neighbourhoods,
        address=hub.address,
        postcode=hub.postcode,
        city=CITY,
        phone=hub.phone,
        email=hub.email,
        opening_hours=hub.opening_hours,
        description=hub.description,
        latitude=hub.latitude,
        longitude=hub.longitude,
    )


def activity_row(
    activity: PlannedActivity, service_ids: dict[str, int], hub_ids: dict[str, int], now: datetime
) -> Activity:
    template = activity.template
    age_min, age_max = template.ages or (None, None)
    return Activity(
        slug=activity.slug,
        title=template.title,
        service=service_ids[template.service],
        hub=hub_ids[activity.hub.slug],
        summary=template.summary,
        description=template.description,
        requirements=template.requirements,
        outcome=template.outcome,
        access=template.access,
        format=template.format,
        seat_unit=template.seat_unit,
        audience=template.audience,
        age_min_months=age_min,
        age_max_months=age_max,
        capacity=template.capacity,
        seats_taken=activity.seats_taken,
        waiting_list=template.waiting_list,
        booking_opens_at=activity.booking_opens_at,
        booking_closes_hours=24,
        cancellation_hours=template.cancellation_hours,
        both_parents_consent=template.both_parents_consent,
        published=activity.published,
        updated_at=now,
    )


def meeting_rows(
    activities: Iterable[PlannedActivity], activity_ids: dict[str, int], now: datetime
) -> Iterator[Meeting]:
    for activity in activities:
        for meeting in activity.meetings:
            yield Meeting(
                activity=activity_ids[activity.slug],
                starts_at=meeting.starts_at,
                ends_at=meeting.ends_at,
                local_date=meeting.local_date,
                local_weekday=meeting.local_date.isoweekday(),
                place=meeting.place,
                capacity=meeting.capacity,
                seats_taken=meeting.seats_taken,
                status="cancelled" if meeting.cancelled else "scheduled",
                private=False,
                sequence=1 if meeting.cancelled else 0,
                cancelled_at=now if meeting.cancelled else None,
                updated_at=now,
            )
