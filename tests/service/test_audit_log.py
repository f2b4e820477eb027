"""The audit log: administrators read it newest first, a page at a time, filtered by staff member, action,
kind of record, Europe/Rome dates and words of the reason; nobody else reads it; filters that cannot be read
are refused by their field. And the staff changes to bookings, capacity, activities and requests really
write their entries, in the transaction of the change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal import audit
from portal.admin import activities as activities_admin
from portal.admin import audit_log
from portal.admin.audit_log import Filters
from portal.form_fields import FormErrors
from portal.i18n import ROME
from portal.identity.staff_access import Forbidden
from portal.operations import approvals, requests, waiting
from portal.tables import AccessRequest, AuditEntry, Booking
from tests import factories, operations_world
from tests.factories import rome
from tests.operations_world import LINKS, now

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(empty_db):
    return await operations_world.build()


async def log(world, *entries: tuple) -> None:
    """Entries as (actor, action, record type, record id, reason, at)."""
    for actor, action, record_type, record_id, reason, at in entries:
        await audit.record(actor, action, record_type, record_id, reason, {"n": record_id}, at)


async def test_only_administrators_read_the_log(world):
    for someone in (world.coordinator, world.operator):
        with pytest.raises(Forbidden):
            await audit_log.search(someone, Filters())
        with pytest.raises(Forbidden):
            await audit_log.log_page(someone, {})
    assert (await audit_log.search(world.admin, Filters())).total == 0


async def test_newest_first_with_names_and_links(world):
    await log(world,
              (world.coordinator, "capacity.change", "meeting", world.open_meeting, "Più spazio", rome(2031, 1, 8, 9)),
              ("system", "booking.reminder", "booking", 7, "", rome(2031, 1, 8, 10)),
              ("family:12", "booking.cancel", "booking", 8, "", rome(2031, 1, 8, 11)),
              ("staff:999999", "hub.update", "hub", world.hub_a, "", rome(2031, 1, 8, 12)))
    found = await audit_log.search(world.admin, Filters())
    assert [e.action for e in found.entries] == ["hub.update", "booking.cancel", "booking.reminder",
                                                 "capacity.change"]
    oldest = found.entries[-1]
    assert oldest.actor_name == "Coord" and oldest.reason == "Più spazio"
    assert oldest.details == f'{{"n":{world.open_meeting}}}'
    assert oldest.record_path == f"/staff/registri/incontri/{world.open_meeting}"
    assert oldest.at == rome(2031, 1, 8, 9)
    assert found.entries[0].record_path == f"/staff/poli/{world.hub_a}"
    assert found.entries[1].record_path is None  # bookings have no page of their own
    assert found.entries[1].actor_name != "family:12" and "12" in found.entries[1].actor_name
    assert "999999" in found.entries[0].actor_name


async def test_pages_of_fifty(world):
    start = rome(2031, 1, 1, 8)
    for number in range(120):
        await audit.record(world.admin, "test.entry", "thing", number, "", {}, start + timedelta(minutes=number))
    first = await audit_log.search(world.admin, Filters(), 1)
    assert (first.total, first.pages, len(first.entries)) == (120, 3, 50)
    assert [e.record_id for e in first.entries[:2]] == [119, 118]
    assert (first.first_shown, first.last_shown) == (1, 50)
    last = await audit_log.search(world.admin, Filters(), 3)
    assert [e.record_id for e in last.entries] == list(range(19, -1, -1))
    assert (last.first_shown, last.last_shown) == (101, 120)
    beyond = await audit_log.search(world.admin, Filters(), 9)  # past the end: the last page
    assert beyond.page == 3 and beyond.entries == last.entries
    assert Filters(action="test.entry").query(2) == "azione=test.entry&pagina=2"


async def test_every_filter(world):
    await log(world,
              (world.coordinator, "capacity.change", "meeting", 1, "Sala più GRANDE", rome(2031, 1, 8, 9)),
              (world.coordinator, "activity.update", "activity", 2, "Nuovo orario", rome(2031, 1, 9, 0, 30)),
              (world.admin, "capacity.change", "activity", 3, "100% pieno_ok", rome(2031, 1, 9, 23, 59)),
              (world.admin, "hub.update", "hub", 4, "", rome(2031, 1, 10, 0, 0)))

    async def record_ids(**filters) -> list[int]:
        return [e.record_id for e in (await audit_log.search(world.admin, Filters(**filters))).entries]

    assert await record_ids(actor=world.coordinator.id) == [2, 1]
    assert await record_ids(action="capacity.change") == [3, 1]
    assert await record_ids(record_type="activity") == [3, 2]
    assert await record_ids(action="capacity.change", actor=world.admin.id) == [3]
    # Rome's 9 January: from 00:30 (23:30 UTC of the 8th) to 23:59, not the 10th's midnight
    assert await record_ids(date_from=date(2031, 1, 9), date_to=date(2031, 1, 9)) == [3, 2]
    assert await record_ids(date_from=date(2031, 1, 10)) == [4]
    assert await record_ids(date_to=date(2031, 1, 8)) == [1]
    assert await record_ids(text="grande") == [1]  # any case
    assert await record_ids(text="100%") == [3] and await record_ids(text="%") == [3]  # % and _ taken literally
    assert await record_ids(text="o_o") == [3]  # not "nuovo orario"
    assert await record_ids(text="nuovo orario") == [2]


async def test_filters_from_the_query_string_and_their_errors(world):
    await log(world, (world.coordinator, "capacity.change", "meeting", 1, "x", now()))
    available = await audit_log.choices(world.admin)
    assert (world.coordinator.id, "Coord") in available.staff
    assert available.actions == [("capacity.change", "capacity.change")]
    assert [code for code, _ in available.record_types] == ["meeting"]
    filters, page = audit_log.parse_filters(
        {"operatore": str(world.coordinator.id), "azione": "capacity.change", "tipo": "meeting",
         "dal": "2031-01-08", "al": "09/01/2031", "testo": "  più   spazio ", "pagina": "2"}, available)
    assert filters == Filters(world.coordinator.id, "capacity.change", "meeting", date(2031, 1, 8),
                              date(2031, 1, 9), "più spazio")
    assert page == 2
    assert audit_log.parse_filters({}, available) == (Filters(), 1)
    with pytest.raises(FormErrors) as invalid:
        audit_log.parse_filters({"operatore": "abc", "azione": "drop table", "tipo": "nothing", "dal": "ieri",
                                 "testo": "x" * 201, "pagina": "0"}, available)
    assert invalid.value.status_code == 400
    assert set(invalid.value.by_field) == {"operatore", "azione", "tipo", "dal", "testo", "pagina"}
    with pytest.raises(FormErrors) as backwards:
        audit_log.parse_filters({"dal": "2031-01-09", "al": "2031-01-08"}, available)
    assert set(backwards.value.by_field) == {"al"}
    for bad in ({"operatore": "99999999999999999999"}, {"pagina": "1e9"}, {"dal": "2031-02-30"},
                {"testo": "a\x00b"}, {"operatore": "-1"}):
        with pytest.raises(FormErrors):
            audit_log.parse_filters(bad, available)
    shown = await audit_log.log_page(world.admin, {"dal": "ieri"})
    assert shown.results is None and set(shown.errors) == {"dal"} and shown.values["dal"] == "ieri"


# -- the staff changes write their entries ------------------------------------------------------


async def entries_for(record_type: str, record_id: int) -> dict[str, dict]:
    return {e["action"]: e for e in await audit.entries(record_type, record_id)}


async def test_a_phone_booking_is_audited(world):
    family_id, members = await factories.family()
    result = await waiting.add_by_phone(world.operator, world.open_single, world.open_meeting, family_id, members,
                                        False, "", now(), LINKS)
    booking_id = (await Booking.select(Booking.id).where(Booking.code == result.code).first())["id"]
    entry = (await entries_for("booking", booking_id))["booking.staff_create"]
    assert entry["actor"] == world.operator.actor
    assert entry["details"] == {"code": result.code, "status": "confirmed", "seats": 1, "family": family_id,
                                "activity": world.open_single, "meeting": world.open_meeting}
    again = await waiting.add_by_phone(world.operator, world.open_single, world.open_meeting, family_id, members,
                                       False, "", now(), LINKS)
    assert again.code == result.code  # the live booking, unchanged: nothing more to log
    assert await AuditEntry.count().where(AuditEntry.action == "booking.staff_create") == 1


async def test_an_approval_decision_is_audited_with_its_message(world):
    _, code = await world.book(world.consent_course, None, adults=0, children=((2016, 5),))
    booking_id = (await Booking.select(Booking.id).where(Booking.code == code).first())["id"]
    await approvals.decide(world.coordinator, booking_id, False, "Il gruppo è al completo.", now(), LINKS)
    entry = (await entries_for("booking", booking_id))["booking.decline"]
    assert entry["actor"] == world.coordinator.actor and entry["reason"] == "Il gruppo è al completo."
    assert entry["details"] == {"seats": 1, "promoted": []}
    _, other = await world.book(world.consent_course, None, adults=0, children=((2016, 5),))
    other_id = (await Booking.select(Booking.id).where(Booking.code == other).first())["id"]
    today = now().astimezone(ROME).date()
    await approvals.record_preliminary(world.coordinator, other_id, {"met_on": today.isoformat(), "consent": "1"},
                                       now())
    await approvals.decide(world.coordinator, other_id, True, "", now(), LINKS)
    assert {"booking.preliminary_meeting", "booking.approve"} <= set(await entries_for("booking", other_id))


async def test_request_status_and_assignment_changes_are_audited(world):
    family_id, _ = await factories.family()
    rows = await AccessRequest.insert(AccessRequest(
        code="RAUDIT", family=family_id, activity=world.request, contact_by="phone", preferred_times="",
        note="", status="new", created_at=now(), updated_at=now(), confidential_notes="",
    )).returning(AccessRequest.id)
    request_id = rows[0]["id"]
    await requests.update(world.coordinator, request_id, {"status": "contacted",
                                                          "assigned_staff": str(world.coordinator.id)}, now())
    entry = (await entries_for("access_request", request_id))["access_request.update"]
    assert entry["actor"] == world.coordinator.actor
    assert entry["details"]["status"] == ["new", "contacted"]
    assert entry["details"]["assigned_staff"] == [None, world.coordinator.id]


async def test_activity_creation_and_changes_are_audited_with_the_reason(world):
    values = {"title": "Letture ad alta voce", "service": "attivita-culturali", "hub": str(world.hub_a),
              "summary": "Storie per tutti.", "access": "open", "format": "single", "seat_unit": "participant",
              "audience": "families", "age_min_unit": "years", "age_max_unit": "years", "capacity": "10",
              "waiting_list": "1", "booking_closes_hours": "24", "cancellation_hours": "24", "reason": "Nuovo corso"}
    activity_id = await activities_admin.create_activity(world.coordinator, world.hub_a, values, now())
    created = (await entries_for("activity", activity_id))["activity.create"]
    assert created["reason"] == "Nuovo corso" and created["details"]["capacity"] == 10
    await activities_admin.update_activity(world.coordinator, activity_id, {
        **values, "title": "Letture", "capacity": "12", "reason": "Più posti"}, now(), LINKS)
    changed = await entries_for("activity", activity_id)
    assert changed["activity.update"]["details"] == {"changed": ["slug", "title"]}  # the slug follows the title
    assert changed["capacity.change"]["details"]["to"] == 12 and changed["capacity.change"]["reason"] == "Più posti"
