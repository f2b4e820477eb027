"""The timeline of a household across services: bookings with their status history, attendance from
the registers, approvals with the consent record, waiting-list positions, access requests, solidarity
offers, needs and matches, and the mail the portal sent (subject and date). A fixed number of queries
whatever the household's size: rows are fetched per kind, then grouped here.

Details of separation services (area 2) are shown only to the staff of the hub that runs them: anyone
else sees that there is an appointment at that hub, under the neutral title, and nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portal.i18n import N_, gettext
from portal.mail.messages import NEUTRAL_TITLE
from portal.tables import (
    AccessRequest,
    Attendance,
    Booking,
    BookingEvent,
    Match,
    Need,
    Outbox,
    SolidarityOffer,
)
from portal.taxonomy import SEPARATION_AREA

BOOKING_STATUSES = {
    "pending": N_("Waiting for approval"), "confirmed": N_("Confirmed"), "waitlisted": N_("On the waiting list"),
    "declined": N_("Declined"), "cancelled": N_("Cancelled"),
}
REQUEST_STATUSES = {"new": N_("New"), "contacted": N_("Contacted"), "accepted": N_("Accepted"), "closed": N_("Closed")}
OFFER_STATUSES = {"new": N_("New"), "interview": N_("Interview"), "active": N_("Active"), "paused": N_("Paused"),
                  "closed": N_("Closed")}
NEED_STATUSES = {"open": N_("Open"), "matched": N_("Matched"), "closed": N_("Closed")}
MATCH_STATUSES = {"proposed": N_("Proposed"), "accepted": N_("Accepted"), "ongoing": N_("Ongoing"),
                  "ended": N_("Ended")}
MAIL_STATUSES = {"pending": N_("Queued"), "sent": N_("Sent"), "failed": N_("Not delivered")}
KIND_LABELS = {
    "booking": N_("Booking"), "access_request": N_("Access request"), "offer": N_("Solidarity offer"),
    "need": N_("Solidarity need"), "match": N_("Solidarity match"), "mail": N_("Mail sent"),
}


@dataclass
class Entry:
    at: datetime
    kind: str  # booking | access_request | offer | need | match | mail
    hub: str
    title: str
    status: str  # the code; status_label is what a page shows
    status_label: str
    restricted: bool = False  # area 2 of another hub: only that an appointment exists
    starts_at: datetime | None = None  # a booking's meeting
    history: list[dict] = field(default_factory=list)  # {at, from_status, to_status} with labels
    attendance: list[dict] = field(default_factory=list)  # {starts_at, first_name, present}
    waiting_position: int | None = None
    preliminary_meeting_at: datetime | None = None  # approval activities: the consent record
    consent_recorded_at: datetime | None = None
    needs_consent: bool = False
    link: str | None = None

    @property
    def kind_label(self) -> str:
        return gettext(KIND_LABELS[self.kind])


def _label(labels: dict[str, str], code: str) -> str:
    return gettext(labels[code]) if code in labels else code


def _restricted(area: str, hub_id: int, own: set[int] | None) -> bool:
    return area == SEPARATION_AREA and not _ours(hub_id, own)


def _ours(hub_id: int, own: set[int] | None) -> bool:
    """A record of one of the viewer's hubs: its staff page can be opened (others' answer 404)."""
    return own is None or hub_id in own


async def timeline(family: dict, own: set[int] | None) -> list[Entry]:
    """Everything the portal knows about the household, newest first. `own`: the viewer's hubs (None: all)."""
    family_id = family["id"]
    entries = await _bookings(family_id, own)
    entries += await _access_requests(family_id, own)
    entries += await _solidarity(family_id, own)
    if family["email"]:
        entries += await _mail(family["email"])
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


async def _bookings(family_id: int, own: set[int] | None) -> list[Entry]:
    rows = await Booking.select(
        Booking.id, Booking.code, Booking.status, Booking.activity, Booking.meeting, Booking.joined_at,
        Booking.created_at, Booking.preliminary_meeting_at, Booking.consent_recorded_at,
        Booking.activity.title.as_alias("title"), Booking.activity.hub.as_alias("hub_id"),
        Booking.activity.hub.name.as_alias("hub_name"), Booking.activity.access.as_alias("access"),
        Booking.activity.both_parents_consent.as_alias("both_parents_consent"),
        Booking.activity.service.area.slug.as_alias("area"), Booking.meeting.starts_at.as_alias("starts_at"),
    ).where(Booking.family == family_id)
    ids = [row["id"] for row in rows] or [0]
    events = await BookingEvent.select(
        BookingEvent.booking, BookingEvent.from_status, BookingEvent.to_status, BookingEvent.at,
    ).where(BookingEvent.booking.is_in(ids)).order_by(BookingEvent.at).order_by(BookingEvent.id)
    attendance = await Attendance.select(
        Attendance.participant.booking.as_alias("booking"), Attendance.present,
        Attendance.meeting.starts_at.as_alias("starts_at"),
        Attendance.participant.member.first_name.as_alias("first_name"),
    ).where(Attendance.participant.booking.is_in(ids)).order_by(Attendance.meeting.starts_at)
    positions = await _waiting_positions([row for row in rows if row["status"] == "waitlisted"])
    entries = []
    for row in rows:
        restricted = _restricted(row["area"], row["hub_id"], own)
        entry = Entry(
            at=row["created_at"], kind="booking", hub=row["hub_name"],
            title=gettext(NEUTRAL_TITLE) if restricted else row["title"], status=row["status"],
            status_label=_label(BOOKING_STATUSES, row["status"]), restricted=restricted,
        )
        if not restricted:
            entry.starts_at = row["starts_at"]
            entry.history = [{"at": e["at"], "from_label": _label(BOOKING_STATUSES, e["from_status"] or ""),
                              "from_status": e["from_status"], "to_label": _label(BOOKING_STATUSES, e["to_status"])}
                             for e in events if e["booking"] == row["id"]]
            entry.attendance = [a for a in attendance if a["booking"] == row["id"]]
            entry.waiting_position = positions.get(row["id"])
            entry.needs_consent = bool(row["both_parents_consent"]) or row["access"] == "approval"
            entry.preliminary_meeting_at = row["preliminary_meeting_at"]
            entry.consent_recorded_at = row["consent_recorded_at"]
            entry.link = _booking_link(row) if _ours(row["hub_id"], own) else None
        entries.append(entry)
    return entries


def _booking_link(row: dict) -> str | None:
    if row["access"] == "approval" and row["status"] in ("pending", "confirmed", "declined"):
        return f"/staff/approvazioni/{row['id']}"
    if row["access"] in ("referral", "request") and row["meeting"] is None:
        return f"/staff/iscrizioni/{row['id']}"
    if row["meeting"] is not None:
        return f"/staff/registri/incontri/{row['meeting']}"
    return f"/staff/registri/percorsi/{row['activity']}"


async def _waiting_positions(waiting: list[dict]) -> dict[int, int]:
    """Each waiting booking's place in its list (1 is next): by time of joining, then id (DESIGN §4.3)."""
    lists = await Booking.select(Booking.id, Booking.activity, Booking.meeting, Booking.joined_at).where(
        (Booking.status == "waitlisted") & Booking.activity.is_in(list({row["activity"] for row in waiting}) or [0]))
    positions = {}
    for row in waiting:
        ahead = [other for other in lists if other["activity"] == row["activity"] and other["meeting"] == row["meeting"]
                 and (other["joined_at"], other["id"]) < (row["joined_at"], row["id"])]
        positions[row["id"]] = len(ahead) + 1
    return positions


async def _access_requests(family_id: int, own: set[int] | None) -> list[Entry]:
    rows = await AccessRequest.select(
        AccessRequest.id, AccessRequest.status, AccessRequest.created_at,
        AccessRequest.activity.title.as_alias("title"), AccessRequest.activity.hub.as_alias("hub_id"),
        AccessRequest.activity.hub.name.as_alias("hub_name"),
        AccessRequest.activity.service.area.slug.as_alias("area"),
    ).where(AccessRequest.family == family_id)
    entries = []
    for row in rows:
        restricted = _restricted(row["area"], row["hub_id"], own)
        entries.append(Entry(
            at=row["created_at"], kind="access_request", hub=row["hub_name"],
            title=gettext(NEUTRAL_TITLE) if restricted else row["title"], status=row["status"],
            status_label=_label(REQUEST_STATUSES, row["status"]), restricted=restricted,
            link=f"/staff/richieste/{row['id']}" if _ours(row["hub_id"], own) else None,
        ))
    return entries


async def _solidarity(family_id: int, own: set[int] | None) -> list[Entry]:
    offers = await SolidarityOffer.select(
        SolidarityOffer.id, SolidarityOffer.status, SolidarityOffer.created_at,
        SolidarityOffer.hub.name.as_alias("hub_name"), SolidarityOffer.hub.as_alias("hub_id"),
    ).where(SolidarityOffer.family == family_id)
    needs = await Need.select(
        Need.id, Need.status, Need.created_at, Need.hub.name.as_alias("hub_name"), Need.hub.as_alias("hub_id"),
        Need.kind.name.as_alias("kind"),
    ).where(Need.family == family_id)
    matches = await Match.select(
        Match.id, Match.status, Match.created_at, Match.need.hub.name.as_alias("hub_name"),
        Match.need.hub.as_alias("hub_id"),
        Match.need.kind.name.as_alias("kind"),
    ).where((Match.offer.family == family_id) | (Match.need.family == family_id))
    entries = [Entry(at=row["created_at"], kind="offer", hub=row["hub_name"], title=gettext("Solidarity offer"),
                     status=row["status"], status_label=_label(OFFER_STATUSES, row["status"]),
                     link=_link(f"/staff/solidarieta/offerte/{row['id']}", row, own)) for row in offers]
    entries += [Entry(at=row["created_at"], kind="need", hub=row["hub_name"], title=row["kind"],
                      status=row["status"], status_label=_label(NEED_STATUSES, row["status"]),
                      link=_link(f"/staff/solidarieta/bisogni/{row['id']}", row, own)) for row in needs]
    entries += [Entry(at=row["created_at"], kind="match", hub=row["hub_name"], title=row["kind"],
                      status=row["status"], status_label=_label(MATCH_STATUSES, row["status"]),
                      link=_link(f"/staff/solidarieta/abbinamenti/{row['id']}", row, own)) for row in matches]
    return entries


def _link(path: str, row: dict, own: set[int] | None) -> str | None:
    return path if _ours(row["hub_id"], own) else None


async def _mail(email: str) -> list[Entry]:
    rows = await Outbox.select(Outbox.subject, Outbox.status, Outbox.created_at, Outbox.sent_at).where(
        Outbox.to_address == email)
    return [Entry(at=row["sent_at"] or row["created_at"], kind="mail", hub="", title=row["subject"],
                  status=row["status"], status_label=_label(MAIL_STATUSES, row["status"])) for row in rows]
