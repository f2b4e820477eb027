"""Meetings in the staff area: add one or a weekly series (skipping closing days), edit, cancel.

A change of time, place or status raises the meeting's `sequence` (calendar apps then update the
event). Cancelling notifies every family holding a place, through the outbox: a single meeting's
bookings are cancelled with it; a course's enrolments stay and the families are told that date is off;
a private meeting (one enrolment's appointment) is off for that family only, its enrolment stays.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

from portal import audit, db
from portal.booking import withdrawals
from portal.booking.service import Target
from portal.catalogue.browse import local_day
from portal.db import NotFound
from portal.form_fields import Form, parse_day, refuse
from portal.i18n import N_, ROME
from portal.identity import staff_access
from portal.identity.staff_access import Staff
from portal.links import Links
from portal.tables import Booking, Meeting

PLACE_LENGTH = 200
MESSAGE_LENGTH = 500
MAX_CAPACITY = 1000
MAX_SERIES = 120  # meetings one series may add
MAX_SERIES_DAYS = 400


async def meeting_in_scope(staff: Staff, meeting_id: int) -> tuple[dict, dict]:
    """The meeting and its activity, if the activity is in scope (404 otherwise)."""
    meeting = await Meeting.select().where(Meeting.id == meeting_id).first()
    if meeting is None:
        raise NotFound(meeting_id)
    activity = await staff_access.activity_in_scope(staff, meeting["activity"])
    return meeting, activity


async def editable_meeting(staff: Staff, meeting_id: int) -> tuple[dict, dict]:
    found = await meeting_in_scope(staff, meeting_id)
    staff_access.authorize(staff, "edit_meeting")
    return found


async def meetings_of(staff: Staff, activity_id: int) -> list[dict]:
    """Every meeting of an activity in scope, by start, with its capacity in force."""
    activity = await staff_access.activity_in_scope(staff, activity_id)
    rows = await Meeting.select().where(Meeting.activity == activity_id).order_by(Meeting.starts_at)
    for row in rows:
        row["starts_at"], row["ends_at"] = db.instant(row["starts_at"]), db.instant(row["ends_at"])
        row["capacity_in_force"] = row["capacity"] if row["capacity"] is not None else activity["capacity"]
    return rows


def form_values(meeting: Mapping[str, Any]) -> dict[str, str]:
    starts, ends = db.instant(meeting["starts_at"]).astimezone(ROME), db.instant(meeting["ends_at"]).astimezone(ROME)
    return {"date": starts.date().isoformat(), "start": starts.strftime("%H:%M"), "end": ends.strftime("%H:%M"),
            "place": meeting["place"] or "",
            "capacity": "" if meeting["capacity"] is None else str(meeting["capacity"])}


def parse_clocks(form: Form) -> tuple[time | None, time | None]:
    """Start and end times of one day: the end after the start."""
    start = form.clock("start", N_("Enter the start time."))
    end = form.clock("end", N_("Enter the end time."))
    if start and end and end <= start:
        form.error("end", N_("The end must be after the start."))
        return None, None
    return start, end


def parse_times(form: Form, day: date | None) -> tuple[datetime | None, datetime | None]:
    """Start and end as instants, from the local date and clock times."""
    start, end = parse_clocks(form)
    if day is None or start is None or end is None:
        return None, None
    return _instant(day, start), _instant(day, end)


async def add_meeting(staff: Staff, activity_id: int, values: Mapping[str, Any], now: datetime) -> int:
    activity = await editable_activity(staff, activity_id)
    form = Form(values)
    day = form.day("date", N_("Enter the date."))
    starts_at, ends_at = parse_times(form, day)
    if starts_at and starts_at <= now:
        form.error("date", N_("The meeting must start in the future."))
    place = form.text("place", PLACE_LENGTH)
    own_capacity = _own_capacity(form, activity)
    form.raise_if_any()
    async with db.write_transaction():
        meeting_id = await _insert(activity_id, starts_at, ends_at, place, own_capacity, now)
        await db.bump_revision()
        await audit.record(staff, "meeting.create", "meeting", meeting_id, "",
                           {"activity": activity_id, "starts_at": starts_at, "capacity": own_capacity}, now)
    return meeting_id


def series_days(first: date, last: date, weekdays: set[int], closed: set[date]) -> list[date]:
    """Every date from first to last (both included) on the ISO weekdays given, but the closing days."""
    days, day = [], first
    while day <= last:
        if day.isoweekday() in weekdays and day not in closed:
            days.append(day)
        day += timedelta(days=1)
    return days


def parse_closing_days(text: str) -> tuple[set[date], list[str]]:
    """Dates separated by commas, spaces or lines (2026-12-24 or 24/12/2026); and what could not be read."""
    found, unreadable = set(), []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        day = parse_day(token)
        if day is None:
            unreadable.append(token)
        else:
            found.add(day)
    return found, unreadable


async def add_series(staff: Staff, activity_id: int, values: Mapping[str, Any], now: datetime) -> list[int]:
    """Weekly on the chosen weekdays between two dates, skipping closing days (and days already past)."""
    activity = await editable_activity(staff, activity_id)
    form = Form(values)
    first = form.day("first_date", N_("Enter the first date."))
    last = form.day("last_date", N_("Enter the last date."))
    weekdays = {number for number in form.ids("weekdays") if 1 <= number <= 7}
    if not weekdays:
        form.error("weekdays", N_("Choose at least one day of the week."))
    if first and last and last < first:
        form.error("last_date", N_("The last date cannot be before the first."))
    elif first and last and (last - first).days > MAX_SERIES_DAYS:
        form.error("last_date", N_("A series can last at most %(days)s days."), days=MAX_SERIES_DAYS)
    closed, unreadable = parse_closing_days(form.text("closing_days", 5000, multiline=True))
    if unreadable:
        form.error("closing_days", N_("These closing days could not be read: %(days)s. Write dates such as "
                                      "2026-12-24 or 24/12/2026."), days=", ".join(unreadable[:5]))
    start, end = parse_clocks(form)
    place = form.text("place", PLACE_LENGTH)
    own_capacity = _own_capacity(form, activity)
    form.raise_if_any()
    days = [day for day in series_days(first, last, weekdays, closed) if _instant(day, start) > now]
    if not days:
        raise refuse("first_date", N_("No future date falls on the chosen days between these dates."))
    if len(days) > MAX_SERIES:
        raise refuse("last_date", N_("A series can add at most %(max)s meetings."), max=MAX_SERIES)
    async with db.write_transaction():
        ids = [await _insert(activity_id, _instant(day, start), _instant(day, end), place, own_capacity, now)
               for day in days]
        await db.bump_revision()
        await audit.record(staff, "meeting.create_series", "activity", activity_id, "", {
            "meetings": ids, "first": days[0], "last": days[-1], "weekdays": sorted(weekdays),
            "closing_days": sorted(closed)}, now)
    return ids


async def update_meeting(staff: Staff, meeting_id: int, values: Mapping[str, Any], now: datetime) -> bool:
    """Date, times and place; the sequence moves on when time or place changes. Returns whether it did."""
    meeting, _ = await editable_meeting(staff, meeting_id)
    if meeting["status"] == "cancelled":
        raise refuse("date", N_("This meeting is cancelled: it can no longer be changed."), 409)
    form = Form(values)
    day = form.day("date", N_("Enter the date."))
    starts_at, ends_at = parse_times(form, day)
    place = form.text("place", PLACE_LENGTH)
    form.raise_if_any()
    stored = db.instant(meeting["starts_at"]), db.instant(meeting["ends_at"])
    moved = (starts_at, ends_at) != tuple(moment.replace(second=0, microsecond=0) for moment in stored)
    if not moved:
        starts_at, ends_at = stored  # the form shows minutes: keep what is stored
    elif starts_at <= now:
        raise refuse("date", N_("The meeting must start in the future."))
    changed = moved or place != meeting["place"]
    local_date, weekday = local_day(starts_at)
    async with db.write_transaction():
        update: dict[Any, Any] = {Meeting.starts_at: starts_at, Meeting.ends_at: ends_at, Meeting.place: place,
                                  Meeting.local_date: local_date, Meeting.local_weekday: weekday,
                                  Meeting.updated_at: now}
        if changed:
            update[Meeting.sequence] = Meeting.sequence + 1
        await Meeting.update(update).where(Meeting.id == meeting_id)
        await db.bump_revision()
        if changed:
            await audit.record(staff, "meeting.update", "meeting", meeting_id, "", {
                "starts_at": [meeting["starts_at"], starts_at], "ends_at": [meeting["ends_at"], ends_at],
                "place": [meeting["place"], place]}, now)
    return changed


async def cancel_meeting(staff: Staff, meeting_id: int, values: Mapping[str, Any], now: datetime,
                         links: Links) -> int:
    """Cancel with a message to the families; returns how many bookings were told."""
    meeting, activity = await meeting_in_scope(staff, meeting_id)
    staff_access.authorize(staff, "cancel_meeting")
    form = Form(values)
    message = form.text("message", MESSAGE_LENGTH, N_("Write a message for the families: it is sent with the "
                                                      "cancellation."), multiline=True)
    form.raise_if_any()
    async with db.write_transaction():
        rows = await Meeting.raw("SELECT status FROM meeting WHERE id = {}" + db.lock_clause(), meeting_id)
        if rows[0]["status"] == "cancelled":
            raise refuse("message", N_("This meeting is already cancelled."), 409)
        await Meeting.update({Meeting.status: "cancelled", Meeting.cancelled_at: now, Meeting.updated_at: now,
                              Meeting.sequence: Meeting.sequence + 1}).where(Meeting.id == meeting_id)
        if meeting["private"] and meeting["private_booking"]:  # one enrolment's appointment: it stays
            told = await withdrawals.notify_holder(meeting["private_booking"], meeting_id, now, message, links)
        elif activity["format"] == "course":
            told = await withdrawals.notify_enrolled(activity["id"], meeting_id, now, message, links)
        else:
            target = Target(activity, meeting_id, db.instant(meeting["starts_at"]))
            told = await withdrawals.cancel_meeting_bookings(target, staff.actor, now, message, links)
        await db.bump_revision()
        await audit.record(staff, "meeting.cancel", "meeting", meeting_id, message,
                           {"activity": activity["id"], "format": activity["format"], "bookings": told}, now)
    return len(told)


async def families_told(meeting: Mapping[str, Any], activity: Mapping[str, Any]) -> int:
    """How many bookings a cancellation of this meeting would reach, for the confirmation page."""
    if meeting["private"] and meeting["private_booking"]:
        where = (Booking.id == meeting["private_booking"]) & Booking.status.is_in(["pending", "confirmed"])
    elif activity["format"] == "course":
        where = (Booking.activity == activity["id"]) & Booking.meeting.is_null() & Booking.status.is_in(
            ["pending", "confirmed"])
    else:
        where = (Booking.meeting == meeting["id"]) & Booking.status.is_in(["pending", "confirmed", "waitlisted"])
    return await Booking.count().where(where)


# -- the parts ----------------------------------------------------------------------------------


async def editable_activity(staff: Staff, activity_id: int) -> dict:
    """An activity in scope (404) whose meetings this role may add and change (403)."""
    activity = await staff_access.activity_in_scope(staff, activity_id)
    staff_access.authorize(staff, "edit_meeting")
    return activity


def _own_capacity(form: Form, activity: Mapping[str, Any]) -> int | None:
    """A single activity's meeting may have its own capacity; a course's places are the cycle's."""
    if activity["format"] == "course":
        return None
    return form.integer("capacity", 1, MAX_CAPACITY)


def _instant(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ROME)


async def _insert(activity_id: int, starts_at: datetime, ends_at: datetime, place: str, capacity: int | None,
                  now: datetime) -> int:
    local_date, weekday = local_day(starts_at)
    rows = await Meeting.insert(Meeting(
        activity=activity_id, starts_at=starts_at, ends_at=ends_at, local_date=local_date, local_weekday=weekday,
        place=place, capacity=capacity, seats_taken=0, status="scheduled", private=False, private_booking=None,
        sequence=0, cancelled_at=None, updated_at=now,
    )).returning(Meeting.id)
    return rows[0]["id"]
