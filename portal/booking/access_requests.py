"""Access requests for `request` activities: the family asks, the staff call back (DESIGN §1, §5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portal import db
from portal.booking.service import new_code
from portal.db import NotFound
from portal.i18n import N_, gettext
from portal.links import Links
from portal.mail import messages as mail
from portal.mail import outbox
from portal.tables import AccessRequest, Activity, Family
from portal.taxonomy import SEPARATION_AREA, SERVICE_BY_SLUG

NOTE_LENGTH = 200
TIMES_LENGTH = 200
CONTACT_CHOICES = ("phone", "email")


@dataclass
class RequestForm:
    contact_by: str = "phone"
    preferred_times: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def parse_request(values: dict[str, str]) -> RequestForm:
    form = RequestForm(
        contact_by=(values.get("contact_by") or "").strip(),
        preferred_times=(values.get("preferred_times") or "").strip(),
        note=(values.get("note") or "").strip(),
    )
    if form.contact_by not in CONTACT_CHOICES:
        form.errors["contact_by"] = gettext("Choose how the staff should contact you.")
    if len(form.preferred_times) > TIMES_LENGTH:
        form.errors["preferred_times"] = gettext("Write at most %(max)s characters.", max=TIMES_LENGTH)
    if len(form.note) > NOTE_LENGTH:
        form.errors["note"] = gettext("Write at most %(max)s characters.", max=NOTE_LENGTH)
    return form


async def requestable_activity(slug: str) -> dict:
    activity = await Activity.select(
        Activity.id, Activity.slug, Activity.title, Activity.access, Activity.hub.name, Activity.hub.phone,
        Activity.service.slug,
    ).where((Activity.slug == slug) & (Activity.published == True)).first()  # noqa: E712
    if activity is None or activity["access"] != "request":
        raise NotFound(slug)
    return activity


async def request_access(family_id: int, slug: str, form: RequestForm, now: datetime, links: Links) -> str:
    """Record the request and mail the family; a repeated request while one is open returns it."""
    activity = await requestable_activity(slug)
    async with db.write_transaction():
        open_request = await AccessRequest.select(AccessRequest.code).where(
            (AccessRequest.family == family_id) & (AccessRequest.activity == activity["id"])
            & AccessRequest.status.is_in(["new", "contacted"])).first()
        if open_request:
            return open_request["code"]
        code = new_code()
        await AccessRequest.insert(AccessRequest(
            code=code, family=family_id, activity=activity["id"], contact_by=form.contact_by,
            preferred_times=form.preferred_times, note=form.note, status="new", created_at=now, updated_at=now,
        ))
        family = await Family.select(Family.email, Family.language).where(Family.id == family_id).first()
        neutral = SERVICE_BY_SLUG[activity["service.slug"]].area == SEPARATION_AREA
        message = mail.request_received(family["language"], mail.RequestMail(
            code=code, activity_title=activity["title"], hub_name=activity["hub.name"],
            hub_phone=activity["hub.phone"], neutral=neutral))
        await outbox.enqueue(family["email"], message, now, outbox.mail_domain(links.base_url))
        return code


async def family_requests(family_id: int) -> list[dict]:
    return await AccessRequest.select(
        AccessRequest.code, AccessRequest.status, AccessRequest.created_at, AccessRequest.activity.title,
        AccessRequest.activity.slug,
    ).where(AccessRequest.family == family_id).order_by(AccessRequest.created_at, ascending=False)


WARNING = N_("Do not write health details, the reasons for a separation or court proceedings: "
             "the staff will ask what they need when they call you.")
