"""The staff home's dashboard and the audit log page over HTTP: what each role sees, accessible markup,
no-store; the log only for administrators (403 for the others, the sign-in when signed out), its filters
kept in the form and in the page links, and unreadable filters answered 400 by their field."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from portal import audit
from portal.tables import AccessRequest, Booking
from tests import factories
from tests.web.staff_signin import signed_in, staff_member

pytestmark = pytest.mark.anyio


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
async def world(empty_db):
    services = await factories.taxonomy()
    hub_a, hub_b = await factories.hub("a", "Polo A"), await factories.hub("b", "Polo B")
    activity_a = await factories.activity(services["attivita-culturali"], hub_a, "Laboratorio A", capacity=4)
    activity_a2 = await factories.activity(services["attivita-culturali"], hub_a, "Teatro A", capacity=6)
    activity_b = await factories.activity(services["attivita-culturali"], hub_b, "Laboratorio B", capacity=4)
    request_activity = await factories.activity(services["mediazione-familiare"], hub_a, "Mediazione A",
                                                access="request")
    meeting_a = await factories.meeting(activity_a, now(), seats_taken=1)  # today, whatever the hour
    meeting_a2 = await factories.meeting(activity_a2, now(), capacity=8)
    meeting_b = await factories.meeting(activity_b, now())
    family_id, _ = await factories.family()
    await Booking.insert(Booking(code="WAITING1", family=family_id, activity=activity_a, meeting=meeting_a,
                                 status="waitlisted", seats=1, joined_at=now(), created_at=now(), updated_at=now()))
    await AccessRequest.insert(AccessRequest(
        code="REQ1", family=family_id, activity=request_activity, contact_by="phone", preferred_times="", note="",
        status="new", created_at=now(), updated_at=now(), confidential_notes=""))
    ids = {
        "hub_a": hub_a, "activity_a": activity_a, "activity_a2": activity_a2, "activity_b": activity_b,
        "meeting_a": meeting_a, "meeting_a2": meeting_a2, "meeting_b": meeting_b,
        "admin": await staff_member("admin@example.it", "admin"),
        "coordinator": await staff_member("coord@example.it", "coordinator", (hub_a,)),
        "operator": await staff_member("op@example.it", "operator", activity_ids=(activity_a2,)),
    }
    return ids


def today_section(html: str) -> str:
    return html.split('id="dashboard-today"', 1)[1].split('id="dashboard-week"', 1)[0]


# -- the dashboard ------------------------------------------------------------------------------


async def test_a_coordinator_sees_their_hubs_meetings_places_waiting_lists_and_decisions(client, world):
    await signed_in(client, "coord@example.it")
    response = await client.get("/staff/")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    today = today_section(response.text)
    assert "Laboratorio A" in today and "Teatro A" in today and "Laboratorio B" not in today
    assert f'href="/staff/registri/incontri/{world["meeting_a"]}"' in today
    assert f'href="/staff/attese/incontri/{world["meeting_a"]}"' in today
    assert f'/staff/registri/incontri/{world["meeting_b"]}' not in response.text
    assert "1 of 4 places taken" in today and "0 of 8 places taken" in today  # the meeting's own capacity
    assert re.search(r"<td>1</td>", today)  # one family waits
    assert '<th scope="col">' in today and "<caption" in today and '<th scope="row">' in today
    assert '<a href="/staff/approvazioni">0 places waiting for approval</a>' in response.text
    assert '<a href="/staff/richieste?stato=new">1 new access request</a>' in response.text
    assert "Your hubs and activities" in response.text  # the scope listing stays below
    assert response.text.index("dashboard-today") < response.text.index("Your hubs and activities")
    assert f'href="/staff/attivita/{world["activity_a"]}"' in response.text


async def test_an_operator_sees_only_their_activity_and_no_decisions(client, world):
    await signed_in(client, "op@example.it")
    response = await client.get("/staff/")
    today = today_section(response.text)
    assert "Teatro A" in today and "Laboratorio A" not in today and "Laboratorio B" not in today
    assert "/staff/approvazioni" not in response.text and "/staff/richieste" not in response.text
    assert "/staff/registro" not in response.text


async def test_an_admin_sees_every_hub_today(client, world):
    await signed_in(client, "admin@example.it")
    response = await client.get("/staff/")
    today = today_section(response.text)
    assert all(title in today for title in ("Laboratorio A", "Teatro A", "Laboratorio B"))
    assert 'href="/staff/registro"' in response.text  # the audit log in the nav, for administrators


async def test_the_dashboard_signed_out_goes_to_the_sign_in(client, world):
    response = await client.get("/staff/")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/accedi")


# -- the audit log ------------------------------------------------------------------------------


async def test_the_log_is_for_administrators_only(client, world):
    signed_out = await client.get("/staff/registro?azione=x")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/staff/accedi?next=/staff/registro")
    for email in ("coord@example.it", "op@example.it"):
        async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
            await signed_in(other, email)
            assert (await other.get("/staff/registro")).status_code == 403, email
            assert (await other.get("/staff/registro?dal=nonsense")).status_code == 403, email
            assert 'href="/staff/registro"' not in (await other.get("/staff/")).text


async def test_an_admin_reads_and_filters_the_log(client, world):
    await signed_in(client, "admin@example.it")
    moment = now() - timedelta(hours=1)
    await audit.record(f"staff:{world['coordinator']}", "capacity.change", "meeting", world["meeting_a"],
                       "Sala più grande <b>", {"from": 4, "to": 6}, moment)
    await audit.record(f"staff:{world['admin']}", "hub.update", "hub", world["hub_a"], "", {}, moment)
    response = await client.get("/staff/registro")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert "Coord" in response.text and "Admin" in response.text
    assert "Sala più grande &lt;b&gt;" in response.text  # escaped
    assert '{"from":4,"to":6}' in response.text.replace("&#34;", '"')
    assert f'href="/staff/registri/incontri/{world["meeting_a"]}"' in response.text
    assert f'href="/staff/poli/{world["hub_a"]}"' in response.text
    assert "<caption>" in response.text and '<th scope="col">' in response.text
    for name in ("operatore", "azione", "tipo", "dal", "al", "testo"):
        assert f'<label for="field-{name}"' in response.text, name
    filtered = await client.get("/staff/registro", params={"operatore": str(world["coordinator"]),
                                                           "azione": "capacity.change", "testo": "GRANDE"})
    assert filtered.status_code == 200
    assert "capacity.change</code>" in filtered.text and "hub.update</code>" not in filtered.text
    assert f'<option value="{world["coordinator"]}" selected>' in filtered.text
    nothing = await client.get("/staff/registro", params={"testo": "nessuno"})
    assert "No entries match these filters." in nothing.text


async def test_pages_keep_the_filters(client, world):
    await signed_in(client, "admin@example.it")
    start = now() - timedelta(days=1)
    for number in range(60):
        await audit.record(f"staff:{world['admin']}", "test.entry", "thing", number, "", {},
                           start + timedelta(seconds=number))
    first = await client.get("/staff/registro", params={"azione": "test.entry"})
    assert "Page 1 of 2" in first.text and "entries 1–50 of 60" in first.text
    assert 'href="/staff/registro?azione=test.entry&amp;pagina=2"' in first.text
    second = await client.get("/staff/registro?azione=test.entry&pagina=2")
    assert "Page 2 of 2" in second.text and "entries 51–60 of 60" in second.text
    assert 'href="/staff/registro?azione=test.entry"' in second.text  # back to the first page


async def test_unreadable_filters_are_refused_by_their_field_never_a_500(client, world):
    await signed_in(client, "admin@example.it")
    await audit.record(f"staff:{world['admin']}", "hub.update", "hub", world["hub_a"], "", {}, now())
    response = await client.get("/staff/registro", params={"dal": "ieri", "al": "2031-13-01", "operatore": "x",
                                                           "azione": "nope", "tipo": "<script>", "pagina": "-3"})
    assert response.status_code == 400 and response.headers["cache-control"] == "no-store"
    for name in ("dal", "al", "operatore", "azione", "tipo"):
        assert f'id="error-{name}"' in response.text, name
        assert f'aria-describedby="error-{name}' in response.text, name
    assert 'id="field-pagina"' in response.text
    assert 'value="ieri"' in response.text  # what was entered is shown again
    assert "<script>" not in response.text.split("<main", 1)[1].split("</main>", 1)[0]
    backwards = await client.get("/staff/registro?dal=2031-01-09&al=2031-01-08")
    assert backwards.status_code == 400 and 'id="error-al"' in backwards.text
    for query in ("testo=" + "x" * 500, "operatore=99999999999999999999999", "pagina=99999999999999999",
                  "dal=%00", "testo=%00"):
        assert (await client.get(f"/staff/registro?{query}")).status_code == 400, query
