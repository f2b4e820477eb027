"""Family solidarity over HTTP: the public page, the volunteer's pages, the staff's pages, and who may
reach what (another family's match → 404, another hub's staff → 404, operators → 403, no CSRF → 403)."""

from __future__ import annotations

import pytest

from portal.solidarity import needs, offers
from portal.tables import Match, SolidarityOffer
from tests import solidarity_world
from tests.service.test_solidarity import form
from tests.solidarity_world import LINKS, PASSWORD, need_form, now, offer_form
from tests.web.signin import csrf, sign_in
from tests.web.staff_signin import staff_sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(empty_db):
    return await solidarity_world.build()


async def test_public_page_explains_and_lists_the_paths(client, world):
    page = await client.get("/solidarieta")
    assert page.status_code == 200
    assert "/famiglia/solidarieta/offerta" in page.text and "Percorso famiglie solidali" in page.text
    assert (await client.get("/solidarieta?lang=en")).status_code == 200


async def test_a_family_offers_help_follows_it_and_bad_input_is_422(client, world):
    assert (await client.get("/famiglia/solidarieta/offerta")).status_code == 303  # sign in first
    await sign_in(client, world.volunteer_email)
    page = await client.get("/famiglia/solidarieta/offerta")
    assert page.status_code == 200 and "Aiuto compiti" in page.text
    bad = await client.post("/famiglia/solidarieta/offerta", data={**csrf(client), "presentation": ""})
    assert bad.status_code == 422 and 'id="error-weekdays"' in bad.text
    assert await SolidarityOffer.count() == 0
    sent = await client.post("/famiglia/solidarieta/offerta", data={**csrf(client), **offer_form(world)})
    assert sent.status_code == 303
    mine = await client.get("/famiglia/solidarieta")
    assert mine.status_code == 200 and "offer-status" in mine.text
    assert (await client.post("/famiglia/solidarieta/offerta/pause", data=csrf(client))).status_code == 303
    assert (await SolidarityOffer.select(SolidarityOffer.status).first())["status"] == "paused"
    assert (await client.post("/famiglia/solidarieta/offerta/pause")).status_code == 403  # no CSRF token
    assert (await client.post("/famiglia/solidarieta/offerta/nonsense", data=csrf(client))).status_code == 404


async def test_families_read_only_their_own_matches(client, world):
    offer = await offers.save_offer(world.volunteer, form(offer_form(world)), now(), LINKS)
    await offers.review(world.coordinator, offer.id, form({"status": "active"}), now(), LINKS)
    need_id = await needs.create(world.coordinator, None, world.request_id, form(need_form(world)), now())
    from portal.solidarity import matches
    match_id = await matches.propose(world.coordinator, need_id, offer.id, form({}), now(), LINKS)
    await sign_in(client, world.volunteer_email)
    page = await client.get("/famiglia/solidarieta")
    assert "Samira" in page.text and "Segreti" not in page.text and "333 999 8888" not in page.text
    assert (await client.get(f"/famiglia/solidarieta/abbinamenti/{match_id}")).status_code == 200
    await client.post("/esci", data=csrf(client))
    await solidarity_world.factories.family("estranea@example.it")
    await sign_in(client, "estranea@example.it")
    assert (await client.get(f"/famiglia/solidarieta/abbinamenti/{match_id}")).status_code == 404
    assert (await client.get("/famiglia/solidarieta/abbinamenti/99999999999")).status_code == 404


async def test_staff_review_match_and_scope(client, world):
    offer = await offers.save_offer(world.volunteer, form(offer_form(world)), now(), LINKS)
    assert (await staff_sign_in(client, "coord@example.it", PASSWORD)).status_code == 303
    token = {"_csrf_token": client.cookies["csrftoken"]}
    queue = await client.get("/staff/solidarieta")
    assert queue.status_code == 200 and "Volontari" in queue.text
    detail = await client.get(f"/staff/solidarieta/offerte/{offer.id}")
    assert detail.status_code == 200 and "Siamo una famiglia." in detail.text
    bad = await client.post(f"/staff/solidarieta/offerte/{offer.id}", data={**token, "status": "interview"})
    assert bad.status_code == 422 and 'id="error-interview_date"' in bad.text
    ok = await client.post(f"/staff/solidarieta/offerte/{offer.id}", data={**token, "status": "active"})
    assert ok.status_code == 303
    assert (await client.get(f"/staff/solidarieta/bisogni/da-richiesta/{world.request_id}")).status_code == 200
    created = await client.post(f"/staff/solidarieta/bisogni/da-richiesta/{world.request_id}",
                                data={**token, **need_form(world)})
    assert created.status_code == 303
    need_path = created.headers["location"].split("?")[0]
    need_page = await client.get(need_path)
    assert need_page.status_code == 200 and "/abbina" in need_page.text
    proposed = await client.post(need_path + "/abbina", data={**token, "offer": str(offer.id), "start_date": ""})
    assert proposed.status_code == 303
    match_path = proposed.headers["location"].split("?")[0]
    assert (await client.get(match_path)).status_code == 200
    for path in ("/staff/solidarieta/bisogni", "/staff/solidarieta/aiuti", "/staff/solidarieta/rapporto",
                 "/staff/solidarieta/bisogni/nuovo", "/staff/solidarieta/rapporto?dal=2030-01-01&al=2020-01-01"):
        assert (await client.get(path)).status_code in (200, 422), path
    assert (await client.post("/staff/solidarieta/aiuti", data={**token, "name": ""})).status_code == 422
    assert (await client.post(match_path, data={**token, "status": "bogus"})).status_code == 422

    # another hub's coordinator: not found; an operator: forbidden
    await client.post("/staff/esci", data=token)
    await staff_sign_in(client, "nord@example.it", PASSWORD)
    for path in (f"/staff/solidarieta/offerte/{offer.id}", need_path, match_path,
                 f"/staff/solidarieta/bisogni/da-richiesta/{world.request_id}"):
        assert (await client.get(path)).status_code == 404, path
    assert "Volontari" not in (await client.get("/staff/solidarieta")).text
    await client.post("/staff/esci", data={"_csrf_token": client.cookies["csrftoken"]})
    await staff_sign_in(client, "operatore@example.it", PASSWORD)
    assert (await client.get("/staff/solidarieta")).status_code == 403
    assert (await client.get(f"/staff/solidarieta/offerte/{offer.id}")).status_code == 403
    assert await Match.count() == 1
