"""A staff member's calendar: the meetings of the activities they may see, with places taken and
free, never names (DESIGN §5). Referral-only services appear only to the staff assigned to them,
neutrally titled."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from portal.feeds.selection import IN_WINDOW, KEEP, MEETING_COLUMNS, MEETING_JOINS, FeedMeeting, feed_meeting
from portal.identity.staff_access import Staff, visible_activity_ids
from portal.tables import Meeting


@dataclass(frozen=True)
class StaffEntry:
    meeting: FeedMeeting
    capacity: int
    taken: int
    neutral: bool  # a referral-only service: no title in anyone's calendar

    @property
    def free(self) -> int:
        return max(self.capacity - self.taken, 0)


@dataclass(frozen=True)
class StaffFeed:
    staff_id: int
    entries: list[StaffEntry]
    version: str
    last_modified: datetime | None


async def staff_feed(staff: Staff, now: datetime) -> StaffFeed:
    """One query, whatever the number of meetings."""
    since = now - KEEP
    where = f" WHERE {IN_WINDOW} AND (a.access <> 'referral' OR a.id IN ({_ids(staff.activity_ids)}))"
    visible = await visible_activity_ids(staff)
    if visible is not None:
        where += f" AND a.id IN ({_ids(visible)})"
    rows = await Meeting.raw(
        f"SELECT {MEETING_COLUMNS}, a.access, COALESCE(m.capacity, a.capacity) AS capacity,"
        " CASE WHEN a.format = 'course' THEN a.seats_taken ELSE m.seats_taken END AS taken"
        f"{MEETING_JOINS}{where} ORDER BY m.starts_at, m.id", since, since)
    entries = [StaffEntry(feed_meeting(row), row["capacity"], row["taken"], row["access"] == "referral")
               for row in rows]
    state = repr([(e.meeting.id, e.meeting.sequence, e.meeting.cancelled, e.meeting.last_modified, e.capacity,
                   e.taken) for e in entries])
    return StaffFeed(staff.id, entries, hashlib.sha256(state.encode()).hexdigest()[:32],
                     max((e.meeting.last_modified for e in entries), default=None))


def _ids(ids: set[int] | frozenset[int]) -> str:
    """An IN list of integers (never user text), with 0 for an empty set."""
    return ", ".join(str(int(i)) for i in sorted(ids)) or "0"
