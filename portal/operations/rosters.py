"""Rosters and attendance: who comes to a meeting (with the adult's contacts, for staff only), and who
came. A course's roster is the whole cycle's; a private meeting's is its one booking's."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from portal import db
from portal.i18n import N_, ROME, gettext
from portal.identity.staff_access import Staff, visible_activity_ids
from portal.operations import scope
from portal.operations.scope import Refused
from portal.tables import Activity, Attendance, Booking, BookingParticipant, Meeting

ON_ROSTER = ("confirmed", "pending")  # the bookings that hold seats; waiting ones are on the waiting list


@dataclass(frozen=True)
class RosterParticipant:
    id: int  # the booking participant
    first_name: str
    kind: str  # adult | child | "" (a member since removed)
    age_months: int | None
    present: bool | None = None  # None: not marked yet

    @property
    def age(self) -> str:
        return age_label(self.age_months)


@dataclass(frozen=True)
class RosterBooking:
    id: int
    code: str
    status: str
    seats: int
    joined_at: datetime
    family_id: int
    name: str
    surname: str
    email: str
    phone: str
    participants: list[RosterParticipant] = field(default_factory=list)
    activity_id: int = 0


@dataclass(frozen=True)
class Roster:
    meeting: dict
    activity: dict
    hub: dict
    capacity: int
    seats_taken: int
    waiting: int
    bookings: list[RosterBooking]

    @property
    def participants(self) -> int:
        return sum(len(b.participants) for b in self.bookings)

    @property
    def local_date(self) -> date:
        return _local_date(self.meeting)


@dataclass(frozen=True)
class Grid:
    activity: dict
    meetings: list[dict]
    bookings: list[RosterBooking]
    marks: dict[tuple[int, int], bool]  # (meeting id, participant id) -> present

    def mark(self, meeting_id: int, participant_id: int) -> bool | None:
        return self.marks.get((meeting_id, participant_id))

    def present_count(self, participant_id: int) -> int:
        return sum(1 for (m, p), present in self.marks.items() if p == participant_id and present)


def age_label(months: int | None) -> str:
    if months is None:
        return ""
    if months < 36:
        return gettext("%(n)s months", n=months)
    return gettext("%(n)s years", n=months // 12)


def age_in_months(birth_year: int | None, birth_month: int | None, on: date) -> int | None:
    if birth_year is None or birth_month is None:
        return None
    return (on.year - birth_year) * 12 + (on.month - birth_month)


# -- what the staff see --------------------------------------------------------------------


async def overview(staff: Staff, now: datetime, past_days: int = 14, hub_id: int | None = None) -> list[dict]:
    """The activities this staff member may see, with their meetings from two weeks ago on."""
    visible = await visible_activity_ids(staff)
    query = Activity.select(Activity.id, Activity.title, Activity.format, Activity.access, Activity.hub.name,
                            Activity.hub, Activity.capacity, Activity.seats_taken, Activity.waiting_list)
    if visible is not None:
        query = query.where(Activity.id.is_in(list(visible) or [0]))
    if hub_id is not None:
        query = query.where(Activity.hub == hub_id)
    activities = await query.order_by(Activity.hub.name).order_by(Activity.title)
    if not activities:
        return []
    meetings = await Meeting.select(
        Meeting.id, Meeting.activity, Meeting.starts_at, Meeting.place, Meeting.status, Meeting.private,
        Meeting.capacity, Meeting.seats_taken,
    ).where(Meeting.activity.is_in([a["id"] for a in activities])
            & (Meeting.starts_at >= now - timedelta(days=past_days))).order_by(Meeting.starts_at)
    by_activity: dict[int, list[dict]] = {}
    for row in meetings:
        by_activity.setdefault(row["activity"], []).append(row)
    for activity in activities:
        activity["meetings"] = by_activity.get(activity["id"], [])
    return activities


async def meeting_roster(staff: Staff, meeting_id: int) -> Roster:
    found = await scope.meeting(staff, meeting_id, "roster")
    meeting, activity = found.meeting, found.activity
    bookings = await roster_bookings(meeting, activity, _local_date(meeting), await _marks([meeting_id]))
    if activity["format"] == "course" and not meeting["private"]:
        capacity, taken = activity["capacity"], activity["seats_taken"]
        waiting = await Booking.count().where((Booking.activity == activity["id"]) & Booking.meeting.is_null()
                                              & (Booking.status == "waitlisted"))
    else:
        capacity = meeting["capacity"] if meeting["capacity"] is not None else activity["capacity"]
        taken = meeting["seats_taken"]
        waiting = await Booking.count().where((Booking.meeting == meeting_id) & (Booking.status == "waitlisted"))
    return Roster(meeting, activity, found.hub, capacity, taken, waiting, bookings)


async def mark_attendance(staff: Staff, meeting_id: int, participant_id: int, present: bool,
                          now: datetime) -> RosterParticipant:
    """Mark one participant present or absent at one meeting (marking again replaces the mark)."""
    found = await scope.meeting(staff, meeting_id, "attendance")
    bookings = await roster_bookings(found.meeting, found.activity, _local_date(found.meeting), {})
    participant = next((p for b in bookings for p in b.participants if p.id == participant_id), None)
    if participant is None:
        raise scope.NotFound(participant_id)
    if found.meeting["status"] != "scheduled":
        raise Refused(N_("This meeting was cancelled: there is no attendance to record."))
    async with db.write_transaction():
        await Attendance.raw(
            "INSERT INTO attendance (meeting, participant, present, marked_by, marked_at) VALUES ({}, {}, {}, {}, {})"
            " ON CONFLICT (meeting, participant) DO UPDATE SET present = excluded.present,"
            " marked_by = excluded.marked_by, marked_at = excluded.marked_at",
            meeting_id, participant_id, present, staff.id, now)
    return replace(participant, present=present)


async def attendance_grid(staff: Staff, activity_id: int) -> Grid:
    """A course's attendance over all its (public) meetings."""
    activity = await scope.activity(staff, activity_id, "roster")
    if activity["format"] != "course":
        raise Refused(N_("The attendance grid is for courses: open each meeting's roster instead."))
    meetings = await course_meetings(activity_id)
    first = _local_date(meetings[0]) if meetings else date.today()
    bookings = await roster_bookings(None, activity, first, {})
    return Grid(activity, meetings, bookings, await _marks([m["id"] for m in meetings]))


async def course_meetings(activity_id: int) -> list[dict]:
    return await Meeting.select().where(
        (Meeting.activity == activity_id) & (Meeting.private == False) & (Meeting.status == "scheduled")
    ).order_by(Meeting.starts_at).order_by(Meeting.id)


# -- the parts -----------------------------------------------------------------------------


def roster_clause(meeting: dict | None, activity: dict) -> tuple[str, list]:
    """The bookings a meeting's roster lists: its private booking, the course's, or the meeting's;
    with no meeting, the activity-wide ones (a course, or direct enrolments)."""
    if meeting is not None and meeting["private"]:
        return "b.id = {}", [meeting["private_booking"] or 0]
    if meeting is None or activity["format"] == "course":
        return "b.activity = {} AND b.meeting IS NULL", [activity["id"]]
    return "b.meeting = {}", [meeting["id"]]


async def roster_bookings(meeting: dict | None, activity: dict, on: date, marks: dict[tuple[int, int], bool],
                          statuses: tuple[str, ...] = ON_ROSTER) -> list[RosterBooking]:
    """The bookings of a roster with their participants: ages on `on`, marks of `meeting`."""
    where, args = roster_clause(meeting, activity)
    return await _bookings(f"{where} AND b.status IN ({_placeholders(statuses)})", [*args, *statuses], on, marks,
                           meeting["id"] if meeting else 0)


async def bookings_by_id(booking_ids: list[int], on: date) -> dict[int, RosterBooking]:
    """These bookings with their participants (ages on `on`), in two queries however many they are."""
    if not booking_ids:
        return {}
    return {b.id: b for b in await _bookings(f"b.id IN ({_placeholders(booking_ids)})", booking_ids, on, {}, 0)}


async def activity_wide_bookings(activity_ids: list[int], on: date, statuses: tuple[str, ...]
                                 ) -> dict[int, list[RosterBooking]]:
    """The activity-wide bookings (a course's, or direct enrolments) of these activities, by activity."""
    if not activity_ids:
        return {}
    where = (f"b.activity IN ({_placeholders(activity_ids)}) AND b.meeting IS NULL"
             f" AND b.status IN ({_placeholders(statuses)})")
    by_activity: dict[int, list[RosterBooking]] = {activity_id: [] for activity_id in activity_ids}
    for booking in await _bookings(where, [*activity_ids, *statuses], on, {}, 0):
        by_activity[booking.activity_id].append(booking)
    return by_activity


def _placeholders(values: tuple | list) -> str:
    return ", ".join("{}" for _ in values)


async def _bookings(where: str, args: list, on: date, marks: dict[tuple[int, int], bool],
                    meeting_id: int) -> list[RosterBooking]:
    rows = await Booking.raw(
        "SELECT b.id, b.code, b.status, b.seats, b.joined_at, b.family, b.activity, f.name, f.surname, f.email,"
        f" f.phone FROM booking b JOIN family f ON f.id = b.family WHERE {where}"
        " ORDER BY f.surname, f.name, b.id", *args)
    if not rows:
        return []
    participants = await BookingParticipant.select(
        BookingParticipant.id, BookingParticipant.booking, BookingParticipant.member.first_name,
        BookingParticipant.member.kind, BookingParticipant.member.birth_year, BookingParticipant.member.birth_month,
    ).where(BookingParticipant.booking.is_in([r["id"] for r in rows])).order_by(BookingParticipant.id)
    by_booking: dict[int, list[RosterParticipant]] = {}
    for p in participants:
        by_booking.setdefault(p["booking"], []).append(RosterParticipant(
            p["id"], p["member.first_name"] or "", p["member.kind"] or "",
            age_in_months(p["member.birth_year"], p["member.birth_month"], on) if p["member.kind"] == "child" else None,
            marks.get((meeting_id, p["id"]))))
    return [
        RosterBooking(
            id=r["id"], code=r["code"], status=r["status"], seats=r["seats"], joined_at=db.instant(r["joined_at"]),
            family_id=r["family"], name=r["name"] or "", surname=r["surname"] or "", email=r["email"] or "",
            phone=r["phone"] or "", participants=by_booking.get(r["id"], []), activity_id=r["activity"],
        )
        for r in rows
    ]


def _local_date(meeting: dict) -> date:
    return db.instant(meeting["starts_at"]).astimezone(ROME).date()


async def _marks(meeting_ids: list[int]) -> dict[tuple[int, int], bool]:
    if not meeting_ids:
        return {}
    rows = await Attendance.select(Attendance.meeting, Attendance.participant, Attendance.present).where(
        Attendance.meeting.is_in(meeting_ids))
    return {(r["meeting"], r["participant"]): bool(r["present"]) for r in rows}
