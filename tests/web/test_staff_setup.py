"""The staff area's set-up pages over HTTP: profile, staff accounts, hubs, activities, meetings,
capacity. Authorization for every route: signed out → the staff sign-in; another hub's records → 404;
an action the role may not take → 403; admin-only pages → 403 for coordinators."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from portal.booking import service
from portal.i18n import ROME
from portal.links import Links
from portal.tables import Activity, AuditEntry, Booking, Hub, Meeting, Outbox, StaffUser
from tests import factories
from tests.web.staff_signin import PASSWORD, signed_in, staff_member, staff_sign_in

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def second_client(client):
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        yield other


@pytest.fixture
async def world(empty_db):
    services = await factories.taxonomy()
    hub_a, hub_b = await factories.hub("a", "Polo A"), await factories.hub("b", "Polo B")
    activity_a = await factories.activity(services["attivita-culturali"], hub_a, capacity=2, audience="adults")
    activity_b = await factories.activity(services["attivita-culturali"], hub_b, capacity=2, audience="adults")
    ids = {
        "hub_a": hub_a, "hub_b": hub_b, "activity_a": activity_a, "activity_b": activity_b,
        "meeting_a": await factories.meeting(activity_a, now() + timedelta(days=7)),
        "meeting_b": await factories.meeting(activity_b, now() + timedelta(days=7)),
        "admin": await staff_member("admin@example.it", "admin"),
        "coordinator": await staff_member("coord@example.it", "coordinator", (hub_a,)),
        "operator": await staff_member("op@example.it", "operator", activity_ids=(activity_b,)),
    }
    return ids


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"_csrf_token": client.cookies["csrftoken"]}


# Every route of these pages: (method, path), with {hub}, {activity}, {meeting}, {staff} to fill in.
READ_ROUTES = [("GET", "/staff/poli/{hub}"), ("GET", "/staff/attivita/{activity}")]
EDIT_ROUTES = [
    ("GET", "/staff/poli/{hub}/modifica"), ("POST", "/staff/poli/{hub}/modifica"),
    ("GET", "/staff/poli/{hub}/attivita/nuova"), ("POST", "/staff/poli/{hub}/attivita/nuova"),
    ("GET", "/staff/attivita/{activity}/modifica"), ("POST", "/staff/attivita/{activity}/modifica"),
    ("GET", "/staff/attivita/{activity}/capienza"), ("POST", "/staff/attivita/{activity}/capienza"),
    ("GET", "/staff/attivita/{activity}/incontri/nuovo"), ("POST", "/staff/attivita/{activity}/incontri/nuovo"),
    ("GET", "/staff/attivita/{activity}/incontri/serie"), ("POST", "/staff/attivita/{activity}/incontri/serie"),
    ("GET", "/staff/incontri/{meeting}/modifica"), ("POST", "/staff/incontri/{meeting}/modifica"),
    ("GET", "/staff/incontri/{meeting}/annulla"), ("POST", "/staff/incontri/{meeting}/annulla"),
    ("GET", "/staff/incontri/{meeting}/capienza"), ("POST", "/staff/incontri/{meeting}/capienza"),
]
ADMIN_ROUTES = [
    ("GET", "/staff/poli/nuovo"), ("POST", "/staff/poli/nuovo"),
    ("GET", "/staff/operatori"), ("GET", "/staff/operatori/nuovo"), ("POST", "/staff/operatori/nuovo"),
    ("GET", "/staff/operatori/{staff}"), ("POST", "/staff/operatori/{staff}"),
    ("POST", "/staff/operatori/{staff}/password"),
]
OWN_ROUTES = [("GET", "/staff/"), ("GET", "/staff/poli"), ("GET", "/staff/profilo"),
              ("POST", "/staff/profilo/password"), ("POST", "/staff/profilo/esci-ovunque")]


def fill(path: str, world: dict, side: str) -> str:
    return path.format(hub=world[f"hub_{side}"], activity=world[f"activity_{side}"], meeting=world[f"meeting_{side}"],
                       staff=world["operator"])


async def call(client: httpx.AsyncClient, method: str, path: str, data: dict | None = None) -> httpx.Response:
    if method == "GET":
        return await client.get(path)
    return await client.post(path, data={**csrf(client), **(data or {})})


async def test_signed_out_every_route_goes_to_the_staff_sign_in(client, world):
    await client.get("/staff/accedi")  # the CSRF cookie, so POSTs reach the guard
    for method, path in READ_ROUTES + EDIT_ROUTES + ADMIN_ROUTES + OWN_ROUTES:
        response = await call(client, method, fill(path, world, "a"))
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/staff/accedi?next="), (method, path)


async def test_a_coordinator_of_one_hub_finds_nothing_of_another(client, world):
    await signed_in(client, "coord@example.it")
    for method, path in READ_ROUTES + EDIT_ROUTES:
        response = await call(client, method, fill(path, world, "b"))
        assert response.status_code == 404, (method, path, response.status_code)
    assert (await Hub.select(Hub.name).where(Hub.id == world["hub_b"]).first())["name"] == "Polo B"
    assert (await Meeting.select(Meeting.status).where(Meeting.id == world["meeting_b"]).first())["status"] == \
        "scheduled"


async def test_a_coordinator_works_in_their_own_hub(client, world):
    await signed_in(client, "coord@example.it")
    for method, path in READ_ROUTES + [route for route in EDIT_ROUTES if route[0] == "GET"]:
        response = await client.get(fill(path, world, "a"))
        assert response.status_code == 200, (path, response.status_code)
        assert response.headers["cache-control"] == "no-store"


async def test_admin_only_pages_are_forbidden_to_coordinators(client, world):
    await signed_in(client, "coord@example.it")
    for method, path in ADMIN_ROUTES:
        response = await call(client, method, fill(path, world, "a"), {"name": "X", "email": "x@example.it",
                                                                       "role": "admin"})
        assert response.status_code == 403, (method, path, response.status_code)
    assert await StaffUser.count() == 3 and await Hub.count() == 2
    assert "/staff/operatori" not in (await client.get("/staff/")).text


async def test_an_operator_sees_their_activity_but_may_not_edit_it(client, world):
    await signed_in(client, "op@example.it")
    for method, path in READ_ROUTES:
        assert (await client.get(fill(path, world, "b"))).status_code == 200, path
    for method, path in EDIT_ROUTES:
        response = await call(client, method, fill(path, world, "b"), {"capacity": "50", "reason": "x",
                                                                       "message": "x", "title": "Altro"})
        assert response.status_code == 403, (method, path, response.status_code)
    for method, path in READ_ROUTES + EDIT_ROUTES:
        assert (await call(client, method, fill(path, world, "a"))).status_code == 404, (method, path)
    for method, path in ADMIN_ROUTES:
        assert (await call(client, method, fill(path, world, "a"))).status_code == 403, (method, path)
    row = await Activity.select().where(Activity.id == world["activity_b"]).first()
    assert row["capacity"] == 2 and row["title"] != "Altro"
    home = await client.get("/staff/")
    assert f'/staff/attivita/{world["activity_b"]}' in home.text and f'/staff/attivita/{world["activity_a"]}' \
        not in home.text


async def test_an_admin_opens_every_page(client, world):
    await signed_in(client, "admin@example.it")
    gets = [route for route in READ_ROUTES + EDIT_ROUTES + ADMIN_ROUTES + OWN_ROUTES if route[0] == "GET"]
    for side in ("a", "b"):
        for _, path in gets:
            response = await client.get(fill(path, world, side))
            assert response.status_code == 200, (path, response.status_code)
            assert response.headers["cache-control"] == "no-store"
    home = await client.get("/staff/")
    assert "Polo A" in home.text and "Polo B" in home.text and "/staff/operatori" in home.text


# -- profile ------------------------------------------------------------------------------------


async def test_change_password_keeps_this_device_and_ends_the_others(client, second_client, world):
    await signed_in(client, "coord@example.it")
    await signed_in(second_client, "coord@example.it")
    bad = await client.post("/staff/profilo/password", data={**csrf(client), "current_password": "nope",
                                                             "new_password": "short", "repeat_password": "short"})
    assert bad.status_code == 422
    assert 'id="error-new_password"' in bad.text and 'aria-describedby="error-new_password' in bad.text
    response = await client.post("/staff/profilo/password", data={
        **csrf(client), "current_password": PASSWORD, "new_password": "a brand new secret",
        "repeat_password": "a brand new secret"})
    assert response.status_code == 303 and response.headers["location"] == "/staff/profilo?esito=password"
    assert (await client.get("/staff/profilo")).status_code == 200
    assert (await second_client.get("/staff/profilo")).status_code == 303


async def test_sign_out_everywhere(client, second_client, world):
    await signed_in(client, "coord@example.it")
    await signed_in(second_client, "coord@example.it")
    response = await client.post("/staff/profilo/esci-ovunque", data=csrf(client))
    assert response.status_code == 303 and response.headers["location"] == "/staff/accedi"
    assert (await client.get("/staff/")).status_code == 303
    assert (await second_client.get("/staff/")).status_code == 303


# -- staff accounts -----------------------------------------------------------------------------


async def test_an_admin_creates_an_account_and_sees_its_initial_password_once(client, world):
    await signed_in(client, "admin@example.it")
    bad = await client.post("/staff/operatori/nuovo", data={**csrf(client), "name": "", "email": "coord@example.it",
                                                            "role": "coordinator"})
    assert bad.status_code == 422 and 'id="error-name"' in bad.text
    response = await client.post("/staff/operatori/nuovo", data={
        **csrf(client), "name": "Nuova Coordinatrice", "email": "nuova@example.it", "role": "coordinator",
        "hubs": [str(world["hub_a"]), str(world["hub_b"])]})
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    password = re.search(r"<code>([a-z0-9-]+)</code>", page.text).group(1)
    assert "Nuova Coordinatrice" in page.text
    again = await client.get(response.headers["location"])
    assert password not in again.text
    other = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    async with other:
        assert (await staff_sign_in(other, "nuova@example.it", password)).status_code == 303
        assert "Polo B" in (await other.get("/staff/")).text


async def test_an_admin_changes_role_and_assignments_with_an_audit_entry(client, world):
    await signed_in(client, "admin@example.it")
    response = await client.post(f"/staff/operatori/{world['operator']}", data={
        **csrf(client), "name": "Op", "email": "op@example.it", "role": "coordinator", "active": "1",
        "hubs": [str(world["hub_b"])], "reason": "Nuovo incarico"})
    assert response.status_code == 303
    row = await StaffUser.select().where(StaffUser.id == world["operator"]).first()
    assert row["role"] == "coordinator"
    actions = {e["action"] for e in await AuditEntry.select().where(AuditEntry.record_id == world["operator"])}
    assert {"staff.role", "staff.assignments"} <= actions
    refused = await client.post(f"/staff/operatori/{world['admin']}", data={
        **csrf(client), "name": "Admin", "email": "admin@example.it", "role": "operator"})
    assert refused.status_code == 422 and 'id="error-role"' in refused.text


# -- hubs, activities, meetings -----------------------------------------------------------------


async def test_an_admin_creates_a_hub(client, world):
    await signed_in(client, "admin@example.it")
    bad = await client.post("/staff/poli/nuovo", data={**csrf(client), "name": "Polo C"})
    assert bad.status_code == 422 and 'id="error-district"' in bad.text and await Hub.count() == 2
    assert 'value="Polo C"' in bad.text  # what was entered is kept
    response = await client.post("/staff/poli/nuovo", data={
        **csrf(client), "name": "Polo C", "district": "Municipalità 3", "address": "Via C 3", "city": "Napoli"})
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert page.status_code == 200 and "Polo C" in page.text and "The hub has been created." in page.text


async def test_a_coordinator_creates_an_activity_then_its_meetings(client, world):
    await signed_in(client, "coord@example.it")
    form = {**csrf(client), "title": "Laboratorio di lettura", "service": "attivita-culturali",
            "hub": str(world["hub_a"]), "summary": "Leggere insieme.", "access": "open", "format": "single",
            "seat_unit": "participant", "audience": "families", "age_min": "3", "age_min_unit": "years",
            "age_max": "", "age_max_unit": "years", "capacity": "12", "waiting_list": "1",
            "booking_closes_hours": "2", "cancellation_hours": "24", "published": "1"}
    bad = await client.post(f"/staff/poli/{world['hub_a']}/attivita/nuova", data={**form, "capacity": "zero",
                                                                                 "hub": str(world["hub_b"])})
    assert bad.status_code == 422 and 'id="error-capacity"' in bad.text and 'id="error-hub"' in bad.text
    response = await client.post(f"/staff/poli/{world['hub_a']}/attivita/nuova", data=form)
    assert response.status_code == 303
    activity_id = int(re.search(r"/staff/attivita/(\d+)", response.headers["location"]).group(1))
    row = await Activity.select().where(Activity.id == activity_id).first()
    assert row["age_min_months"] == 36 and row["capacity"] == 12 and row["hub"] == world["hub_a"]
    day = (now() + timedelta(days=20)).astimezone(ROME).date()
    added = await client.post(f"/staff/attivita/{activity_id}/incontri/nuovo", data={
        **csrf(client), "date": day.isoformat(), "start": "17:00", "end": "18:00", "place": "Biblioteca"})
    assert added.status_code == 303
    series = await client.post(f"/staff/attivita/{activity_id}/incontri/serie", data={
        **csrf(client), "first_date": day.isoformat(), "last_date": (day + timedelta(days=13)).isoformat(),
        "weekdays": [str(day.isoweekday())], "start": "10:00", "end": "11:00",
        "closing_days": (day + timedelta(days=7)).strftime("%d/%m/%Y")})
    assert series.status_code == 303
    meetings = await Meeting.select().where(Meeting.activity == activity_id).order_by(Meeting.starts_at)
    assert [m["local_date"] for m in meetings] == [day, day]  # the series' second week was a closing day
    page = await client.get(series.headers["location"])
    assert "Biblioteca" in page.text and "The meetings have been added." in page.text


async def test_editing_a_meeting_bumps_its_sequence(client, world):
    await signed_in(client, "coord@example.it")
    bad = await client.post(f"/staff/incontri/{world['meeting_a']}/modifica", data={
        **csrf(client), "date": "", "start": "25:00", "end": "10:00"})
    assert bad.status_code == 422 and 'id="error-date"' in bad.text and 'id="error-start"' in bad.text
    day = (now() + timedelta(days=9)).astimezone(ROME).date()
    response = await client.post(f"/staff/incontri/{world['meeting_a']}/modifica", data={
        **csrf(client), "date": day.isoformat(), "start": "09:30", "end": "11:00", "place": "Cortile"})
    assert response.status_code == 303
    row = await Meeting.select().where(Meeting.id == world["meeting_a"]).first()
    assert row["sequence"] == 1 and row["place"] == "Cortile" and row["local_date"] == day


async def test_cancelling_a_meeting_tells_the_families(client, world):
    slug = (await Activity.select(Activity.slug).where(Activity.id == world["activity_a"]).first())["slug"]
    target = await service.find_target(slug, world["meeting_a"])
    for _ in range(2):
        family, members = await factories.family(adults=1)
        await service.book(family, target, members, now(), LINKS)
    await Outbox.delete(force=True)
    await signed_in(client, "coord@example.it")
    confirm = await client.get(f"/staff/incontri/{world['meeting_a']}/annulla")
    assert "2 bookings are cancelled" in confirm.text
    empty = await client.post(f"/staff/incontri/{world['meeting_a']}/annulla", data={**csrf(client), "message": ""})
    assert empty.status_code == 422 and 'id="error-message"' in empty.text and await Outbox.count() == 0
    response = await client.post(f"/staff/incontri/{world['meeting_a']}/annulla", data={
        **csrf(client), "message": "Chiusura straordinaria."})
    assert response.status_code == 303
    assert await Outbox.count() == 2
    assert {b["status"] for b in await Booking.select(Booking.status)} == {"cancelled"}
    row = await Meeting.select().where(Meeting.id == world["meeting_a"]).first()
    assert row["status"] == "cancelled" and row["sequence"] == 1
    again = await client.post(f"/staff/incontri/{world['meeting_a']}/annulla", data={**csrf(client), "message": "x"})
    assert again.status_code == 409


async def test_capacity_pages_raise_refuse_and_release(client, world):
    slug = (await Activity.select(Activity.slug).where(Activity.id == world["activity_a"]).first())["slug"]
    target = await service.find_target(slug, world["meeting_a"])
    codes = []
    for _ in range(3):
        family, members = await factories.family(adults=1)
        codes.append((await service.book(family, target, members, now(), LINKS)).code)
    await signed_in(client, "coord@example.it")
    page = await client.get(f"/staff/incontri/{world['meeting_a']}/capienza")
    assert page.status_code == 200 and codes[0] in page.text and codes[2] not in page.text
    refused = await client.post(f"/staff/incontri/{world['meeting_a']}/capienza", data={
        **csrf(client), "capacity": "1", "reason": "Meno spazio"})
    assert refused.status_code == 422 and 'id="error-capacity"' in refused.text
    raised = await client.post(f"/staff/incontri/{world['meeting_a']}/capienza", data={
        **csrf(client), "capacity": "3", "reason": "Più spazio"})
    assert raised.status_code == 303
    statuses = {r["code"]: r["status"] for r in await Booking.select(Booking.code, Booking.status)}
    assert statuses[codes[2]] == "confirmed"
    first = (await Booking.select(Booking.id).where(Booking.code == codes[0]).first())["id"]
    lowered = await client.post(f"/staff/incontri/{world['meeting_a']}/capienza", data={
        **csrf(client), "capacity": "2", "reason": "Meno spazio", "message": "Ci scusiamo.",
        f"release-{first}": "cancelled"})
    assert lowered.status_code == 303
    statuses = {r["code"]: r["status"] for r in await Booking.select(Booking.code, Booking.status)}
    assert statuses[codes[0]] == "cancelled"
    assert await AuditEntry.count().where(AuditEntry.action == "capacity.change") == 2


async def test_ids_out_of_range_are_not_found(client, world):
    await signed_in(client, "admin@example.it")
    for path in ("/staff/poli/99999999999", "/staff/attivita/99999999999", "/staff/incontri/99999999999/modifica",
                 "/staff/operatori/99999999999", "/staff/poli/999999"):
        assert (await client.get(path)).status_code == 404, path
