"""A staff member's feed: their meetings with places taken and free, no names; referral services
only for the staff assigned to them, neutrally titled; a revoked token is 404."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import vobject

from portal.booking import service
from portal.feeds import tokens as feed_tokens
from portal.links import Links
from tests import factories
from tests.web.staff_signin import staff_member

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")


@pytest.fixture
async def world(empty_db, migrated):
    services = await factories.taxonomy()
    centro = await factories.hub("centro", "Polo Centro")
    vomero = await factories.hub("vomero", "Polo Vomero")
    soon = datetime.now(timezone.utc) + timedelta(days=5)
    group = await factories.activity(services["gruppi-genitori"], centro, "Gruppo genitori", capacity=10, slug="g")
    group_meeting = await factories.meeting(group, soon)
    await factories.meeting(await factories.activity(services["attivita-culturali"], vomero, "Festa Vomero"), soon)
    neutral = await factories.activity(services["spazio-neutro"], centro, "Spazio Neutro", access="referral")
    await factories.meeting(neutral, soon, private=True)
    family, members = await factories.family("rossi@example.it")
    await service.book(family, await service.find_target("g", group_meeting), members, datetime.now(timezone.utc),
                       LINKS)
    coordinator = await staff_member("coord@example.it", "coordinator", hub_ids=(centro,))
    assigned = await staff_member("educatrice@example.it", "operator", activity_ids=(neutral,))
    token = await feed_tokens.create_token("staff", coordinator, migrated.secret_key, datetime.now(timezone.utc))
    assigned_token = await feed_tokens.create_token("staff", assigned, migrated.secret_key, datetime.now(timezone.utc))
    return {"token": token, "assigned_token": assigned_token, "coordinator": coordinator}


async def test_the_coordinator_sees_their_hub_with_places_and_no_names(client, world):
    response = await client.get(f"/calendari/staff/{world['token']}.ics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = vobject.readOne(response.text)
    summaries = sorted(event.summary.value for event in calendar.vevent_list)
    assert summaries == ["Gruppo genitori"]  # not the other hub's, not the unassigned referral service
    description = calendar.vevent_list[0].description.value
    assert "1" in description and "10" in description and "9" in description
    assert "Rossi" not in response.text and "rossi@example.it" not in response.text and "Adulto" not in response.text
    assert calendar.vevent_list[0].uid.value.startswith("staff-")


async def test_referral_meetings_only_for_the_assigned_staff_and_neutral(client, world):
    response = await client.get(f"/calendari/staff/{world['assigned_token']}.ics")
    calendar = vobject.readOne(response.text)
    assert [event.summary.value for event in calendar.vevent_list] == ["Appuntamento – Polo per le Famiglie"]
    assert "Spazio Neutro" not in response.text


async def test_conditional_requests_and_revoked_tokens(client, world, migrated):
    url = f"/calendari/staff/{world['token']}.ics"
    first = await client.get(url)
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    await feed_tokens.revoke_token("staff", world["coordinator"], datetime.now(timezone.utc))
    assert (await client.get(url)).status_code == 404
    assert (await client.get("/calendari/staff/not-a-token.ics")).status_code == 404


async def test_the_profile_page_makes_shows_once_and_turns_off_the_address(client, empty_db):
    from tests.web.staff_signin import staff_sign_in

    await staff_member("capo@example.it")
    await staff_sign_in(client, "capo@example.it")
    token = {"_csrf_token": client.cookies["csrftoken"]}
    await client.post("/staff/profilo/calendario", data=token)
    page = await client.get("/staff/profilo")
    address = page.text.split("/calendari/staff/", 1)[1].split(".ics", 1)[0]
    assert (await client.get(f"/calendari/staff/{address}.ics")).status_code == 200
    assert "/calendari/staff/" not in (await client.get("/staff/profilo")).text  # shown only once
    await client.post("/staff/profilo/calendario/disattiva", data=token)
    assert (await client.get(f"/calendari/staff/{address}.ics")).status_code == 404
