"""The open-data API and its CSV: only the public catalogue, paginated, cacheable, documented."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from tests import factories

pytestmark = pytest.mark.anyio


@pytest.fixture
async def catalogue(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    soon = datetime.now(timezone.utc) + timedelta(days=2)
    party = await factories.activity(services["attivita-culturali"], hub, "Festa", slug="festa", capacity=20)
    public = await factories.meeting(party, soon, seats_taken=5)
    await factories.meeting(party, soon - timedelta(days=5))  # past
    await factories.meeting(party, soon + timedelta(days=1), status="cancelled")
    mediation = await factories.activity(services["mediazione-familiare"], hub, "Mediazione", slug="mediazione",
                                         access="request", seat_unit="family", capacity=1)
    await factories.meeting(mediation, soon, private=True)  # one family's appointment
    neutral = await factories.activity(services["spazio-neutro"], hub, "Spazio Neutro", slug="neutro",
                                       access="referral")
    await factories.meeting(neutral, soon)
    hidden = await factories.activity(services["gruppi-genitori"], hub, "Bozza", slug="bozza", published=False)
    await factories.meeting(hidden, soon)
    for number in range(3):
        await factories.activity(services["gruppi-genitori"], hub, f"Gruppo {number}", slug=f"gruppo-{number}")
    return {"public_meeting": public}


async def test_only_public_meetings_with_their_free_places(client, catalogue):
    response = await client.get("/api/v1/meetings")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["total"] == 1 and [item["id"] for item in body["items"]] == [catalogue["public_meeting"]]
    meeting = body["items"][0]
    assert meeting["activity"] == "festa" and meeting["capacity"] == 20 and meeting["free_places"] == 15
    assert meeting["activity_url"].endswith("/attivita/festa")


async def test_activities_are_paginated_and_unpublished_ones_left_out(client, catalogue):
    first = (await client.get("/api/v1/activities?per_page=2")).json()
    second = (await client.get("/api/v1/activities?per_page=2&page=2")).json()
    third = (await client.get("/api/v1/activities?per_page=2&page=3")).json()
    slugs = [item["slug"] for page in (first, second, third) for item in page["items"]]
    assert first["total"] == 6 and len(first["items"]) == 2 and first["per_page"] == 2
    assert sorted(slugs) == ["festa", "gruppo-0", "gruppo-1", "gruppo-2", "mediazione", "neutro"]
    neutral = next(item for page in (first, second, third) for item in page["items"] if item["slug"] == "neutro")
    assert neutral["access"] == "referral"  # the service is public; its meetings are not


async def test_no_personal_data_anywhere(client, catalogue):
    await factories.family("anna.rossi@example.org")
    for dataset in ("hubs", "areas", "services", "activities", "meetings"):
        text = (await client.get(f"/api/v1/{dataset}?per_page=200")).text
        csv_text = (await client.get(f"/api/v1/csv/{dataset}")).text
        assert "anna.rossi" not in text + csv_text and "Bozza" not in text + csv_text


async def test_etag_answers_not_modified_until_something_changes(client, catalogue):
    first = await client.get("/api/v1/meetings")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    again = await client.get("/api/v1/meetings", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert (await client.get("/api/v1/meetings", headers={"if-none-match": '"other"'})).status_code == 200
    from portal.tables import Meeting
    await Meeting.update({Meeting.seats_taken: 6}).where(Meeting.id == catalogue["public_meeting"])
    changed = await client.get("/api/v1/meetings", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.json()["items"][0]["free_places"] == 14


async def test_csv_download_for_the_open_data_portal(client, catalogue):
    response = await client.get("/api/v1/csv/meetings")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="poli-famiglie-meetings.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1 and rows[0]["activity"] == "festa" and rows[0]["free_places"] == "15"
    assert datetime.fromisoformat(rows[0]["starts_at"]).tzinfo is not None
    hubs = list(csv.DictReader(io.StringIO((await client.get("/api/v1/csv/hubs")).text)))
    assert hubs[0]["phone"] == "081 000 0000" and hubs[0]["slug"] == "vomero"
    assert (await client.get("/api/v1/csv/families")).status_code == 400


async def test_bad_paging_is_a_json_400(client, catalogue):
    for query in ("page=0", "per_page=1000", "page=x"):
        response = await client.get(f"/api/v1/activities?{query}")
        assert response.status_code == 400 and response.json()["status_code"] == 400


async def test_the_schema_documents_the_api_and_nothing_else(client, catalogue):
    schema = (await client.get("/api/openapi.json")).json()
    assert set(schema["paths"]) == {"/api/v1/hubs", "/api/v1/areas", "/api/v1/services", "/api/v1/activities",
                                    "/api/v1/meetings", "/api/v1/csv/{dataset}"}
    assert "304" in schema["paths"]["/api/v1/meetings"]["get"]["responses"]
    assert (await client.get("/schema")).status_code == 404


async def test_area_names_follow_the_language(client, catalogue):
    italian = (await client.get("/api/v1/areas")).json()["items"][0]["name"]
    english = (await client.get("/api/v1/areas?lang=en")).json()["items"][0]["name"]
    assert italian == "Sostegno alla genitorialità" and english == "Parenting support"
