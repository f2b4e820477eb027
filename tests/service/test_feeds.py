"""What the feeds hold, read from the real database, and the private feeds' tokens."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal import db
from portal.booking import service
from portal.catalogue.browse import local_day
from portal.db import NotFound
from portal.feeds import selection as feeds
from portal.feeds import tokens as feed_tokens
from portal.links import Links
from portal.tables import Booking, Family, FeedToken, Hub, Meeting, StaffUser
from tests import factories

pytestmark = pytest.mark.anyio
SECRET = "test-secret-key-test-secret-key-0123456789"
LINKS = Links("http://testserver", SECRET)


def now() -> datetime:
    return datetime.now(timezone.utc)


async def move(meeting_id: int, starts_at: datetime, at: datetime | None = None) -> None:
    """What staff do when a meeting changes time: the sequence goes up (the staff area's job)."""
    local_date, weekday = local_day(starts_at)
    row = await Meeting.select(Meeting.starts_at, Meeting.ends_at).where(Meeting.id == meeting_id).first()
    await Meeting.update({
        Meeting.starts_at: starts_at, Meeting.ends_at: starts_at + (row["ends_at"] - row["starts_at"]),
        Meeting.local_date: local_date, Meeting.local_weekday: weekday, Meeting.sequence: Meeting.sequence + 1,
        Meeting.updated_at: at or now(),
    }).where(Meeting.id == meeting_id)
    await db.bump_revision()


async def cancel_meeting(meeting_id: int, at: datetime | None = None) -> None:
    at = at or now()
    await Meeting.update({Meeting.status: "cancelled", Meeting.cancelled_at: at, Meeting.sequence: Meeting.sequence + 1,
                          Meeting.updated_at: at}).where(Meeting.id == meeting_id)
    await db.bump_revision()


@pytest.fixture
async def catalogue(empty_db):
    services = await factories.taxonomy()
    centro = await factories.hub("centro", "Polo Centro")
    vomero = await factories.hub("vomero", "Polo Vomero", latitude=None, longitude=None)
    soon = now() + timedelta(days=10)
    parents = await factories.activity(services["gruppi-genitori"], centro, "Gruppo genitori", slug="genitori",
                                       audience="adults", format="course")
    course = [await factories.meeting(parents, soon + timedelta(weeks=week)) for week in range(3)]
    party = await factories.activity(services["attivita-culturali"], vomero, "Festa", slug="festa")
    recent = await factories.meeting(party, now() - timedelta(days=29))
    old = await factories.meeting(party, now() - timedelta(days=31))
    upcoming = await factories.meeting(party, soon)
    cancelled_recently = await factories.meeting(party, soon + timedelta(days=1), status="cancelled",
                                                 cancelled_at=now() - timedelta(days=29), sequence=1)
    cancelled_long_ago = await factories.meeting(party, soon + timedelta(days=2), status="cancelled",
                                                 cancelled_at=now() - timedelta(days=31), sequence=1)
    private = await factories.meeting(party, soon + timedelta(days=3), private=True)
    neutro = await factories.activity(services["spazio-neutro"], centro, "Spazio Neutro", slug="neutro",
                                      access="referral", audience="families")
    referral = await factories.meeting(neutro, soon)
    hidden = await factories.activity(services["attivita-culturali"], centro, "Bozza", slug="bozza", published=False)
    unpublished = await factories.meeting(hidden, soon)
    mediation = await factories.activity(services["gruppi-di-parola"], centro, "Gruppo di parola", slug="parola",
                                         access="approval", format="course", audience="children", capacity=1)
    words = [await factories.meeting(mediation, soon + timedelta(days=day)) for day in (4, 11)]
    return {
        "services": services, "centro": centro, "parents": parents, "course": course, "party": party,
        "recent": recent, "old": old, "upcoming": upcoming, "cancelled_recently": cancelled_recently,
        "cancelled_long_ago": cancelled_long_ago, "private": private, "referral": referral,
        "unpublished": unpublished, "neutro": neutro, "mediation": mediation, "words": words,
    }


async def ids(kind: str, slug: str = "") -> list[int]:
    return [m.id for m in await feeds.public_meetings(await feeds.public_scope(kind, slug), now())]


async def test_public_feeds_hold_published_meetings_from_30_days_ago(catalogue):
    c = catalogue
    everything = await ids("all")
    assert set(everything) == {*c["course"], c["recent"], c["upcoming"], c["cancelled_recently"], *c["words"]}
    assert everything == sorted(everything, key=lambda i: everything.index(i))  # ordered by start
    assert set(await ids("hub", "vomero")) == {c["recent"], c["upcoming"], c["cancelled_recently"]}
    assert set(await ids("hub", "centro")) == {*c["course"], *c["words"]}
    assert set(await ids("area", "genitorialita")) == set(c["course"])
    assert set(await ids("activity", "festa")) == {c["recent"], c["upcoming"], c["cancelled_recently"]}


async def test_what_a_public_event_carries(catalogue):
    meetings = {m.id: m for m in await feeds.public_meetings(await feeds.public_scope("all"), now())}
    cancelled = meetings[catalogue["cancelled_recently"]]
    assert cancelled.cancelled and cancelled.sequence == 1
    upcoming = meetings[catalogue["upcoming"]]
    assert not upcoming.cancelled and upcoming.title == "Festa" and upcoming.area == "solidarieta"
    assert upcoming.hub_name == "Polo Vomero" and upcoming.hub_address == "Via Roma 1, 80100 Napoli"
    assert upcoming.geo is None
    assert meetings[catalogue["course"][0]].geo == (40.85, 14.26)


@pytest.mark.parametrize("kind, slug", [
    ("hub", "nessuno"), ("area", "nessuna"), ("activity", "nessuna"), ("activity", "neutro"),
    ("activity", "bozza"), ("hub", ""), ("hub", "x" * 500), ("nothing", "centro"), ("hub", "centro\x00"),
    ("hub", "centro'; --"),
])
async def test_unknown_referral_or_unpublished_scopes_are_not_found(catalogue, kind, slug):
    with pytest.raises(NotFound):
        await feeds.public_scope(kind, slug)


async def test_a_public_feed_is_read_in_a_fixed_number_of_queries(catalogue, monkeypatch):
    start = now() + timedelta(days=40)
    for day in range(200):
        await factories.meeting(catalogue["party"], start + timedelta(days=day))
    engine_class = type(db.engine())
    queries = []
    original = engine_class.run_querystring

    async def counting(self, querystring, *args, **kwargs):
        queries.append(querystring)
        return await original(self, querystring, *args, **kwargs)

    monkeypatch.setattr(engine_class, "run_querystring", counting)
    scope = await feeds.public_scope("hub", "vomero")
    await feeds.public_feed_state(scope, now())
    meetings = await feeds.public_meetings(scope, now())
    assert len(meetings) == 203
    assert len(queries) <= 5  # the scope, the state, the hubs' digest (PostgreSQL: the revision), the meetings


async def test_the_feed_state_changes_with_its_data(catalogue):
    scope = await feeds.public_scope("hub", "vomero")
    first = await feeds.public_feed_state(scope, now())
    assert first.count == 3 and first == await feeds.public_feed_state(scope, now())
    await move(catalogue["upcoming"], now() + timedelta(days=12))
    moved = await feeds.public_feed_state(scope, now())
    assert moved.version != first.version and moved.last_modified > first.last_modified
    await factories.meeting(catalogue["party"], now() + timedelta(days=20))
    added = await feeds.public_feed_state(scope, now())
    assert added.version != moved.version and added.count == 4
    await Hub.update({Hub.address: "Via Toledo 2"}).where(Hub.slug == "vomero")
    await db.bump_revision()
    assert (await feeds.public_feed_state(scope, now())).version != added.version
    later = await feeds.public_feed_state(scope, now() + timedelta(days=2))
    assert later.count == 2  # the meeting of 29 days ago and the cancellation of 29 days ago drop out


# -- a family's feed ------------------------------------------------------------------------


async def family_with_child(catalogue) -> tuple[int, list[int]]:
    born = (now() - timedelta(days=8 * 365)).date()
    return await factories.family(children=((born.year, born.month),))


async def entries(family_id: int, at: datetime | None = None) -> dict[int, feeds.FamilyEntry]:
    feed = await feeds.family_feed(family_id, at or now())
    return {entry.meeting.id: entry for entry in feed.entries}


async def test_a_family_feed_holds_its_bookings_with_their_state(catalogue):
    family, members = await family_with_child(catalogue)
    other, other_members = await family_with_child(catalogue)
    course = await service.find_target("genitori", None)
    await service.book(family, course, members[:1], now(), LINKS)
    words = await service.find_target("parola", None)
    await service.book(other, words, other_members[1:], now(), LINKS)  # takes the only place
    waiting = await service.book(family, words, members[1:], now(), LINKS)
    assert waiting.status == "waitlisted"
    found = await entries(family)
    assert set(found) == {*catalogue["course"], *catalogue["words"]}
    assert {found[m].state for m in catalogue["course"]} == {"confirmed"}
    assert {found[m].state for m in catalogue["words"]} == {"waitlisted"}
    assert {found[m].neutral for m in catalogue["words"]} == {True}
    assert {found[m].neutral for m in catalogue["course"]} == {False}
    assert set(await entries(other)) == set(catalogue["words"])


async def test_pending_bookings_are_tentative_and_a_declined_one_stays_cancelled(catalogue):
    family, members = await family_with_child(catalogue)
    words = await service.find_target("parola", None)
    pending = await service.book(family, words, members[1:], now(), LINKS)
    assert pending.status == "pending"
    assert {e.state for e in (await entries(family)).values()} == {"pending"}
    booking_id = (await Booking.select(Booking.id).where(Booking.code == pending.code).first())["id"]
    await service.decide_pending(booking_id, False, "staff:1", now(), LINKS)
    assert {e.state for e in (await entries(family)).values()} == {"cancelled"}


async def test_a_cancelled_booking_stays_30_days_then_goes(catalogue):
    family, members = await family_with_child(catalogue)
    course = await service.find_target("genitori", None)
    booked = await service.book(family, course, members[:1], now(), LINKS)
    before = await entries(family)
    await service.cancel(booked.code, family, f"family:{family}", now(), LINKS)
    after = await entries(family)
    assert {e.state for e in after.values()} == {"cancelled"}
    assert all(after[m].sequence > before[m].sequence for m in after)
    assert await entries(family, now() + timedelta(days=31)) == {}


async def test_booking_again_after_cancelling_raises_the_sequence_again(catalogue):
    family, members = await family_with_child(catalogue)
    course = await service.find_target("genitori", None)
    first = await service.book(family, course, members[:1], now(), LINKS)
    await service.cancel(first.code, family, f"family:{family}", now(), LINKS)
    cancelled = await entries(family)
    await service.book(family, course, members[:1], now(), LINKS)
    again = await entries(family)
    assert {e.state for e in again.values()} == {"confirmed"}
    assert all(again[m].sequence > cancelled[m].sequence for m in again)


async def test_a_moved_then_cancelled_meeting_in_a_family_feed(catalogue):
    family, members = await family_with_child(catalogue)
    course = await service.find_target("genitori", None)
    await service.book(family, course, members[:1], now(), LINKS)
    meeting = catalogue["course"][1]
    booked = (await entries(family))[meeting]
    await move(meeting, booked.meeting.starts_at + timedelta(hours=1))
    moved = (await entries(family))[meeting]
    assert moved.sequence == booked.sequence + 1 and moved.state == "confirmed"
    await cancel_meeting(meeting)
    cancelled = (await entries(family))[meeting]
    assert cancelled.sequence == booked.sequence + 2 and cancelled.state == "cancelled"


async def test_referral_services_are_in_no_family_feed_but_private_meetings_of_a_booking_are(catalogue):
    family, _ = await family_with_child(catalogue)
    t = now()
    referral = await Booking.insert(Booking(
        code="REFERRAL1", family=family, activity=catalogue["neutro"], meeting=catalogue["referral"],
        status="confirmed", seats=1, joined_at=t, created_at=t, updated_at=t)).returning(Booking.id)
    advice = await factories.activity(catalogue["services"]["mediazione-familiare"], catalogue["centro"],
                                      "Mediazione", slug="mediazione", access="request", seat_unit="family")
    slot = await factories.meeting(advice, t + timedelta(days=5), private=True)
    booking = await Booking.insert(Booking(
        code="MEDIATION", family=family, activity=advice, meeting=None, status="confirmed", seats=1,
        joined_at=t, created_at=t, updated_at=t)).returning(Booking.id)
    await Meeting.update({Meeting.private_booking: booking[0]["id"]}).where(Meeting.id == slot)
    await factories.meeting(advice, t + timedelta(days=6), private=True, private_booking=referral[0]["id"] + 1000)
    found = await entries(family)
    assert set(found) == {slot}
    assert found[slot].neutral and found[slot].state == "confirmed"


# -- tokens --------------------------------------------------------------------------------


async def test_a_token_is_long_random_stored_hashed_and_verified(empty_db):
    family, _ = await factories.family()
    token = await feed_tokens.create_token("family", family, SECRET, now())
    assert len(token) == 43 and feed_tokens.TOKEN_PATTERN.fullmatch(token)
    stored = await FeedToken.select().first()
    assert stored["token_hash"] == feed_tokens.hash_token(token, SECRET) and token not in str(stored)
    access = await feed_tokens.verify_token("family", token, SECRET)
    assert access.owner == family and access.last_fetched_at is None
    assert await feed_tokens.verify_token("staff", token, SECRET) is None  # a family's token opens no staff feed
    assert await feed_tokens.verify_token("family", token, "another-secret-key-another-secret-key") is None
    for malformed in ("", "short", token + "x", token[:-1] + "!", "../" + token[3:]):
        assert await feed_tokens.verify_token("family", malformed, SECRET) is None
    with pytest.raises(ValueError):
        await feed_tokens.create_token("nobody", family, SECRET, now())


async def test_rotating_and_revoking(empty_db):
    family, _ = await factories.family()
    old = await feed_tokens.create_token("family", family, SECRET, now())
    new = await feed_tokens.rotate_token("family", family, SECRET, now())
    assert await feed_tokens.verify_token("family", old, SECRET) is None
    assert (await feed_tokens.verify_token("family", new, SECRET)).owner == family
    assert await FeedToken.count().where(FeedToken.revoked_at.is_null()) == 1
    assert await feed_tokens.revoke_token("family", family, now())
    assert await feed_tokens.verify_token("family", new, SECRET) is None
    assert await feed_tokens.token_status("family", family) is None
    assert not await feed_tokens.revoke_token("family", family, now())


async def test_an_erased_family_or_inactive_staff_member_has_no_feed(empty_db):
    family, _ = await factories.family()
    token = await feed_tokens.create_token("family", family, SECRET, now())
    await Family.update({Family.erased_at: now()}).where(Family.id == family)
    assert await feed_tokens.verify_token("family", token, SECRET) is None
    rows = await StaffUser.insert(StaffUser(email="op@example.it", name="Operatrice", role="operator",
                                            password_hash="x", created_at=now())).returning(StaffUser.id)
    staff = rows[0]["id"]
    staff_token = await feed_tokens.create_token("staff", staff, SECRET, now())
    assert (await feed_tokens.verify_token("staff", staff_token, SECRET)).owner == staff
    await StaffUser.update({StaffUser.active: False}).where(StaffUser.id == staff)
    assert await feed_tokens.verify_token("staff", staff_token, SECRET) is None


async def test_fetches_are_recorded_cheaply(empty_db):
    family, _ = await factories.family()
    token = await feed_tokens.create_token("family", family, SECRET, now())
    first = now()
    await feed_tokens.record_fetch(await feed_tokens.verify_token("family", token, SECRET), first)
    assert (await feed_tokens.token_status("family", family)).last_fetched_at == first
    await feed_tokens.record_fetch(await feed_tokens.verify_token("family", token, SECRET),
                                   first + timedelta(minutes=1))
    assert (await feed_tokens.token_status("family", family)).last_fetched_at == first  # no write within minutes
    later = first + feed_tokens.FETCH_RESOLUTION
    await feed_tokens.record_fetch(await feed_tokens.verify_token("family", token, SECRET), later)
    assert (await feed_tokens.token_status("family", family)).last_fetched_at == later


def test_subscription_links():
    feed = "poli.example.it/calendari/tutto.ics"
    assert feed_tokens.webcal_url(f"https://{feed}") == f"webcal://{feed}"
    svg = feed_tokens.qr_svg("webcal://poli.example.it/calendari/tutto.ics")
    assert svg.startswith(b"<svg") and b"style" not in svg
    assert feed_tokens.qr_data_uri("webcal://x/y.ics").startswith("data:image/svg+xml")

