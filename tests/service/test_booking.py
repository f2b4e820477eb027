"""The booking engine on the real database: statuses, waiting list, idempotency, history, authorization."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.booking import service
from portal.booking.queue import waiting_position
from portal.booking.rules import BookingRefused
from portal.db import NotFound
from portal.links import Links
from portal.tables import Activity, Booking, BookingEvent, Meeting, Outbox
from tests import factories

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def hub_services(empty_db):
    return await factories.hub(), await factories.taxonomy()


async def single(hub_services, capacity=3, **fields) -> tuple[service.Target, int]:
    hub, services = hub_services
    activity = await factories.activity(services["attivita-culturali"], hub, capacity=capacity, **fields)
    meeting = await factories.meeting(activity, now() + timedelta(days=7))
    slug = (await Activity.select(Activity.slug).where(Activity.id == activity).first())["slug"]
    return await service.find_target(slug, meeting), meeting


async def seats_taken(meeting_id: int) -> int:
    return (await Meeting.select(Meeting.seats_taken).where(Meeting.id == meeting_id).first())["seats_taken"]


async def test_book_until_full_then_wait_with_positions(hub_services):
    target, meeting = await single(hub_services, capacity=3)
    results = []
    for _ in range(5):
        family, members = await factories.family(adults=1)
        results.append(await service.book(family, target, members, now(), LINKS))
    assert [r.status for r in results] == ["confirmed"] * 3 + ["waitlisted"] * 2
    assert [r.position for r in results] == [None, None, None, 1, 2]
    assert await seats_taken(meeting) == 3
    assert await Outbox.count() == 5


async def test_a_repeated_submit_returns_the_live_booking(hub_services):
    target, meeting = await single(hub_services)
    family, members = await factories.family(adults=2)
    first = await service.book(family, target, members, now(), LINKS)
    again = await service.book(family, target, members, now(), LINKS)
    assert again.code == first.code and again.existing and await Booking.count() == 1
    assert await seats_taken(meeting) == 2


async def test_a_repeated_submit_on_a_full_meeting_without_a_list_returns_the_booking(hub_services):
    target, meeting = await single(hub_services, capacity=2, waiting_list=False)
    family, members = await factories.family(adults=2)
    first = await service.book(family, target, members, now(), LINKS)
    again = await service.book(family, target, members, now(), LINKS)  # full: the claim refuses, the booking answers
    assert again.code == first.code and again.existing and again.status == "confirmed"
    other, other_members = await factories.family(adults=1)
    with pytest.raises(BookingRefused):
        await service.book(other, target, other_members, now(), LINKS)
    assert await Booking.count() == 1 and await seats_taken(meeting) == 2


async def test_cancelling_promotes_first_fit_and_never_splits(hub_services):
    target, meeting = await single(hub_services, capacity=2)
    holder, holder_members = await factories.family(adults=2)
    couple, couple_members = await factories.family(adults=2)
    single_parent, single_members = await factories.family(adults=1)
    first = await service.book(holder, target, holder_members[:1], now(), LINKS)
    await service.book(single_parent, target, single_members, now(), LINKS)  # both seats taken
    waiting_couple = await service.book(couple, target, couple_members, now(), LINKS)
    assert waiting_couple.status == "waitlisted"
    late, late_members = await factories.family(adults=1)
    waiting_late = await service.book(late, target, late_members, now(), LINKS)
    await service.cancel(first.code, holder, f"family:{holder}", now(), LINKS)
    statuses = {row["code"]: row["status"] for row in await Booking.select(Booking.code, Booking.status)}
    assert statuses[waiting_couple.code] == "waitlisted"  # two seats do not fit one: it waits whole
    assert statuses[waiting_late.code] == "confirmed"
    assert await seats_taken(meeting) == 2
    couple_booking = await Booking.select().where(Booking.code == waiting_couple.code).first()
    assert await waiting_position(couple_booking) == 1


async def test_approval_holds_seats_until_staff_decide(hub_services):
    target, meeting = await single(hub_services, capacity=1, access="approval")
    first, first_members = await factories.family()
    second, second_members = await factories.family()
    held = await service.book(first, target, first_members, now(), LINKS)
    waiting = await service.book(second, target, second_members, now(), LINKS)
    assert (held.status, waiting.status) == ("pending", "waitlisted")
    booking = await Booking.select().where(Booking.code == held.code).first()
    await service.decide_pending(booking["id"], approve=False, actor="staff:1", now=now(), links=LINKS)
    promoted = await Booking.select(Booking.status).where(Booking.code == waiting.code).first()
    assert promoted["status"] == "pending"  # promoted into pending, for approval activities
    assert await seats_taken(meeting) == 1
    with pytest.raises(BookingRefused):
        await service.decide_pending(booking["id"], approve=True, actor="staff:1", now=now(), links=LINKS)


async def test_raising_capacity_promotes_and_lowering_below_taken_is_refused(hub_services):
    target, meeting = await single(hub_services, capacity=1)
    codes = []
    for _ in range(3):
        family, members = await factories.family()
        codes.append((await service.book(family, target, members, now(), LINKS)).code)
    with pytest.raises(BookingRefused):
        await service.set_capacity(target, 0, "staff:1", now(), LINKS)
    promoted = await service.set_capacity(target, 2, "staff:1", now(), LINKS)
    assert len(promoted) == 1 and await seats_taken(meeting) == 2


async def test_every_status_change_is_recorded(hub_services):
    target, _ = await single(hub_services, capacity=1)
    family, members = await factories.family()
    result = await service.book(family, target, members, now(), LINKS)
    await service.cancel(result.code, family, f"family:{family}", now(), LINKS)
    events = await BookingEvent.select(BookingEvent.from_status, BookingEvent.to_status, BookingEvent.actor).order_by(
        BookingEvent.id)
    assert [(e["from_status"], e["to_status"]) for e in events] == [(None, "confirmed"), ("confirmed", "cancelled")]
    assert all(e["actor"] == f"family:{family}" for e in events)


async def test_a_family_cannot_use_or_cancel_what_is_not_its_own(hub_services):
    target, _ = await single(hub_services)
    owner, owner_members = await factories.family()
    other, _ = await factories.family()
    with pytest.raises(NotFound):
        await service.book(other, target, owner_members, now(), LINKS)
    booking = await service.book(owner, target, owner_members, now(), LINKS)
    with pytest.raises(NotFound):
        await service.cancel(booking.code, other, f"family:{other}", now(), LINKS)


async def test_window_and_deadline(hub_services):
    target, _ = await single(hub_services, booking_opens_at=now() + timedelta(days=1))
    family, members = await factories.family()
    with pytest.raises(BookingRefused, match="Bookings open on"):
        await service.book(family, target, members, now(), LINKS)
    soon, _ = await single(hub_services, cancellation_hours=24 * 30)
    booking = await service.book(family, soon, members, now(), LINKS)
    with pytest.raises(BookingRefused, match="deadline"):
        await service.cancel(booking.code, family, f"family:{family}", now(), LINKS)
    staff = await service.cancel(booking.code, None, "staff:1", now(), LINKS)  # staff cancel at any time
    assert staff.status == "cancelled"


async def test_a_course_enrols_in_the_whole_cycle(hub_services):
    hub, services = hub_services
    activity = await factories.activity(services["gruppi-genitori"], hub, format="course", capacity=2,
                                        audience="adults", age_min_months=0, age_max_months=11, slug="ciclo")
    for week in range(4):
        await factories.meeting(activity, now() + timedelta(days=7 + 7 * week))
    target = await service.find_target("ciclo", None)
    born = (now() - timedelta(days=90)).date()
    family, members = await factories.family(children=((born.year, born.month),))
    result = await service.book(family, target, members[:1], now(), LINKS)
    assert result.status == "confirmed"
    assert (await Activity.select(Activity.seats_taken).where(Activity.id == activity).first())["seats_taken"] == 1
    childless, adult_only = await factories.family()
    with pytest.raises(BookingRefused, match="parents of children"):
        await service.book(childless, target, adult_only, now(), LINKS)


async def test_waiting_family_is_promoted_and_told_by_mail(hub_services, smtp_server, migrated):
    from dataclasses import replace

    from portal.mail import outbox

    target, _ = await single(hub_services, capacity=1)
    first, first_members = await factories.family("prima@example.it")
    second, second_members = await factories.family("seconda@example.it", language="en")
    taken = await service.book(first, target, first_members, now(), LINKS)
    waiting = await service.book(second, target, second_members, now(), LINKS)
    await service.cancel(taken.code, first, f"family:{first}", now(), LINKS)
    await outbox.deliver_due(replace(migrated, smtp_url=smtp_server.url), now() + timedelta(seconds=1))
    received = {(m["To"], m["Subject"]) for m in smtp_server.messages}
    subjects = [subject for to, subject in received if to == "seconda@example.it"]
    assert any(s.startswith("Waiting list") for s in subjects)
    assert any(s.startswith("Booking confirmed") for s in subjects)
    promoted = [m for m in smtp_server.messages if m["To"] == "seconda@example.it" and "moved up" in m.get_body(
        ("plain",)).get_content()]
    assert promoted and waiting.code in promoted[0].get_body(("plain",)).get_content()
    assert any(to == "prima@example.it" for to, _ in received)


async def test_each_family_mail_carries_its_own_code_and_cancel_link(hub_services):
    """New-booking mails are rendered once per meeting and filled in per booking: nothing may leak
    from one family's mail into another's."""
    target, _ = await single(hub_services, capacity=1)
    results = []
    for _ in range(3):
        family, members = await factories.family()
        results.append(await service.book(family, target, members, now(), LINKS))
    mails = await Outbox.select(Outbox.text_body, Outbox.html_body).order_by(Outbox.id)
    assert [r.status for r in results] == ["confirmed", "waitlisted", "waitlisted"]
    for result, mail in zip(results, mails):
        for body in (mail["text_body"], mail["html_body"]):
            assert result.code in body and LINKS.cancel_booking(result.code) in body
            assert all(other.code not in body for other in results if other is not result)
            assert "BOOKINGCODEMARK" not in body and "[[position]]" not in body
    assert "posizione 2 " in mails[2]["text_body"]  # the waiting-list mail says its own position
