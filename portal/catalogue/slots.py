"""Appointments: one family per slot. Their free slots are shown one day at a time, with a day picker,
instead of one long list of every slot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from portal.booking import availability
from portal.catalogue.browse import Card, MeetingView, upcoming_meetings
from portal.db import NotFound
from portal.tables import Activity

HORIZON = 400  # slots looked at: several weeks of a busy appointment service


@dataclass(frozen=True)
class SlotDay:
    day: date
    free_slots: int


@dataclass(frozen=True)
class SlotPicker:
    days: list[SlotDay]  # days with at least one free slot, in order
    day: date | None  # the day shown
    slots: list[MeetingView]  # that day's free slots


def is_appointment(card: Card) -> bool:
    """Booked one date at a time, one family per slot."""
    return card.format == "single" and card.capacity == 1 and card.access in ("open", "approval")


def pick(meetings: list[MeetingView], wanted: date | None) -> SlotPicker:
    """The days with free slots, and the slots of the wanted day (or of the first day, if it has none).
    `meetings` are those a family may book now (opening, booking window)."""
    free = [meeting for meeting in meetings if meeting.free_seats]
    by_day = {day: list(slots) for day, slots in groupby(free, key=lambda meeting: meeting.local_date)}
    days = [SlotDay(day, len(slots)) for day, slots in by_day.items()]
    day = wanted if wanted in by_day else (days[0].day if days else None)
    return SlotPicker(days=days, day=day, slots=by_day.get(day, []))


def parse_day(raw: str | None) -> date | None:
    """?giorno=YYYY-MM-DD; anything else simply shows the first day."""
    try:
        return date.fromisoformat(raw) if raw and len(raw) == 10 else None
    except ValueError:
        return None


async def slot_picker(slug: str, wanted: date | None, now: datetime) -> SlotPicker:
    row = await Activity.select(Activity.id).where((Activity.slug == slug) & (Activity.published == True)).first()  # noqa: E712
    if row is None:
        raise NotFound(slug)
    bookable = {choice.meeting_id for choice in (await availability.for_activity(row["id"], now)).bookable}
    meetings = await upcoming_meetings(row["id"], now, limit=HORIZON)
    return pick([meeting for meeting in meetings if meeting.id in bookable], wanted)  # the rule every page asks
