"""Which active offers fit a need, best first: a pure function over plain data (no database, no clock).

An offer that does not give the kind of help asked is no candidate. Among the others the score adds:
the district (3), the language (2), each shared weekday (1) and each shared time band (1). Ties go to
the volunteer with fewer live matches (spread the load), then to the older offer."""

from __future__ import annotations

from dataclasses import dataclass, field

DISTRICT_POINTS = 3
LANGUAGE_POINTS = 2


@dataclass(frozen=True)
class OfferFacts:
    id: int
    kinds: frozenset[int]
    weekdays: frozenset[int]
    time_bands: frozenset[str]
    districts: frozenset[str]
    languages: frozenset[str]
    live_matches: int = 0


@dataclass(frozen=True)
class NeedFacts:
    kind: int
    weekdays: frozenset[int]
    time_bands: frozenset[str]
    district: str
    language: str


@dataclass(frozen=True)
class Fit:
    offer_id: int
    score: int
    same_district: bool
    same_language: bool
    shared_days: tuple[int, ...]
    shared_bands: tuple[str, ...]
    live_matches: int = 0
    reasons: tuple[str, ...] = field(default=())


def fit(need: NeedFacts, offer: OfferFacts) -> Fit | None:
    if need.kind not in offer.kinds:
        return None
    days = tuple(sorted(need.weekdays & offer.weekdays))
    bands = tuple(sorted(need.time_bands & offer.time_bands))
    district = bool(need.district) and need.district in offer.districts
    language = bool(need.language) and need.language in offer.languages
    score = (DISTRICT_POINTS if district else 0) + (LANGUAGE_POINTS if language else 0) + len(days) + len(bands)
    return Fit(offer.id, score, district, language, days, bands, offer.live_matches)


def rank(need: NeedFacts, offers: list[OfferFacts]) -> list[Fit]:
    fits = [found for found in (fit(need, offer) for offer in offers) if found is not None]
    return sorted(fits, key=lambda f: (-f.score, f.live_matches, f.offer_id))
