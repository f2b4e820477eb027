"""Volunteer families' solidarity offers: the family declares, edits, pauses and withdraws its offer;
the staff of the offer's hub review it (new → interview → active → paused/closed).

Authorization lives here: a family reaches only its own offer (there is no other to name), staff only
the offers of their hubs (404), and only roles allowed the `solidarity` action review (403)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from portal import audit, db
from portal.db import NotFound
from portal.form_fields import Form, FormErrors
from portal.i18n import N_, ROME, gettext
from portal.identity.staff_access import (
    Forbidden,
    Staff,
    authorize,
    hub_in_scope,
    listed_hub_ids,
    visible_hubs,
)
from portal.links import Links
from portal.solidarity import notices
from portal.solidarity.vocabulary import (
    LANGUAGE_CODES,
    OFFER_STATUSES,
    join,
    join_districts,
    read_when,
    split,
    split_days,
    split_districts,
)
from portal.tables import Family, HelpKind, Hub, Match, OfferHelpKind, SolidarityOffer

ACTION = "solidarity"  # not an operator's action: operators get 403
PRESENTATION_LENGTH = 500
OTHER_HELP_LENGTH = 200
NOTES_LENGTH = 4000
LIVE = ("new", "interview", "active", "paused")
# What staff may move an offer to, from each status (the same status just saves notes and dates).
TRANSITIONS = {
    "new": {"interview", "active", "closed"},
    "interview": {"new", "active", "closed"},
    "active": {"paused", "closed"},
    "paused": {"active", "closed"},
    "closed": set(),
}
WARNING = N_("Do not write health details, the reasons for a separation or court proceedings, "
             "or anything about other people: the staff will ask what they need at the interview.")


@dataclass(frozen=True)
class OfferView:
    id: int
    family_id: int
    hub_id: int
    hub_name: str
    status: str
    kind_ids: list[int]
    kind_names: list[str]
    other_help: str
    weekdays: list[int]
    time_bands: list[str]
    districts: list[str]
    languages: list[str]
    hosts_children: bool
    presentation: str
    interview_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def status_label(self) -> str:
        return gettext(OFFER_STATUSES[self.status])

    def form_values(self) -> dict[str, Any]:
        return {"kinds": self.kind_ids, "other_help": self.other_help, "weekdays": self.weekdays,
                "time_bands": self.time_bands, "districts": self.districts, "languages": self.languages,
                "hosts_children": self.hosts_children, "presentation": self.presentation, "hub": self.hub_id}


@dataclass(frozen=True)
class StaffOfferView:
    offer: OfferView
    family_name: str
    family_surname: str
    family_email: str
    family_phone: str
    staff_notes: str
    notes_visible: bool


# -- help kinds ----------------------------------------------------------------------------


async def help_kinds(active_only: bool = True) -> list[dict]:
    query = HelpKind.select()
    if active_only:
        query = query.where(HelpKind.active == True)  # noqa: E712
    return await query.order_by(HelpKind.position).order_by(HelpKind.name)


async def save_help_kind(staff: Staff, values: Mapping[str, Any], now: datetime, kind_id: int | None = None) -> int:
    authorize(staff, ACTION)
    form = Form(values)
    name = form.text("name", 100, N_("Enter the name of the kind of help."))
    position = form.integer("position", 0, 999) or 0
    active = form.flag("active") if kind_id is not None else True
    form.raise_if_any()
    async with db.write_transaction():
        if kind_id is None:
            rows = await HelpKind.insert(HelpKind(name=name, active=True, position=position)).returning(HelpKind.id)
            kind_id = rows[0]["id"]
        else:
            if not await HelpKind.exists().where(HelpKind.id == kind_id):
                raise NotFound(kind_id)
            await HelpKind.update({HelpKind.name: name, HelpKind.position: position, HelpKind.active: active}).where(
                HelpKind.id == kind_id)
        await audit.record(staff, "help_kind.save", "help_kind", kind_id, "", {"name": name, "active": active}, now)
    return kind_id


# -- the family's side ---------------------------------------------------------------------


async def hub_choices() -> list[dict]:
    return await Hub.select(Hub.id, Hub.name, Hub.district).order_by(Hub.name)


async def districts() -> list[str]:
    rows = await Hub.select(Hub.district).distinct().order_by(Hub.district)
    return [row["district"] for row in rows if row["district"]]


async def default_values(family_id: int) -> dict[str, Any]:
    """A new offer's form: the hub of the family's district, its language."""
    family = await Family.select(Family.district, Family.language).where(Family.id == family_id).first()
    hub = await Hub.select(Hub.id).where(Hub.district == (family["district"] or "")).order_by(Hub.id).first()
    return {"kinds": [], "weekdays": [], "time_bands": [], "hosts_children": False,
            "districts": [family["district"]] if family["district"] else [],
            "languages": [family["language"] or "it"], "hub": hub["id"] if hub else ""}


async def parse_offer(values: Mapping[str, Any]) -> dict:
    """The offer's columns from the form, or FormErrors with a message per field."""
    form = Form(values)
    active_kinds = {kind["id"] for kind in await help_kinds()}
    kinds = form.ids("kinds")
    other_help = form.text("other_help", OTHER_HELP_LENGTH)
    if not kinds and not other_help:
        form.error("kinds", N_("Choose at least one kind of help, or describe it below."))
    elif any(kind not in active_kinds for kind in kinds):
        form.error("kinds", N_("Choose the kinds of help from the list."))
    days, bands = read_when(form)
    known_districts = set(await districts())
    chosen_districts = [d for d in dict.fromkeys(form.all("districts"))]
    if not chosen_districts or any(d not in known_districts for d in chosen_districts):
        form.error("districts", N_("Choose at least one district from the list."))
    languages = list(dict.fromkeys(form.all("languages")))
    if not languages or any(code not in LANGUAGE_CODES for code in languages):
        form.error("languages", N_("Choose at least one language from the list."))
    presentation = form.text("presentation", PRESENTATION_LENGTH, N_("Write a few words about your family."),
                             multiline=True)
    hub_raw = form.raw("hub").strip()
    hub_id = int(hub_raw) if hub_raw.isascii() and hub_raw.isdigit() and len(hub_raw) < 10 else None
    if hub_id is None or not await Hub.exists().where(Hub.id == hub_id):
        form.error("hub", N_("Choose the hub that will follow your offer."))
    form.raise_if_any()
    return {"kinds": kinds, "other_help": other_help, "weekdays": join(days), "time_bands": join(bands),
            "districts": join_districts(chosen_districts), "languages": join(languages),
            "hosts_children": form.flag("hosts_children"), "presentation": presentation, "hub": hub_id}


async def family_offer(family_id: int) -> OfferView | None:
    """The family's live offer (not closed), or None."""
    row = await SolidarityOffer.select(SolidarityOffer.id).where(
        (SolidarityOffer.family == family_id) & SolidarityOffer.status.is_in(list(LIVE))).first()
    return await _view(row["id"]) if row else None


async def save_offer(family_id: int, values: Mapping[str, Any], now: datetime, links: Links) -> OfferView:
    """Create the family's offer (mailing that it was received) or update its live one. Moving an
    offer to another hub sends it back to that hub's review."""
    parsed = await parse_offer(values)
    kinds = parsed.pop("kinds")
    actor = f"family:{family_id}"
    async with db.write_transaction():
        current = await SolidarityOffer.select(SolidarityOffer.id, SolidarityOffer.hub).where(
            (SolidarityOffer.family == family_id) & SolidarityOffer.status.is_in(list(LIVE))).first()
        if current is None:
            rows = await SolidarityOffer.insert(SolidarityOffer(
                family=family_id, status="new", staff_notes="", created_at=now, updated_at=now, **parsed,
            )).returning(SolidarityOffer.id)
            offer_id = rows[0]["id"]
            await notices.notify("received", family_id, parsed["hub"], now, links)
            await audit.record(actor, "solidarity_offer.create", "solidarity_offer", offer_id, "", {}, now)
        else:
            offer_id = current["id"]
            columns = {getattr(SolidarityOffer, name): value for name, value in parsed.items()}
            columns[SolidarityOffer.updated_at] = now
            if parsed["hub"] != current["hub"]:
                columns[SolidarityOffer.status] = "new"
                columns[SolidarityOffer.activated_at] = None
            await SolidarityOffer.update(columns).where(SolidarityOffer.id == offer_id)
            await OfferHelpKind.delete().where(OfferHelpKind.offer == offer_id)
            await audit.record(actor, "solidarity_offer.update", "solidarity_offer", offer_id, "", {}, now)
        if kinds:
            await OfferHelpKind.insert(*(OfferHelpKind(offer=offer_id, kind=kind) for kind in kinds))
    return await _view(offer_id)


async def family_set_status(family_id: int, change: str, now: datetime) -> OfferView:
    """pause, resume (back to active if staff had activated it, otherwise to review) or withdraw."""
    offer = await family_offer(family_id)
    if offer is None:
        raise NotFound(family_id)
    if change == "pause" and offer.status in ("new", "interview", "active"):
        status = "paused"
    elif change == "resume" and offer.status == "paused":
        row = await SolidarityOffer.select(SolidarityOffer.activated_at).where(SolidarityOffer.id == offer.id).first()
        status = "active" if row["activated_at"] else "new"
    elif change == "withdraw":
        status = "closed"
    else:
        raise FormErrors({"status": gettext("This change is not possible now.")}, 409)
    async with db.write_transaction():
        await SolidarityOffer.update({SolidarityOffer.status: status, SolidarityOffer.updated_at: now}).where(
            SolidarityOffer.id == offer.id)
        await audit.record(f"family:{family_id}", f"solidarity_offer.{change}", "solidarity_offer", offer.id, "",
                           {"status": [offer.status, status]}, now)
    return await _view(offer.id)


# -- the staff's side ----------------------------------------------------------------------


async def staff_hubs(staff: Staff) -> list[dict]:
    authorize(staff, ACTION)
    return await visible_hubs(staff)


async def queue(staff: Staff, hub_id: int | None, status: str | None) -> list[StaffOfferView]:
    """The offers of one hub (or all one's hubs), new first, then by status, oldest first."""
    hubs = await listed_hub_ids(staff, hub_id)
    authorize(staff, ACTION)
    query = _select()
    if hubs is not None:
        query = query.where(SolidarityOffer.hub.is_in(hubs))
    if status in OFFER_STATUSES:
        query = query.where(SolidarityOffer.status == status)
    views = await _staff_views(staff, query.order_by(SolidarityOffer.created_at).order_by(SolidarityOffer.id))
    order = list(OFFER_STATUSES)
    return sorted(views, key=lambda v: order.index(v.offer.status))


async def offer_in_scope(staff: Staff, offer_id: int) -> StaffOfferView:
    row = await SolidarityOffer.select(SolidarityOffer.hub).where(SolidarityOffer.id == offer_id).first()
    if row is None:
        raise NotFound(offer_id)
    await hub_in_scope(staff, row["hub"])
    authorize(staff, ACTION)
    return (await staff_views(staff, [offer_id]))[0]


async def staff_views(staff: Staff, offer_ids: list[int]) -> list[StaffOfferView]:
    """These offers as staff read them (the caller has checked the scope), in the order of `offer_ids`."""
    views = {view.offer.id: view for view in await _staff_views(staff, _select().where(
        SolidarityOffer.id.is_in(offer_ids or [0])))}
    return [views[offer_id] for offer_id in offer_ids]


async def review(staff: Staff, offer_id: int, values: Mapping[str, Any], now: datetime, links: Links) -> None:
    """Status, interview date and confidential notes; the family is told of the interview and the activation."""
    current = await offer_in_scope(staff, offer_id)
    offer = current.offer
    form = Form(values)
    status = form.choice("status", OFFER_STATUSES, N_("Choose a status from the list."))
    if status in OFFER_STATUSES and status != offer.status and status not in TRANSITIONS[offer.status]:
        form.error("status", N_("An offer cannot go from this status to the one chosen."))
    day = form.day("interview_date")
    clock = form.clock("interview_time")
    interview_at = offer.interview_at
    if day and clock:
        interview_at = datetime.combine(day, clock, tzinfo=ROME)
    elif day or clock:
        form.error("interview_date", N_("Give both the date and the time of the interview."))
    if status == "interview" and interview_at is None and "interview_date" not in form.errors:
        form.error("interview_date", N_("Give the date and the time of the interview."))
    columns: dict = {}
    if "staff_notes" in values:
        if not current.notes_visible:
            raise Forbidden("staff_notes")
        columns[SolidarityOffer.staff_notes] = form.text("staff_notes", NOTES_LENGTH, multiline=True)
    form.raise_if_any()
    columns.update({SolidarityOffer.status: status, SolidarityOffer.interview_at: interview_at,
                    SolidarityOffer.updated_at: now})
    activated = status == "active" and offer.status != "active"
    if activated:
        columns[SolidarityOffer.activated_at] = now
    interview_news = interview_at is not None and interview_at != offer.interview_at and status == "interview"
    async with db.write_transaction():
        await SolidarityOffer.update(columns).where(SolidarityOffer.id == offer_id)
        if interview_news:
            await notices.notify("interview", offer.family_id, offer.hub_id, now, links, interview_at)
        if activated:
            await notices.notify("active", offer.family_id, offer.hub_id, now, links)
        await audit.record(staff, "solidarity_offer.review", "solidarity_offer", offer_id, "",
                           {"status": [offer.status, status], "interview_at": interview_at}, now)


# -- views -----------------------------------------------------------------------------------


def _select():
    """Offers with their hub's name and the family's contacts, in one query."""
    return SolidarityOffer.select(
        SolidarityOffer.all_columns(), SolidarityOffer.hub.name, SolidarityOffer.family.name,
        SolidarityOffer.family.surname, SolidarityOffer.family.email, SolidarityOffer.family.phone)


async def _view(offer_id: int) -> OfferView:
    row = await _select().where(SolidarityOffer.id == offer_id).first()
    return _offer_view(row, await _kinds([offer_id]))


async def _staff_views(staff: Staff, query) -> list[StaffOfferView]:
    rows = await query
    kinds = await _kinds([row["id"] for row in rows])
    views = []
    for row in rows:
        visible = staff.is_admin or row["hub"] in staff.hub_ids
        views.append(StaffOfferView(
            _offer_view(row, kinds), row["family.name"] or "", row["family.surname"] or "",
            row["family.email"] or "", row["family.phone"] or "", (row["staff_notes"] or "") if visible else "",
            visible))
    return views


async def _kinds(offer_ids: list[int]) -> dict[int, list[dict]]:
    """The kinds of help of these offers, by offer, in the kinds' order."""
    rows = await OfferHelpKind.select(OfferHelpKind.offer, OfferHelpKind.kind, OfferHelpKind.kind.name).where(
        OfferHelpKind.offer.is_in(offer_ids or [0])).order_by(OfferHelpKind.kind.position)
    by_offer: dict[int, list[dict]] = {}
    for row in rows:
        by_offer.setdefault(row["offer"], []).append(row)
    return by_offer


def _offer_view(row: dict, kinds_by_offer: dict[int, list[dict]]) -> OfferView:
    kinds = kinds_by_offer.get(row["id"], [])
    return OfferView(
        id=row["id"], family_id=row["family"], hub_id=row["hub"], hub_name=row["hub.name"], status=row["status"],
        kind_ids=[k["kind"] for k in kinds], kind_names=[k["kind.name"] for k in kinds],
        other_help=row["other_help"], weekdays=split_days(row["weekdays"]), time_bands=split(row["time_bands"]),
        districts=split_districts(row["districts"]), languages=split(row["languages"]),
        hosts_children=bool(row["hosts_children"]), presentation=row["presentation"],
        interview_at=db.instant(row["interview_at"]) if row["interview_at"] else None,
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


async def live_match_counts(offer_ids: list[int]) -> dict[int, int]:
    rows = await Match.select(Match.offer).where(
        Match.offer.is_in(offer_ids or [0]) & (Match.status != "ended"))
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["offer"]] = counts.get(row["offer"], 0) + 1
    return counts

