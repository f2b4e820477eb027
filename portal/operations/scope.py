"""Which records a staff member may reach, and what they may do there (DESIGN §3): a record outside
one's scope does not exist (NotFound → 404); an action the role may not take on a visible record is
Forbidden (403). Scope is checked first, so a hidden record never answers 403."""

from __future__ import annotations

from dataclasses import dataclass

from portal.db import NotFound
from portal.i18n import gettext
from portal.identity.staff_access import Staff, activity_in_scope, authorize
from portal.tables import Booking, Hub, Meeting


class Refused(Exception):
    """A definite no for the staff, with the reason (an English msgid and its variables)."""

    def __init__(self, reason: str, **variables: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.variables = variables

    @property
    def message(self) -> str:
        return gettext(self.reason, **self.variables)


@dataclass(frozen=True)
class MeetingInScope:
    meeting: dict
    activity: dict
    hub: dict


async def activity(staff: Staff, activity_id: int, action: str) -> dict:
    found = await activity_in_scope(staff, activity_id)
    authorize(staff, action)
    return found


async def meeting(staff: Staff, meeting_id: int, action: str) -> MeetingInScope:
    row = await Meeting.select().where(Meeting.id == meeting_id).first()
    if row is None:
        raise NotFound(meeting_id)
    found = await activity_in_scope(staff, row["activity"])
    authorize(staff, action)
    hub = await Hub.select(Hub.id, Hub.name, Hub.slug, Hub.phone).where(Hub.id == found["hub"]).first()
    return MeetingInScope(row, found, hub)


async def booking(staff: Staff, booking_id: int, action: str) -> tuple[dict, dict]:
    """The booking and its activity."""
    row = await Booking.select().where(Booking.id == booking_id).first()
    if row is None:
        raise NotFound(booking_id)
    found = await activity_in_scope(staff, row["activity"])
    authorize(staff, action)
    return row, found
