"""The catalogue's cards: one card per service that several hubs run, its nearest hubs first.

A family looking for "Spazio 0–3" wants it once, at the hub nearest home, with the next date it can
book. Several hubs running the same activity (same service, same title) make one card; with a
district chosen its hubs are ordered by distance from that district's hub, otherwise by their next
bookable date. A hub filter lists that hub's activities one by one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from portal.booking import availability
from portal.booking.availability import Availability
from portal.catalogue import browse, texts
from portal.catalogue.browse import CARD_COLUMNS, FROM_CATALOGUE, PAGE_SIZE, Card, Filters, Results
from portal.tables import Activity

NEAREST = 3  # hubs shown with their next dates on a card; the others are named


@dataclass(frozen=True)
class Place:
    """One hub's activity on a card, with what a family can book there."""

    card: Card
    dates: Availability | None
    district: str
    distance_km: float | None


@dataclass(frozen=True)
class ServiceCard:
    places: tuple[Place, ...]  # nearest (or soonest) first

    @property
    def card(self) -> Card:
        return self.places[0].card

    @property
    def nearest(self) -> tuple[Place, ...]:
        return self.places[:NEAREST]

    @property
    def others(self) -> tuple[Place, ...]:
        return self.places[NEAREST:]


_NEXT_START = (
    "(SELECT MIN(m.starts_at) FROM meeting m WHERE m.activity = a.id AND m.status = 'scheduled'"
    " AND m.private = {} AND m.starts_at >= {})"
)


async def search(filters: Filters, now: datetime, hubs: list[dict]) -> Results:
    """A page of cards: grouped by service and title, or one per activity when a hub is chosen."""
    if filters.hub:
        results = await browse.search(filters, now)
        rows = await _rows([card.slug for card in results.cards])
        return Results(await _cards([[row] for row in rows], filters, now, hubs), results.total, results.page,
                       results.pages)
    where, args = browse.where_clause(filters, now)
    grouped = f"SELECT s.slug AS service_slug, a.title {FROM_CATALOGUE} WHERE {where} GROUP BY s.slug, a.title"
    total = (await Activity.raw(f"SELECT COUNT(*) AS total FROM ({grouped}) matched", *args))[0]["total"]
    pages = max(math.ceil(total / PAGE_SIZE), 1)
    page = min(filters.page, pages)
    groups = await Activity.raw(
        f"SELECT service_slug, title, MIN(next_start) AS first_start FROM (SELECT s.slug AS service_slug, a.title,"
        f" {_NEXT_START} AS next_start {FROM_CATALOGUE} WHERE {where}) candidates GROUP BY service_slug, title"
        " ORDER BY MIN(next_start) IS NULL, MIN(next_start), title, service_slug LIMIT {} OFFSET {}",
        False, now, *args, PAGE_SIZE, (page - 1) * PAGE_SIZE,
    )
    members: list[list[dict]] = []
    if groups:
        titles = [group["title"] for group in groups]
        rows = await Activity.raw(
            f"SELECT {CARD_COLUMNS}, h.district, h.latitude, h.longitude {FROM_CATALOGUE} WHERE {where}"
            f" AND a.title IN ({', '.join('{}' for _ in titles)}) ORDER BY a.id", *args, *titles)
        for group in groups:
            members.append([row for row in rows if (row["service_slug"], row["title"]) ==
                            (group["service_slug"], group["title"])])
    return Results(await _cards(members, filters, now, hubs), total, page, pages)


async def _rows(slugs: list[str]) -> list[dict]:
    if not slugs:
        return []
    rows = await Activity.raw(
        f"SELECT {CARD_COLUMNS}, h.district, h.latitude, h.longitude {FROM_CATALOGUE}"
        f" WHERE a.slug IN ({', '.join('{}' for _ in slugs)})", *slugs)
    order = {slug: position for position, slug in enumerate(slugs)}
    return sorted(rows, key=lambda row: order[row["slug"]])


async def _cards(groups: list[list[dict]], filters: Filters, now: datetime, hubs: list[dict]) -> list[ServiceCard]:
    ids = [row["id"] for group in groups for row in group]
    next_meetings = await browse.next_meetings(ids, filters, now)
    dates = await availability.for_activities(ids, now, per_activity=8)
    origin = district_origin(filters.district, hubs)
    cards = []
    for group in groups:
        await texts.translate_titles(group)
        places = [
            Place(browse.card_from_row(row, next_meetings.get(row["id"])), dates.get(row["id"]), row["district"],
                  distance_km(origin, row["latitude"], row["longitude"]))
            for row in group
        ]
        places.sort(key=lambda place: _place_order(place, origin is not None))
        cards.append(ServiceCard(tuple(places)))
    return cards


def _place_order(place: Place, by_distance: bool) -> tuple:
    bookable = place.dates.next_bookable(1) if place.dates else []
    soonest = bookable[0].starts_at.timestamp() if bookable else math.inf
    if by_distance:
        return (place.distance_km is None, place.distance_km or 0.0, soonest, place.card.hub_name)
    return (soonest, place.card.hub_name)


def district_origin(district: str | None, hubs: list[dict]) -> tuple[float, float] | None:
    """Where a district is: the mean position of its hubs."""
    points = [(hub["latitude"], hub["longitude"]) for hub in hubs
              if district and hub["district"] == district and hub["latitude"] is not None]
    if not points:
        return None
    return (sum(point[0] for point in points) / len(points), sum(point[1] for point in points) / len(points))


def distance_km(origin: tuple[float, float] | None, latitude: float | None, longitude: float | None) -> float | None:
    """Great-circle distance; a city's hubs are a few kilometres apart."""
    if origin is None or latitude is None or longitude is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (origin[0], origin[1], latitude, longitude))
    haversine = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(haversine))
