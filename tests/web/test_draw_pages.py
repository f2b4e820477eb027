"""The draw in the staff area (set up, run once, refused input with a message by the field) and on the
public side: the activity page announces it, and the opening fragment turns into the button on time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.i18n import ROME
from portal.tables import AuditEntry, Draw, Meeting
from tests import factories
from tests.web.signin import csrf, sign_in
from tests.web.staff_signin import staff_member, staff_sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def activity(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub()
    activity = await factories.activity(services["attivita-culturali"], hub, "Festa", capacity=4, slug="festa")
    meeting = await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(days=20))
    await staff_member("capo@example.it", "admin")
    return activity, meeting


def local(moment: datetime) -> tuple[str, str]:
    moment = moment.astimezone(ROME)
    return moment.date().isoformat(), moment.strftime("%H:%M")


async def test_staff_set_up_a_draw_the_page_announces_it_and_it_runs_once(client, activity):
    activity_id, meeting = activity
    await staff_sign_in(client, "capo@example.it")
    token = client.cookies["csrftoken"]
    page = await client.get(f"/staff/attivita/{activity_id}/sorteggio")
    assert page.status_code == 200
    opens, closes, drawn = (datetime.now(timezone.utc) + timedelta(minutes=m) for m in (-5, -1, 60))
    form = {"_csrf_token": token, "meeting": str(meeting), "seed_source": "Lotto, ruota di Napoli",
            "district_first": "1"}
    for prefix, moment in (("opens", opens), ("closes", closes), ("draw", drawn)):
        form[f"{prefix}_date"], form[f"{prefix}_time"] = local(moment)
    bad = await client.post(f"/staff/attivita/{activity_id}/sorteggio", data={**form, "seed_source": ""})
    assert bad.status_code == 422 and "error-seed_source" in bad.text
    assert await Draw.count() == 0
    saved = await client.post(f"/staff/attivita/{activity_id}/sorteggio", data={**form, "seed_source": "Lotto"})
    assert saved.status_code == 303
    changed = await client.post(f"/staff/attivita/{activity_id}/sorteggio", data=form)  # until it runs
    assert changed.status_code == 303 and await Draw.count() == 1

    public = await client.get("/attivita/festa")
    assert "Lotto, ruota di Napoli" in public.text and "sorteggio pubblico" in public.text

    no_seed = await client.post(f"/staff/attivita/{activity_id}/sorteggio/esegui", data={"_csrf_token": token})
    assert no_seed.status_code == 409 and "error-seed" in no_seed.text
    ran = await client.post(f"/staff/attivita/{activity_id}/sorteggio/esegui",
                            data={"_csrf_token": token, "seed": "1 2 3 4 5"})
    assert ran.status_code == 303
    again = await client.post(f"/staff/attivita/{activity_id}/sorteggio/esegui",
                              data={"_csrf_token": token, "seed": "9 9 9 9 9"})
    assert again.status_code == 409
    assert (await Draw.select(Draw.seed).first())["seed"] == "1 2 3 4 5"
    assert await AuditEntry.count().where(AuditEntry.action == "draw.run") == 1
    public = await client.get("/attivita/festa")
    assert "1 2 3 4 5" in public.text and "SHA-256" in public.text


async def test_the_page_waits_for_the_opening_and_then_shows_the_button(client, activity):
    activity_id, _ = activity
    from portal.tables import Activity

    opens_at = datetime.now(timezone.utc) + timedelta(hours=1)
    await Activity.update({Activity.booking_opens_at: opens_at}).where(Activity.id == activity_id)
    page = await client.get("/attivita/festa")
    assert 'hx-get="/attivita/festa/apertura"' in page.text and 'href="/famiglia"' in page.text
    waiting = await client.get("/attivita/festa/apertura", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 5s"' in waiting.text and "/prenota" not in waiting.text
    await Activity.update({Activity.booking_opens_at: datetime.now(timezone.utc)}).where(Activity.id == activity_id)
    opened = await client.get("/attivita/festa/apertura", headers={"HX-Request": "true"})
    assert 'href="/attivita/festa/prenota"' in opened.text and "hx-trigger" not in opened.text
    assert (await client.get("/attivita/nessuna/apertura")).status_code == 404
    assert await Meeting.count() == 1


async def test_a_request_for_a_draw_is_a_tentative_event_in_the_calendar(client, activity):
    from portal.tables import Booking

    activity_id, meeting = activity
    opens = datetime.now(timezone.utc) - timedelta(minutes=1)
    await Draw.insert(Draw(
        activity=activity_id, meeting=meeting, requests_open_at=opens, requests_close_at=opens + timedelta(hours=1),
        draw_at=opens + timedelta(days=1), seed_source="Lotto", status="open", seed="", drawn_by="", outcome="",
        updated_at=opens))
    family, members = await factories.family("lucia@example.it")
    await sign_in(client, "lucia@example.it")
    answer = await client.post("/attivita/festa/prenota", data={
        "incontro": str(meeting), "partecipante": str(members[0]), **csrf(client)})
    assert answer.status_code == 303
    code = answer.headers["location"].rsplit("/", 1)[1]
    assert (await Booking.select(Booking.status).where(Booking.code == code).first())["status"] == "requested"
    page = await client.get(f"/famiglia/prenotazioni/{code}")
    assert "Richiesta ricevuta: il sorteggio è" in page.text
    event = await client.get(f"/calendari/prenotazioni/{code}.ics")
    assert event.status_code == 200 and "STATUS:TENTATIVE" in event.text
