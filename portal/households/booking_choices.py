"""Booking for a household from its file: the activities this staff member may book into, each with the
existing staff page that does it — the phone booking (a meeting, or a whole course) or, for referral
and request services, the direct enrolment — with the household already chosen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.households import scope
from portal.identity.staff_access import Staff, visible_activity_ids
from portal.tables import Activity, Meeting

MEETINGS_SHOWN = 4
DIRECT_ACCESS = ("referral", "request")


@dataclass(frozen=True)
class Choice:
    activity_id: int
    title: str
    hub: str
    access: str
    links: list[tuple[str, datetime | None]]  # (path, meeting start or None for the whole activity)


async def choices(staff: Staff, family_id: int, now: datetime) -> tuple[dict, list[Choice]]:
    """The household and its choices; two queries for the list: the activities, then their next meetings."""
    family = await scope.household(staff, family_id)
    visible = await visible_activity_ids(staff)
    query = Activity.select(Activity.id, Activity.title, Activity.access, Activity.format,
                            Activity.hub.name.as_alias("hub_name"))
    if visible is not None:
        query = query.where(Activity.id.is_in(list(visible) or [0]))
    if staff.role == "operator":  # operators book by phone, they do not enrol
        query = query.where(Activity.access.not_in(list(DIRECT_ACCESS)))
    activities = await query.order_by(Activity.hub.name).order_by(Activity.title)
    singles = [a["id"] for a in activities if a["format"] == "single" and a["access"] not in DIRECT_ACCESS]
    meetings = await Meeting.select(Meeting.id, Meeting.activity, Meeting.starts_at).where(
        Meeting.activity.is_in(singles or [0]) & (Meeting.status == "scheduled") & (Meeting.private == False)  # noqa: E712
        & (Meeting.starts_at > now)).order_by(Meeting.starts_at)
    found = []
    for activity in activities:
        suffix = f"?famiglia={family_id}"
        if activity["access"] in DIRECT_ACCESS:
            links = [(f"/staff/iscrizioni/attivita/{activity['id']}/nuova{suffix}", None)]
        elif activity["format"] == "course":
            links = [(f"/staff/attese/attivita/{activity['id']}/aggiungi{suffix}", None)]
        else:
            links = [(f"/staff/attese/incontri/{m['id']}/aggiungi{suffix}", m["starts_at"])
                     for m in meetings if m["activity"] == activity["id"]][:MEETINGS_SHOWN]
        if links:
            found.append(Choice(activity["id"], activity["title"], activity["hub_name"], activity["access"], links))
    return family, found
