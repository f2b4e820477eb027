"""The public pages over HTTP: full pages, HTMX partials, bad input, languages, errors, headers."""

from __future__ import annotations

import gzip
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from portal import db
from portal.taxonomy import AREAS, SERVICES
from tests import factories

pytestmark = pytest.mark.anyio
HTMX = {"HX-Request": "true"}


@pytest.fixture
async def catalogue(empty_db) -> dict[str, str]:
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero <Arenella>")
    soon = datetime.now(timezone.utc) + timedelta(days=3)
    group = await factories.activity(services["gruppi-genitori"], hub, "Genitori & figli <b>insieme</b>",
                                      format="course", capacity=12, seats_taken=10, slug="genitori-figli")
    await factories.meeting(group, soon)
    party = await factories.activity(services["attivita-culturali"], hub, "Festa di quartiere", slug="festa")
    await factories.meeting(party, soon + timedelta(days=1))
    await factories.activity(services["spazio-neutro"], hub, "Spazio Neutro", access="referral", slug="neutro")
    return {"group": "genitori-figli", "party": "festa", "referral": "neutro"}


async def test_home_lists_every_area_and_service_in_italian(client, catalogue):
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-language"] == "it"
    assert '<html lang="it" dir="ltr">' in response.text
    for name in ("Sostegno alla genitorialità", "Coppie conflittuali o in separazione",
                 "Solidarietà familiare e affido", "Spazio Neutro", "Mediazione familiare"):
        assert name in response.text
    assert response.text.count('href="/?service=') == len(SERVICES)
    assert response.text.count('href="/aree/') >= len(AREAS)
    assert "3 attività trovate" in response.text


async def test_english_is_chosen_by_query_then_remembered_by_cookie(client, catalogue):
    response = await client.get("/?lang=en")
    assert response.headers["content-language"] == "en"
    assert "Parenting support" in response.text and "3 activities found" in response.text
    assert "Sostegno alla genitorialità" not in response.text
    assert "lang=en" in response.headers["set-cookie"]
    again = await client.get("/")
    assert again.headers["content-language"] == "en"


async def test_accept_language_picks_english_and_unknown_falls_back_to_italian(client, catalogue):
    english = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    german = await client.get("/", headers={"Accept-Language": "de-DE"})
    assert english.headers["content-language"] == "en"
    assert german.headers["content-language"] == "it"


async def test_htmx_request_gets_only_the_results(client, catalogue):
    response = await client.get("/?area=solidarieta", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="results"' in response.text
    assert "Festa di quartiere" in response.text and "Genitori &amp; figli" not in response.text
    assert "HX-Request" in response.headers["vary"]


@pytest.mark.parametrize("query, field_message", [
    ("age=x", "età del bambino"),
    ("age=18", "età del bambino"),
    ("from=2030-05-10&to=2030-05-01", "data di fine"),
    ("hub=atlantide", "polo"),
    ("day=9", "giorno della settimana"),
    ("from=31/12/2030", "data come"),
    ("area=<script>", "area"),
])
async def test_bad_filters_get_a_clear_message_not_an_error(client, catalogue, query, field_message):
    for headers in ({}, HTMX):
        response = await client.get(f"/?{query}", headers=headers)
        assert response.status_code == 400
        assert field_message in response.text.lower()
        assert "<script>" not in response.text


async def test_user_text_is_escaped(client, catalogue):
    response = await client.get("/?q=<b>insieme")
    assert "Genitori &amp; figli &lt;b&gt;insieme&lt;/b&gt;" in response.text
    assert 'value="&lt;b&gt;insieme"' in response.text
    assert "Polo Vomero &lt;Arenella&gt;" in response.text


async def test_activity_page_is_a_service_page_with_json_ld(client, catalogue):
    response = await client.get(f"/attivita/{catalogue['group']}")
    assert response.status_code == 200
    for heading in ("A chi è rivolto", "Come fare", "Cosa serve", "Cosa si ottiene", "Tempi e scadenze",
                    "Accedi al servizio", "Contatti"):
        assert f">{heading}</h2>" in response.text
    assert "2 posti liberi" in response.text
    assert "openstreetmap.org/?mlat=40.85" in response.text
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.text, re.S).group(1)
    events = json.loads(script)
    assert events[0]["@type"] == "Event" and events[0]["location"]["address"]["addressLocality"] == "Napoli"
    assert events[0]["url"] == f"http://testserver/attivita/{catalogue['group']}"


async def test_referral_activity_explains_the_way_in(client, catalogue):
    response = await client.get(f"/attivita/{catalogue['referral']}")
    assert "servizi sociali" in response.text


async def test_hub_and_area_pages(client, catalogue):
    hub = await client.get("/poli/vomero")
    area = await client.get("/aree/separazione")
    assert hub.status_code == 200 and "Festa di quartiere" in hub.text
    assert area.status_code == 200 and "Spazio Neutro" in area.text and "Festa di quartiere" not in area.text


@pytest.mark.parametrize("path", ["/attivita/nessuna", "/poli/nessuno", "/aree/nessuna", "/nessuna-pagina"])
async def test_unknown_pages_answer_404_in_the_users_language(client, catalogue, path):
    italian = await client.get(path)
    english = await client.get(path + "?lang=en")
    assert italian.status_code == english.status_code == 404
    assert english.headers["content-security-policy"] and english.headers["content-language"] == "en"
    assert "Pagina non trovata" in italian.text
    assert "Page not found" in english.text


async def test_empty_state(client, catalogue):
    response = await client.get("/?q=nessunarisposta")
    assert response.status_code == 200 and "Nessuna attività corrisponde" in response.text


async def test_footer_pages(client, catalogue):
    for path, heading in (("/privacy", "Informativa"), ("/accessibilita", "accessibilità")):
        italian = await client.get(path + "?lang=it")
        english = await client.get(path + "?lang=en")
        assert italian.status_code == english.status_code == 200
        assert heading in italian.text and heading not in english.text


async def test_content_pages_can_be_replaced_by_the_comune(client, catalogue, migrated):
    custom = migrated.content_dir / "content"
    custom.mkdir(parents=True, exist_ok=True)
    (custom / "privacy.it.html").write_text("<h1>Informativa del Comune di Prova</h1>")
    try:
        response = await client.get("/privacy")
        assert "Informativa del Comune di Prova" in response.text
    finally:
        (custom / "privacy.it.html").unlink()


async def test_pages_see_changes_at_once_despite_the_cache(client, catalogue):
    first = await client.get(f"/attivita/{catalogue['group']}")
    assert "2 posti liberi" in first.text
    from portal.tables import Activity
    await Activity.update({Activity.seats_taken: 11}).where(Activity.slug == catalogue["group"])
    await db.bump_revision()
    second = await client.get(f"/attivita/{catalogue['group']}")
    assert "1 posto libero" in second.text


async def test_security_headers_and_static_caching(client, catalogue):
    page = await client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    css = re.search(r'href="(/static/vendor/bootstrap-italia\.min\.css\?v=\w+)"', page.text).group(1)
    asset = await client.get(css)
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]


async def test_first_visit_transfers_under_250_kb_compressed(client, catalogue):
    """What a first visit to the home page downloads, compressed as served (bytes, not time)."""
    page = await client.get("/", headers={"Accept-Encoding": "gzip"})
    urls = set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text))
    urls |= {"/static/vendor/fonts/titillium-web-400.woff2", "/static/vendor/fonts/titillium-web-600.woff2",
             "/static/vendor/fonts/titillium-web-700.woff2"}
    total = len(gzip.compress(page.content))
    for url in urls:
        response = await client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, url
        wire = response.headers.get("content-encoding") == "gzip"
        total += len(gzip.compress(response.content)) if wire else len(response.content)
    assert any("bootstrap-italia" in url for url in urls) and any("htmx" in url for url in urls)
    assert total < 250_000, f"{total} bytes"


@pytest.mark.parametrize("path", ["/poli/%00", "/attivita/%00", "/attivita/%00/prenota", "/?q=%00abc",
                                  "/attivita/a%20b", "/aree/%00"])
async def test_odd_characters_never_reach_the_database(client, catalogue, path):
    response = await client.get(path)
    assert response.status_code in (200, 303, 404)


async def test_requests_that_miss_the_cache_together_share_one_rendering(client, catalogue, monkeypatch):
    import asyncio

    from portal.catalogue import browse as catalogue_module

    searches = 0
    original = catalogue_module.search

    async def counted(filters, now):
        nonlocal searches
        searches += 1
        await asyncio.sleep(0.05)
        return await original(filters, now)

    monkeypatch.setattr(catalogue_module, "search", counted)
    responses = await asyncio.gather(*(client.get("/?area=solidarieta&day=1") for _ in range(10)))
    assert {response.status_code for response in responses} == {200}
    assert searches <= 2  # one rendering (two if the minute turns meanwhile), not ten
