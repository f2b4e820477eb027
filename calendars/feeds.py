"""Feeds built from data: what each event says, in the current language. No queries here.

Public events carry the activity (title, summary, link, area); a family's events carry its own UIDs
(so that subscribing to both a public feed and the family's never makes two feeds fight over one
event), its booking's state, a reminder the day before, and, for services of the separation area,
only the neutral title and a link to the booking (DESIGN §5). No feed carries anyone's name.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from portal.calendars.events import EventData, calendar, uid

from portal.booking import listing
from portal.feeds.selection import FamilyEntry, FamilyFeed, FeedMeeting, PublicScope
from portal.feeds.staff_feed import StaffEntry, StaffFeed
from portal.i18n import gettext
from portal.mail.messages import NEUTRAL_TITLE
from portal.taxonomy import SEPARATION_AREA, area_name

SITE_NAME = "Poli per le Famiglie"  # a msgid of its own (base.html)
REMINDER = timedelta(days=1)
EVENT_STATUS = {"confirmed": "CONFIRMED", "pending": "TENTATIVE", "waitlisted": "TENTATIVE",
                "requested": "TENTATIVE", "cancelled": "CANCELLED"}


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def public_calendar(scope: PublicScope, meetings: list[FeedMeeting], base_url: str) -> bytes:
    host = host_of(base_url)
    events = [public_event(meeting, host, base_url) for meeting in meetings]
    return calendar(public_calendar_name(scope), uid(f"feed-{scope.kind}", scope.slug or "all", host), events,
                    description=gettext("Activities of the family hubs: %(url)s", url=base_url + "/"))


def public_calendar_name(scope: PublicScope) -> str:
    site = gettext(SITE_NAME)
    if scope.kind == "hub":
        return f"{scope.name} – {site}"
    if scope.kind == "area":
        return f"{area_name(scope.slug)} – {site}"
    if scope.kind == "activity":
        return f"{scope.name} – {scope.hub_name}"
    return gettext("%(site)s – all activities", site=site)


def public_event(meeting: FeedMeeting, host: str, base_url: str) -> EventData:
    """A published meeting: the public UID, the same in every public feed."""
    page = f"{base_url}/attivita/{meeting.activity_slug}"
    summary = meeting.title
    if meeting.cancelled:
        summary = gettext("Cancelled: %(title)s", title=summary)
    description = f"{meeting.summary}\n\n{page}" if meeting.summary else page
    return EventData(
        uid=uid("meeting", meeting.id, host), summary=summary, description=description,
        starts_at=meeting.starts_at, ends_at=meeting.ends_at, location=_location(meeting), url=page,
        status="CANCELLED" if meeting.cancelled else "CONFIRMED", sequence=meeting.sequence,
        last_modified=meeting.last_modified, categories=(area_name(meeting.area),), geo=meeting.geo,
    )


def family_calendar(feed: FamilyFeed, base_url: str) -> bytes:
    host = host_of(base_url)
    events = [family_event(entry, feed.family_id, host, base_url) for entry in feed.entries]
    return calendar(gettext("%(site)s – your bookings", site=gettext(SITE_NAME)),
                    uid("feed-family", feed.family_id, host), events,
                    description=gettext("Your bookings at the family hubs: %(url)s", url=base_url + "/famiglia"))


def family_event(entry: FamilyEntry, family_id: int, host: str, base_url: str) -> EventData:
    """A meeting the family is booked on: its own UID, its booking's state, a reminder the day before."""
    meeting = entry.meeting
    booking_page = f"{base_url}/famiglia/prenotazioni/{entry.booking_code}"
    activity_page = f"{base_url}/attivita/{meeting.activity_slug}"
    title = gettext(NEUTRAL_TITLE) if entry.neutral else meeting.title
    booking_line = gettext("Booking %(code)s", code=entry.booking_code) + f": {booking_page}"
    description = booking_line if entry.neutral else f"{activity_page}\n\n{booking_line}"
    return EventData(
        uid=uid(f"family-{family_id}-meeting", meeting.id, host), summary=_titled(title, entry.state),
        description=description, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
        location=_location(meeting), url=booking_page if entry.neutral else activity_page,
        status=EVENT_STATUS[entry.state], sequence=entry.sequence, last_modified=entry.last_modified,
        categories=() if entry.neutral else (area_name(meeting.area),), geo=meeting.geo, alarm_before=REMINDER,
    )


def _titled(title: str, state: str) -> str:
    """The booking's state in the title, where apps show TENTATIVE or CANCELLED faintly or not at all."""
    if state in ("pending", "requested"):  # requested: waiting for a draw
        return gettext("%(title)s (not confirmed yet)", title=title)
    if state == "waitlisted":
        return gettext("%(title)s (waiting list)", title=title)
    if state == "cancelled":
        return gettext("Cancelled: %(title)s", title=title)
    return title


def _location(meeting: FeedMeeting) -> str:
    return ", ".join(part for part in (meeting.place, meeting.hub_name, meeting.hub_address) if part)


def booking_events(booked: listing.BookingCalendar, base_url: str) -> tuple[str, list[EventData]]:
    """One booking's meetings, for its .ics file: neutral titles for the separation area (DESIGN §5)."""
    booking = booked.booking
    host = host_of(base_url)
    page = f"{base_url}/famiglia/prenotazioni/{booking.code}"
    neutral = booked.area == SEPARATION_AREA
    title = gettext(NEUTRAL_TITLE) if neutral else booking.title
    summary = _titled(title, booking.status if booking.live else "cancelled")
    events = [
        EventData(
            uid=uid(f"booking-{booking.code}-meeting", meeting.id, host),
            summary=summary if meeting.status != "cancelled" else _titled(title, "cancelled"),
            description=gettext("Booking %(code)s", code=booking.code) + f"\n{page}",
            starts_at=meeting.starts_at, ends_at=meeting.ends_at,
            location=f"{booking.hub_name}, {booked.hub_address}", url=page,
            status="CANCELLED" if meeting.status == "cancelled" or not booking.live else EVENT_STATUS[booking.status],
            sequence=meeting.sequence, last_modified=meeting.updated_at,
            categories=() if neutral else (area_name(booked.area),), geo=booked.geo, alarm_before=REMINDER,
        )
        for meeting in booked.meetings
    ]
    return title, events


def staff_calendar(feed: StaffFeed, base_url: str) -> bytes:
    host = host_of(base_url)
    events = [staff_event(entry, feed.staff_id, host, base_url) for entry in feed.entries]
    return calendar(gettext("%(site)s – staff", site=gettext(SITE_NAME)), uid("feed-staff", feed.staff_id, host),
                    events, description=gettext("The meetings you follow, with places taken and free."))


def staff_event(entry: StaffEntry, staff_id: int, host: str, base_url: str) -> EventData:
    """Places, never names; its own UIDs, so it never fights the public feed in one calendar."""
    meeting = entry.meeting
    title = gettext(NEUTRAL_TITLE) if entry.neutral else meeting.title
    if meeting.cancelled:
        title = gettext("Cancelled: %(title)s", title=title)
    places = gettext("Places: %(taken)s taken of %(capacity)s, %(free)s free", taken=entry.taken,
                     capacity=entry.capacity, free=entry.free)
    page = base_url + "/staff/"
    return EventData(
        uid=uid(f"staff-{staff_id}-meeting", meeting.id, host), summary=title, description=f"{places}\n\n{page}",
        starts_at=meeting.starts_at, ends_at=meeting.ends_at, location=_location(meeting), url=page,
        status="CANCELLED" if meeting.cancelled else "CONFIRMED", sequence=meeting.sequence,
        last_modified=meeting.last_modified, categories=() if entry.neutral else (area_name(meeting.area),),
        geo=meeting.geo,
    )
