"""Capacity from the staff area: raising promotes the waiting list, lowering below the places taken
is refused unless staff choose which bookings give up their place; every change is audited."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal import audit
from portal.admin import activities as activities_admin
from portal.admin import capacity
from portal.booking import service
from portal.booking.queue import waiting_position
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.identity.staff_access import Forbidden
from portal.links import Links
from portal.tables import Activity, Booking, Meeting, Outbox
from tests import factories
from tests.web.staff_signin import loaded_staff as staff

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def world(empty_db):
    services = await factories.taxonomy()
    hub_a, hub_b = await factories.hub("a", "Polo A"), await factories.hub("b", "Polo B")
    single = await factories.activity(services["attivita-culturali"], hub_a, capacity=2, audience="adults")
    course = await factories.activity(services["gruppi-genitori"], hub_a, format="course", capacity=2,
                                      audience="adults")
    other = await factories.activity(services["attivita-culturali"], hub_b)
    return {"single": single, "course": course, "other": other, "hub_a": hub_a,
            "coordinator": await staff("coord@example.it", "coordinator", (hub_a,))}


async def book_many(activity_id: int, meeting_id: int | None, count: int, language: str = "it") -> list[str]:
    slug = (await Activity.select(Activity.slug).where(Activity.id == activity_id).first())["slug"]
    target = await service.find_target(slug, meeting_id)
    codes = []
    for _ in range(count):
        family, members = await factories.family(adults=1, language=language)
        codes.append((await service.book(family, target, members, now(), LINKS)).code)
    return codes


async def statuses(codes: list[str]) -> list[str]:
    rows = {r["code"]: r["status"] for r in await Booking.select(Booking.code, Booking.status)}
    return [rows[code] for code in codes]


async def booking_id(code: str) -> int:
    return (await Booking.select(Booking.id).where(Booking.code == code).first())["id"]


async def test_raising_a_meetings_capacity_promotes_the_waiting_list_and_is_audited(world):
    meeting = await factories.meeting(world["single"], now() + timedelta(days=7))
    codes = await book_many(world["single"], meeting, 4)
    assert await statuses(codes) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    outcome = await capacity.change(world["coordinator"], {"capacity": "3", "reason": "Sala più grande"}, now(), LINKS,
                                    meeting_id=meeting)
    assert await statuses(codes) == ["confirmed", "confirmed", "confirmed", "waitlisted"]
    assert outcome.promoted == [await booking_id(codes[2])]
    row = await Meeting.select().where(Meeting.id == meeting).first()
    assert row["capacity"] == 3 and row["seats_taken"] == 3
    entry = (await audit.entries("meeting", meeting))[0]
    assert entry["action"] == "capacity.change" and entry["reason"] == "Sala più grande"
    assert entry["details"]["from"] == 2 and entry["details"]["to"] == 3
    assert entry["actor"] == world["coordinator"].actor


async def test_lowering_below_the_places_taken_is_refused_and_nothing_changes(world):
    meeting = await factories.meeting(world["single"], now() + timedelta(days=7))
    codes = await book_many(world["single"], meeting, 2)
    with pytest.raises(FormErrors) as refused:
        await capacity.change(world["coordinator"], {"capacity": "1", "reason": "Meno operatori"}, now(), LINKS,
                              meeting_id=meeting)
    assert set(refused.value.by_field) == {"capacity"} and "2" in refused.value.by_field["capacity"]
    assert await statuses(codes) == ["confirmed", "confirmed"]
    assert (await Meeting.select(Meeting.capacity).where(Meeting.id == meeting).first())["capacity"] is None
    assert await audit.entries("meeting", meeting) == []


async def test_a_reason_is_required_and_releases_need_a_message(world):
    meeting = await factories.meeting(world["single"], now() + timedelta(days=7))
    codes = await book_many(world["single"], meeting, 2)
    first = await booking_id(codes[0])
    with pytest.raises(FormErrors) as refused:
        await capacity.change(world["coordinator"], {"capacity": "1", f"release-{first}": "cancelled"}, now(), LINKS,
                              meeting_id=meeting)
    assert set(refused.value.by_field) == {"reason", "message"}


async def test_lowering_with_explicit_choices_cancels_and_moves_to_the_head_of_the_list(world):
    meeting = await factories.meeting(world["single"], now() + timedelta(days=7))
    await Meeting.update({Meeting.capacity: 4}).where(Meeting.id == meeting)
    codes = await book_many(world["single"], meeting, 5, language="en")  # four hold places, one waits
    assert await statuses(codes) == ["confirmed"] * 4 + ["waitlisted"]
    await Outbox.delete(force=True)
    first, second = await booking_id(codes[0]), await booking_id(codes[1])
    await capacity.change(world["coordinator"], {
        "capacity": "2", "reason": "Sala ridotta", "message": "La sala è più piccola.",
        f"release-{first}": "waitlisted", f"release-{second}": "cancelled",
    }, now(), LINKS, meeting_id=meeting)
    assert await statuses(codes) == ["waitlisted", "cancelled", "confirmed", "confirmed", "waitlisted"]
    head = await Booking.select().where(Booking.id == first).first()
    assert await waiting_position(head) == 1  # ahead of the family that was already waiting
    assert await waiting_position(await Booking.select().where(Booking.code == codes[4]).first()) == 2
    row = await Meeting.select().where(Meeting.id == meeting).first()
    assert row["capacity"] == 2 and row["seats_taken"] == 2
    mails = {m["subject"]: m for m in await Outbox.select()}
    assert len(mails) == 2 and all("La sala è più piccola." in m["text_body"] for m in mails.values())
    assert any(s.startswith("Waiting list") for s in mails) and any(s.startswith("Booking cancelled") for s in mails)
    details = (await audit.entries("meeting", meeting))[0]["details"]
    assert details["released"] == {str(first): "waitlisted", str(second): "cancelled"}
    assert details["seats_released"] == 2


async def test_not_enough_released_is_refused_and_rolled_back(world):
    meeting = await factories.meeting(world["single"], now() + timedelta(days=7))
    await Meeting.update({Meeting.capacity: 4}).where(Meeting.id == meeting)
    codes = await book_many(world["single"], meeting, 4)
    await Outbox.delete(force=True)
    with pytest.raises(FormErrors):
        await capacity.change(world["coordinator"], {
            "capacity": "1", "reason": "x", "message": "y", f"release-{await booking_id(codes[0])}": "cancelled",
        }, now(), LINKS, meeting_id=meeting)
    assert await statuses(codes) == ["confirmed"] * 4 and await Outbox.count() == 0


async def test_a_course_capacity_with_releases(world):
    await factories.meeting(world["course"], now() + timedelta(days=7))
    codes = await book_many(world["course"], None, 3)
    assert await statuses(codes) == ["confirmed", "confirmed", "waitlisted"]
    page = await capacity.page(world["coordinator"], activity_id=world["course"])
    assert (page.capacity, page.taken, page.waiting, len(page.holders)) == (2, 2, 1, 2)
    await capacity.change(world["coordinator"], {
        "capacity": "1", "reason": "Un educatore in meno", "message": "Ci scusiamo.",
        f"release-{page.holders[1].id}": "cancelled"}, now(), LINKS, activity_id=world["course"])
    assert await statuses(codes) == ["confirmed", "cancelled", "waitlisted"]
    row = await Activity.select().where(Activity.id == world["course"]).first()
    assert row["capacity"] == 1 and row["seats_taken"] == 1
    with pytest.raises(NotFound):  # a course's meetings have no capacity of their own
        await capacity.page(world["coordinator"], meeting_id=(await Meeting.select(Meeting.id).first())["id"])


async def test_a_single_activitys_default_capacity_promotes_every_upcoming_meeting(world):
    meetings = [await factories.meeting(world["single"], now() + timedelta(days=d)) for d in (3, 4)]
    own = await factories.meeting(world["single"], now() + timedelta(days=5), capacity=2)
    past = await factories.meeting(world["single"], now() - timedelta(days=5))
    codes = [await book_many(world["single"], m, 3) for m in (*meetings, own)]
    await capacity.change(world["coordinator"], {"capacity": "3", "reason": "Più posti"}, now(), LINKS,
                          activity_id=world["single"])
    assert await statuses(codes[0]) == await statuses(codes[1]) == ["confirmed"] * 3
    assert await statuses(codes[2]) == ["confirmed", "confirmed", "waitlisted"]  # its own capacity stands
    assert (await Meeting.select(Meeting.capacity).where(Meeting.id == past).first())["capacity"] == 2
    with pytest.raises(FormErrors) as refused:
        await capacity.change(world["coordinator"], {"capacity": "2", "reason": "Meno posti"}, now(), LINKS,
                              activity_id=world["single"])
    assert "capacity" in refused.value.by_field
    assert (await Activity.select(Activity.capacity).where(Activity.id == world["single"]).first())["capacity"] == 3


async def test_the_activity_form_applies_a_new_capacity_the_same_way(world):
    await factories.meeting(world["course"], now() + timedelta(days=7))
    codes = await book_many(world["course"], None, 3)
    row = await Activity.select().where(Activity.id == world["course"]).first()
    values = {**await activities_admin.form_values(row), "capacity": "3", "reason": "Più posti"}
    await activities_admin.update_activity(world["coordinator"], world["course"], values, now(), LINKS)
    assert await statuses(codes) == ["confirmed"] * 3
    assert "capacity.change" in {e["action"] for e in await audit.entries("activity", world["course"])}
    with pytest.raises(FormErrors) as refused:
        await activities_admin.update_activity(world["coordinator"], world["course"],
                                               {**values, "capacity": "1", "title": "Nuovo titolo"}, now(), LINKS)
    assert set(refused.value.by_field) == {"capacity"}
    row = await Activity.select().where(Activity.id == world["course"]).first()
    assert row["capacity"] == 3 and row["title"] != "Nuovo titolo"  # nothing changed


async def test_capacity_scope_and_roles(world):
    other_meeting = await factories.meeting(world["other"], now() + timedelta(days=7))
    with pytest.raises(NotFound):
        await capacity.page(world["coordinator"], meeting_id=other_meeting)
    with pytest.raises(NotFound):
        await capacity.change(world["coordinator"], {"capacity": "9", "reason": "x"}, now(), LINKS,
                              activity_id=world["other"])
    operator = await staff("op@example.it", "operator", activities=(world["other"],))
    with pytest.raises(Forbidden):
        await capacity.change(operator, {"capacity": "9", "reason": "x"}, now(), LINKS, meeting_id=other_meeting)
