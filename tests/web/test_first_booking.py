"""The first booking over HTTP: closed dates say why, the booking step agrees with the pages, a child is
added on the participants step (htmx and plain form), and a family's page never reaches another family."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.tables import Family, Member
from tests import factories
from tests.web.signin import csrf, sign_in

pytestmark = pytest.mark.anyio
NOW = datetime.now(timezone.utc)


@pytest.fixture
async def groups(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero", district="Municipalità 5")
    play = await factories.activity(services["gruppi-bambini-ragazzi"], hub, "Giochi 6–10", audience="children",
                                    age_min_months=72, age_max_months=131, slug="giochi", booking_closes_hours=24)
    tomorrow = await factories.meeting(play, NOW + timedelta(hours=20))  # closes 24 hours before: closed
    later = await factories.meeting(play, NOW + timedelta(days=8))
    opening = await factories.activity(services["gruppi-genitori"], hub, "Serata", audience="adults",
                                       slug="serata", booking_opens_at=NOW + timedelta(days=2))
    await factories.meeting(opening, NOW + timedelta(days=9))
    family, members = await factories.family("anna@example.it")
    await Family.update({Family.district: "Municipalità 5"}).where(Family.id == family)
    return {"tomorrow": tomorrow, "later": later, "family": family, "adult": members[0]}


async def test_a_closed_date_is_shown_with_its_reason_and_never_as_a_link(client, groups):
    page = await client.get("/attivita/giochi")
    assert f"?incontro={groups['tomorrow']}" not in page.text
    assert f"?incontro={groups['later']}" in page.text
    assert "Le prenotazioni si sono chiuse" in page.text
    opening = await client.get("/attivita/serata")
    assert "/attivita/serata/prenota" not in opening.text and "Le prenotazioni si aprono" in opening.text


async def test_the_booking_step_agrees_with_the_page(client, groups):
    await sign_in(client, "anna@example.it")
    closed = await client.get(f"/attivita/giochi/prenota?incontro={groups['tomorrow']}")
    assert closed.status_code == 409
    assert "Le prenotazioni si sono chiuse" in closed.text and f"?incontro={groups['later']}" in closed.text
    step = await client.get(f"/attivita/giochi/prenota?incontro={groups['later']}")
    assert step.status_code == 200 and 'id="needs-child"' in step.text  # no child of 6–10 yet: add one here
    dates = await client.get("/attivita/serata/prenota")
    assert "?incontro=" not in dates.text and "Le prenotazioni si aprono" in dates.text


async def test_a_child_is_added_on_the_participants_step(client, groups):
    await sign_in(client, "anna@example.it")
    year = (NOW - timedelta(days=8 * 365)).year
    form = {"incontro": str(groups["later"]), "first_name": "Luca", "birth_month": "5", "birth_year": str(year),
            **csrf(client)}
    plain = await client.post("/attivita/giochi/prenota/componenti", data=form)
    assert plain.status_code == 303
    luca = await Member.select(Member.id).where(Member.first_name == "Luca").first()
    location = f"/attivita/giochi/prenota?incontro={groups['later']}&partecipante={luca['id']}#partecipanti"
    assert plain.headers["location"] == location
    step = await client.get(plain.headers["location"])
    assert f'value="{luca["id"]}" id="member-{luca["id"]}" checked' in step.text
    assert 'id="needs-child"' not in step.text

    partial = await client.post("/attivita/giochi/prenota/componenti", headers={"hx-request": "true"},
                                data={**form, "first_name": "Sofia", "partecipante": str(luca["id"])})
    assert partial.status_code == 200 and "<html" not in partial.text and 'id="partecipanti"' in partial.text
    sofia = await Member.select(Member.id).where(Member.first_name == "Sofia").first()
    assert f'id="member-{sofia["id"]}" checked' in partial.text and f'id="member-{luca["id"]}" checked' in partial.text


async def test_a_bad_child_is_explained_by_its_field_and_nothing_is_added(client, groups):
    await sign_in(client, "anna@example.it")
    before = await Member.count()
    for headers in ({}, {"hx-request": "true"}):
        response = await client.post("/attivita/giochi/prenota/componenti", headers=headers, data={
            "incontro": str(groups["later"]), "first_name": "", "birth_month": "13", "birth_year": "20x0",
            **csrf(client)})
        assert response.status_code == 422
        assert 'id="error-first_name"' in response.text and 'id="error-birth_month"' in response.text
        assert 'id="error-birth_year"' in response.text
    assert await Member.count() == before
    unknown = await client.post("/attivita/giochi/prenota/componenti", data={
        "incontro": "999999", "first_name": "X", "birth_month": "1", "birth_year": "2018", **csrf(client)})
    assert unknown.status_code == 404 and await Member.count() == before


async def test_a_familys_page_is_its_own_never_the_shared_cache(client, groups):
    year = (NOW - timedelta(days=8 * 365)).year
    await factories.family("carla@example.it", children=((year, 3),))
    await sign_in(client, "carla@example.it")
    home = await client.get("/")
    assert "Per la tua famiglia" in home.text and "Bimbo 0" in home.text
    assert "private" in home.headers["cache-control"]
    activity = await client.get("/attivita/giochi")
    assert "private" in activity.headers["cache-control"]
    await client.post("/esci", data=csrf(client))
    for path in ("/", "/attivita/giochi"):
        anonymous = await client.get(path)
        assert "Per la tua famiglia" not in anonymous.text and "Bimbo 0" not in anonymous.text
        assert "private" not in anonymous.headers.get("cache-control", "")
    await sign_in(client, "anna@example.it")
    assert "Bimbo 0" not in (await client.get("/")).text
