"""The public catalogue: filters, search, and what a card or an activity page shows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Mapping

from portal import db
from portal.booking import draw
from portal.booking.draw import DrawState
from portal.catalogue import texts
from portal.db import NotFound
from portal.i18n import N_, ROME, gettext
from portal.tables import Activity, Hub, Meeting
from portal.taxonomy import AREA_BY_SLUG, SERVICE_BY_SLUG

PAGE_SIZE = 12
MAX_AGE_YEARS = 17
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class Filters:
    district: str | None = None  # orders each card's hubs by distance; it does not narrow the results
    area: str | None = None
    service: str | None = None
    hub: str | None = None
    age: int | None = None
    day: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    available: bool = False
    page: int = 1

    def query_items(self, **changes: object) -> list[tuple[str, str]]:
        """The filters as URL query items (for pagination links and the pushed URL)."""
        current = replace(self, **changes)
        items = [
            ("district", current.district), ("area", current.area), ("service", current.service), ("hub", current.hub),
            ("age", current.age), ("day", current.day), ("from", current.date_from),
            ("to", current.date_to), ("q", current.q or None),
            ("available", "1" if current.available else None),
            ("page", current.page if current.page > 1 else None),
        ]
        return [(name, str(value)) for name, value in items if value is not None]


@dataclass(frozen=True)
class MeetingView:
    id: int
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int
    seats_taken: int

    @property
    def free_seats(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def local_date(self) -> date:
        return self.starts_at.astimezone(ROME).date()


@dataclass(frozen=True)
class Card:
    slug: str
    title: str
    summary: str
    access: str
    format: str
    audience: str
    age_min_months: int | None
    age_max_months: int | None
    capacity: int
    seats_taken: int
    waiting_list: bool
    hub_slug: str
    hub_name: str
    service_slug: str
    area_slug: str
    next_meeting: MeetingView | None = None
    title_language: str = "it"  # the reader's, where staff translated the title

    @property
    def free_seats(self) -> int | None:
        """Free seats of the course, or of the next meeting of a single activity."""
        if self.format == "course":
            return max(self.capacity - self.seats_taken, 0)
        return self.next_meeting.free_seats if self.next_meeting else None

    @property
    def availability(self) -> str:
        """One word for the card's badge: free, waiting, full, request, referral or none."""
        if self.access in ("request", "referral"):
            return self.access
        if self.next_meeting is None:
            return "none"
        if self.free_seats:
            return "free"
        return "waiting" if self.waiting_list else "full"


@dataclass(frozen=True)
class Results:
    cards: list[Card]
    total: int
    page: int
    pages: int


@dataclass
class FilterErrors:
    by_field: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def parse_filters(params: Mapping[str, str], hub_slugs: set[str], districts: set[str] = frozenset(),
                  ) -> tuple[Filters, FilterErrors]:
    """Read the catalogue's query string; a bad value is dropped and explained by its field."""
    errors = FilterErrors()
    values: dict[str, object] = {}

    def text(name: str) -> str:
        return (params.get(name) or "").strip()

    def choice(name: str, known: set[str] | dict, message: str) -> None:
        value = text(name)
        if value and value not in known:
            errors.by_field[name] = gettext(message)
        elif value:
            values[name] = value

    choice("district", districts, N_("Choose a district from the list."))
    choice("area", AREA_BY_SLUG, N_("Choose an area from the list."))
    choice("service", SERVICE_BY_SLUG, N_("Choose a service from the list."))
    choice("hub", hub_slugs, N_("Choose a hub from the list."))
    values["age"] = _integer(text("age"), 0, MAX_AGE_YEARS, "age", errors,
                             N_("Enter the child's age in years, a whole number from 0 to 17."))
    values["day"] = _integer(text("day"), 1, 7, "day", errors, N_("Choose a day of the week from the list."))
    values["date_from"] = _date(text("from"), "from", errors)
    values["date_to"] = _date(text("to"), "to", errors)
    if values["date_from"] and values["date_to"] and values["date_from"] > values["date_to"]:
        errors.by_field["to"] = gettext("The end date must not be before the start date.")
        values["date_to"] = None
    query = "".join(character for character in text("q") if character.isprintable())
    if len(query) > MAX_QUERY_LENGTH:
        errors.by_field["q"] = gettext("Search for at most %(max)s characters.", max=MAX_QUERY_LENGTH)
        query = ""
    values["q"] = query
    values["available"] = text("available") in ("1", "on", "true")
    values["page"] = _integer(text("page"), 1, 10_000, "page", errors, N_("This page does not exist.")) or 1
    return Filters(**values), errors


def _integer(raw: str, low: int, high: int, name: str, errors: FilterErrors, message: str) -> int | None:
    if not raw:
        return None
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    errors.by_field[name] = gettext(message)
    return None


def _date(raw: str, name: str, errors: FilterErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.by_field[name] = gettext("Enter a date such as 2026-12-31.")
        return None


def local_day(starts_at: datetime) -> tuple[date, int]:
    """The Europe/Rome date and ISO weekday of an instant: what every date filter compares."""
    local = starts_at.astimezone(ROME)
    return local.date(), local.isoweekday()


# -- queries ---------------------------------------------------------------------------------

CARD_COLUMNS = """
    a.id, a.slug, a.title, a.summary, a.access, a.format, a.audience, a.age_min_months,
    a.age_max_months, a.capacity, a.seats_taken, a.waiting_list,
    h.slug AS hub_slug, h.name AS hub_name, s.slug AS service_slug, ar.slug AS area_slug
"""
FROM_CATALOGUE = """
    FROM activity a JOIN hub h ON h.id = a.hub JOIN service s ON s.id = a.service
    JOIN area ar ON ar.id = s.area
"""
_PUBLIC_UPCOMING = "m.activity = a.id AND m.status = 'scheduled' AND m.private = {} AND m.starts_at >= {}"


def where_clause(filters: Filters, now: datetime) -> tuple[str, list[object]]:
    """The WHERE clause of a search, with Piccolo's {} placeholders and their values."""
    clauses, args = ["a.published = {}"], [True]
    for column, value in (("ar.slug", filters.area), ("s.slug", filters.service), ("h.slug", filters.hub)):
        if value:
            clauses.append(f"{column} = {{}}")
            args.append(value)
    if filters.age is not None:
        clauses.append(
            "((a.age_min_months IS NULL AND a.age_max_months IS NULL AND a.audience = 'families')"
            " OR ((a.age_min_months IS NOT NULL OR a.age_max_months IS NOT NULL)"
            " AND COALESCE(a.age_min_months, 0) <= {} AND COALESCE(a.age_max_months, 10000) >= {}))"
        )
        args += [filters.age * 12 + 11, filters.age * 12]
    if filters.q:
        pattern = "%" + filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(
            "(LOWER(a.title) LIKE {} ESCAPE '\\' OR LOWER(a.summary) LIKE {} ESCAPE '\\'"
            " OR LOWER(h.name) LIKE {} ESCAPE '\\')"
        )
        args += [pattern] * 3
    meeting_clauses, meeting_args = _meeting_filter(filters)
    if meeting_clauses or filters.available:
        seats = " AND COALESCE(m.capacity, a.capacity) > m.seats_taken" if filters.available else ""
        exists = f"EXISTS (SELECT 1 FROM meeting m WHERE {_PUBLIC_UPCOMING}{meeting_clauses}{{seats}})"
        if filters.available:
            clauses.append(
                "a.access IN ('open', 'approval') AND ("
                f"(a.format = 'single' AND {exists.replace('{seats}', seats)})"
                f" OR (a.format = 'course' AND a.capacity > a.seats_taken"
                f" AND {exists.replace('{seats}', '')} AND NOT EXISTS (SELECT 1 FROM meeting m"
                " WHERE m.activity = a.id AND m.status = 'scheduled' AND m.starts_at < {})))"
            )
            args += [False, now, *meeting_args, False, now, *meeting_args, now]
        else:
            clauses.append(exists.replace("{seats}", ""))
            args += [False, now, *meeting_args]
    return " AND ".join(clauses), args


def _meeting_filter(filters: Filters) -> tuple[str, list[object]]:
    clauses, args = "", []
    for condition, value in (
        ("m.local_weekday = {}", filters.day),
        ("m.local_date >= {}", filters.date_from),
        ("m.local_date <= {}", filters.date_to),
    ):
        if value is not None:
            clauses += f" AND {condition}"
            args.append(value)
    return clauses, args


async def search(filters: Filters, now: datetime) -> Results:
    where, args = where_clause(filters, now)
    count_rows = await Activity.raw(f"SELECT COUNT(*) AS total {FROM_CATALOGUE} WHERE {where}", *args)
    total = count_rows[0]["total"]
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    page = min(filters.page, pages)
    next_start = (
        "(SELECT MIN(m.starts_at) FROM meeting m WHERE m.activity = a.id AND m.status = 'scheduled'"
        " AND m.private = {} AND m.starts_at >= {})"
    )
    rows = await Activity.raw(
        f"SELECT {CARD_COLUMNS} {FROM_CATALOGUE} WHERE {where}"
        f" ORDER BY {next_start} IS NULL, {next_start}, a.title, a.id LIMIT {{}} OFFSET {{}}",
        *args, False, now, False, now, PAGE_SIZE, (page - 1) * PAGE_SIZE,
    )
    upcoming = await next_meetings([row["id"] for row in rows], filters, now)
    cards = [card_from_row(row, upcoming.get(row["id"])) for row in await texts.translate_titles(rows)]
    return Results(cards=cards, total=total, page=page, pages=pages)


async def next_meetings(activity_ids: list[int], filters: Filters, now: datetime) -> dict[int, MeetingView]:
    """The next public meeting of each activity (within the date filters), in one query."""
    if not activity_ids:
        return {}
    meeting_clauses, meeting_args = _meeting_filter(filters)
    placeholders = ", ".join("{}" for _ in activity_ids)
    rows = await Meeting.raw(
        "SELECT * FROM (SELECT m.id, m.activity, m.starts_at, m.ends_at, m.place,"
        " COALESCE(m.capacity, a.capacity) AS capacity, m.seats_taken,"
        " ROW_NUMBER() OVER (PARTITION BY m.activity ORDER BY m.starts_at, m.id) AS rn"
        f" FROM meeting m JOIN activity a ON a.id = m.activity WHERE m.activity IN ({placeholders})"
        f" AND {_PUBLIC_UPCOMING}{meeting_clauses}) next_meeting WHERE rn = 1",
        *activity_ids, False, now, *meeting_args,
    )
    return {row["activity"]: _meeting(row) for row in rows}


def _meeting(row: dict) -> MeetingView:
    return MeetingView(
        id=row["id"], starts_at=db.instant(row["starts_at"]), ends_at=db.instant(row["ends_at"]),
        place=row["place"], capacity=row["capacity"], seats_taken=row["seats_taken"],
    )


def card_from_row(row: dict, next_meeting: MeetingView | None) -> Card:
    fields = {name: row[name] for name in Card.__dataclass_fields__ if name in row}
    fields["waiting_list"] = bool(row["waiting_list"])
    return Card(**fields, next_meeting=next_meeting)


async def hub_slugs() -> set[str]:
    return {row["slug"] for row in await Hub.select(Hub.slug)}


@dataclass(frozen=True)
class ActivityPage:
    activity_id: int
    card: Card
    description: str
    requirements: str
    outcome: str
    seat_unit: str
    both_parents_consent: bool
    booking_opens_at: datetime | None
    booking_closes_hours: int
    cancellation_hours: int
    hub: dict
    meetings: list[MeetingView]
    draw: DrawState | None = None  # places given by a draw instead of first come


@dataclass(frozen=True)
class Opening:
    """When an activity starts taking bookings (or requests for its draw), for the page that waits for it."""

    slug: str
    opens_at: datetime | None
    is_open: bool
    by_draw: bool
    meeting: int | None = None  # a single activity's draw is for this date


async def opening(slug: str, now: datetime) -> Opening:
    row = await Activity.select(Activity.id, Activity.booking_opens_at).where(
        (Activity.slug == slug) & (Activity.published == True)).first()  # noqa: E712
    if row is None:
        raise NotFound(slug)
    state = await draw.of_activity(row["id"])
    if state is not None and not state.drawn:
        return Opening(slug, state.opens_at, state.opens_at <= now, True, state.meeting_id)
    opens_at = db.instant(row["booking_opens_at"]) if row["booking_opens_at"] else None
    return Opening(slug, opens_at, opens_at is None or opens_at <= now, False)


async def activity_page(slug: str, now: datetime) -> ActivityPage:
    row = await Activity.select(
        Activity.id, Activity.description, Activity.requirements, Activity.outcome, Activity.seat_unit,
        Activity.both_parents_consent, Activity.booking_opens_at, Activity.booking_closes_hours,
        Activity.cancellation_hours, Activity.hub,
    ).where((Activity.slug == slug) & (Activity.published == True)).first()  # noqa: E712
    if row is None:
        raise NotFound(slug)
    card_rows = await texts.translate_titles(
        await Activity.raw(f"SELECT {CARD_COLUMNS} {FROM_CATALOGUE} WHERE a.id = {{}}", row["id"]))
    meetings = await upcoming_meetings(row["id"], now)
    hub = await Hub.select().where(Hub.id == row["hub"]).first()
    return ActivityPage(
        activity_id=row["id"], card=card_from_row(card_rows[0], meetings[0] if meetings else None),
        description=row["description"], requirements=row["requirements"], outcome=row["outcome"],
        seat_unit=row["seat_unit"], both_parents_consent=row["both_parents_consent"],
        booking_opens_at=row["booking_opens_at"], booking_closes_hours=row["booking_closes_hours"],
        cancellation_hours=row["cancellation_hours"], hub=hub, meetings=meetings,
        draw=await draw.of_activity(row["id"]),
    )


async def upcoming_meetings(activity_id: int, now: datetime, limit: int = 60) -> list[MeetingView]:
    rows = await Meeting.raw(
        "SELECT m.id, m.starts_at, m.ends_at, m.place, COALESCE(m.capacity, a.capacity) AS capacity,"
        " CASE WHEN a.format = 'course' THEN a.seats_taken ELSE m.seats_taken END AS seats_taken"
        f" FROM meeting m JOIN activity a ON a.id = m.activity WHERE m.activity = {{}} AND {_PUBLIC_UPCOMING}"
        " ORDER BY m.starts_at, m.id LIMIT {}",
        activity_id, False, now, limit,
    )
    return [_meeting(row) for row in rows]


async def hub_by_slug(slug: str) -> dict:
    hub = await Hub.select().where(Hub.slug == slug).first()
    if hub is None:
        raise NotFound(slug)
    return hub


async def hubs() -> list[dict]:
    return await Hub.select(Hub.slug, Hub.name, Hub.district, Hub.latitude, Hub.longitude).order_by(Hub.id)


def json_ld(page: ActivityPage, base_url: str, limit: int = 10) -> list[dict]:
    """schema.org Events of the activity's upcoming meetings, for search engines."""
    hub = page.hub
    place = {
        "@type": "Place",
        "name": hub["name"],
        "address": {
            "@type": "PostalAddress", "streetAddress": hub["address"], "postalCode": hub["postcode"],
            "addressLocality": hub["city"], "addressCountry": "IT",
        },
    }
    if hub["latitude"] is not None:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": hub["latitude"], "longitude": hub["longitude"]}
    url = f"{base_url}/attivita/{page.card.slug}"
    return [
        {
            "@context": "https://schema.org",
            "@type": "Event",
            "name": page.card.title,
            "description": page.card.summary,
            "startDate": meeting.starts_at.astimezone(ROME).isoformat(),
            "endDate": meeting.ends_at.astimezone(ROME).isoformat(),
            "eventStatus": "https://schema.org/EventScheduled",
            "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
            "isAccessibleForFree": True,
            "location": place,
            "organizer": {"@type": "Organization", "name": hub["name"], "url": f"{base_url}/poli/{hub['slug']}"},
            "url": url,
        }
        for meeting in page.meetings[:limit]
    ]
