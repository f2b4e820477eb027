"""Places held for approval: staff meet the family first (the preliminary meeting), record — where the
activity asks for it — that both parents' signed consent was acquired (never the other parent's data:
only "acquired, when"), then confirm or decline with a message to the family."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from portal import audit, db
from portal.booking import staff as staff_booking
from portal.form_fields import FormErrors
from portal.i18n import N_, ROME, gettext
from portal.identity.staff_access import Staff, authorize, visible_activity_ids
from portal.links import Links
from portal.operations import scope
from portal.operations.rosters import RosterBooking, bookings_by_id
from portal.tables import Activity, Booking, Hub, Meeting

MESSAGE_LENGTH = 500


@dataclass(frozen=True)
class Pending:
    booking: RosterBooking
    activity: dict
    hub_name: str
    meeting: dict | None
    preliminary_meeting_at: datetime | None
    consent_recorded_at: datetime | None

    @property
    def consent_needed(self) -> bool:
        return bool(self.activity["both_parents_consent"])

    @property
    def can_approve(self) -> bool:
        return not self.consent_needed or self.consent_recorded_at is not None


async def pending_list(staff: Staff) -> list[Pending]:
    """Every place waiting for a decision that this staff member may decide, oldest first."""
    authorize(staff, "approvals")
    visible = await visible_activity_ids(staff)
    query = Booking.select().where(Booking.status == "pending")
    if visible is not None:
        query = query.where(Booking.activity.is_in(list(visible) or [0]))
    return await _pendings(await query.order_by(Booking.joined_at).order_by(Booking.id))


async def pending(staff: Staff, booking_id: int) -> Pending:
    booking, _ = await scope.booking(staff, booking_id, "approvals")
    return (await _pendings([booking]))[0]


def parse_preliminary(values: Mapping[str, Any], now: datetime) -> tuple[datetime, bool]:
    """The preliminary meeting's date (not in the future) and whether both consents were acquired."""
    raw = (values.get("met_on") or "").strip()
    try:
        met_on = date.fromisoformat(raw)
    except ValueError:
        raise FormErrors({"met_on": gettext("Enter the date of the preliminary meeting.")}) from None
    if met_on > now.astimezone(ROME).date():
        raise FormErrors({"met_on": gettext("The preliminary meeting cannot be in the future.")})
    consent = (values.get("consent") or "") in ("1", "on", "yes", "true")
    return datetime.combine(met_on, time(12, 0), tzinfo=ROME), consent


async def record_preliminary(staff: Staff, booking_id: int, values: Mapping[str, Any], now: datetime) -> None:
    _, activity = await scope.booking(staff, booking_id, "approvals")
    met_at, consent = parse_preliminary(values, now)
    if consent and not activity["both_parents_consent"]:
        consent = False  # nothing to record where the activity does not ask for it
    async with db.write_transaction():
        current = await Booking.select(Booking.status, Booking.consent_recorded_at).where(
            Booking.id == booking_id).first()
        if current["status"] != "pending":
            raise scope.Refused(N_("This request has already been decided."))
        consent_at = (current["consent_recorded_at"] or now) if consent else None
        await Booking.update({Booking.preliminary_meeting_at: met_at, Booking.consent_recorded_at: consent_at,
                              Booking.updated_at: now}).where(Booking.id == booking_id)
        await audit.record(staff, "booking.preliminary_meeting", "booking", booking_id, "",
                           {"met_on": met_at.date(), "both_parents_consent": bool(consent_at)}, now)


async def decide(staff: Staff, booking_id: int, approve: bool, message: str, now: datetime, links: Links) -> None:
    await scope.booking(staff, booking_id, "approvals")
    message = (message or "").strip()
    if len(message) > MESSAGE_LENGTH:
        raise FormErrors({"message": gettext("Write at most %(max)s characters.", max=MESSAGE_LENGTH)})
    await staff_booking.decide_pending(booking_id, approve, staff.actor, now, links, message)


async def _pendings(rows: list[dict]) -> list[Pending]:
    """These bookings with their activities, hubs and meetings: a fixed number of queries for any number."""
    if not rows:
        return []
    activities = {a["id"]: a for a in await Activity.select().where(
        Activity.id.is_in(list({row["activity"] for row in rows})))}
    hubs = {h["id"]: h["name"] for h in await Hub.select(Hub.id, Hub.name).where(
        Hub.id.is_in(list({a["hub"] for a in activities.values()})))}
    meeting_ids = list({row["meeting"] for row in rows if row["meeting"] is not None})
    meetings = {m["id"]: m for m in await Meeting.select().where(Meeting.id.is_in(meeting_ids))} if meeting_ids else {}
    bookings = await bookings_by_id([row["id"] for row in rows], now_date())
    return [Pending(bookings[row["id"]], activities[row["activity"]], hubs[activities[row["activity"]]["hub"]],
                    meetings.get(row["meeting"]), row["preliminary_meeting_at"], row["consent_recorded_at"])
            for row in rows]


def now_date() -> date:
    return datetime.now(ROME).date()
