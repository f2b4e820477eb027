"""A family on a phone (390×844) asks for a place in an activity allocated by draw, then sees the result:
the published seed and order on the activity page, and its own booking's outcome."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.booking import draw
from portal.links import Links
from portal.tables import Draw
from tests import factories
from tests.browser.conftest import first_sign_in

pytestmark = [pytest.mark.anyio, pytest.mark.browser]
EMAIL = "rosa@example.it"
SEED = "5 17 42 63 88"


@pytest.fixture
async def lottery(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vela", "Polo Vela")
    activity = await factories.activity(services["attivita-culturali"], hub, "Festa di primavera", capacity=4,
                                        slug="festa-di-primavera")
    meeting = await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(days=21))
    start = datetime.now(timezone.utc) - timedelta(minutes=1)
    await Draw.insert(Draw(
        activity=activity, meeting=meeting, requests_open_at=start, requests_close_at=start + timedelta(hours=1),
        draw_at=start + timedelta(days=1), seed_source="Lotto, ruota di Napoli", status="open", seed="",
        drawn_by="", outcome="", updated_at=datetime.now(timezone.utc)))
    return activity


async def test_a_family_requests_a_place_by_draw_and_sees_the_result(server, phone, mailbox, lottery):
    await phone.goto(server + "/attivita/festa-di-primavera")
    assert "sorteggio pubblico" in await phone.content()
    await phone.click("#apertura a.btn-primary")  # "Richiedi un posto"
    await first_sign_in(phone, mailbox, EMAIL, "Rosa", "Russo")

    await phone.goto(server + "/attivita/festa-di-primavera")
    await phone.click("#apertura a.btn-primary")
    await phone.locator("form[action$='/riepilogo'] label").first.check()  # ticked already when she fits
    await phone.click("form[action$='/riepilogo'] button[type=submit]")
    await phone.wait_for_url("**/prenota/riepilogo**")
    assert "sorteggio pubblico" in await phone.content()
    await phone.click("form[action='/attivita/festa-di-primavera/prenota'] button[type=submit]")
    await phone.wait_for_url("**/famiglia/prenotazioni/*")
    code = phone.url.rsplit("/", 1)[1]
    assert "Richiesta ricevuta: il sorteggio è" in await phone.content()  # never "confirmed"

    await Draw.update({Draw.requests_close_at: datetime.now(timezone.utc)}).where(Draw.activity == lottery)
    await draw.run(lottery, SEED, "staff:1", datetime.now(timezone.utc),
                   Links(server, "test-secret-key-test-secret-key-0123456789"))

    await phone.goto(server + "/attivita/festa-di-primavera")
    page = await phone.content()
    assert SEED in page and code in page and "SHA-256" in page
    await phone.goto(server + f"/famiglia/prenotazioni/{code}")
    assert await phone.locator(".badge.bg-success").count() == 1  # confirmed: the one request fits
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
