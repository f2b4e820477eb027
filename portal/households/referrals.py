"""Referrals in the territorial network: a household sent to the hub by a partner service, or sent by
the hub to one — the date, the partner, the hub's service concerned, a reason from a fixed list, and
whether the adults consented (yes or no, with the date). An incoming referral to a referral-only
activity (Spazio Neutro, home tutoring) leads straight to the direct enrolment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from portal import audit, db
from portal.form_fields import Form
from portal.households import scope
from portal.households.notes import WRITE_ACTION, note_choices
from portal.households.partners import active as active_partners
from portal.households.vocabulary import DIRECTIONS, PARTNER_KINDS, REFERRAL_REASONS, label
from portal.i18n import N_, ROME
from portal.identity.staff_access import Staff, authorize
from portal.tables import Activity, Referral


@dataclass(frozen=True)
class Recorded:
    id: int
    enrol_activity: int | None  # an incoming referral to a referral-only activity: enrol there next


@dataclass(frozen=True)
class ReferralRow:
    id: int
    hub: str
    direction: str
    partner: str
    partner_kind: str
    activity: str
    referred_on: date
    reason: str
    consent: bool
    consent_on: date | None

    @property
    def direction_label(self) -> str:
        return label(DIRECTIONS, self.direction)

    @property
    def partner_kind_label(self) -> str:
        return label(PARTNER_KINDS, self.partner_kind)

    @property
    def reason_label(self) -> str:
        return label(REFERRAL_REASONS, self.reason)


async def hub_activities(hub_ids: list[int]) -> list[dict]:
    """The services of these hubs a referral may concern."""
    return await Activity.select(Activity.id, Activity.title, Activity.hub, Activity.access,
                                 Activity.hub.name.as_alias("hub_name")).where(
        Activity.hub.is_in(hub_ids or [0])).order_by(Activity.hub.name).order_by(Activity.title)


def parse(values: Mapping[str, Any], hub_ids: list[int], partner_ids: list[int], activities: list[dict],
          now: datetime) -> dict:
    form = Form(values)
    today = now.astimezone(ROME).date()
    hub = form.choice("hub", [str(h) for h in hub_ids], N_("Choose the hub the referral concerns."))
    direction = form.choice("direction", DIRECTIONS, N_("Choose whether the family was sent to the hub or by it."))
    partner = form.choice("partner", [str(p) for p in partner_ids], N_("Choose the partner service."))
    referred_on = form.day("referred_on", N_("Enter the date of the referral."))
    if referred_on and referred_on > today:
        form.error("referred_on", N_("The date cannot be in the future."))
    reason = form.choice("reason", REFERRAL_REASONS, N_("Choose the reason."))
    activity_raw = form.raw("activity").strip()
    activity = None
    if activity_raw:
        match = [a for a in activities if str(a["id"]) == activity_raw and str(a["hub"]) == hub]
        if not match:
            form.error("activity", N_("Choose a service of the same hub, or none."))
        else:
            activity = match[0]
    consent = form.choice("consent", ("yes", "no"), N_("Say whether the adults consented."))
    consent_on = form.day("consent_on", N_("Enter the date the adults' answer was recorded."))
    if consent_on and consent_on > today:
        form.error("consent_on", N_("The date cannot be in the future."))
    form.raise_if_any()
    return {"hub": int(hub), "direction": direction, "partner": int(partner), "referred_on": referred_on,
            "reason": reason, "activity": activity["id"] if activity else None, "consent": consent == "yes",
            "consent_on": consent_on, "_access": activity["access"] if activity else None}


async def form_choices(staff: Staff) -> dict:
    """The hubs, partners and services to choose from, with the (value, label) options of the forms."""
    choices = await note_choices(staff)
    partners = await active_partners()
    activities = await hub_activities([hub["id"] for hub in choices["hubs"]])
    none = [("", "–")]
    return {**choices, "partners": partners, "activities": activities,
            "partner_options": none + [(partner["id"], partner["name"]) for partner in partners],
            "activity_options": none + [(a["id"], f"{a['hub_name']} – {a['title']}") for a in activities]}


async def new_referral(staff: Staff, family_id: int) -> tuple[dict, dict]:
    """The household and the form's choices, for a staff member who may record a referral."""
    family = await scope.household(staff, family_id)
    authorize(staff, WRITE_ACTION)
    return family, await form_choices(staff)


async def record(staff: Staff, family_id: int, values: Mapping[str, Any], now: datetime) -> Recorded:
    await scope.household(staff, family_id)
    authorize(staff, WRITE_ACTION)
    choices = await form_choices(staff)
    columns = parse(values, [h["id"] for h in choices["hubs"]], [p["id"] for p in choices["partners"]],
                    choices["activities"], now)
    access = columns.pop("_access")
    async with db.write_transaction():
        rows = await Referral.insert(Referral(
            family=family_id, recorded_by=staff.id, created_at=now, **columns)).returning(Referral.id)
        referral_id = rows[0]["id"]
        await audit.record(staff, "referral.record", "referral", referral_id, "",
                           {"family": family_id, "hub": columns["hub"], "direction": columns["direction"],
                            "consent": columns["consent"]}, now)
    enrol = columns["activity"] if columns["direction"] == "in" and access == "referral" else None
    return Recorded(referral_id, enrol)


async def of_household(family_id: int, own: set[int] | None) -> list[ReferralRow]:
    """The referrals recorded by the viewer's hubs (administrators: all), newest first: one query."""
    query = Referral.select(
        Referral.id, Referral.direction, Referral.referred_on, Referral.reason, Referral.consent, Referral.consent_on,
        Referral.hub.name.as_alias("hub_name"), Referral.partner.name.as_alias("partner_name"),
        Referral.partner.kind.as_alias("partner_kind"), Referral.activity.title.as_alias("activity_title"),
    ).where(Referral.family == family_id)
    if own is not None:
        query = query.where(Referral.hub.is_in(list(own) or [0]))
    rows = await query.order_by(Referral.referred_on, ascending=False).order_by(Referral.id, ascending=False)
    return [ReferralRow(row["id"], row["hub_name"], row["direction"], row["partner_name"], row["partner_kind"],
                        row["activity_title"] or "", row["referred_on"], row["reason"], bool(row["consent"]),
                        row["consent_on"]) for row in rows]
