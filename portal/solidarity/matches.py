"""Matching a need with an active offer of the same hub, and what each side may read.

Staff see the candidates ranked (portal.solidarity.matching) and record a match with a start date,
status and follow-up notes. Each family reads only the text staff chose to share with it — by default
the other side's referent's first name, the hub's contact and the agreed days — never the profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from piccolo.columns import Varchar

from portal import audit, db, i18n
from portal.db import NotFound
from portal.form_fields import Form
from portal.i18n import N_, gettext
from portal.identity.staff_access import Staff, authorize, hub_in_scope
from portal.links import Links
from portal.mail import messages as mail
from portal.solidarity import matching, needs, notices, offers
from portal.solidarity.vocabulary import MATCH_STATUSES, days_text, split, split_days, split_districts
from portal.tables import Family, Match, Need, OfferHelpKind, SolidarityOffer

SHARED_LENGTH = 600
NOTES_LENGTH = 4000


@dataclass(frozen=True)
class Candidate:
    fit: matching.Fit
    offer: offers.StaffOfferView


@dataclass(frozen=True)
class MatchView:
    id: int
    offer_id: int
    need_id: int
    hub_id: int
    status: str
    start_date: date | None
    shared_with_volunteer: str
    shared_with_family: str
    follow_up_notes: str
    created_at: datetime

    @property
    def status_label(self) -> str:
        return gettext(MATCH_STATUSES[self.status])


@dataclass(frozen=True)
class SharedMatch:
    """All a family reads of a match: what staff shared with it, the status and the start date."""

    id: int
    status: str
    start_date: date | None
    shared: str
    hub_name: str
    hub_phone: str

    @property
    def status_label(self) -> str:
        return gettext(MATCH_STATUSES[self.status])


# -- staff -----------------------------------------------------------------------------------


async def candidates(staff: Staff, need_id: int) -> list[Candidate]:
    """Active offers of the need's hub that give the kind of help asked, best first."""
    need = await needs.need_in_scope(staff, need_id)
    rows = await SolidarityOffer.select().where(
        (SolidarityOffer.hub == need.hub_id) & (SolidarityOffer.status == "active"))
    ids = [row["id"] for row in rows]
    kinds: dict[int, set[int]] = {}
    for link in await OfferHelpKind.select().where(OfferHelpKind.offer.is_in(ids or [0])):
        kinds.setdefault(link["offer"], set()).add(link["kind"])
    loads = await offers.live_match_counts(ids)
    facts = [matching.OfferFacts(
        id=row["id"], kinds=frozenset(kinds.get(row["id"], ())), weekdays=frozenset(split_days(row["weekdays"])),
        time_bands=frozenset(split(row["time_bands"])), districts=frozenset(split_districts(row["districts"])),
        languages=frozenset(split(row["languages"])), live_matches=loads.get(row["id"], 0)) for row in rows]
    wanted = matching.NeedFacts(need.kind_id, frozenset(need.weekdays), frozenset(need.time_bands), need.district,
                                need.language)
    ranked = matching.rank(wanted, facts)
    views = {view.offer.id: view for view in await offers.staff_views(staff, [found.offer_id for found in ranked])}
    return [Candidate(found, views[found.offer_id]) for found in ranked]


async def _family_first_name(family_id: int) -> tuple[str, str]:
    row = await Family.select(Family.name, Family.language).where(Family.id == family_id).first()
    return ((row["name"] or "").split() or [""])[0] if row else "", (row["language"] if row else None) or "it"


def _default_shared(language: str, first_name: str, hub_name: str, hub_phone: str, days: list[int]) -> str:
    with mail.using_language(language):
        parts = [i18n.gettext("Referent: %(name)s.", name=first_name or "–"),
                 i18n.gettext("Hub contact: %(hub)s, %(phone)s.", hub=hub_name, phone=hub_phone or "–")]
        if days:
            parts.append(i18n.gettext("Agreed days: %(days)s.", days=days_text(days)))
        return " ".join(parts)[:SHARED_LENGTH]


async def default_sharing(staff: Staff, need_id: int, offer_id: int) -> dict[str, str]:
    """What each side reads by default, in that side's language."""
    need = await needs.need_in_scope(staff, need_id)
    offer = (await offers.offer_in_scope(staff, offer_id)).offer
    days = sorted(set(need.weekdays) & set(offer.weekdays)) or need.weekdays
    volunteer_name, volunteer_language = await _family_first_name(offer.family_id)
    family_language = need.language if need.language in i18n.LANGUAGES else "it"
    if need.family_id is not None:
        family_language = (await _family_first_name(need.family_id))[1]
    return {
        "shared_with_volunteer": _default_shared(volunteer_language, need.first_name, need.hub_name, need.hub_phone,
                                                 days),
        "shared_with_family": _default_shared(family_language, volunteer_name, need.hub_name, need.hub_phone, days),
    }


async def propose(staff: Staff, need_id: int, offer_id: int, values: Mapping[str, Any], now: datetime,
                  links: Links) -> int:
    """Record a proposed match of an active offer of the need's hub; both sides with an account are told."""
    need = await needs.need_in_scope(staff, need_id)
    offer = (await offers.offer_in_scope(staff, offer_id)).offer
    form = Form(values)
    if offer.hub_id != need.hub_id:
        raise NotFound(offer_id)
    if offer.status != "active":
        form.error("offer", N_("Only active offers can be matched."))
    if need.status == "closed":
        form.error("offer", N_("This need is closed."))
    if await Match.exists().where((Match.need == need_id) & (Match.offer == offer_id)):
        form.error("offer", N_("This offer is already matched with this need."))
    start = form.day("start_date")
    defaults = await default_sharing(staff, need_id, offer_id)
    shared = {
        name: form.text(name, SHARED_LENGTH, multiline=True) if name in values else defaults[name]
        for name in ("shared_with_volunteer", "shared_with_family")
    }
    shared_volunteer, shared_family = shared["shared_with_volunteer"], shared["shared_with_family"]
    form.raise_if_any()
    async with db.write_transaction():
        rows = await Match.insert(Match(
            offer=offer_id, need=need_id, start_date=start, status="proposed",
            shared_with_volunteer=shared_volunteer, shared_with_family=shared_family, follow_up_notes="",
            created_at=now, updated_at=now,
        )).returning(Match.id)
        match_id = rows[0]["id"]
        await Need.update({Need.status: "matched", Need.updated_at: now}).where(
            (Need.id == need_id) & (Need.status == "open"))
        await notices.notify("match_volunteer", offer.family_id, offer.hub_id, now, links)
        if need.family_id is not None:
            await notices.notify("match_family", need.family_id, need.hub_id, now, links)
        await audit.record(staff, "match.create", "match", match_id, "", {"offer": offer_id, "need": need_id}, now)
    return match_id


async def match_in_scope(staff: Staff, match_id: int) -> MatchView:
    row = await Match.select(Match.need.hub).where(Match.id == match_id).first()
    if row is None:
        raise NotFound(match_id)
    await hub_in_scope(staff, row["need.hub"])
    authorize(staff, offers.ACTION)
    return await _view(match_id)


async def update(staff: Staff, match_id: int, values: Mapping[str, Any], now: datetime) -> None:
    current = await match_in_scope(staff, match_id)
    form = Form(values)
    status = form.choice("status", MATCH_STATUSES, N_("Choose a status from the list."))
    start = form.day("start_date")
    shared_volunteer = form.text("shared_with_volunteer", SHARED_LENGTH, multiline=True)
    shared_family = form.text("shared_with_family", SHARED_LENGTH, multiline=True)
    notes = form.text("follow_up_notes", NOTES_LENGTH, multiline=True)
    form.raise_if_any()
    columns = {Match.status: status, Match.start_date: start, Match.shared_with_volunteer: shared_volunteer,
               Match.shared_with_family: shared_family, Match.follow_up_notes: notes, Match.updated_at: now}
    if status == "ended" and current.status != "ended":
        columns[Match.ended_at] = now
    elif status != "ended":
        columns[Match.ended_at] = None
    async with db.write_transaction():
        await Match.update(columns).where(Match.id == match_id)
        await audit.record(staff, "match.update", "match", match_id, "", {"status": [current.status, status]}, now)


async def need_matches(staff: Staff, need_id: int) -> list[MatchView]:
    await needs.need_in_scope(staff, need_id)
    return await _views(Match.need == need_id)


async def offer_matches(staff: Staff, offer_id: int) -> list[MatchView]:
    await offers.offer_in_scope(staff, offer_id)
    return await _views(Match.offer == offer_id)


async def _view(match_id: int) -> MatchView:
    return (await _views(Match.id == match_id))[0]


async def _views(condition) -> list[MatchView]:
    rows = await Match.select(Match.all_columns(), Match.need.hub).where(condition).order_by(Match.id)
    return [MatchView(row["id"], row["offer"], row["need"], row["need.hub"], row["status"], row["start_date"],
                      row["shared_with_volunteer"], row["shared_with_family"], row["follow_up_notes"],
                      row["created_at"]) for row in rows]


# -- families ------------------------------------------------------------------------------


async def volunteer_matches(family_id: int) -> list[SharedMatch]:
    """The matches of the family's offers, with only what staff shared with the volunteer."""
    return await _shared(Match.shared_with_volunteer, Match.offer.family == family_id)


async def family_help(family_id: int) -> list[SharedMatch]:
    """Help matched to this family's own needs, with only what staff shared with the family."""
    return await _shared(Match.shared_with_family, Match.need.family == family_id)


async def _shared(shared: Varchar, condition) -> list[SharedMatch]:
    rows = await Match.select(Match.id, Match.status, Match.start_date, shared.as_alias("shared"),
                              Match.need.hub.name, Match.need.hub.phone).where(condition).order_by(
        Match.id, ascending=False)
    return [SharedMatch(r["id"], r["status"], r["start_date"], r["shared"], r["need.hub.name"], r["need.hub.phone"])
            for r in rows]


async def family_match(family_id: int, match_id: int) -> SharedMatch:
    """One match as this family may read it: as the volunteer or as the family helped; any other → NotFound."""
    for shared in await volunteer_matches(family_id) + await family_help(family_id):
        if shared.id == match_id:
            return shared
    raise NotFound(match_id)


