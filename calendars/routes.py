"""Calendar files and feeds, served as text/calendar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from portal.calendars.events import EventData, calendar, uid

from portal.booking import listing
from portal.catalogue import NotFound
from portal.i18n import gettext
from portal.mail import NEUTRAL_TITLE
from portal.sessions import signed_in_family
from portal.taxonomy import SEPARATION_AREA, area_name

STATUS = {"confirmed": "CONFIRMED", "pending": "TENTATIVE", "waitlisted": "TENTATIVE"}


def _ics_name(name: str) -> str:
    if not name.endswith(".ics"):
        raise NotFoundException()
    return name.removesuffix(".ics")


@get("/calendari/prenotazioni/{name:str}")
async def booking_ics(request: Request, name: FromPath[str]) -> Response:
    """One booking as an .ics file, for its family only."""
    code = _ics_name(name)
    family = await signed_in_family(request)
    if family is None:
        return Redirect(f"/accedi?next={quote(request.url.path, safe='')}", status_code=303)
    try:
        booked = await listing.booking_calendar(code, family)
    except NotFound:
        raise NotFoundException() from None
    if booked.access == "referral":
        raise NotFoundException()
    base_url = request.app.state.settings.base_url
    summary, events = booking_events(booked, base_url)
    host = urlsplit(base_url).hostname or "localhost"
    content = calendar(summary, uid("booking", code, host), events, datetime.now(timezone.utc))
    return Response(content=content, media_type="text/calendar",
                    headers={"content-disposition": f'attachment; filename="{code}.ics"', "cache-control": "no-store"})


def booking_events(booked: listing.BookingCalendar, base_url: str) -> tuple[str, list[EventData]]:
    """A booking's meetings as events: neutral titles for the separation area (DESIGN §5)."""
    booking = booked.booking
    host = urlsplit(base_url).hostname or "localhost"
    page = f"{base_url}/famiglia/prenotazioni/{booking.code}"
    summary = booking.title if booked.area != SEPARATION_AREA else gettext(NEUTRAL_TITLE)
    if booking.status != "confirmed":
        summary = gettext("%(title)s (not confirmed yet)", title=summary)
    events = [
        EventData(
            uid=uid(f"booking-{booking.code}-meeting", meeting.id, host), summary=summary,
            description=gettext("Booking %(code)s", code=booking.code) + f"\n{page}",
            starts_at=meeting.starts_at, ends_at=meeting.ends_at,
            location=f"{booking.hub_name}, {booked.hub_address}", url=page,
            status="CANCELLED" if meeting.status == "cancelled" or not booking.live else STATUS[booking.status],
            sequence=meeting.sequence, last_modified=meeting.updated_at,
            categories=(area_name(booked.area),) if booked.area != SEPARATION_AREA else (),
            geo=booked.geo, alarm_before=timedelta(days=1),
        )
        for meeting in booked.meetings
    ]
    return summary, events


calendar_router = Router(path="/", route_handlers=[booking_ics])
