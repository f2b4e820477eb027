"""The participation report, per activity and per hub over a date range: meetings held, seats offered,
seats taken, attendance rate and waiting-list length. The variant for funders and the Comune never
shows a count of people below 5 ("<5"), so no small group can be singled out.

Counting rules: a single-date activity offers each meeting's capacity and counts each meeting's seats;
a course offers its capacity once for the cycle; a private meeting (a referral or mediation
appointment) offers and takes its one booking's seats. The attendance rate is present ÷ marked. Once the
retention policy has deleted a past meeting's bookings and attendance, its anonymous counts
(`retained_count`) stand in for them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from portal.form_fields import FormErrors
from portal.i18n import ROME, gettext
from portal.identity.staff_access import Staff, authorize, hub_in_scope, visible_activity_ids, visible_hubs
from portal.operations import exports, sheets
from portal.tables import Activity, Attendance, Booking, Meeting, RetainedCount

SMALL = 5  # counts of people below this are shown as "<5" to funders
MAX_DAYS = 3 * 366
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Period:
    hub_id: int | None
    date_from: date
    date_to: date
    funders: bool


@dataclass
class Line:
    hub: str
    activity: str  # "" for a hub's total
    meetings: int = 0
    offered: int = 0
    taken: int = 0
    present: int = 0
    marked: int = 0
    waiting: int = 0

    @property
    def rate(self) -> float | None:
        return round(100 * self.present / self.marked, 1) if self.marked else None

    def add(self, other: Line) -> None:
        for name in ("meetings", "offered", "taken", "present", "marked", "waiting"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class Report:
    period: Period
    lines: list[Line] = field(default_factory=list)  # each hub's activities, then the hub's total

    def people(self, count: int) -> str | int:
        """A count of people as this variant shows it."""
        return f"<{SMALL}" if self.period.funders and count < SMALL else count

    def rate(self, line: Line) -> str | float:
        if line.rate is None or (self.period.funders and line.marked < SMALL):
            return "–"
        return line.rate


def parse_period(values: Mapping[str, Any], now: datetime) -> Period:
    today = now.astimezone(ROME).date()
    errors: dict[str, str] = {}

    def day(name: str, default: date) -> date:
        raw = (values.get(name) or "").strip()
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = gettext("Enter a date such as %(example)s.", example=today.isoformat())
            return default

    date_from, date_to = day("dal", today - timedelta(days=DEFAULT_DAYS)), day("al", today)
    if not errors and date_from > date_to:
        errors["al"] = gettext("The end date must not come before the start date.")
    elif not errors and (date_to - date_from).days > MAX_DAYS:
        errors["al"] = gettext("Choose a period of at most three years.")
    hub_raw = (values.get("polo") or "").strip()
    hub_id = int(hub_raw) if hub_raw.isascii() and hub_raw.isdigit() else None
    if hub_raw and hub_id is None:
        errors["polo"] = gettext("Choose a hub from the list.")
    if errors:
        raise FormErrors(errors)
    return Period(hub_id, date_from, date_to, (values.get("variante") or "") == "enti")


async def participation(staff: Staff, period: Period) -> Report:
    authorize(staff, "reports")
    if period.hub_id is not None:
        await hub_in_scope(staff, period.hub_id)
    activities = await _activities(staff, period)
    meetings = await Meeting.select(
        Meeting.id, Meeting.activity, Meeting.capacity, Meeting.seats_taken, Meeting.private, Meeting.private_booking,
    ).where(Meeting.activity.is_in(list(activities) or [0]) & (Meeting.status == "scheduled")
            & (Meeting.local_date >= period.date_from) & (Meeting.local_date <= period.date_to))
    if not meetings:
        return Report(period)
    lines = await _seat_lines(activities, meetings)
    meeting_activity = {m["id"]: m["activity"] for m in meetings}
    for mark in await Attendance.select(Attendance.meeting, Attendance.present).where(
            Attendance.meeting.is_in(list(meeting_activity))):
        line = lines[meeting_activity[mark["meeting"]]]
        line.marked += 1
        line.present += 1 if mark["present"] else 0
    return Report(period, _by_hub(lines.values()))


async def _activities(staff: Staff, period: Period) -> dict[int, dict]:
    """The activities of the report: those one may see, of the period's hub if it names one."""
    visible = await visible_activity_ids(staff)
    query = Activity.select(Activity.id, Activity.title, Activity.format, Activity.capacity, Activity.seats_taken,
                            Activity.hub, Activity.hub.name)
    if visible is not None:
        query = query.where(Activity.id.is_in(list(visible) or [0]))
    if period.hub_id is not None:
        query = query.where(Activity.hub == period.hub_id)
    return {a["id"]: a for a in await query}


async def _seat_lines(activities: dict[int, dict], meetings: list[dict]) -> dict[int, Line]:
    """A line per activity with its meetings held, seats offered and taken, and its waiting list."""
    meeting_ids = [m["id"] for m in meetings]
    private_seats = await _private_seats([m["private_booking"] for m in meetings if m["private"]])
    waiting_by_meeting, waiting_by_activity = await _waiting(meeting_ids, list(activities))
    retained = await _retained(meeting_ids, list(activities))
    lines: dict[int, Line] = {}
    for m in meetings:
        activity = activities[m["activity"]]
        line = lines.setdefault(activity["id"], Line(activity["hub.name"], activity["title"]))
        line.meetings += 1
        kept = retained.get(("meeting", m["id"]), {})
        line.marked += kept.get("marked", 0)
        line.present += kept.get("present", 0)
        if m["private"]:
            seats = private_seats.get(m["private_booking"], 0) + kept.get("private_seats", 0)
            line.offered += seats
            line.taken += seats
        elif activity["format"] != "course":
            line.offered += m["capacity"] if m["capacity"] is not None else activity["capacity"]
            line.taken += m["seats_taken"]
            line.waiting += waiting_by_meeting.get(m["id"], 0) + kept.get("waiting", 0)
    for activity_id, line in lines.items():
        activity = activities[activity_id]
        if activity["format"] == "course":
            line.offered += activity["capacity"]
            line.taken += activity["seats_taken"]
            line.waiting += waiting_by_activity.get(activity_id, 0)
            line.waiting += retained.get(("activity", activity_id), {}).get("waiting", 0)
    return lines


def _by_hub(lines) -> list[Line]:
    """The lines by hub and activity, each hub followed by its total."""
    ordered: list[Line] = []
    for hub in sorted({line.hub for line in lines}):
        hub_lines = sorted((line for line in lines if line.hub == hub), key=lambda line: line.activity)
        total = Line(hub, "")
        for line in hub_lines:
            total.add(line)
        ordered += [*hub_lines, total]
    return ordered


def sheet(report: Report) -> sheets.Sheet:
    result = sheets.Sheet(
        title=gettext("Participation"),
        headers=[gettext("Hub"), gettext("Activity"), gettext("From"), gettext("To"), gettext("Meetings"),
                 gettext("Seats offered"), gettext("Seats taken"), gettext("Attendance rate (per cent)"),
                 gettext("Waiting list")],
    )
    for line in report.lines:
        result.rows.append([
            line.hub, line.activity or gettext("Total of the hub"), report.period.date_from, report.period.date_to,
            line.meetings, line.offered, report.people(line.taken), report.rate(line), report.people(line.waiting),
        ])
    return result


async def _private_seats(booking_ids: list[int | None]) -> dict[int, int]:
    ids = [b for b in booking_ids if b]
    if not ids:
        return {}
    rows = await Booking.select(Booking.id, Booking.seats).where(
        Booking.id.is_in(ids) & (Booking.status == "confirmed"))
    return {r["id"]: r["seats"] for r in rows}


async def _waiting(meeting_ids: list[int], activity_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Bookings waiting now: per meeting (single dates) and per activity (courses, enrolments)."""
    by_meeting = await Booking.raw(
        f"SELECT meeting, COUNT(*) AS n FROM booking WHERE meeting IN ({', '.join('{}' for _ in meeting_ids)})"
        " AND status = 'waitlisted' GROUP BY meeting", *meeting_ids)
    by_activity = await Booking.raw(
        f"SELECT activity, COUNT(*) AS n FROM booking WHERE activity IN ({', '.join('{}' for _ in activity_ids)})"
        " AND meeting IS NULL AND status = 'waitlisted' GROUP BY activity", *activity_ids)
    return {r["meeting"]: r["n"] for r in by_meeting}, {r["activity"]: r["n"] for r in by_activity}


async def _retained(meeting_ids: list[int], activity_ids: list[int]) -> dict[tuple[str, int], dict[str, int]]:
    """The anonymous counts left by retention, per meeting and (whole courses' waiting) per activity."""
    rows = await RetainedCount.select().where(
        RetainedCount.meeting.is_in(meeting_ids) | (RetainedCount.meeting.is_null()
                                                    & RetainedCount.activity.is_in(activity_ids)))
    totals: dict[tuple[str, int], dict[str, int]] = {}
    for row in rows:
        key = ("meeting", row["meeting"]) if row["meeting"] is not None else ("activity", row["activity"])
        total = totals.setdefault(key, {"marked": 0, "present": 0, "private_seats": 0, "waiting": 0})
        for name in total:
            total[name] += row[name]
    return totals


async def hubs(staff: Staff) -> list[dict]:
    """The hubs a report may be limited to."""
    authorize(staff, "reports")
    return await visible_hubs(staff)


async def export(staff: Staff, period: Period, fmt: str, now: datetime) -> exports.Download:
    """The report as a file, in the audit log like every export."""
    report = await participation(staff, period)
    variant = "enti" if period.funders else "interno"
    name = f"partecipazione_{variant}_{period.date_from.isoformat()}_{period.date_to.isoformat()}"
    return await exports.deliver(staff, "export.report", "hub" if period.hub_id else "report", period.hub_id,
                                 sheet(report), name, fmt, now,
                                 {"from": period.date_from, "to": period.date_to, "variant": variant})
