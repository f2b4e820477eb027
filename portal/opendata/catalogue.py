"""The datasets of the public catalogue, page by page or whole (for CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Awaitable, Callable, Generic, TypeVar

from portal import db, i18n, taxonomy
from portal.tables import Activity, Hub, Meeting

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
Record = TypeVar("Record")


@dataclass(frozen=True)
class HubRecord:
    slug: str
    name: str
    district: str
    neighbourhoods: str
    address: str
    postcode: str
    city: str
    phone: str
    email: str
    opening_hours: str
    latitude: float | None
    longitude: float | None
    url: str


@dataclass(frozen=True)
class AreaRecord:
    slug: str
    name: str
    description: str
    url: str


@dataclass(frozen=True)
class ServiceRecord:
    slug: str
    area: str
    name: str


@dataclass(frozen=True)
class ActivityRecord:
    slug: str
    title: str
    summary: str
    hub: str
    service: str
    area: str
    access: str  # open | approval | request | referral
    format: str  # single | course
    audience: str  # children | adults | families
    age_min_months: int | None
    age_max_months: int | None
    url: str
    calendar_url: str


@dataclass(frozen=True)
class MeetingRecord:
    id: int
    activity: str
    hub: str
    starts_at: datetime
    ends_at: datetime
    place: str
    capacity: int
    free_places: int
    activity_url: str


@dataclass(frozen=True)
class Page(Generic[Record]):
    items: list[Record]
    page: int
    per_page: int
    total: int


@dataclass(frozen=True)
class Window:
    """Which slice of a dataset: page 1 and up, at most MAX_PAGE_SIZE records (None: all of it)."""

    page: int = 1
    per_page: int | None = DEFAULT_PAGE_SIZE

    @property
    def sql(self) -> tuple[str, list[int]]:
        if self.per_page is None:
            return "", []
        return " LIMIT {} OFFSET {}", [self.per_page, (self.page - 1) * self.per_page]


def _page(window: Window, total: int, records: list) -> Page:
    return Page(items=records, page=window.page, per_page=window.per_page or total, total=total)


async def hubs(base_url: str, window: Window) -> Page[HubRecord]:
    total = await Hub.count()
    limit, args = window.sql
    rows = await Hub.raw(
        "SELECT slug, name, district, neighbourhoods, address, postcode, city, phone, email, opening_hours,"
        " latitude, longitude FROM hub ORDER BY id" + limit, *args)
    return _page(window, total, [HubRecord(**row, url=f"{base_url}/poli/{row['slug']}") for row in rows])


async def areas(base_url: str, window: Window) -> Page[AreaRecord]:
    start = (window.page - 1) * (window.per_page or 0)
    chosen = taxonomy.AREAS[start:start + window.per_page] if window.per_page else taxonomy.AREAS
    return _page(window, len(taxonomy.AREAS), [
        AreaRecord(area.slug, taxonomy.area_name(area.slug), i18n.gettext(area.description),
                   f"{base_url}/aree/{area.slug}") for area in chosen])


async def services(base_url: str, window: Window) -> Page[ServiceRecord]:
    start = (window.page - 1) * (window.per_page or 0)
    chosen = taxonomy.SERVICES[start:start + window.per_page] if window.per_page else taxonomy.SERVICES
    return _page(window, len(taxonomy.SERVICES), [
        ServiceRecord(service.slug, service.area, taxonomy.service_name(service.slug)) for service in chosen])


_ACTIVITIES = """
    FROM activity a JOIN hub h ON h.id = a.hub JOIN service s ON s.id = a.service JOIN area ar ON ar.id = s.area
    WHERE a.published = {}
"""


async def activities(base_url: str, window: Window) -> Page[ActivityRecord]:
    total = (await Activity.raw(f"SELECT COUNT(*) AS n {_ACTIVITIES}", True))[0]["n"]
    limit, args = window.sql
    rows = await Activity.raw(
        "SELECT a.slug, a.title, a.summary, h.slug AS hub, s.slug AS service, ar.slug AS area, a.access,"
        f" a.format, a.audience, a.age_min_months, a.age_max_months {_ACTIVITIES} ORDER BY a.id" + limit,
        True, *args)
    return _page(window, total, [
        ActivityRecord(**row, url=f"{base_url}/attivita/{row['slug']}",
                       calendar_url=f"{base_url}/calendari/attivita/{row['slug']}.ics") for row in rows])


# Upcoming, scheduled, public meetings of published activities that are not referral-only.
_MEETINGS = """
    FROM meeting m JOIN activity a ON a.id = m.activity JOIN hub h ON h.id = a.hub
    WHERE a.published = {} AND a.access <> 'referral' AND m.private = {} AND m.status = 'scheduled'
      AND m.starts_at >= {}
"""


async def meetings(base_url: str, window: Window, now: datetime) -> Page[MeetingRecord]:
    condition = [True, False, now]
    total = (await Meeting.raw(f"SELECT COUNT(*) AS n {_MEETINGS}", *condition))[0]["n"]
    limit, args = window.sql
    rows = await Meeting.raw(
        "SELECT m.id, a.slug AS activity, h.slug AS hub, m.starts_at, m.ends_at, m.place,"
        " COALESCE(m.capacity, a.capacity) AS capacity,"
        " CASE WHEN a.format = 'course' THEN a.seats_taken ELSE m.seats_taken END AS taken"
        f" {_MEETINGS} ORDER BY m.starts_at, m.id" + limit, *condition, *args)
    return _page(window, total, [
        MeetingRecord(id=row["id"], activity=row["activity"], hub=row["hub"],
                      starts_at=db.instant(row["starts_at"]), ends_at=db.instant(row["ends_at"]),
                      place=row["place"], capacity=row["capacity"],
                      free_places=max(row["capacity"] - row["taken"], 0),
                      activity_url=f"{base_url}/attivita/{row['activity']}") for row in rows])


Dataset = Callable[..., Awaitable[Page]]
DATASETS: dict[str, tuple[type, Dataset]] = {
    "hubs": (HubRecord, hubs), "areas": (AreaRecord, areas), "services": (ServiceRecord, services),
    "activities": (ActivityRecord, activities), "meetings": (MeetingRecord, meetings),
}


async def whole(name: str, base_url: str, now: datetime) -> Page:
    record, produce = DATASETS[name]
    arguments = (now,) if name == "meetings" else ()
    return await produce(base_url, Window(per_page=None), *arguments)


def as_csv(record: type, page: Page) -> str:
    """UTF-8 CSV with a header row, comma-separated; instants in ISO 8601 with their offset (UTC)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([field.name for field in fields(record)])
    for item in page.items:
        writer.writerow(["" if value is None else value.isoformat() if isinstance(value, datetime) else value
                         for value in astuple(item)])
    return out.getvalue()
