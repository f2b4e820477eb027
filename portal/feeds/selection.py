"""Calendar feeds: what each feed holds (the private feeds' tokens are in portal.feeds.tokens). No HTTP here.

Public feeds (everything, a hub, an area, an activity) hold the published, non-private meetings of
activities that are not referral-only, from 30 days ago onwards; a cancelled meeting stays for 30 days
after its cancellation, so that subscribed calendars learn of it (DESIGN §5, §7).

A family's feed holds the meetings of its bookings (referral-only activities never): the meetings it
is booked on, pending or waiting-listed ones as tentative, and for 30 days those whose booking it
cancelled (or staff declined) or whose meeting was cancelled.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal import db
from portal.booking.rules import LIVE
from portal.db import NotFound
from portal.tables import Activity, Family, Hub
from portal.taxonomy import AREA_BY_SLUG, SEPARATION_AREA

KEEP = timedelta(days=30)  # past meetings, and cancellations, stay this long in a feed
SLUG_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,120}")  # anything else names nothing (and never reaches SQL)


# -- what a feed holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class FeedMeeting:
    id: int
    starts_at: datetime
    ends_at: datetime
    place: str
    cancelled: bool
    sequence: int
    last_modified: datetime  # the meeting's or its activity's last change, whichever is later
    activity_slug: str
    title: str
    summary: str
    area: str
    hub_name: str
    hub_address: str
    geo: tuple[float, float] | None


@dataclass(frozen=True)
class PublicScope:
    kind: str  # all | hub | area | activity
    slug: str
    name: str  # the hub's name or the activity's title; the area's slug; "" for everything
    hub_name: str = ""  # an activity's hub


@dataclass(frozen=True)
class FeedState:
    """What a public feed's validators are derived from, read without building the feed."""

    version: str  # changes whenever the feed's content does
    last_modified: datetime | None
    count: int


MEETING_COLUMNS = (
    "m.id, m.starts_at, m.ends_at, m.place, m.status, m.sequence, m.updated_at, a.updated_at AS activity_updated_at,"
    " a.slug AS activity_slug, a.title, a.summary, ar.slug AS area, h.name AS hub_name, h.address, h.postcode,"
    " h.city, h.latitude, h.longitude"
)
MEETING_JOINS = (
    " FROM meeting m JOIN activity a ON a.id = m.activity JOIN service s ON s.id = a.service"
    " JOIN area ar ON ar.id = s.area JOIN hub h ON h.id = a.hub"
)
IN_WINDOW = "m.starts_at >= {} AND (m.status = 'scheduled' OR (m.status = 'cancelled' AND m.cancelled_at >= {}))"
_SCOPE_COLUMN = {"hub": "h.slug", "area": "ar.slug", "activity": "a.slug"}


async def public_scope(kind: str, slug: str = "") -> PublicScope:
    """The feed of everything, of a hub, an area or an activity; an unknown (or referral-only,
    or unpublished) one is NotFound."""
    if kind == "all":
        return PublicScope("all", "", "")
    if kind not in _SCOPE_COLUMN or not SLUG_PATTERN.fullmatch(slug):
        raise NotFound(slug)
    if kind == "area":
        if slug not in AREA_BY_SLUG:
            raise NotFound(slug)
        return PublicScope("area", slug, slug)
    if kind == "hub":
        hub = await Hub.select(Hub.name).where(Hub.slug == slug).first()
        if hub is None:
            raise NotFound(slug)
        return PublicScope("hub", slug, hub["name"])
    activity = await Activity.select(Activity.title, Activity.hub.name).where(
        (Activity.slug == slug) & (Activity.published == True) & (Activity.access != "referral")  # noqa: E712
    ).first()
    if activity is None:
        raise NotFound(slug)
    return PublicScope("activity", slug, activity["title"], activity["hub.name"])


def _public_where(scope: PublicScope, now: datetime) -> tuple[str, list[object]]:
    since = now - KEEP
    where = f" WHERE a.published = {{}} AND a.access <> 'referral' AND m.private = {{}} AND {IN_WINDOW}"
    args: list[object] = [True, False, since, since]
    if scope.kind in _SCOPE_COLUMN:
        where += f" AND {_SCOPE_COLUMN[scope.kind]} = {{}}"
        args.append(scope.slug)
    return where, args


async def public_meetings(scope: PublicScope, now: datetime) -> list[FeedMeeting]:
    """Every meeting of the feed, in one query whatever their number."""
    where, args = _public_where(scope, now)
    rows = await Activity.raw(
        f"SELECT {MEETING_COLUMNS}{MEETING_JOINS}{where} ORDER BY m.starts_at, m.id", *args)
    return [feed_meeting(row) for row in rows]


async def public_feed_state(scope: PublicScope, now: datetime) -> FeedState:
    """Count, latest change, and a digest of the included meetings, plus the hubs' details: the
    version changes when a meeting or activity is changed, added, dropped, or a hub's details change."""
    where, args = _public_where(scope, now)
    rows = await Activity.raw(
        "SELECT COUNT(*) AS n, MAX(m.updated_at) AS meetings_at, MAX(a.updated_at) AS activities_at,"
        f" SUM(m.id) AS ids, SUM(m.sequence) AS sequences{MEETING_JOINS}{where}", *args)
    row = rows[0]
    changes = [db.instant(value) for value in (row["meetings_at"], row["activities_at"]) if value is not None]
    last_modified = max(changes) if changes else None
    basis = "|".join(str(value) for value in (
        scope.kind, scope.slug, scope.name, scope.hub_name, row["n"], last_modified and last_modified.isoformat(),
        row["ids"], row["sequences"], await _hubs_digest()))
    return FeedState(hashlib.sha256(basis.encode()).hexdigest()[:32], last_modified, row["n"])


_hubs_cache: dict[str, tuple[int, str]] = {}


async def _hubs_digest() -> str:
    """The hubs' names, addresses and positions (they have no updated_at), read again only when the
    catalogue's revision moves."""
    revision = await db.current_revision()
    key = repr(db.engine())
    cached = _hubs_cache.get(key)
    if cached and cached[0] == revision:
        return cached[1]
    rows = await Hub.select(Hub.id, Hub.slug, Hub.name, Hub.address, Hub.postcode, Hub.city, Hub.latitude,
                            Hub.longitude).order_by(Hub.id)
    digest = hashlib.sha256(repr([tuple(row.values()) for row in rows]).encode()).hexdigest()
    _hubs_cache[key] = (revision, digest)
    return digest


def feed_meeting(row: dict) -> FeedMeeting:
    updated = [db.instant(row["updated_at"]), db.instant(row["activity_updated_at"])]
    return FeedMeeting(
        id=row["id"], starts_at=db.instant(row["starts_at"]), ends_at=db.instant(row["ends_at"]), place=row["place"],
        cancelled=row["status"] == "cancelled", sequence=row["sequence"], last_modified=max(updated),
        activity_slug=row["activity_slug"], title=row["title"], summary=row["summary"], area=row["area"],
        hub_name=row["hub_name"], hub_address=f"{row['address']}, {row['postcode']} {row['city']}",
        geo=(row["latitude"], row["longitude"]) if row["latitude"] is not None else None,
    )


# -- a family's feed ------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyEntry:
    """One meeting in a family's feed."""

    meeting: FeedMeeting
    booking_code: str
    state: str  # confirmed | pending | waitlisted | cancelled (the booking or the meeting)
    sequence: int
    last_modified: datetime
    neutral: bool  # a service of the separation area: neutral title, no activity link (DESIGN §5)


@dataclass(frozen=True)
class FamilyFeed:
    family_id: int
    language: str
    entries: list[FamilyEntry]
    version: str  # changes whenever the feed's content does

    @property
    def last_modified(self) -> datetime | None:
        return max((entry.last_modified for entry in self.entries), default=None)


@dataclass(frozen=True)
class FamilyBookingRow:
    id: int
    code: str
    status: str
    meeting: int | None  # a single date; None: a course (every public meeting of the activity)
    activity: int
    updated_at: datetime
    changes: int  # status changes recorded for the booking, its creation included


async def family_feed(family_id: int, now: datetime) -> FamilyFeed:
    """The family's feed in three queries (its language, its bookings, their meetings)."""
    family = await Family.select(Family.language).where(Family.id == family_id).first()
    rows = await Activity.raw(
        "SELECT b.id, b.code, b.status, b.meeting, b.activity, b.updated_at,"
        " (SELECT COUNT(*) FROM booking_event e WHERE e.booking = b.id) AS changes"
        " FROM booking b JOIN activity a ON a.id = b.activity"
        " WHERE b.family = {} AND a.access <> 'referral' ORDER BY b.id", family_id)
    bookings = [FamilyBookingRow(
        id=row["id"], code=row["code"], status=row["status"], meeting=row["meeting"], activity=row["activity"],
        updated_at=db.instant(row["updated_at"]), changes=row["changes"]) for row in rows]
    meetings, private_to = await _booked_meetings(bookings, now)
    entries = family_entries(bookings, meetings, private_to, now)
    basis = repr((family_id, family["language"] if family else "", [
        (e.meeting, e.booking_code, e.state, e.sequence, e.last_modified, e.neutral) for e in entries]))
    return FamilyFeed(family_id, family["language"] if family else "it", entries,
                      hashlib.sha256(basis.encode()).hexdigest()[:32])


async def _booked_meetings(bookings: list[FamilyBookingRow], now: datetime
                           ) -> tuple[dict[int, tuple[FeedMeeting, int]], dict[int, int]]:
    """The meetings in the window that the bookings cover: {id: (meeting, activity id)}, and the
    private ones' booking ids."""
    if not bookings:
        return {}, {}
    single = sorted({b.meeting for b in bookings if b.meeting is not None})
    courses = sorted({b.activity for b in bookings if b.meeting is None})
    ids = [b.id for b in bookings]
    since = now - KEEP
    covers, args = [], []
    if single:
        covers.append(f"m.id IN ({', '.join('{}' for _ in single)})")
        args += single
    if courses:
        covers.append(f"(m.activity IN ({', '.join('{}' for _ in courses)}) AND m.private = {{}})")
        args += [*courses, False]
    covers.append(f"m.private_booking IN ({', '.join('{}' for _ in ids)})")
    args += ids
    rows = await Activity.raw(
        f"SELECT {MEETING_COLUMNS}, m.activity AS activity_id, m.private, m.private_booking{MEETING_JOINS}"
        f" WHERE {IN_WINDOW} AND a.access <> 'referral' AND ({' OR '.join(covers)}) ORDER BY m.starts_at, m.id",
        since, since, *args)
    meetings = {row["id"]: (feed_meeting(row), row["activity_id"]) for row in rows}
    private_to = {row["id"]: row["private_booking"] for row in rows if row["private"] and row["private_booking"]}
    return meetings, private_to


def family_entries(bookings: list[FamilyBookingRow], meetings: dict[int, tuple[FeedMeeting, int]],
                   private_to: dict[int, int], now: datetime) -> list[FamilyEntry]:
    """Which of the family's meetings its feed shows, and how.

    A meeting is shown through the family's live booking covering it, else through its latest
    cancelled (or declined) one for 30 days after that. The event's SEQUENCE is the meeting's own
    plus every status change of every booking of the family that covers it, so it only grows,
    whether the meeting moves or the family books, is confirmed, cancels or books again."""
    since = now - KEEP
    entries = []
    for meeting_id, (meeting, activity_id) in meetings.items():
        covering = [b for b in bookings if _covers(b, meeting_id, activity_id, private_to)]
        if not covering:
            continue
        live = [b for b in covering if b.status in LIVE]
        shown = live[0] if live else max(covering, key=lambda b: (b.updated_at, b.id))
        if shown.status not in LIVE and shown.updated_at < since:
            continue
        state = "cancelled" if meeting.cancelled or shown.status not in LIVE else shown.status
        sequence = meeting.sequence + sum(b.changes for b in covering) - 1
        entries.append(FamilyEntry(
            meeting=meeting, booking_code=shown.code, state=state, sequence=max(sequence, 0),
            last_modified=max(meeting.last_modified, *(b.updated_at for b in covering)),
            neutral=meeting.area == SEPARATION_AREA,
        ))
    return sorted(entries, key=lambda entry: (entry.meeting.starts_at, entry.meeting.id))


def _covers(booking: FamilyBookingRow, meeting_id: int, activity_id: int, private_to: dict[int, int]) -> bool:
    if private_to.get(meeting_id) == booking.id:
        return True
    if booking.meeting is not None:
        return booking.meeting == meeting_id
    return booking.activity == activity_id and meeting_id not in private_to
