"""The one place that builds calendar events and their UIDs; every feed and .ics file calls it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from icalendar import Alarm, Calendar, Event, vDuration

from portal.i18n import ROME

PRODID = "-//Poli per le Famiglie//portal//IT"
TIMEZONE_UNTIL = date(2040, 1, 1)
REFRESH_INTERVAL = timedelta(hours=1)  # REFRESH-INTERVAL and X-PUBLISHED-TTL: how often apps should fetch


@dataclass(frozen=True)
class EventData:
    uid: str
    summary: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str
    url: str
    status: str  # CONFIRMED | TENTATIVE | CANCELLED
    sequence: int
    last_modified: datetime
    categories: tuple[str, ...] = ()
    geo: tuple[float, float] | None = None
    alarm_before: timedelta | None = None


def uid(kind: str, key: str | int, host: str) -> str:
    """Stable per thing and per kind of feed: a family's event never shares the public one's UID."""
    return f"{kind}-{key}@{host}"


def calendar(name: str, calendar_uid: str, events: list[EventData], now: datetime | None = None, *,
             description: str | None = None) -> bytes:
    """A VCALENDAR with its Europe/Rome VTIMEZONE, a refresh hint, and the events.

    DTSTAMP is each event's last modification: without METHOD, RFC 5545 §3.8.7.2 makes it the time
    the event was last revised, and so the same data always gives the same bytes (feeds' ETags rely
    on it). `now` is kept for older callers and not used."""
    cal = Calendar.new(name=name, uid=calendar_uid, prodid=PRODID, description=description)
    cal.add("REFRESH-INTERVAL", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH_INTERVAL).to_ical().decode())
    cal.add("X-WR-TIMEZONE", str(ROME))
    for data in events:
        cal.add_component(_event(data))
    if events:
        first = min(data.starts_at for data in events).astimezone(ROME).date().replace(month=1, day=1)
        cal.add_missing_timezones(first_date=first, last_date=TIMEZONE_UNTIL)
        _split_rdates(cal)
    return cal.to_ical()


def _event(data: EventData) -> Event:
    event = Event.new(
        uid=data.uid, stamp=data.last_modified.astimezone(timezone.utc), sequence=data.sequence, status=data.status,
        start=data.starts_at.astimezone(ROME), end=data.ends_at.astimezone(ROME), summary=data.summary,
        description=data.description, location=data.location,
    )
    event.add("LAST-MODIFIED", data.last_modified.astimezone(timezone.utc))
    event.add("URL", data.url)
    if data.categories:
        event.add("CATEGORIES", list(data.categories))
    if data.geo:
        event.add("GEO", data.geo)
    if data.alarm_before and data.status != "CANCELLED":
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", data.summary)
        alarm.add("TRIGGER", -data.alarm_before)
        event.add_component(alarm)
    return event


def _split_rdates(cal: Calendar) -> None:
    """One RDATE per line, and the DTSTART among them: some parsers (vobject, ical.js) read only the
    first value of RDATE:a,b,c, and ical.js ignores an observance's DTSTART once it has RDATEs; either
    would shift the summer events of the first year (or of every year) by an hour."""
    for zone in cal.walk("VTIMEZONE"):
        for observance in zone.subcomponents:
            rdates = observance.get("RDATE")
            if rdates is None:
                continue
            onsets = [d.dt for r in (rdates if isinstance(rdates, list) else [rdates]) for d in r.dts]
            first = observance.DTSTART
            del observance["RDATE"]
            for onset in sorted({first, *onsets}):
                observance.add("RDATE", onset)
