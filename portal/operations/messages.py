"""Messages from the staff to every family booked on a meeting or an activity, through the outbox, each
in the family's language. For the separation area the subject is always the neutral title (DESIGN §5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal import audit, db
from portal.form_fields import FormErrors
from portal.i18n import gettext
from portal.identity.staff_access import Staff
from portal.links import Links
from portal.mail import messages as mail
from portal.mail import outbox
from portal.operations import scope
from portal.operations.rosters import roster_clause
from portal.tables import Booking, Hub, Service
from portal.taxonomy import SEPARATION_AREA

SUBJECT_LENGTH = 150
BODY_LENGTH = 4000
BOOKED = ("confirmed", "pending")


@dataclass(frozen=True)
class Audience:
    activity: dict
    meeting: dict | None
    hub: dict
    neutral: bool
    recipients: list[dict]  # email, language (one per family)
    waiting: int  # families on the waiting list, written to only when asked


@dataclass(frozen=True)
class Draft:
    subject: str
    body: str
    include_waiting: bool


async def audience(staff: Staff, activity_id: int | None, meeting_id: int | None,
                   include_waiting: bool = False) -> Audience:
    if meeting_id is not None:
        found = await scope.meeting(staff, meeting_id, "messages")
        activity, meeting, hub = found.activity, found.meeting, found.hub
        where, args = roster_clause(meeting, activity)
    else:
        activity = await scope.activity(staff, activity_id or 0, "messages")
        meeting = None
        hub = await Hub.select(Hub.id, Hub.name, Hub.phone).where(Hub.id == activity["hub"]).first()
        where, args = "b.activity = {}", [activity["id"]]  # every booking of the activity, any date
    statuses = BOOKED + (("waitlisted",) if include_waiting else ())
    rows = await Booking.raw(
        "SELECT DISTINCT f.id, f.email, f.language FROM booking b JOIN family f ON f.id = b.family"
        f" WHERE {where} AND b.status IN ({', '.join('{}' for _ in statuses)}) AND f.email IS NOT NULL"
        " AND f.erased_at IS NULL ORDER BY f.id", *args, *statuses)
    waiting_rows = await Booking.raw(
        f"SELECT COUNT(DISTINCT b.family) AS n FROM booking b WHERE {where} AND b.status = 'waitlisted'", *args)
    service = await Service.select(Service.area.slug).where(Service.id == activity["service"]).first()
    neutral = service["area.slug"] == SEPARATION_AREA
    return Audience(activity, meeting, hub, neutral, rows, waiting_rows[0]["n"])


def parse(values: Mapping[str, Any], neutral: bool) -> Draft:
    errors: dict[str, str] = {}
    subject = " ".join((values.get("subject") or "").split())
    body = (values.get("body") or "").replace("\r\n", "\n").strip()
    if not neutral and not subject:
        errors["subject"] = gettext("Write a subject.")
    elif len(subject) > SUBJECT_LENGTH:
        errors["subject"] = gettext("Write at most %(max)s characters.", max=SUBJECT_LENGTH)
    if not body:
        errors["body"] = gettext("Write the message.")
    elif len(body) > BODY_LENGTH:
        errors["body"] = gettext("Write at most %(max)s characters.", max=BODY_LENGTH)
    if errors:
        raise FormErrors(errors)
    return Draft(subject, body, (values.get("waiting") or "") in ("1", "on"))


async def send(staff: Staff, activity_id: int | None, meeting_id: int | None, values: Mapping[str, Any],
               now: datetime, links: Links) -> int:
    """Queue one message per family; returns how many. Nothing is queued when the form is wrong."""
    include_waiting = (values.get("waiting") or "") in ("1", "on")
    found = await audience(staff, activity_id, meeting_id, include_waiting)
    draft = parse(values, found.neutral)
    domain = outbox.mail_domain(links.base_url)
    async with db.write_transaction():
        for family in found.recipients:
            message = mail.staff_message(family["language"] or "it", draft.subject, draft.body,
                                         found.hub["name"], found.hub["phone"] or "", found.neutral)
            await outbox.enqueue(family["email"], message, now, domain)
        record_type, record_id = ("meeting", meeting_id) if meeting_id is not None else ("activity", activity_id)
        await audit.record(staff, "message.send", record_type, record_id, "",
                           {"recipients": len(found.recipients), "waiting_list": include_waiting,
                            "subject": "" if found.neutral else draft.subject}, now)
    return len(found.recipients)
