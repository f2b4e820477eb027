"""The staff home: today's meetings and the rest of this week's (Europe/Rome dates), each with its places
taken and its waiting list, and what waits for a decision — places held for approval, access requests not
yet dealt with — all within what the staff member may see. A handful of queries, whatever the number of
meetings: never one per meeting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from piccolo.query.functions.aggregate import Count

from portal import db
from portal.admin import hubs as hubs_admin
from portal.i18n import ROME
from portal.identity import staff_access
from portal.identity.staff_access import Staff
from portal.tables import AccessRequest, Booking, Meeting

OPEN_REQUESTS = ("new", "contacted")


@dataclass(frozen=True)
class MeetingLine:
    id: int
    activity_id: int
    activity_title: str
    hub_id: int
    hub_name: str
    starts_at: datetime
    ends_at: datetime
    local_date: date
    place: str
    format: str  # single | course
    cancelled: bool
    private: bool  # one enrolment's appointment: no places to count, no waiting list
    capacity: int  # a single meeting's own (or the activity's default); a course's, for the whole cycle
    seats_taken: int
    waiting: int  # on this meeting's list, or on the course's

    @property
    def roster_path(self) -> str:
        return f"/staff/registri/incontri/{self.id}"

    @property
    def waiting_list_path(self) -> str | None:
        """Where its waiting list lives: a course waits as a whole; a private meeting has none."""
        if self.private or self.cancelled:
            return None
        if self.format == "course":
            return f"/staff/attese/attivita/{self.activity_id}"
        return f"/staff/attese/incontri/{self.id}"

    @property
    def full(self) -> bool:
        return self.seats_taken >= self.capacity


@dataclass(frozen=True)
class Dashboard:
    today: date
    week_end: date  # Sunday of this week
    today_meetings: list[MeetingLine]
    week_meetings: list[MeetingLine]  # from tomorrow to Sunday
    pending_approvals: int | None  # None: not for this role (operators do not decide)
    new_requests: int | None
    contacted_requests: int | None
    scope: list[hubs_admin.ScopeHub]  # the hubs and activities one works on, listed below


def week_of(now: datetime) -> tuple[date, date]:
    """Today's Europe/Rome date and the Sunday that ends its week."""
    today = now.astimezone(ROME).date()
    return today, today + timedelta(days=7 - today.isoweekday())


async def build(staff: Staff, now: datetime) -> Dashboard:
    today, week_end = week_of(now)
    activity_ids = await staff_access.visible_activity_ids(staff)
    meetings = await meetings_between(activity_ids, today, week_end)
    decides = staff.role != "operator"  # approvals and requests are coordinators' and administrators'
    requests = await open_requests(await staff_access.visible_hub_ids(staff)) if decides else {}
    return Dashboard(
        today=today, week_end=week_end,
        today_meetings=[m for m in meetings if m.local_date == today],
        week_meetings=[m for m in meetings if m.local_date > today],
        pending_approvals=await pending_approvals(activity_ids) if decides else None,
        new_requests=requests.get("new", 0) if decides else None,
        contacted_requests=requests.get("contacted", 0) if decides else None,
        scope=await hubs_admin.overview(staff, now),
    )


async def meetings_between(activity_ids: set[int] | None, first: date, last: date) -> list[MeetingLine]:
    """The meetings of these activities (None: every activity) on local dates first to last, by start,
    with places and waiting lists: one query for the meetings, one for the waiting lists."""
    query = Meeting.select(
        Meeting.id, Meeting.activity, Meeting.starts_at, Meeting.ends_at, Meeting.local_date, Meeting.place,
        Meeting.status, Meeting.private, Meeting.capacity, Meeting.seats_taken,
        Meeting.activity.title, Meeting.activity.format, Meeting.activity.capacity, Meeting.activity.seats_taken,
        Meeting.activity.hub, Meeting.activity.hub.name,
    ).where((Meeting.local_date >= first) & (Meeting.local_date <= last))
    if activity_ids is not None:
        query = query.where(Meeting.activity.is_in(list(activity_ids) or [0]))
    rows = await query.order_by(Meeting.starts_at).order_by(Meeting.id)
    waiting = await _waiting(rows)
    lines = []
    for row in rows:
        course = row["activity.format"] == "course" and not row["private"]
        if course:
            capacity, taken = row["activity.capacity"], row["activity.seats_taken"]
            waits = waiting.get(("activity", row["activity"]), 0)
        else:
            capacity = row["capacity"] if row["capacity"] is not None else row["activity.capacity"]
            taken, waits = row["seats_taken"], waiting.get(("meeting", row["id"]), 0)
        lines.append(MeetingLine(
            id=row["id"], activity_id=row["activity"], activity_title=row["activity.title"],
            hub_id=row["activity.hub"], hub_name=row["activity.hub.name"],
            starts_at=db.instant(row["starts_at"]), ends_at=db.instant(row["ends_at"]),
            local_date=_date(row["local_date"]), place=row["place"] or "", format=row["activity.format"],
            cancelled=row["status"] == "cancelled", private=bool(row["private"]), capacity=capacity,
            seats_taken=taken, waiting=waits,
        ))
    return lines


async def pending_approvals(activity_ids: set[int] | None) -> int:
    """Places held for a decision, as the approvals page lists them."""
    query = Booking.count().where(Booking.status == "pending")
    if activity_ids is not None:
        query = query.where(Booking.activity.is_in(list(activity_ids) or [0]))
    return await query


async def open_requests(hub_ids: set[int] | None) -> dict[str, int]:
    """Access requests not yet dealt with, by status (new, contacted), as the requests page scopes them."""
    query = AccessRequest.select(AccessRequest.status, Count(AccessRequest.id, alias="n")).where(
        AccessRequest.status.is_in(list(OPEN_REQUESTS)))
    if hub_ids is not None:
        query = query.where(AccessRequest.activity.hub.is_in(list(hub_ids) or [0]))
    return {row["status"]: row["n"] for row in await query.group_by(AccessRequest.status)}


async def _waiting(meetings: list[dict]) -> dict[tuple[str, int], int]:
    """Waiting bookings per single meeting and per course, for these meetings."""
    meeting_ids = [m["id"] for m in meetings if m["activity.format"] != "course" and not m["private"]]
    course_ids = sorted({m["activity"] for m in meetings if m["activity.format"] == "course" and not m["private"]})
    counts: dict[tuple[str, int], int] = {}
    if meeting_ids:
        rows = await Booking.select(Booking.meeting, Count(Booking.id, alias="n")).where(
            (Booking.status == "waitlisted") & Booking.meeting.is_in(meeting_ids)).group_by(Booking.meeting)
        counts.update({("meeting", row["meeting"]): row["n"] for row in rows})
    if course_ids:
        rows = await Booking.select(Booking.activity, Count(Booking.id, alias="n")).where(
            (Booking.status == "waitlisted") & Booking.meeting.is_null() & Booking.activity.is_in(course_ids)
        ).group_by(Booking.activity)
        counts.update({("activity", row["activity"]): row["n"] for row in rows})
    return counts


def _date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
