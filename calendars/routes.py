"""Calendar files and feeds, served as text/calendar, with validators so that polling apps mostly get 304.

Routes take `{name:str}` and strip `.ics` themselves (Litestar does not match a suffix around a path
parameter); feeds answer GET and HEAD, skip the session and CSRF middleware (calendar apps carry
no cookies), and answer 404 for anything unknown or malformed.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import OrderedDict
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote

from litestar import Request, Response, Router, get, route
from litestar.enums import HttpMethod
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from portal.calendars.events import calendar, uid
from portal.calendars.feeds import booking_events, family_calendar, host_of, public_calendar, staff_calendar

from portal import db
from portal.booking import listing
from portal.db import NotFound
from portal.feeds import selection as feeds
from portal.feeds import tokens as feed_tokens
from portal.feeds.staff_feed import staff_feed as staff_feed_of
from portal.i18n import DEFAULT_LANGUAGE, current_language, set_language
from portal.identity import staff_access
from portal.identity.sessions import signed_in_family

FORMAT_VERSION = "1"  # raise when the builder's output changes, so validators change with it
GET_HEAD = [HttpMethod.GET, HttpMethod.HEAD]
FEED_OPT = {"exclude_from_csrf": True, "skip_session": True}
PUBLIC_CACHE_CONTROL = "public, max-age=300"
PRIVATE_CACHE_CONTROL = "private, no-cache"
URL_WORDS = {"all": "tutto", "hub": "poli", "area": "aree", "activity": "attivita"}
KIND_OF_WORD = {word: kind for kind, word in URL_WORDS.items()}
BOOKING_CODE = re.compile(r"[A-Za-z0-9]{1,12}")  # Booking.code; anything else is 404 before any query


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _strip(name: str, suffix: str) -> str:
    if not name.endswith(suffix):
        raise NotFoundException()
    return name.removesuffix(suffix)


def _ics_name(name: str) -> str:
    return _strip(name, ".ics")


def _base_url(request: Request) -> str:
    return request.app.state.settings.base_url


# -- validators ------------------------------------------------------------------------------


def _etag(*parts: object) -> str:
    digest = hashlib.sha256("|".join(str(part) for part in (FORMAT_VERSION, *parts)).encode()).hexdigest()[:32]
    return f'W/"{digest}"'  # weak: gzip may re-encode the same content


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def not_modified(request: Request, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 §13.1: If-None-Match (weak comparison) wins; otherwise If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [_opaque(tag) for tag in if_none_match.split(",")]
        return "*" in tags or _opaque(etag) in tags
    if_modified_since = request.headers.get("if-modified-since")
    if not if_modified_since or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return last_modified.replace(microsecond=0) <= since


def _validators(etag: str, last_modified: datetime | None, cache_control: str) -> dict[str, str]:
    headers = {"etag": etag, "cache-control": cache_control}
    if last_modified is not None:
        headers["last-modified"] = format_datetime(last_modified.astimezone(timezone.utc), usegmt=True)
    return headers


def _calendar_response(content: bytes, headers: dict[str, str]) -> Response:
    return Response(content=content, media_type="text/calendar", headers=headers)


def _not_modified_response(headers: dict[str, str]) -> Response:
    return Response(content=b"", status_code=304, headers=headers)


class BuiltFeeds:
    """Public feeds already built, by ETag (which changes with their data), within a byte budget."""

    def __init__(self, budget: int = 32 * 1024 * 1024) -> None:
        self.budget = budget
        self.size = 0
        self.feeds: OrderedDict[str, bytes] = OrderedDict()

    def get(self, etag: str) -> bytes | None:
        content = self.feeds.get(etag)
        if content is not None:
            self.feeds.move_to_end(etag)
        return content

    def put(self, etag: str, content: bytes) -> bytes:
        self.feeds[etag] = content
        self.size += len(content)
        while self.size > self.budget and len(self.feeds) > 1:
            _, dropped = self.feeds.popitem(last=False)
            self.size -= len(dropped)
        return content


built_feeds = BuiltFeeds()


# -- public feeds ----------------------------------------------------------------------------


class FeedStates:
    """A public feed's scope and state, reused while the catalogue's revision and the minute stay the
    same (every change to what the catalogue shows bumps the revision; the 30-day window moves with
    the clock): a polling calendar app then costs one revision read before its 304. The state itself
    is derived from the data, so a new revision that changed nothing in a feed keeps its ETag."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.states: OrderedDict[tuple, tuple[feeds.PublicScope, feeds.FeedState]] = OrderedDict()

    async def get(self, kind: str, slug: str, now: datetime) -> tuple[feeds.PublicScope, feeds.FeedState]:
        key = (id(db.engine()), await db.current_revision(), now.replace(second=0, microsecond=0), kind, slug)
        found = self.states.get(key)
        if found is None:
            scope = await feeds.public_scope(kind, slug)
            found = (scope, await feeds.public_feed_state(scope, now.replace(second=0, microsecond=0)))
            self.states[key] = found
            if len(self.states) > self.size:
                self.states.popitem(last=False)
        return found


feed_states = FeedStates()


async def _public_feed(request: Request, kind: str, slug: str = "") -> Response:
    now = _now().replace(second=0, microsecond=0)  # the window moves by the minute, like the cache key
    try:
        scope, state = await feed_states.get(kind, slug, now)
    except NotFound:
        raise NotFoundException() from None
    base_url = _base_url(request)
    etag = _etag(state.version, current_language(), base_url)
    headers = _validators(etag, state.last_modified, PUBLIC_CACHE_CONTROL)
    if not_modified(request, etag, state.last_modified):
        return _not_modified_response(headers)
    content = built_feeds.get(etag)
    if content is None:
        meetings = await feeds.public_meetings(scope, now)
        # icalendar needs ~0.3 ms an event: a big feed is built off the event loop (the thread
        # copies the context, so the request's language goes with it)
        content = built_feeds.put(etag, await asyncio.to_thread(public_calendar, scope, meetings, base_url))
    return _calendar_response(content, headers)


@route("/calendari/tutto.ics", http_method=GET_HEAD, opt=FEED_OPT)
async def everything_feed(request: Request) -> Response:
    return await _public_feed(request, "all")


@route("/calendari/poli/{name:str}", http_method=GET_HEAD, opt=FEED_OPT)
async def hub_feed(request: Request, name: FromPath[str]) -> Response:
    return await _public_feed(request, "hub", _ics_name(name))


@route("/calendari/aree/{name:str}", http_method=GET_HEAD, opt=FEED_OPT)
async def area_feed(request: Request, name: FromPath[str]) -> Response:
    return await _public_feed(request, "area", _ics_name(name))


@route("/calendari/attivita/{name:str}", http_method=GET_HEAD, opt=FEED_OPT)
async def activity_feed(request: Request, name: FromPath[str]) -> Response:
    return await _public_feed(request, "activity", _ics_name(name))


def public_feed_path(kind: str, slug: str = "") -> str:
    if kind == "all":
        return "/calendari/tutto.ics"
    return f"/calendari/{URL_WORDS[kind]}/{slug}.ics"


@route("/calendari/qr/{path:path}", http_method=GET_HEAD, opt=FEED_OPT)
async def feed_qr(request: Request, path: FromPath[str]) -> Response:
    """The QR code of a public feed's webcal:// address, as SVG (for screens and printed flyers):
    /calendari/qr/tutto.svg, /calendari/qr/poli/{slug}.svg, …"""
    parts = path.strip("/").split("/")
    if parts == ["tutto.svg"]:
        kind, slug = "all", ""
    elif len(parts) == 2 and parts[0] in KIND_OF_WORD and parts[0] != "tutto":
        kind, slug = KIND_OF_WORD[parts[0]], _strip(parts[1], ".svg")
    else:
        raise NotFoundException()
    try:
        await feeds.public_scope(kind, slug)
    except NotFound:
        raise NotFoundException() from None
    url = _base_url(request) + public_feed_path(kind, slug)
    if current_language() != DEFAULT_LANGUAGE:
        url += f"?lang={current_language()}"
    return Response(content=feed_tokens.qr_svg(feed_tokens.webcal_url(url)), media_type="image/svg+xml",
                    headers={"cache-control": "public, max-age=86400"})


# -- private feeds ---------------------------------------------------------------------------


@route("/calendari/famiglia/{name:str}", http_method=GET_HEAD, opt=FEED_OPT)
async def family_feed(request: Request, name: FromPath[str]) -> Response:
    """A family's bookings, by its secret token; an unknown, revoked or malformed token is 404."""
    now = _now()
    access = await feed_tokens.verify_token("family", _ics_name(name), request.app.state.settings.secret_key)
    if access is None:
        raise NotFoundException()
    await feed_tokens.record_fetch(access, now)
    feed = await feeds.family_feed(access.owner, now)
    set_language(feed.language)  # the family's language, whatever the calendar app sends
    base_url = _base_url(request)
    etag = _etag(feed.version, base_url)
    headers = _validators(etag, feed.last_modified, PRIVATE_CACHE_CONTROL)
    headers["x-robots-tag"] = "noindex"
    if not_modified(request, etag, feed.last_modified):
        return _not_modified_response(headers)
    return _calendar_response(family_calendar(feed, base_url), headers)


@route("/calendari/staff/{name:str}", http_method=GET_HEAD, opt=FEED_OPT)
async def staff_feed(request: Request, name: FromPath[str]) -> Response:
    """A staff member's meetings with places, never names, by the member's secret token."""
    now = _now()
    access = await feed_tokens.verify_token("staff", _ics_name(name), request.app.state.settings.secret_key)
    staff = await staff_access.load_staff(access.owner) if access else None
    if staff is None:
        raise NotFoundException()
    await feed_tokens.record_fetch(access, now)
    feed = await staff_feed_of(staff, now)
    base_url = _base_url(request)
    etag = _etag(feed.version, base_url, current_language())
    headers = _validators(etag, feed.last_modified, PRIVATE_CACHE_CONTROL)
    headers["x-robots-tag"] = "noindex"
    if not_modified(request, etag, feed.last_modified):
        return _not_modified_response(headers)
    return _calendar_response(staff_calendar(feed, base_url), headers)


# -- one booking -----------------------------------------------------------------------------


@get("/calendari/prenotazioni/{name:str}")
async def booking_ics(request: Request, name: FromPath[str]) -> Response:
    """One booking as an .ics file, for its family only."""
    code = _ics_name(name)
    if not BOOKING_CODE.fullmatch(code):
        raise NotFoundException()
    family = await signed_in_family(request)
    if family is None:
        return Redirect(f"/accedi?next={quote(request.url.path, safe='')}", status_code=303)
    try:
        booked = await listing.booking_calendar(code, family)
    except NotFound:
        raise NotFoundException() from None
    if booked.access == "referral":
        raise NotFoundException()
    base_url = _base_url(request)
    summary, events = booking_events(booked, base_url)
    content = calendar(summary, uid("booking", code, host_of(base_url)), events)
    return Response(content=content, media_type="text/calendar",
                    headers={"content-disposition": f'attachment; filename="{code}.ics"', "cache-control": "no-store"})


calendar_router = Router(path="/", route_handlers=[
    booking_ics, everything_feed, hub_feed, area_feed, activity_feed, family_feed, staff_feed, feed_qr,
])
