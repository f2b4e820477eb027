"""The household file through the real pages: a family books on the public site; a coordinator of that hub
finds it by e-mail, reads the booking and its status in the file, writes a note and records a referral;
another hub's coordinator gets the 404 of a household that does not exist; the audit log shows both
openings; the family's data download holds the file. Also: who may do what, and bad input."""

from __future__ import annotations

import json
import re
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from portal.i18n import ROME
from portal.tables import Booking, Family, HouseholdNote, KeyWorker, Member, PartnerService, Referral, StaffUser
from tests import factories
from tests.web.signin import csrf, sign_in
from tests.web.staff_signin import staff_member, staff_sign_in

pytestmark = pytest.mark.anyio
FAMILY = "nuova.famiglia@example.it"
NOTE = "Telefonata con la madre: chiede del ciclo di primavera."


@pytest.fixture
async def hubs(empty_db):
    services = await factories.taxonomy()
    centro = await factories.hub("centro", "Polo Centro")
    nord = await factories.hub("nord", "Polo Nord")
    soon = datetime.now(timezone.utc) + timedelta(days=10)
    party = await factories.activity(services["attivita-culturali"], centro, "Festa di quartiere", slug="festa",
                                     capacity=10)
    meeting = await factories.meeting(party, soon)
    spazio = await factories.activity(services["spazio-neutro"], centro, "Spazio Neutro", access="referral",
                                      seat_unit="family", slug="spazio-neutro")
    operator_activity = await factories.activity(services["attivita-culturali"], centro, "Laboratorio",
                                                 slug="laboratorio")
    await staff_member("admin@example.it", "admin")
    await staff_member("coord@example.it", "coordinator", (centro,))
    await staff_member("nord@example.it", "coordinator", (nord,))
    await staff_member("operatore@example.it", "operator", (centro,), (operator_activity,))
    return {"centro": centro, "nord": nord, "meeting": meeting, "spazio": spazio}


@asynccontextmanager
async def browser(client: httpx.AsyncClient):
    """Another browser on the same app, with its own cookies."""
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        yield other


async def staff(client: httpx.AsyncClient, email: str) -> httpx.AsyncClient:
    response = await staff_sign_in(client, email)
    assert response.status_code == 303, response.text[:300]
    return client


def token(client: httpx.AsyncClient) -> dict[str, str]:
    return {"_csrf_token": client.cookies["csrftoken"]}


def today() -> str:
    return datetime.now(ROME).date().isoformat()


async def family_books_online(client: httpx.AsyncClient, meeting: int) -> str:
    await sign_in(client, FAMILY)
    profile = await client.post("/famiglia/profilo", data={
        "name": "Carla", "surname": "Esposito", "phone": "", "district": "", "language": "it", "privacy": "1",
        **csrf(client)})
    assert profile.status_code == 303, profile.text[:300]
    adult = (await Member.select(Member.id).where(Member.family.email == FAMILY).first())["id"]
    done = await client.post("/attivita/festa/prenota", data={
        "incontro": str(meeting), "partecipante": str(adult), **csrf(client)})
    assert done.status_code == 303, done.text[:300]
    return done.headers["location"].rsplit("/", 1)[1]


async def test_household_file_checked_end_to_end_through_the_pages(client, hubs):
    code = await family_books_online(client, hubs["meeting"])
    family_id = (await Family.select(Family.id).where(Family.email == FAMILY).first())["id"]

    async with browser(client) as admin:
        await staff(admin, "admin@example.it")
        added = await admin.post("/staff/servizi-rete", data={
            "name": "Servizio sociale Municipalità 2", "kind": "social_services", **token(admin)})
        assert added.status_code == 303
        listed = await admin.get("/staff/servizi-rete")
        assert "Servizio sociale Municipalità 2" in listed.text
        partner = re.search(r'action="/staff/servizi-rete/(\d+)/stato"', listed.text).group(1)

    async with browser(client) as coordinator:
        await staff(coordinator, "coord@example.it")
        found = await coordinator.get("/staff/famiglie", params={"q": FAMILY})
        assert found.status_code == 200 and f'href="/staff/famiglie/{family_id}"' in found.text
        assert "Carla Esposito" in found.text and "Polo Centro" in found.text
        page = await coordinator.get(f"/staff/famiglie/{family_id}")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        assert "Festa di quartiere" in page.text and "Confermata" in page.text
        assert f"/staff/registri/incontri/{hubs['meeting']}" in page.text
        note = await coordinator.post(f"/staff/famiglie/{family_id}/note", data={
            "hub": str(hubs["centro"]), "category": "call", "contact_on": today(), "body": NOTE, **token(coordinator)})
        assert note.status_code == 303 and note.headers["location"].endswith("?esito=nota#note")
        referral = await coordinator.post(f"/staff/famiglie/{family_id}/invii", data={
            "hub": str(hubs["centro"]), "direction": "out", "partner": partner, "referred_on": today(),
            "reason": "parenting", "consent": "yes", "consent_on": today(), **token(coordinator)})
        assert referral.status_code == 303 and referral.headers["location"].endswith("?esito=invio#invii")
        page = await coordinator.get(f"/staff/famiglie/{family_id}?esito=invio")
        assert NOTE in page.text and "Servizio sociale Municipalità 2" in page.text
        assert "consenso degli adulti: sì" in page.text and "L&#39;invio è stato registrato." in page.text

    async with browser(client) as other:
        await staff(other, "nord@example.it")
        refused = await other.get(f"/staff/famiglie/{family_id}")
        missing = await other.get(f"/staff/famiglie/{family_id + 1000}")
        assert refused.status_code == missing.status_code == 404 and NOTE not in refused.text
        assert re.sub(r"famiglie/\d+", "", refused.text) == re.sub(r"famiglie/\d+", "", missing.text)
        searched = await other.get("/staff/famiglie", params={"q": FAMILY})
        assert "0 nuclei trovati" in searched.text and f"/staff/famiglie/{family_id}" not in searched.text
        refused_note = await other.post(f"/staff/famiglie/{family_id}/note", data={
            "hub": str(hubs["nord"]), "category": "call", "contact_on": today(), "body": "x", **token(other)})
        assert refused_note.status_code == 404

    async with browser(client) as admin:
        await staff(admin, "admin@example.it")
        log = await admin.get("/staff/registro", params={"azione": "household.open"})
        assert log.status_code == 200
        assert log.text.count(f'href="/staff/famiglie/{family_id}"') == 2 and "Coord" in log.text  # read twice
        attempts = await admin.get("/staff/registro", params={"azione": "household.open_refused"})
        assert attempts.text.count(f'href="/staff/famiglie/{family_id}"') == 1 and "Nord" in attempts.text
        reads = await admin.get("/staff/registro", params={"azione": "household_note.read"})
        assert reads.status_code == 200 and "Coord" in reads.text

    download = await client.get("/famiglia/dati.json")
    data = json.loads(download.content)
    assert [n["text"] for n in data["household_file"]["notes"]] == [NOTE]
    assert data["household_file"]["referrals"][0]["consent"] is True
    assert any(b["code"] == code for b in data["bookings"])
    area = await client.get("/famiglia")
    assert "Polo Centro" in area.text and NOTE not in area.text and "081 000 0000" in area.text


async def test_household_file_roles_csrf_and_bad_input(client, hubs):
    family_id, members = await factories.family("rossi@example.it")
    moment = datetime.now(timezone.utc)
    await Booking.insert(Booking(code="ABC123", family=family_id, activity=hubs["spazio"], status="confirmed",
                                 seats=1, joined_at=moment, created_at=moment, updated_at=moment))
    path = f"/staff/famiglie/{family_id}"
    note = {"hub": str(hubs["centro"]), "category": "call", "contact_on": today(), "body": NOTE}
    async with browser(client) as operator:
        await staff(operator, "operatore@example.it")
        page = await operator.get(path)
        assert page.status_code == 200 and 'action="' + path + '/note"' not in page.text
        assert (await operator.post(path + "/note", data={**note, **token(operator)})).status_code == 403
        assert (await operator.get(path + "/invii/nuovo")).status_code == 403
    async with browser(client) as coordinator:
        await staff(coordinator, "coord@example.it")
        assert (await coordinator.post(path + "/note", data=note)).status_code == 403  # no CSRF token
        bad = await coordinator.post(path + "/note", data={**note, "body": "", "category": "gossip",
                                                           **token(coordinator)})
        assert bad.status_code == 422 and 'id="error-body"' in bad.text and 'id="error-category"' in bad.text
        assert await HouseholdNote.count() == 0
        partner = await PartnerService.insert(PartnerService(name="Servizio sociale", kind="social_services",
                                                             created_at=datetime.now(timezone.utc)))
        bad_referral = await coordinator.post(path + "/invii", data={"hub": str(hubs["centro"]), **token(coordinator)})
        assert bad_referral.status_code == 422 and 'id="error-consent"' in bad_referral.text
        assert await Referral.count() == 0
        assert 'action="' + path + '/invii"' in (await coordinator.get(path + "/invii/nuovo")).text
        assert (await coordinator.get("/staff/servizi-rete")).status_code == 403
        assert (await coordinator.get("/staff/famiglie/99999999999")).status_code == 404
        assert (await coordinator.get("/staff/famiglie", params={"q": "x"})).status_code == 200
        english = await coordinator.get(path, params={"lang": "en"})
        assert "Household file" in english.text and "Write a note" in english.text
        italian = await coordinator.get(path, params={"lang": "it"})
        assert "Scheda del nucleo" in italian.text
        member = await coordinator.post(f"/staff/famiglie/{family_id}/componenti", data={
            "kind": "child", "first_name": "Nina", "birth_month": "3", "birth_year": "2019", "back": path,
            **token(coordinator)})
        assert member.status_code == 303 and member.headers["location"].startswith(path + "?")
        assert "Nina (" in (await coordinator.get(member.headers["location"])).text
        coordinator_id = (await StaffUser.select(StaffUser.id).where(
            StaffUser.email == "coord@example.it").first())["id"]
        chosen = await coordinator.post(path + "/referente", data={
            "key_worker": f"{hubs['centro']}-{coordinator_id}", **token(coordinator)})
        assert chosen.status_code == 303 and await KeyWorker.count() == 1
        incoming = await coordinator.post(path + "/invii", data={
            "hub": str(hubs["centro"]), "direction": "in", "partner": str(partner[0]["id"]), "referred_on": today(),
            "reason": "supervised_visits", "consent": "no", "consent_on": today(), "activity": str(hubs["spazio"]),
            **token(coordinator)})
        assert incoming.status_code == 303
        assert incoming.headers["location"] == f"/staff/iscrizioni/attivita/{hubs['spazio']}/nuova?famiglia={family_id}"
        enrol = await coordinator.get(incoming.headers["location"])
        assert enrol.status_code == 200 and "Rossi" in enrol.text
        booking = await coordinator.get(path + "/prenota")
        assert booking.status_code == 200
        assert f"/staff/attese/incontri/{hubs['meeting']}/aggiungi?famiglia={family_id}" in booking.text
        assert f"/staff/iscrizioni/attivita/{hubs['spazio']}/nuova?famiglia={family_id}" in booking.text


async def test_household_file_note_is_corrected_through_its_page_and_versions_kept(client, hubs):
    family_id, _ = await factories.family("bianchi@example.it")
    moment = datetime.now(timezone.utc)
    await Booking.insert(Booking(code="XYZ789", family=family_id, activity=hubs["spazio"], status="confirmed",
                                 seats=1, joined_at=moment, created_at=moment, updated_at=moment))
    path = f"/staff/famiglie/{family_id}"
    async with browser(client) as coordinator:
        await staff(coordinator, "coord@example.it")
        await coordinator.post(path + "/note", data={"hub": str(hubs["centro"]), "category": "call",
                                                     "contact_on": today(), "body": "Prima", **token(coordinator)})
        note_id = (await HouseholdNote.select(HouseholdNote.id).first())["id"]
        form = await coordinator.get(f"{path}/note/{note_id}")
        assert form.status_code == 200 and "Prima" in form.text and 'name="hub"' not in form.text
        assert f'action="{path}/note/{note_id}"' in form.text
        bad = await coordinator.post(f"{path}/note/{note_id}", data={
            "category": "call", "contact_on": today(), "body": "", **token(coordinator)})
        assert bad.status_code == 422 and 'id="error-body"' in bad.text
        done = await coordinator.post(f"{path}/note/{note_id}", data={
            "category": "home_visit", "contact_on": today(), "body": "Seconda", **token(coordinator)})
        assert done.status_code == 303
        page = await coordinator.get(path)
        assert "Seconda" in page.text and "Visita domiciliare" in page.text and "corretta una volta" in page.text
        versions = await coordinator.get(f"{path}/note/{note_id}")
        assert versions.status_code == 200 and "Prima" in versions.text and "Seconda" in versions.text
    async with browser(client) as admin:
        await staff(admin, "admin@example.it")
        shown = await admin.get(f"{path}/note/{note_id}")
        assert shown.status_code == 200 and f'action="{path}/note/{note_id}"' not in shown.text  # only its author
        assert (await admin.post(f"{path}/note/{note_id}", data={
            "category": "call", "contact_on": today(), "body": "Terza", **token(admin)})).status_code == 403
    async with browser(client) as other:
        await staff(other, "nord@example.it")
        assert (await other.get(f"{path}/note/{note_id}")).status_code == 404
