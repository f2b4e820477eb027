"""The day picker of appointments: only free slots, only days that have one, the asked day or the first."""

from datetime import date, datetime, timedelta, timezone

from portal.catalogue.browse import MeetingView
from portal.catalogue.slots import parse_day, pick


def slot(day: int, hour: int, taken: int = 0, meeting_id: int = 0) -> MeetingView:
    starts = datetime(2026, 12, 7 + day, hour - 1, tzinfo=timezone.utc)  # Rome is UTC+1 in December
    return MeetingView(id=meeting_id or day * 100 + hour, starts_at=starts, ends_at=starts + timedelta(minutes=45),
                       place="Stanza 1", capacity=1, seats_taken=taken)


def test_days_with_free_slots_and_the_first_day_shown():
    meetings = [slot(0, 9, taken=1), slot(0, 10, taken=1), slot(1, 9), slot(1, 10, taken=1), slot(1, 11), slot(3, 15)]
    picker = pick(meetings, None)
    assert [(d.day, d.free_slots) for d in picker.days] == [(date(2026, 12, 8), 2), (date(2026, 12, 10), 1)]
    assert picker.day == date(2026, 12, 8) and [m.id for m in picker.slots] == [109, 111]


def test_the_day_asked_for_or_the_first_when_it_has_no_free_slot():
    meetings = [slot(0, 9), slot(2, 9), slot(2, 10, taken=1)]
    assert pick(meetings, date(2026, 12, 9)).day == date(2026, 12, 9)
    assert pick(meetings, date(2026, 12, 8)).day == date(2026, 12, 7)
    assert pick([], date(2026, 12, 8)) == pick([], None)
    assert pick([], None).day is None and pick([], None).slots == []


def test_odd_days_in_the_address_are_ignored():
    assert parse_day("2026-12-08") == date(2026, 12, 8)
    for raw in (None, "", "2026-13-01", "domani", "2026-12-08T10:00", "x" * 500):
        assert parse_day(raw) is None
