"""The retention policy removes exactly what it says, and the reports keep their counts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from portal.booking import service
from portal.identity import staff_access
from portal.links import Links
from portal.maintenance import retention
from portal.operations import reports
from portal.tables import (
    AccessRequest,
    Attendance,
    AuditEntry,
    Booking,
    BookingParticipant,
    Family,
    HelpKind,
    Match,
    Meeting,
    Need,
    Outbox,
    RetainedCount,
    SignInCode,
    SolidarityOffer,
    Throttle,
    WebSession,
)
from tests import factories

pytestmark = pytest.mark.anyio
POLICY = retention.Policy()
PAST = timedelta(days=25 * 31)  # beyond the default 24 months


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


async def move_into_the_past(meeting_ids: list[int]) -> None:
    for meeting in await Meeting.select().where(Meeting.id.is_in(meeting_ids)):
        starts = meeting["starts_at"] - PAST
        await Meeting.update({Meeting.starts_at: starts, Meeting.ends_at: meeting["ends_at"] - PAST,
                              Meeting.local_date: starts.date()}).where(Meeting.id == meeting["id"])


async def mark(meeting: int, booking_code: str, present: bool) -> None:
    booking = await Booking.select(Booking.id).where(Booking.code == booking_code).first()
    participant = await BookingParticipant.select(BookingParticipant.id).where(
        BookingParticipant.booking == booking["id"]).first()
    await Attendance.insert(Attendance(meeting=meeting, participant=participant["id"], present=present,
                                       marked_at=utcnow()))


@pytest.fixture
async def history(empty_db, migrated):
    """Bookings and attendance of meetings that ended 25 months ago, and of one still to come."""
    links = Links(migrated.base_url, migrated.secret_key)
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    soon = utcnow() + timedelta(days=10)
    single = await factories.activity(services["gruppi-genitori"], hub, audience="adults", capacity=2, slug="gruppo")
    old_meeting = await factories.meeting(single, soon)
    new_meeting = await factories.meeting(single, soon + timedelta(days=7))
    course = await factories.activity(services["gruppi-genitori"], hub, audience="adults", capacity=1,
                                      format="course", slug="corso")
    course_meetings = [await factories.meeting(course, soon + timedelta(days=d)) for d in (1, 8)]

    async def book(slug: str, meeting: int | None) -> str:
        family, members = await factories.family()
        target = await service.find_target(slug, meeting)
        return (await service.book(family, target, members[:1], utcnow(), links)).code

    old = [await book("gruppo", old_meeting) for _ in range(3)]  # 2 confirmed, 1 waiting
    kept = await book("gruppo", new_meeting)
    enrolled = [await book("corso", None) for _ in range(2)]  # 1 confirmed, 1 waiting
    await mark(old_meeting, old[0], True)
    await mark(old_meeting, old[1], False)
    await mark(course_meetings[0], enrolled[0], True)
    await move_into_the_past([old_meeting, *course_meetings])
    admin = await staff_access.load_staff(
        await staff_access.create_staff("admin@example.it", "Admin", "admin", "a long staff password", utcnow()))
    today = utcnow().date()
    period = reports.Period(None, today - timedelta(days=26 * 31), today + timedelta(days=30), False)
    return {"links": links, "admin": admin, "period": period, "old": old + enrolled, "kept": kept}


async def test_past_bookings_become_counts_and_the_report_still_adds_up(history):
    before = await reports.participation(history["admin"], history["period"])
    assert any(line.marked == 2 and line.waiting == 1 for line in before.lines)
    preview = await retention.apply(POLICY, utcnow(), history["links"], dry_run=True)
    assert preview["past bookings"] == 5 and preview["attendance marks"] == 3
    assert await Booking.count() == 6 and not await RetainedCount.exists()  # a dry run changes nothing

    done = await retention.apply(POLICY, utcnow(), history["links"])
    assert done["past bookings"] == 5 and done["attendance marks"] == 3
    assert [b["code"] for b in await Booking.select(Booking.code)] == [history["kept"]]
    assert await Attendance.count() == 0
    assert await AuditEntry.exists().where(AuditEntry.action == "retention.applied")
    after = await reports.participation(history["admin"], history["period"])
    assert after.lines == before.lines

    again = await retention.apply(POLICY, utcnow(), history["links"])
    assert again["past bookings"] == 0
    assert (await reports.participation(history["admin"], history["period"])).lines == before.lines


async def test_a_longer_setting_keeps_the_bookings(history):
    done = await retention.apply(retention.Policy(bookings_months=36), utcnow(), history["links"])
    assert done["past bookings"] == 0 and await Booking.count() == 6


async def test_codes_throttles_sessions_sent_mail_and_old_audit_entries_go(empty_db, migrated):
    now, links = utcnow(), Links(migrated.base_url, migrated.secret_key)
    old, fresh = now - timedelta(days=2), now - timedelta(hours=2)
    for when in (old, fresh):
        await SignInCode.insert(SignInCode(email="a@example.it", code_hash="x", link_hash=f"h{when.timestamp()}",
                                           expires_at=when, created_at=when))
        await Throttle.insert(Throttle(key="k", window_start=when, hits=1))
        await AuditEntry.insert(AuditEntry(actor="system", action="test", record_type="t", reason="",
                                           details="{}", at=when - timedelta(days=6 * 365) if when is old else when))
    await WebSession.insert(WebSession(key="ended", value="", expires_at=now - timedelta(minutes=1)),
                            WebSession(key="live", value="", expires_at=now + timedelta(days=29)))
    for status, age in (("sent", 31), ("failed", 31), ("sent", 5), ("pending", 31)):
        created = now - timedelta(days=age)
        await Outbox.insert(Outbox(to_address="a@example.it", subject="s", text_body="", html_body="",
                                   message_id=f"<{status}{age}@x>", status=status, next_attempt_at=created,
                                   last_error="", created_at=created))
    done = await retention.apply(POLICY, now, links)
    assert (done["sign-in codes"], done["throttle counters"], done["ended web sessions"]) == (1, 1, 1)
    assert (done["mail sent or given up"], done["audit entries"]) == (2, 1)
    assert await SignInCode.count() == 1 and await Throttle.count() == 1
    assert [row["key"] for row in await WebSession.select(WebSession.key)] == ["live"]
    assert {row["message_id"] for row in await Outbox.select(Outbox.message_id)} == {"<sent5@x>", "<pending31@x>"}
    assert not await AuditEntry.exists().where(AuditEntry.action == "test", AuditEntry.at < now - timedelta(days=3))


async def test_closed_access_requests_go_after_their_period(empty_db, migrated):
    now, links = utcnow(), Links(migrated.base_url, migrated.secret_key)
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    activity = await factories.activity(services["mediazione-familiare"], hub, access="request", slug="mediazione")
    family, _ = await factories.family()
    for number, (status, age) in enumerate((("closed", 800), ("accepted", 800), ("new", 800), ("closed", 30))):
        when = now - timedelta(days=age)
        await AccessRequest.insert(AccessRequest(
            code=f"R{number}", family=family, activity=activity, contact_by="phone", preferred_times="",
            note="", status=status, created_at=when, updated_at=when, confidential_notes="notes"))
    done = await retention.apply(POLICY, now, links)
    assert done["access requests"] == 2
    assert {row["code"] for row in await AccessRequest.select(AccessRequest.code)} == {"R2", "R3"}


async def test_closed_solidarity_offers_needs_and_matches_go_after_their_period(empty_db, migrated):
    now, links = utcnow(), Links(migrated.base_url, migrated.secret_key)
    hub = await factories.hub("vomero", "Polo Vomero")
    kind = (await HelpKind.insert(HelpKind(name="Compiti")).returning(HelpKind.id))[0]["id"]
    volunteer, _ = await factories.family("volontaria@example.it")
    long_ago, lately = now - timedelta(days=800), now - timedelta(days=30)

    async def offer(status: str, when: datetime) -> int:
        rows = await SolidarityOffer.insert(SolidarityOffer(
            family=volunteer, hub=hub, status=status, weekdays="1", time_bands="morning", districts="", languages="it",
            presentation="", other_help="", staff_notes="riservato", created_at=when, updated_at=when,
        )).returning(SolidarityOffer.id)
        return rows[0]["id"]

    async def need(status: str, when: datetime) -> int:
        rows = await Need.insert(Need(
            hub=hub, kind=kind, weekdays="1", time_bands="morning", district="", language="it", contact_name="Anna",
            contact_phone="081 1", contact_email="", status=status, staff_notes="riservato", created_at=when,
            updated_at=when)).returning(Need.id)
        return rows[0]["id"]

    async def match(offer_id: int, need_id: int, status: str, ended_at: datetime | None) -> int:
        rows = await Match.insert(Match(
            offer=offer_id, need=need_id, status=status, shared_with_volunteer="", shared_with_family="",
            follow_up_notes="riservato", created_at=long_ago, updated_at=ended_at or now, ended_at=ended_at,
        )).returning(Match.id)
        return rows[0]["id"]

    old_offer, old_need = await offer("closed", long_ago), await need("closed", long_ago)
    await match(old_offer, old_need, "ended", long_ago)
    kept_offer, kept_need = await offer("closed", long_ago), await need("closed", long_ago)  # a match ended lately
    kept_match = await match(kept_offer, kept_need, "ended", lately)
    live_offer, recent_need = await offer("active", long_ago), await need("closed", lately)
    preview = await retention.apply(POLICY, now, links, dry_run=True)
    assert (preview["solidarity matches"], preview["solidarity needs"], preview["solidarity offers"]) == (1, 1, 1)
    assert await Match.count() == 2
    done = await retention.apply(POLICY, now, links)
    assert (done["solidarity matches"], done["solidarity needs"], done["solidarity offers"]) == (1, 1, 1)
    assert [row["id"] for row in await Match.select(Match.id)] == [kept_match]
    assert {row["id"] for row in await Need.select(Need.id)} == {kept_need, recent_need}
    assert {row["id"] for row in await SolidarityOffer.select(SolidarityOffer.id)} == {kept_offer, live_offer}


async def test_inactive_families_are_warned_then_erased_unless_they_sign_in(empty_db, migrated):
    now, links = utcnow(), Links(migrated.base_url, migrated.secret_key)
    long_ago = now - timedelta(days=25 * 31)
    quiet, _ = await factories.family("quiet@example.it")
    back, _ = await factories.family("back@example.it")
    active, _ = await factories.family("active@example.it")
    await Family.update({Family.created_at: long_ago, Family.last_active_at: long_ago}).where(
        Family.id.is_in([quiet, back]))
    preview = await retention.apply(POLICY, now, links, dry_run=True)
    assert preview["inactive families warned"] == 2 and not await Outbox.exists()

    done = await retention.apply(POLICY, now, links)
    assert done["inactive families warned"] == 2
    warned = await Outbox.select(Outbox.to_address, Outbox.subject)
    assert sorted(row["to_address"] for row in warned) == ["back@example.it", "quiet@example.it"]
    assert all("eliminato" in row["subject"] for row in warned)
    assert (await retention.apply(POLICY, now, links))["inactive families warned"] == 0  # warned once

    await Family.update({Family.last_active_at: now + timedelta(days=1)}).where(Family.id == back)  # signs in
    later = now + timedelta(days=31)
    done = await retention.apply(POLICY, later, links)
    assert done["inactive families erased"] == 1
    rows = {row["id"]: row for row in await Family.select(Family.id, Family.email, Family.erased_at)}
    assert rows[quiet]["email"] is None and rows[quiet]["erased_at"] is not None
    assert rows[back]["email"] == "back@example.it" and rows[active]["email"] == "active@example.it"


async def test_the_command_says_what_would_go(migrated):
    done = subprocess.run([str(Path(sys.executable).parent / "portal"), "retention", "--dry-run"],
                          env={**os.environ, "DATABASE_URL": migrated.database_url}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "portal: retention would remove" in done.stdout and "past bookings" in done.stdout


async def test_the_privacy_notice_states_the_configured_periods(migrated):
    from dataclasses import replace

    from tests.production.test_redis_state import serving

    async with serving(replace(migrated, retention_bookings_months=18, retention_audit_years=7)) as http:
        italian = (await http.get("/privacy")).text
        english = (await http.get("/privacy?lang=en")).text
    assert "per 18 mesi dopo l'ultimo incontro" in italian and "conservato per 7 anni" in italian
    assert "kept for 18 months after the last meeting" in english and "kept for 7 years" in english
