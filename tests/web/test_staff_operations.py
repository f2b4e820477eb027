"""The staff's operations over HTTP: rosters and attendance toggles (HTMX and plain forms), waiting lists,
phone bookings, approvals, enrolment, access requests, messages, exports, the report — and, for every
route, who may reach it (not signed in → sign-in; other hub → 404; operator → 403; no CSRF → 403)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook
from portal.staff.operations import operations_router

from portal import audit
from portal.households import notes
from portal.i18n import ROME
from portal.tables import AccessRequest, Attendance, Booking, Family, Meeting, Member, Outbox
from tests import factories, operations_world
from tests.operations_world import now
from tests.web.staff_signin import PASSWORD, staff_sign_in

pytestmark = pytest.mark.anyio
HTMX = {"HX-Request": "true"}


@pytest.fixture
async def world(empty_db):
    return await operations_world.build()


def token(client: httpx.AsyncClient) -> str:
    return client.cookies["csrftoken"]


async def signed_in(client: httpx.AsyncClient, email: str) -> httpx.AsyncClient:
    response = await staff_sign_in(client, email, PASSWORD)
    assert response.status_code == 303, response.text[:300]
    return client


async def post(client: httpx.AsyncClient, path: str, data: dict | None = None, **kwargs) -> httpx.Response:
    return await client.post(path, data={**(data or {}), "_csrf_token": token(client)}, **kwargs)


async def booking_of(code: str) -> dict:
    return await Booking.select().where(Booking.code == code).first()


# -- rosters and attendance ----------------------------------------------------------------


async def test_roster_shows_families_contacts_and_toggles_attendance(client, world):
    family_id, code = await world.book(world.open_single, world.open_meeting, adults=1, children=((2019, 4),))
    await Family.update({Family.phone: "+39 081 123 4567"}).where(Family.id == family_id)
    await signed_in(client, "operatore@example.it")
    page = await client.get(f"/staff/registri/incontri/{world.open_meeting}")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    assert code in page.text and "+39 081 123 4567" in page.text and "Bimbo 0" in page.text
    assert "/staff/esportazioni/" not in page.text  # operators do not export
    participant = re.search(r'id="att-\d+-(\d+)"', page.text).group(1)
    url = f"/staff/registri/incontri/{world.open_meeting}/presenze/{participant}"
    toggled = await client.post(url, data={"present": "1"}, headers={**HTMX, "x-csrftoken": token(client)})
    assert toggled.status_code == 200 and "<html" not in toggled.text
    assert 'aria-pressed="true"' in toggled.text and f'id="att-{world.open_meeting}-{participant}"' in toggled.text
    plain = await post(client, url, {"present": "0"})
    assert plain.status_code == 303 and plain.headers["location"].endswith(f"#p{participant}")
    row = await Attendance.select().first()
    assert row["present"] is False or row["present"] == 0
    bad = await post(client, url, {"present": "maybe"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert await Attendance.count() == 1
    printable = await client.get(f"/staff/registri/incontri/{world.open_meeting}/stampa")
    assert printable.status_code == 200 and "staff-nav" not in printable.text and code in printable.text
    assert "staff-operations.css" in printable.text


async def test_course_attendance_grid_with_toggles(client, world):
    await world.book(world.course, None)
    await signed_in(client, "coord@example.it")
    page = await client.get(f"/staff/registri/percorsi/{world.course}")
    assert page.status_code == 200
    toggles = re.findall(r'id="att-(\d+)-(\d+)"', page.text)
    assert len(toggles) == 3
    meeting, participant = toggles[1]
    response = await post(client, f"/staff/registri/incontri/{meeting}/presenze/{participant}",
                          {"present": "1", "view": "grid", "back": f"/staff/registri/percorsi/{world.course}"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/registri/percorsi/{world.course}#p{participant}"
    assert "1 / 3" in (await client.get(f"/staff/registri/percorsi/{world.course}")).text


# -- waiting lists and phone bookings ------------------------------------------------------


async def test_out_of_order_promotion_needs_a_reason_and_is_audited(client, world):
    await world.book(world.open_single, world.open_meeting, adults=2)
    _, first = await world.book(world.open_single, world.open_meeting)
    _, second = await world.book(world.open_single, world.open_meeting)
    await signed_in(client, "operatore@example.it")
    page = await client.get(f"/staff/attese/incontri/{world.open_meeting}")
    assert page.status_code == 200 and page.text.index(first) < page.text.index(second)
    second_id = (await booking_of(second))["id"]
    missing = await post(client, f"/staff/attese/prenotazioni/{second_id}/promuovi", {"reason": ""})
    assert missing.status_code == 422 and 'aria-invalid="true"' in missing.text
    no_raise = await post(client, f"/staff/attese/prenotazioni/{second_id}/promuovi", {"reason": "Urgenza"})
    assert no_raise.status_code == 422 and (await booking_of(second))["status"] == "waitlisted"
    done = await post(client, f"/staff/attese/prenotazioni/{second_id}/promuovi",
                      {"reason": "Urgenza", "raise_capacity": "1"})
    assert done.status_code == 303 and (await booking_of(second))["status"] == "confirmed"
    meeting = await Meeting.select(Meeting.capacity, Meeting.seats_taken).where(
        Meeting.id == world.open_meeting).first()
    assert meeting["seats_taken"] <= meeting["capacity"] == 3
    assert {e["action"] for e in await audit.entries()} >= {"booking.promote_out_of_order", "capacity.raise"}
    first_id = (await booking_of(first))["id"]
    removed = await post(client, f"/staff/attese/prenotazioni/{first_id}/rimuovi", {"reason": "Rinuncia al telefono"})
    assert removed.status_code == 303 and (await booking_of(first))["status"] == "cancelled"


async def test_phone_booking_creates_the_family_and_raises_the_capacity_only_when_asked(client, world):
    await world.book(world.open_single, world.open_meeting, adults=2)  # full
    await signed_in(client, "operatore@example.it")
    add = f"/staff/attese/incontri/{world.open_meeting}/aggiungi"
    assert (await client.get(add)).status_code == 200
    invalid = await post(client, "/staff/famiglie", {"name": "", "surname": "Esposito", "back": add})
    assert invalid.status_code == 422 and "error-name" in invalid.text
    created = await post(client, "/staff/famiglie", {"name": "Lucia", "surname": "Esposito", "email": "",
                                                     "phone": "081 555 1234", "language": "it", "back": add})
    assert created.status_code == 303 and created.headers["location"].startswith(add + "?famiglia=")
    family_id = int(re.search(r"famiglia=(\d+)", created.headers["location"]).group(1))
    member = await post(client, f"/staff/famiglie/{family_id}/componenti",
                        {"kind": "child", "first_name": "Sara", "birth_month": "3", "birth_year": "2018", "back": add})
    assert member.status_code == 303
    found = await client.get(add, params={"cerca": "Lucia Esposito"})
    assert f"famiglia={family_id}" in found.text
    chooser = await client.get(add, params={"famiglia": family_id})
    member_ids = re.findall(r'name="members" value="(\d+)"', chooser.text)
    assert len(member_ids) == 2
    no_reason = await post(client, add, {"family": str(family_id), "members": member_ids[:1], "raise_capacity": "1"})
    assert no_reason.status_code == 422 and await Booking.count() == 1
    booked = await post(client, add, {"family": str(family_id), "members": member_ids[:1], "raise_capacity": "1",
                                      "reason": "Segnalata dai servizi sociali"})
    assert booked.status_code == 303
    meeting = await Meeting.select(Meeting.capacity, Meeting.seats_taken).where(
        Meeting.id == world.open_meeting).first()
    assert meeting == {"capacity": 3, "seats_taken": 3}
    child_alone = await post(client, add, {"family": str(family_id), "members": member_ids[1:]})
    assert child_alone.status_code == 422 and "error-members" in child_alone.text  # families: an adult comes too
    again = await post(client, add, {"family": str(family_id), "members": member_ids[:1]})
    assert again.status_code == 303 and await Booking.count() == 2  # one live booking per family


async def test_a_family_id_typed_in_a_url_reaches_only_a_family_found_or_known_at_the_hub(client, world):
    family_id, members = await factories.family(adults=1, email="bianchi@example.it")
    await signed_in(client, "operatore@example.it")
    add = f"/staff/attese/incontri/{world.open_meeting}/aggiungi"
    form = f"/staff/famiglie/{family_id}/componenti"
    assert (await client.get(form + "/nuovo")).status_code == 404
    assert (await client.get(add, params={"famiglia": family_id})).status_code == 404
    child = {"kind": "child", "first_name": "Ada", "birth_month": "3", "birth_year": "2019", "back": add}
    assert (await post(client, form, child)).status_code == 404
    booked = await post(client, add, {"family": str(family_id), "members": [str(m) for m in members]})
    assert booked.status_code == 404 and await Booking.count() == 0
    assert await Member.count().where(Member.family == family_id) == 1
    found = await client.get(add, params={"cerca": "bianchi@example.it"})  # an exact search finds it
    assert f"famiglia={family_id}" in found.text
    assert (await client.get(add, params={"famiglia": family_id})).status_code == 200
    assert (await post(client, form, child)).status_code == 303
    assert await Member.count().where(Member.family == family_id) == 2


# -- approvals, enrolment, requests ---------------------------------------------------------


async def test_approval_with_consent_over_http(client, world):
    _, code = await world.book(world.consent_course, None, adults=0, children=((2016, 5),))
    booking_id = (await booking_of(code))["id"]
    await signed_in(client, "coord@example.it")
    listing = await client.get("/staff/approvazioni")
    assert listing.status_code == 200 and f"/staff/approvazioni/{booking_id}" in listing.text
    refused = await post(client, f"/staff/approvazioni/{booking_id}/decisione", {"decision": "approve"})
    assert refused.status_code == 409 and (await booking_of(code))["status"] == "pending"
    bad_date = await post(client, f"/staff/approvazioni/{booking_id}/colloquio", {"met_on": "domani", "consent": "1"})
    assert bad_date.status_code == 422 and "error-met_on" in bad_date.text
    today = now().astimezone(ROME).date().isoformat()
    recorded = await post(client, f"/staff/approvazioni/{booking_id}/colloquio", {"met_on": today, "consent": "1"})
    assert recorded.status_code == 303
    approved = await post(client, f"/staff/approvazioni/{booking_id}/decisione",
                          {"decision": "approve", "message": "Benvenuti nel gruppo."})
    assert approved.status_code == 303 and (await booking_of(code))["status"] == "confirmed"
    mail = await Outbox.select().order_by(Outbox.id, ascending=False).first()
    assert "Benvenuti nel gruppo." in mail["text_body"]


async def test_referral_enrolment_and_private_meetings_over_http(client, world):
    family_id, members = await factories.family(adults=1, children=((2017, 9),), email="rossi@example.it")
    await signed_in(client, "coord@example.it")
    new = f"/staff/iscrizioni/attivita/{world.referral}/nuova"
    chooser = await client.get(new, params={"cerca": "rossi@example.it"})
    assert f"famiglia={family_id}" in chooser.text
    enrolled = await post(client, new, {"family": str(family_id), "members": [str(m) for m in members]})
    assert enrolled.status_code == 303
    detail = enrolled.headers["location"].split("?")[0]
    day = (now() + timedelta(days=2)).astimezone(ROME).date().isoformat()
    invalid = await post(client, detail + "/incontri", {"day": "", "start": "", "minutes": "5"})
    assert invalid.status_code == 422 and await Meeting.count().where(Meeting.private == True) == 0
    scheduled = await post(client, detail + "/incontri", {"day": day, "start": "10:00", "minutes": "60",
                                                          "place": "Stanza colloqui"})
    assert scheduled.status_code == 303
    meeting = await Meeting.select().where(Meeting.private == True).first()
    assert meeting["private_booking"] == int(detail.rsplit("/", 1)[1])
    public = await client.get("/", params={"from": day, "to": day})
    assert public.status_code == 200 and f'/attivita/{await world.slug(world.referral)}"' not in public.text
    roster = await client.get(f"/staff/registri/incontri/{meeting['id']}")
    assert roster.status_code == 200 and "Bimbo 0" in roster.text


async def test_access_request_queue_notes_and_enrolment(client, world):
    family_id, members = await factories.family(adults=2)
    rows = await AccessRequest.insert(AccessRequest(
        code="RICH0001", family=family_id, activity=world.request, contact_by="phone", preferred_times="mattina",
        note="<script>x</script>", status="new", created_at=now(), updated_at=now())).returning(AccessRequest.id)
    request_id = rows[0]["id"]
    await signed_in(client, "coord@example.it")
    queue = await client.get("/staff/richieste", params={"polo": world.hub_a})
    assert queue.status_code == 200 and f"/staff/richieste/{request_id}" in queue.text
    detail = await client.get(f"/staff/richieste/{request_id}")
    assert "<script>x</script>" not in detail.text and "confidential_notes" in detail.text
    saved = await post(client, f"/staff/richieste/{request_id}", {
        "status": "contacted", "assigned_staff": str(world.coordinator.id),
        "confidential_notes": "Nota riservata 123"})
    assert saved.status_code == 303
    assert "Nota riservata 123" in (await client.get(f"/staff/richieste/{request_id}")).text
    wrong = await post(client, f"/staff/richieste/{request_id}", {"status": "perso"})
    assert wrong.status_code == 422
    enrolled = await post(client, f"/staff/richieste/{request_id}/iscrivi", {"members": [str(members[0])]})
    assert enrolled.status_code == 303
    assert (await AccessRequest.select(AccessRequest.status).first())["status"] == "accepted"
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as admin:
        await signed_in(admin, "admin@example.it")
        seen = await admin.get(f"/staff/richieste/{request_id}")
        assert seen.status_code == 200 and "Nota riservata 123" not in seen.text
        forged = await post(admin, f"/staff/richieste/{request_id}", {"status": "closed", "confidential_notes": "x"})
        assert forged.status_code == 403


# -- messages, exports, report ---------------------------------------------------------------


async def test_messages_go_through_the_outbox(client, world):
    await world.book(world.open_single, world.open_meeting)
    await signed_in(client, "coord@example.it")
    before = await Outbox.count()
    empty = await post(client, f"/staff/messaggi/incontri/{world.open_meeting}", {"subject": "", "body": ""})
    assert empty.status_code == 422 and await Outbox.count() == before
    sent = await post(client, f"/staff/messaggi/incontri/{world.open_meeting}",
                      {"subject": "Cambio orario", "body": "Iniziamo alle 17:30."})
    assert sent.status_code == 303 and await Outbox.count() == before + 1
    assert (await client.get(sent.headers["location"])).status_code == 200


async def test_csv_and_xlsx_downloads(client, world):
    family_id, _ = await world.book(world.open_single, world.open_meeting, adults=1)
    await Family.update({Family.surname: "=cmd|' /C calc'!A0", Family.phone: "+39 081 765 4321"}).where(
        Family.id == family_id)
    await signed_in(client, "coord@example.it")
    csv = await post(client, f"/staff/esportazioni/incontri/{world.open_meeting}/elenco/csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"] and "no-store" in csv.headers["cache-control"]
    body = csv.content
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body and b";" in body.split(b"\r\n")[0]
    assert b"\n" not in body.replace(b"\r\n", b"")
    start = (await Meeting.select(Meeting.starts_at).where(Meeting.id == world.open_meeting).first())["starts_at"]
    assert start.astimezone(ROME).strftime("%d/%m/%Y").encode() in body
    assert b"'=cmd" in body and b";=cmd" not in body and b";+39 081 765 4321;" in body
    xlsx = await post(client, f"/staff/esportazioni/incontri/{world.open_meeting}/elenco/xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [c for row in sheet.iter_rows() for c in row]
    formula_like = next(c for c in cells if c.value == "=cmd|' /C calc'!A0")
    assert formula_like.data_type == "s" and not any(c.data_type == "f" for c in cells)
    assert any(c.value == "+39 081 765 4321" for c in cells)
    grid = await post(client, f"/staff/esportazioni/attivita/{world.course}/presenze/csv")
    assert grid.status_code == 200
    assert [e["action"] for e in await audit.entries()].count("export.roster") == 2
    assert (await post(client, f"/staff/esportazioni/incontri/{world.open_meeting}/elenco/pdf")).status_code == 404


async def test_report_page_and_the_funders_variant(client, world):
    await world.book(world.open_single, world.open_meeting, adults=2)
    await signed_in(client, "coord@example.it")
    today = now().astimezone(ROME).date()
    params = {"dal": today.isoformat(), "al": (today + timedelta(days=40)).isoformat()}
    page = await client.get("/staff/rapporti", params=params)
    assert page.status_code == 200 and "Festa delle famiglie" in page.text
    funders = await client.get("/staff/rapporti", params={**params, "variante": "enti"})
    assert "&lt;5" in funders.text
    bad = await client.get("/staff/rapporti", params={"dal": "2030-02-10", "al": "2030-01-01"})
    assert bad.status_code == 422 and "error-al" in bad.text
    download = await post(client, "/staff/rapporti/csv", {**params, "variante": "enti"})
    assert download.status_code == 200 and "<5" in download.content.decode("utf-8-sig")
    assert (await audit.entries())[0]["action"] == "export.report"


# -- authorization for every route ---------------------------------------------------------


def concrete(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: str(ids.get(m.group(1), "csv")), path)


async def routes(world) -> list[tuple[str, str, dict[str, int]]]:
    """Every operations route, with ids of records in hub A."""
    _, pending_code = await world.book(world.consent_course, None, adults=0, children=((2016, 5),))
    family_id, members = await factories.family(adults=1)
    rows = await AccessRequest.insert(AccessRequest(
        code="RICH0002", family=family_id, activity=world.request, contact_by="phone", preferred_times="",
        note="", status="new", created_at=now(), updated_at=now())).returning(AccessRequest.id)
    from portal.operations import enrolment

    enrolled = await enrolment.enrol(world.admin, world.referral, family_id, members, False, "", now(),
                                     operations_world.LINKS)
    ids = {
        "meeting_id": world.open_meeting, "participant_id": 1, "activity_id": world.course,
        "booking_id": (await booking_of(pending_code))["id"], "family_id": family_id, "request_id": rows[0]["id"],
    }
    enrolment_booking = (await booking_of(enrolled.code))["id"]
    ids["note_id"] = await notes.add(world.coordinator, family_id, {
        "hub": str(world.hub_a), "category": "call", "contact_on": now().astimezone(ROME).date().isoformat(),
        "body": "Telefonata"}, now())
    found = []
    for route in operations_router.routes:
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            route_ids = dict(ids)
            if route.path.startswith("/staff/iscrizioni/{booking_id"):
                route_ids["booking_id"] = enrolment_booking
            if route.path.startswith("/staff/iscrizioni/attivita/"):
                route_ids["activity_id"] = world.referral
            found.append((method, concrete(route.path, route_ids), route_ids))
    return found


OPERATOR_MAY = ("/staff/registri", "/staff/attese", "/staff/famiglie")
ANY_RECORD = ("/staff/famiglie", "/staff/registri", "/staff/approvazioni", "/staff/iscrizioni", "/staff/richieste",
              "/staff/rapporti")  # lists, and families (not a hub's record)


async def test_every_route_sends_strangers_to_sign_in_and_refuses_missing_csrf(client, world):
    for method, path, _ in await _cached_routes(world):
        if method == "GET":
            response = await client.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/staff/accedi"), path
    await client.get("/staff/accedi")
    for method, path, _ in await routes_only_post(world):
        anonymous = await client.post(path, data={"_csrf_token": token(client)})
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/staff/accedi"), path
    await signed_in(client, "admin@example.it")
    for method, path, _ in await routes_only_post(world):
        assert (await client.post(path, data={"x": "1"})).status_code == 403, path
        assert (await client.post(path, headers=HTMX)).status_code == 403, path


async def routes_only_post(world) -> list[tuple[str, str, dict]]:
    return [(m, p, i) for m, p, i in await _cached_routes(world) if m == "POST"]


async def _cached_routes(world) -> list:
    """The routes with their records, made once per test's world."""
    if not hasattr(world, "routes_with_ids"):
        world.routes_with_ids = await routes(world)
    return world.routes_with_ids


async def test_other_hubs_records_are_not_found_and_operators_are_forbidden(client, world):
    every = await _cached_routes(world)
    await signed_in(client, "nord@example.it")  # coordinator of hub B
    for method, path, _ in every:
        if path.startswith(ANY_RECORD) and not re.search(r"/\d+", path):
            continue  # a list: it shows only the hub's own records
        if path.startswith("/staff/famiglie"):
            continue
        response = await (client.get(path) if method == "GET" else post(client, path, {"present": "1"}))
        assert response.status_code == 404, (method, path, response.status_code)
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as operator:
        await signed_in(operator, "operatore@example.it")
        # the operator's own activity: rosters and waiting lists yes, everything else 403
        meeting = world.open_meeting
        assert (await operator.get(f"/staff/registri/incontri/{meeting}")).status_code == 200
        assert (await operator.get(f"/staff/attese/incontri/{meeting}")).status_code == 200
        for method, path in [
            ("GET", "/staff/approvazioni"), ("GET", "/staff/iscrizioni"), ("GET", "/staff/richieste"),
            ("GET", "/staff/rapporti"), ("POST", "/staff/rapporti/csv"),
            ("GET", f"/staff/messaggi/incontri/{meeting}"), ("POST", f"/staff/messaggi/incontri/{meeting}"),
            ("GET", f"/staff/messaggi/attivita/{world.open_single}"),
            ("POST", f"/staff/esportazioni/incontri/{meeting}/elenco/csv"),
            ("POST", f"/staff/esportazioni/incontri/{meeting}/presenze/xlsx"),
        ]:
            response = await (operator.get(path) if method == "GET" else post(operator, path))
            assert response.status_code == 403, (method, path, response.status_code)
        # records of hub A the operator is not assigned to do not exist for them
        for method, path, _ in every:
            own = re.search(rf"/incontri/{meeting}(/|$)", path)
            if method == "GET" and re.search(r"/\d+", path) and not own and not path.startswith("/staff/famiglie"):
                assert (await operator.get(path)).status_code == 404, path
    assert await Attendance.count() == 0


async def test_every_page_renders_for_an_administrator_and_a_coordinator(client, world):
    every = await _cached_routes(world)
    await world.book(world.open_single, world.open_meeting)
    for email in ("admin@example.it", "coord@example.it"):
        async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as browser:
            await signed_in(browser, email)
            for method, path, _ in every:
                if method == "GET":
                    response = await browser.get(path)
                    assert response.status_code == 200, (email, path, response.status_code)
                    assert response.headers["cache-control"] == "no-store", path
