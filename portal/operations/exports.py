"""Roster and attendance exports: only the columns their purpose needs (DESIGN §5), downloaded after
sign-in and never mailed, each one written to the audit log. A roster is for running the meeting and
calling the families (names, ages, the adult's contacts); an attendance sheet is for the record of who
came (no contacts at all)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from portal import audit, db
from portal.i18n import N_, ROME, gettext
from portal.identity.staff_access import Staff
from portal.operations import rosters, scope, sheets
from portal.tables import Hub

FORMATS = ("csv", "xlsx")
STATUS_LABELS = {"confirmed": N_("Confirmed"), "pending": N_("Waiting for approval"),
                 "waitlisted": N_("On the waiting list")}


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    content: bytes


def _status(status: str) -> str:
    return gettext(STATUS_LABELS.get(status, status))


def _local(moment: datetime) -> datetime:
    return db.instant(moment).astimezone(ROME)


def _presence(mark: bool | None) -> str:
    if mark is None:
        return gettext("not recorded")
    return gettext("present") if mark else gettext("absent")


async def roster(staff: Staff, meeting_id: int, fmt: str, now: datetime) -> Download:
    _check_format(fmt)
    found = await scope.meeting(staff, meeting_id, "exports")
    roster = await rosters.meeting_roster(staff, meeting_id)
    start = _local(roster.meeting["starts_at"])
    sheet = sheets.Sheet(
        title=gettext("Roster"),
        headers=[gettext("Date"), gettext("Time"), gettext("Activity"), gettext("Booking code"), gettext("Status"),
                 gettext("Surname"), gettext("Name"), gettext("Phone"), gettext("E-mail"), gettext("Participant"),
                 gettext("Age")],
        phone_columns=frozenset({7}),
    )
    for booking in roster.bookings:
        for participant in booking.participants or [None]:
            sheet.rows.append([
                start.date(), start.strftime("%H:%M"), found.activity["title"], booking.code, _status(booking.status),
                booking.surname, booking.name, booking.phone, booking.email,
                participant.first_name if participant else "", participant.age if participant else "",
            ])
    name = f"elenco_{found.hub['slug']}_{start.date().isoformat()}_{meeting_id}"
    return await _deliver(staff, "export.roster", "meeting", meeting_id, sheet, name, fmt, now)


async def attendance(staff: Staff, activity_id: int | None, meeting_id: int | None, fmt: str,
                     now: datetime) -> Download:
    """One row per participant and meeting: a course's whole cycle, or one meeting."""
    _check_format(fmt)
    if meeting_id is not None:
        found = await scope.meeting(staff, meeting_id, "exports")
        activity, hub = found.activity, found.hub
        roster = await rosters.meeting_roster(staff, meeting_id)
        meetings = [(roster.meeting, roster.bookings)]
        record_type, record_id = "meeting", meeting_id
    else:
        activity = await scope.activity(staff, activity_id or 0, "exports")
        grid = await rosters.attendance_grid(staff, activity["id"])
        hub = {"slug": await _hub_slug(activity["hub"])}
        meetings = [(m, [_marked(b, grid, m["id"]) for b in grid.bookings]) for m in grid.meetings]
        record_type, record_id = "activity", activity["id"]
    sheet = sheets.Sheet(
        title=gettext("Attendance"),
        headers=[gettext("Date"), gettext("Time"), gettext("Activity"), gettext("Surname"), gettext("Participant"),
                 gettext("Attendance")],
    )
    for meeting, bookings in meetings:
        start = _local(meeting["starts_at"])
        for booking in bookings:
            for participant in booking.participants:
                sheet.rows.append([start.date(), start.strftime("%H:%M"), activity["title"], booking.surname,
                                   participant.first_name, _presence(participant.present)])
    name = f"presenze_{hub['slug']}_{now.astimezone(ROME).date().isoformat()}_{record_id}"
    return await _deliver(staff, "export.attendance", record_type, record_id, sheet, name, fmt, now)


def _marked(booking: rosters.RosterBooking, grid: rosters.Grid, meeting_id: int) -> rosters.RosterBooking:
    return replace(booking, participants=[replace(p, present=grid.mark(meeting_id, p.id))
                                          for p in booking.participants])


async def _hub_slug(hub_id: int) -> str:
    row = await Hub.select(Hub.slug).where(Hub.id == hub_id).first()
    return row["slug"]


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise scope.NotFound(fmt)


async def _deliver(staff: Staff, action: str, record_type: str, record_id: int | None, sheet: sheets.Sheet,
                   name: str, fmt: str, now: datetime, details: dict | None = None) -> Download:
    content = sheets.to_csv(sheet) if fmt == "csv" else sheets.to_xlsx(sheet)
    async with db.write_transaction():
        await audit.record(staff, action, record_type, record_id, "",
                           {"format": fmt, "rows": len(sheet.rows), "columns": sheet.headers, **(details or {})},
                           now)
    return Download(f"{name}.{fmt}", sheets.CSV_TYPE if fmt == "csv" else sheets.XLSX_TYPE, content)


async def deliver(staff: Staff, action: str, record_type: str, record_id: int | None, sheet: sheets.Sheet,
                  name: str, fmt: str, now: datetime, details: dict | None = None) -> Download:
    """For other exports (the participation report): write the file and its audit entry."""
    _check_format(fmt)
    return await _deliver(staff, action, record_type, record_id, sheet, name, fmt, now, details)
