from datetime import date, datetime, timedelta, timezone

import pytest

from portal.booking.rules import (
    Audience,
    BookingRefused,
    Participant,
    Window,
    check_participants,
    date_offer,
    decide,
    household_fits,
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
    with pytest.raises(BookingRefused, match="Bookings open on") as early:
        window.check(START - timedelta(days=11))
    assert early.value.details["when"] == START - timedelta(days=10)
    window.check(START - timedelta(days=2))
    with pytest.raises(BookingRefused, match="Bookings closed on") as late:
        window.check(START - timedelta(hours=23))
    assert late.value.details["when"] == START - timedelta(hours=24)


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


CHILDREN_6_10 = Audience("children", 72, 131, "participant")


def test_a_date_is_offered_only_while_the_family_can_act_on_it():
    window = Window(opens_at=START - timedelta(days=10), starts_at=START, closes_hours=24)
    before = date_offer("open", window, 5, True, START - timedelta(days=11))
    assert not before.can_act and before.refusal.reason == "Bookings open on %(when)s."
    closed = date_offer("open", window, 5, True, START - timedelta(hours=23))
    assert not closed.can_act and closed.refusal.reason == "Bookings closed on %(when)s."
    assert date_offer("open", window, 5, True, START - timedelta(days=2)).action == "book"
    assert date_offer("approval", window, 5, True, START - timedelta(days=2)).action == "ask"
    assert date_offer("open", window, 0, True, START - timedelta(days=2)).action == "wait"
    full = date_offer("open", window, 0, False, START - timedelta(days=2))
    assert not full.can_act and "no waiting list" in full.refusal.reason
    assert not date_offer("request", window, 5, True, START - timedelta(days=2)).can_act


def test_the_household_fit_asks_for_a_child_but_keeps_the_date():
    window = Window(opens_at=None, starts_at=START, closes_hours=24)
    now = START - timedelta(days=2)
    assert date_offer("open", window, 5, True, now, CHILDREN_6_10, [ADULT, BABY]).needs_child
    assert not date_offer("open", window, 5, True, now, CHILDREN_6_10, [ADULT, CHILD_7]).needs_child
    assert not date_offer("open", window, 5, True, now).needs_child  # signed out: nothing known


def test_household_fits_mirrors_the_participant_rules():
    on = START.date()
    parents_of_6_10 = Audience("adults", 72, 131, "participant")
    assert household_fits(parents_of_6_10, [ADULT, CHILD_7], on)
    assert not household_fits(parents_of_6_10, [ADULT, BABY], on)
    assert not household_fits(parents_of_6_10, [CHILD_7], on)
    assert household_fits(Audience("families", None, None, "family"), [ADULT], on)
    assert not household_fits(CHILDREN_6_10, [ADULT], on)
    for household in ([ADULT, CHILD_7], [ADULT, BABY], [ADULT]):
        fits = household_fits(CHILDREN_6_10, household, on)
        children = [p for p in household if p.kind == "child"]
        try:
            check_participants(CHILDREN_6_10, children, household, on)
            allowed = True
        except BookingRefused:
            allowed = False
        assert fits == allowed
