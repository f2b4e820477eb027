"""The demo catalogue: what it covers, its invariants, and loading it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal import db
from portal.demo import loader as demo
from portal.i18n import ROME
from portal.tables import Activity, Area, Booking, Hub, Meeting, Service
from portal.taxonomy import SERVICES
from tests.counters import assert_counters_match_bookings

NOW = datetime(2031, 3, 3, 8, 30, tzinfo=timezone.utc)  # a Monday in Rome


@pytest.fixture(scope="module")
def plan() -> demo.Plan:
    return demo.plan_catalogue(NOW)


def meetings_of(plan: demo.Plan):
    return [(activity, meeting) for activity in plan.activities for meeting in activity.meetings]


def test_same_rome_date_gives_the_same_catalogue(plan):
    later_that_day = datetime(2031, 3, 3, 21, 0, tzinfo=ROME)
    assert demo.plan_catalogue(later_that_day) == plan


def test_the_real_catalogue_is_the_first_part_of_a_larger_one(plan):
    assert demo.plan_catalogue(NOW, scale=2).activities[: len(plan.activities)] == plan.activities


def test_covers_every_service_access_mode_and_format(plan):
    activities = plan.activities
    assert len(plan.hubs) == 10
    assert len(activities) >= 40
    assert {a.template.service for a in activities} == {service.slug for service in SERVICES}
    assert {a.template.access for a in activities} == {"open", "approval", "request", "referral"}
    assert {a.template.format for a in activities} == {"single", "course"}
    assert {a.template.audience for a in activities} == {"children", "adults", "families"}
    assert min(a.template.ages[0] for a in activities if a.template.ages) == 0
    assert max(a.template.ages[1] for a in activities if a.template.ages) == 17 * 12 + 11
    assert any(a.template.audience == "adults" and a.template.ages is None for a in activities)
    assert any(a.booking_opens_at and a.booking_opens_at > NOW for a in activities)
    assert any(not a.published for a in activities)


def test_appointments_are_short_slots_for_one_family(plan):
    slots = [a for a in plan.activities if a.template.capacity == 1 and a.meetings]
    assert slots
    for activity in slots:
        assert (activity.template.format, activity.template.seat_unit) == ("single", "family")
        assert len(activity.meetings) > 12
        assert all(m.ends_at - m.starts_at <= timedelta(hours=1) for m in activity.meetings)


def test_referral_activities_have_no_public_meetings_and_speaking_groups_need_both_parents(plan):
    for activity in plan.activities:
        if activity.template.access == "referral":
            assert activity.meetings == ()
        assert activity.template.both_parents_consent == (activity.template.service == "gruppi-di-parola")


def test_courses_have_four_to_eight_meetings_and_hold_their_seats_on_the_activity(plan):
    for activity in plan.activities:
        if activity.template.format == "course" and activity.meetings:
            assert 4 <= len(activity.meetings) <= 8
            assert all(m.seats_taken == 0 for m in activity.meetings)
            assert 0 <= activity.seats_taken <= activity.template.capacity


def test_seats_never_exceed_capacity_and_some_meetings_are_full_or_nearly(plan):
    fullness = []
    for activity, meeting in meetings_of(plan):
        capacity = meeting.capacity or activity.template.capacity
        assert 0 <= meeting.seats_taken <= capacity
        if activity.template.format == "single" and capacity > 1 and not meeting.cancelled:
            fullness.append(capacity - meeting.seats_taken)
    courses = [a.template.capacity - a.seats_taken for a in plan.activities if a.template.format == "course"]
    for free in (fullness, courses):
        assert 0 in free
        assert {1, 2} & set(free)


def test_meetings_are_local_wall_clock_times_in_the_next_weeks(plan):
    today = NOW.astimezone(ROME).date()
    for _, meeting in meetings_of(plan):
        local = meeting.starts_at.astimezone(ROME)
        assert meeting.starts_at.tzinfo is not None
        assert local.date() == meeting.local_date
        assert local.minute in (0, 15, 30)
        assert 8 <= local.hour <= 21
        assert -14 <= (meeting.local_date - today).days <= 16 * 7
    cancelled = [m for _, m in meetings_of(plan) if m.cancelled]
    assert 1 <= len(cancelled) <= 3
    assert all(m.local_date > today and m.seats_taken == 0 for m in cancelled)


def test_slugs_are_unique_and_fit_their_columns(plan):
    large = demo.plan_catalogue(NOW, scale=3)
    for catalogue in (plan, large):
        slugs = [a.slug for a in catalogue.activities]
        assert len(set(slugs)) == len(slugs)
        assert all(len(slug) <= 120 and slug == demo.slugify(slug) for slug in slugs)
        assert all(len(a.template.summary) <= 400 for a in catalogue.activities)


def test_scale_twenty_is_large_enough_for_benchmarks():
    plan = demo.plan_catalogue(NOW, scale=20)
    assert len(plan.hubs) >= 20
    assert len(plan.activities) >= 500
    assert plan.meeting_count >= 20_000


@pytest.mark.anyio
async def test_load_demo_writes_the_plan(empty_db, plan):
    before = await db.current_revision()
    assert await demo.is_empty()

    summary = await demo.load_demo(NOW)

    assert summary == demo.DemoSummary(hubs=10, activities=len(plan.activities), meetings=plan.meeting_count)
    assert not await demo.is_empty()
    assert await Area.count() == 3 and await Service.count() == 10
    assert await Hub.count() == summary.hubs
    assert await Activity.count() == summary.activities
    assert await Meeting.count() == summary.meetings
    assert await db.current_revision() == before + 1
    row = await Meeting.select().order_by(Meeting.starts_at).first()
    assert row["local_date"] == row["starts_at"].astimezone(ROME).date()
    assert row["local_weekday"] == row["local_date"].isoweekday()
    with pytest.raises(ValueError):
        await demo.load_demo(NOW)
    assert await Hub.count() == summary.hubs


@pytest.mark.anyio
async def test_the_places_the_demo_shows_taken_are_held_by_bookings(empty_db, plan):
    await demo.load_demo(NOW)
    taken = sum(m.seats_taken for _, m in meetings_of(plan)) + sum(a.seats_taken for a in plan.activities)
    assert taken > 0 and await Booking.count().where(Booking.status == "confirmed") > 0
    await assert_counters_match_bookings()  # every counter is the sum of its live bookings' seats
