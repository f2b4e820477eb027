"""The booking rules as pure functions over plain data: no database, no framework, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from portal.i18n import N_, format_datetime, gettext

LIVE = ("pending", "confirmed", "waitlisted", "requested")  # requested: waits for a draw, holds no seat
HOLDING_SEATS = ("pending", "confirmed")
NO_PLACES = N_("There are no free places and no waiting list.")


class BookingRefused(Exception):
    """A definite 'no' with the reason for the family (an English msgid, translated where shown)."""

    def __init__(self, reason: str, **details: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details

    def message(self) -> str:
        """The reason in the current language, its instants shown in Europe/Rome time."""
        shown = {name: format_datetime(value) if isinstance(value, datetime) else value
                 for name, value in self.details.items()}
        return gettext(self.reason, **shown) if "%(" in self.reason else gettext(self.reason)


@dataclass(frozen=True)
class Window:
    """When families may book: from the opening time until a set time before the start."""

    opens_at: datetime | None
    starts_at: datetime
    closes_hours: int

    @property
    def closes_at(self) -> datetime:
        return self.starts_at - timedelta(hours=self.closes_hours)

    def refusal(self, now: datetime) -> BookingRefused | None:
        """Why a family cannot book at `now`, or None while the window is open."""
        if self.opens_at and now < self.opens_at:
            return BookingRefused(N_("Bookings open on %(when)s."), when=self.opens_at)
        if now >= self.closes_at:
            return BookingRefused(N_("Bookings closed on %(when)s."), when=self.closes_at)
        return None

    def check(self, now: datetime) -> None:
        refusal = self.refusal(now)
        if refusal:
            raise refusal


@dataclass(frozen=True)
class Participant:
    member_id: int
    kind: str  # adult | child
    birth_year: int | None = None
    birth_month: int | None = None

    def age_in_months(self, on: date) -> int | None:
        if self.kind != "child" or self.birth_year is None or self.birth_month is None:
            return None
        return (on.year - self.birth_year) * 12 + (on.month - self.birth_month)


@dataclass(frozen=True)
class Audience:
    kind: str  # children | adults | families
    age_min_months: int | None
    age_max_months: int | None
    seat_unit: str  # participant | family

    def fits_age(self, months: int | None) -> bool:
        if months is None:
            return False
        low = self.age_min_months if self.age_min_months is not None else 0
        high = self.age_max_months if self.age_max_months is not None else 10_000
        return low <= months <= high

    @property
    def has_age_range(self) -> bool:
        return self.age_min_months is not None or self.age_max_months is not None


def check_participants(audience: Audience, chosen: Sequence[Participant], household: Sequence[Participant],
                       on: date) -> None:
    """Participants must fit the audience and the age range on the date of the (first) meeting."""
    if not chosen:
        raise BookingRefused(N_("Choose who will take part."))
    children = [p for p in chosen if p.kind == "child"]
    adults = [p for p in chosen if p.kind == "adult"]
    if audience.kind == "children" and adults:
        raise BookingRefused(N_("Only children take part: an accompanying adult does not need a place."))
    if audience.kind == "adults" and children:
        raise BookingRefused(N_("This activity is for parents: children do not take part."))
    if audience.kind == "children" and not children:
        raise BookingRefused(N_("Choose at least one child."))
    if audience.kind == "families" and not adults:
        raise BookingRefused(N_("Adults and children take part together: choose at least one adult."))
    if audience.has_age_range:
        if any(not audience.fits_age(child.age_in_months(on)) for child in children):
            raise BookingRefused(N_("A chosen child is outside the activity's age range."))
        if audience.kind == "adults" and not any(
            audience.fits_age(member.age_in_months(on)) for member in household if member.kind == "child"
        ):
            raise BookingRefused(N_("This group is for parents of children in its age range."))


def seats_needed(audience: Audience, chosen: Sequence[Participant]) -> int:
    return 1 if audience.seat_unit == "family" else len(chosen)


def decide(access: str, free: int, seats: int, has_waiting_list: bool) -> str:
    """The status of a new booking. Invariant: no waiting booking fits the free seats, so taking
    them overtakes nobody; a booking that does not fit waits whole at the end of the list."""
    if seats <= free:
        return "pending" if access == "approval" else "confirmed"
    if has_waiting_list:
        return "waitlisted"
    raise BookingRefused(NO_PLACES)


def promotions(free: int, queue: Sequence[tuple[int, int]]) -> list[int]:
    """First-fit in order of joining: the (booking id, seats) of the list that now fit, whole."""
    promoted = []
    for booking_id, seats in queue:
        if seats <= free:
            promoted.append(booking_id)
            free -= seats
    return promoted


def cancellation_deadline(starts_at: datetime, cancellation_hours: int) -> datetime:
    return starts_at - timedelta(hours=cancellation_hours)


BOOKABLE_ACCESS = ("open", "approval")


@dataclass(frozen=True)
class DateOffer:
    """Whether a family can act on one date (or a course) now: its action, or why not.

    `action` is "book", "ask" (approval) or "wait" (the waiting list); None with a `refusal` when
    the family cannot act. `needs_child` says the household has no one who fits yet: the family
    adds the child on the participants step, so the date is still offered."""

    action: str | None
    refusal: BookingRefused | None = None
    needs_child: bool = False

    @property
    def can_act(self) -> bool:
        return self.action is not None


def date_offer(access: str, window: Window, free: int, has_waiting_list: bool, now: datetime,
               audience: Audience | None = None, household: Sequence[Participant] | None = None) -> DateOffer:
    """Can a family act on this date, and if not, why. Every page that offers dates asks this, and
    so does the booking step: they never disagree. `household` is given when a family is signed in."""
    if access not in BOOKABLE_ACCESS:
        return DateOffer(None, BookingRefused(N_("This activity cannot be booked online.")))
    refusal = window.refusal(now)
    if refusal:
        return DateOffer(None, refusal)
    try:
        status = decide(access, free, 1, has_waiting_list)
    except BookingRefused as full:
        return DateOffer(None, full)
    action = {"confirmed": "book", "pending": "ask", "waitlisted": "wait"}[status]
    needs_child = household is not None and audience is not None and not household_fits(
        audience, household, window.starts_at.date())
    return DateOffer(action, needs_child=needs_child)


def household_fits(audience: Audience, household: Sequence[Participant], on: date) -> bool:
    """Whether some choice of the household's members would pass check_participants on `on`."""
    children = [p for p in household if p.kind == "child"]
    fitting = [p for p in children if not audience.has_age_range or audience.fits_age(p.age_in_months(on))]
    adults = [p for p in household if p.kind == "adult"]
    if audience.kind == "children":
        return bool(fitting)
    if audience.kind == "adults" and audience.has_age_range:
        return bool(adults and fitting)
    return bool(adults)
