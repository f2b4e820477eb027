from datetime import date, datetime, timedelta, timezone

import pytest

from portal.booking.rules import (
    Audience,
    BookingRefused,
    Participant,
    Window,
    check_participants,
    decide,
    promotions,
    seats_needed,
)

START = datetime(2031, 3, 10, 16, tzinfo=timezone.utc)
ADULT = Participant(1, "adult")
CHILD_7 = Participant(2, "child", 2024, 1)  # 7 years 2 months on 2031-03-10
BABY = Participant(3, "child", 2030, 10)  # 5 months


def test_a_booking_that_fits_is_confirmed_or_pending_else_waits_whole():
    assert decide("open", free=3, seats=3, has_waiting_list=True) == "confirmed"
    assert decide("approval", free=3, seats=2, has_waiting_list=True) == "pending"
    assert decide("open", free=1, seats=2, has_waiting_list=True) == "waitlisted"
    with pytest.raises(BookingRefused):
        decide("open", free=1, seats=2, has_waiting_list=False)


def test_promotion_is_first_fit_in_order_and_never_splits():
    assert promotions(1, [(10, 2), (11, 1), (12, 1)]) == [11]
    assert promotions(3, [(10, 2), (11, 2), (12, 1)]) == [10, 12]
    assert promotions(0, [(10, 1)]) == []


def test_window_opens_and_closes():
    window = Window(opens_at=START - timedelta(days=10), starts_at=START, closes_hours=24)
    with pytest.raises(BookingRefused, match="not open yet"):
        window.check(START - timedelta(days=11))
    window.check(START - timedelta(days=2))
    with pytest.raises(BookingRefused, match="closed"):
        window.check(START - timedelta(hours=23))


def test_age_is_counted_in_months_on_the_meeting_date():
    assert CHILD_7.age_in_months(date(2031, 3, 10)) == 86
    assert BABY.age_in_months(date(2031, 3, 10)) == 5
    assert ADULT.age_in_months(date(2031, 3, 10)) is None


@pytest.mark.parametrize("audience, chosen, household, message", [
    (Audience("children", 72, 143, "participant"), [ADULT], [ADULT, CHILD_7], "Only children"),
    (Audience("children", 72, 143, "participant"), [BABY], [BABY], "age range"),
    (Audience("adults", 132, 203, "participant"), [ADULT], [ADULT, CHILD_7], "parents of children"),
    (Audience("adults", None, None, "participant"), [CHILD_7], [ADULT, CHILD_7], "children do not take part"),
    (Audience("families", 0, 11, "participant"), [BABY], [ADULT, BABY], "at least one adult"),
    (Audience("families", None, None, "family"), [], [ADULT], "Choose who"),
])
def test_participants_must_fit_the_audience(audience, chosen, household, message):
    with pytest.raises(BookingRefused, match=message):
        check_participants(audience, chosen, household, date(2031, 3, 10))


def test_fitting_participants_and_their_seats():
    babies = Audience("families", 1, 9, "participant")
    check_participants(babies, [ADULT, BABY], [ADULT, BABY], date(2031, 3, 10))
    assert seats_needed(babies, [ADULT, BABY]) == 2
    advice = Audience("adults", None, None, "family")
    check_participants(advice, [ADULT], [ADULT], date(2031, 3, 10))
    assert seats_needed(advice, [ADULT]) == 1
