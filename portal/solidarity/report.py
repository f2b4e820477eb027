"""The staff's solidarity report: active offers by kind of help and district, matches started and ended
over a period — counts only, no names, for the hubs one may see."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from portal.db import instant
from portal.i18n import ROME
from portal.identity.staff_access import Staff, authorize, listed_hub_ids
from portal.solidarity.offers import ACTION
from portal.solidarity.vocabulary import split_districts
from portal.tables import Match, OfferHelpKind, SolidarityOffer


@dataclass(frozen=True)
class SolidarityReport:
    start: date
    end: date
    offers_by_kind_and_district: list[tuple[str, str, int]]
    active_offers: int
    matches_started: int
    matches_ended: int


async def report(staff: Staff, hub_id: int | None, start: date, end: date) -> SolidarityReport:
    hubs = await listed_hub_ids(staff, hub_id)
    authorize(staff, ACTION)
    query = SolidarityOffer.select(SolidarityOffer.id, SolidarityOffer.districts).where(
        SolidarityOffer.status == "active")
    if hubs is not None:
        query = query.where(SolidarityOffer.hub.is_in(hubs))
    active = await query
    kinds: dict[int, list[str]] = {}
    for link in await OfferHelpKind.select(OfferHelpKind.offer, OfferHelpKind.kind.name).where(
            OfferHelpKind.offer.is_in([row["id"] for row in active] or [0])):
        kinds.setdefault(link["offer"], []).append(link["kind.name"])
    counts: Counter[tuple[str, str]] = Counter()
    for row in active:
        for kind in kinds.get(row["id"], []):
            for district in split_districts(row["districts"]):
                counts[(kind, district)] += 1
    matches = Match.select(Match.start_date, Match.ended_at)
    if hubs is not None:
        matches = matches.where(Match.need.hub.is_in(hubs))
    rows = await matches
    since = datetime.combine(start, time(), tzinfo=ROME)
    until = datetime.combine(end + timedelta(days=1), time(), tzinfo=ROME)
    started = sum(1 for r in rows if r["start_date"] and start <= r["start_date"] <= end)
    ended = sum(1 for r in rows if r["ended_at"] and since <= instant(r["ended_at"]) < until)
    return SolidarityReport(start, end, sorted((k, d, n) for (k, d), n in counts.items()), len(active), started,
                            ended)

