"""What a family can act on now: every date a page offers, with its action or the reason it cannot.

Pages (the activity, its hub, the catalogue, the booking's first step) and the booking step itself
read the same facts and ask the same pure rule, `rules.date_offer`, so a date offered as a button
is one the booking accepts, and a date shown without a button says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from portal import db
from portal.booking.rules import Audience, BookingRefused, DateOffer, Participant, Window, date_offer
from portal.i18n import N_, ROME
from portal.tables import Activity, Member

NEXT_DATES = 3  # how many bookable dates a card or the top of a page offers


@dataclass(frozen=True)
class DateChoice:
    """One date of an activity (a meeting, or a course's whole cycle: `meeting_id` None)."""

    meeting_id: int | None
    starts_at: datetime
    ends_at: datetime
    free_seats: int
    offer: DateOffer

    @property
    def local_date(self) -> date:
        return self.starts_at.astimezone(ROME).date()


@dataclass(frozen=True)
class Availability:
    activity_id: int
    slug: str
    access: str
    format: str
    dates: tuple[DateChoice, ...]  # upcoming, in order; a course has one: its cycle

    @property
    def bookable(self) -> list[DateChoice]:
        return [choice for choice in self.dates if choice.offer.can_act]

    def next_bookable(self, count: int = NEXT_DATES) -> list[DateChoice]:
        return self.bookable[:count]

    @property
    def why_not(self) -> DateChoice | None:
        """When nothing can be booked: the first date, which carries the reason."""
        return None if self.bookable or not self.dates else self.dates[0]

    def choice(self, meeting_id: int | None) -> DateChoice | None:
        return next((choice for choice in self.dates if choice.meeting_id == meeting_id), None)


_ACTIVITY_COLUMNS = (
    "a.id, a.slug, a.access, a.format, a.audience, a.age_min_months, a.age_max_months, a.seat_unit,"
    " a.capacity, a.seats_taken, a.waiting_list, a.booking_opens_at, a.booking_closes_hours"
)
_PUBLIC = "m.activity = a.id AND m.status = 'scheduled' AND m.private = {}"


async def for_activities(activity_ids: list[int], now: datetime, household: list[Participant] | None = None,
                         per_activity: int = 60) -> dict[int, Availability]:
    """The upcoming dates (at most `per_activity` each) of these activities, each with what a family
    can do on it now; `household` (when signed in) adds whether someone in it fits."""
    if not activity_ids:
        return {}
    placeholders = ", ".join("{}" for _ in activity_ids)
    activities = await Activity.raw(
        f"SELECT {_ACTIVITY_COLUMNS}, (SELECT MIN(m.starts_at) FROM meeting m WHERE {_PUBLIC}) AS first_start"
        f" FROM activity a WHERE a.id IN ({placeholders})", False, *activity_ids)
    meetings = await Activity.raw(
        "SELECT * FROM (SELECT m.id, m.activity, m.starts_at, m.ends_at,"
        " COALESCE(m.capacity, a.capacity) AS capacity, m.seats_taken,"
        " ROW_NUMBER() OVER (PARTITION BY m.activity ORDER BY m.starts_at, m.id) AS rn"
        f" FROM meeting m JOIN activity a ON a.id = m.activity WHERE a.id IN ({placeholders}) AND {_PUBLIC}"
        " AND m.starts_at >= {}) upcoming WHERE rn <= {} ORDER BY starts_at, id",
        *activity_ids, False, now, per_activity)
    by_activity: dict[int, list[dict]] = {}
    for row in meetings:
        by_activity.setdefault(row["activity"], []).append(row)
    return {row["id"]: _availability(row, by_activity.get(row["id"], []), now, household) for row in activities}


def _availability(activity: dict, meetings: list[dict], now: datetime,
                  household: list[Participant] | None) -> Availability:
    audience = Audience(activity["audience"], activity["age_min_months"], activity["age_max_months"],
                        activity["seat_unit"])

    def offer(starts_at: datetime, free: int) -> DateOffer:
        window = Window(db.instant(activity["booking_opens_at"]) if activity["booking_opens_at"] else None,
                        starts_at, activity["booking_closes_hours"])
        return date_offer(activity["access"], window, free, bool(activity["waiting_list"]), now, audience, household)

    if activity["format"] == "course":
        dates: tuple[DateChoice, ...] = ()
        if meetings and activity["first_start"] is not None:
            first = db.instant(activity["first_start"])
            free = max(activity["capacity"] - activity["seats_taken"], 0)
            dates = (DateChoice(None, first, db.instant(meetings[-1]["ends_at"]), free, offer(first, free)),)
    else:
        dates = tuple(
            DateChoice(row["id"], db.instant(row["starts_at"]), db.instant(row["ends_at"]),
                       max(row["capacity"] - row["seats_taken"], 0),
                       offer(db.instant(row["starts_at"]), max(row["capacity"] - row["seats_taken"], 0)))
            for row in meetings
        )
    return Availability(activity["id"], activity["slug"], activity["access"], activity["format"], dates)


async def for_activity(activity_id: int, now: datetime, household: list[Participant] | None = None,
                       ) -> Availability:
    return (await for_activities([activity_id], now, household))[activity_id]


async def household(family_id: int) -> list[Participant]:
    """The family's members as the rules see them."""
    rows = await Member.select(Member.id, Member.kind, Member.birth_year, Member.birth_month).where(
        Member.family == family_id).order_by(Member.id)
    return [Participant(row["id"], row["kind"], row["birth_year"], row["birth_month"]) for row in rows]


async def offer_for(activity_id: int, meeting_id: int | None, window: Window, now: datetime,
                    household: list[Participant] | None = None) -> DateOffer:
    """The booking step's question, answered as the pages answered it."""
    choice = (await for_activity(activity_id, now, household)).choice(meeting_id)
    if choice is not None:
        return choice.offer
    return DateOffer(None, window.refusal(now) or BookingRefused(N_("This date can no longer be booked.")))


def suggested(audience: Audience, household: list[Participant], on: date) -> set[int]:
    """Who is ticked when the participants step opens: everyone the activity is for."""
    fits = [p for p in household if p.kind == "child" and (not audience.has_age_range
                                                              or audience.fits_age(p.age_in_months(on)))]
    adults = [p for p in household if p.kind == "adult"]
    chosen = {"children": fits, "adults": adults, "families": adults + fits}[audience.kind]
    return {p.member_id for p in chosen}
