"""SPID/CIE sign-in over HTTP against a real OpenID Connect provider (oidc-provider, run with Node):
first sign-in, return visit, connecting an identity, sign-out at the provider, and every failure
a citizen may meet, each a clear page and never a 500."""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.settings import OidcSettings
from portal.tables import AuditEntry, Family, FamilyIdentity, Outbox, WebSession
from tests.oidc.fixtures import PORTAL, free_port, portal_client, to_provider_and_back
from tests.web.signin import csrf, sign_in

pytestmark = pytest.mark.anyio
MARIO_FISCAL = "RSSMRA80A01F839X"
PROFILE = {"name": "Mario", "surname": "Rossi", "phone": "", "district": "", "language": "it", "privacy": "1"}


async def spid(http, citizen: str | None = "mario", start: str = "/accedi/spid"):
    """The whole round trip; the portal's answer to the provider's return."""
    back = await to_provider_and_back(http, await http.get(start), citizen)
    return await http.get(back)


async def first_sign_in(http, citizen: str = "mario"):
    answer = await spid(http, citizen)
    assert answer.status_code == 303 and answer.headers["location"] == "/accedi/email"
    page = await http.get("/accedi/email")
    email = re.search(r'name="email"\s+value="([^"]*)"', page.text).group(1)
    return await http.post("/accedi/email", data={"email": email, **await _csrf(http)})


async def _csrf(http) -> dict[str, str]:
    if _cookie(http, "csrftoken") is None:
        await http.get("/accedi")
    return {"_csrf_token": _cookie(http, "csrftoken")}


def _cookie(http, name: str) -> str | None:
    """The portal's cookie (the provider sets its own on another host)."""
    return next((c.value for c in http.cookies.jar if c.name == name and "testserver" in c.domain), None)


async def test_the_sign_in_page_offers_spid_cie_and_the_email_code(portal_with_oidc, empty_db):
    page = await portal_with_oidc.get("/accedi")
    assert "Entra con SPID" in page.text and "Entra con CIE" in page.text
    assert 'href="/accedi/spid"' in page.text and 'action="/accedi"' in page.text
    icon = re.search(r'src="([^"]*spid[^"]*)"', page.text).group(1)
    assert icon.startswith("/static/") and (await portal_with_oidc.get(icon)).status_code == 200  # served here


async def test_without_the_gateway_only_the_email_code_is_offered(client, empty_db):
    page = await client.get("/accedi")
    assert "Entra con SPID" not in page.text and 'action="/accedi"' in page.text
    assert (await client.get("/accedi/spid")).status_code == 404


async def test_email_sign_in_can_be_turned_off(migrated, provider, empty_db):
    async with portal_client(replace(migrated, oidc=provider.settings(), email_sign_in=False)) as http:
        page = await http.get("/accedi")
        assert "Entra con SPID" in page.text and 'action="/accedi"' not in page.text
        refused = await http.post("/accedi", data={"email": "a@example.it", **await _csrf(http)})
        assert refused.status_code == 404


async def test_first_sign_in_then_return_visit(portal_with_oidc, empty_db):
    http = portal_with_oidc
    start = await http.get("/accedi/spid")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert "code_verifier" not in query
    before = _cookie(http, "session")
    answer = await http.get(await to_provider_and_back(http, start, "mario"))
    assert answer.status_code == 303 and answer.headers["location"] == "/accedi/email"
    page = await http.get("/accedi/email")
    assert "Mario Rossi" in page.text and 'value="mario.rossi@example.it"' in page.text
    done = await http.post("/accedi/email", data={"email": "mario.rossi@example.it", **await _csrf(http)})
    assert done.status_code == 303 and done.headers["location"].startswith("/famiglia/profilo")
    assert _cookie(http, "session") != before  # rotated at sign-in
    family = await Family.select().first()
    assert (family["email"], family["name"], family["surname"]) == ("mario.rossi@example.it", "Mario", "Rossi")
    await http.post("/famiglia/profilo", data={**PROFILE, **await _csrf(http)})
    assert (await http.get("/famiglia")).status_code == 200
    await http.post("/esci", data=await _csrf(http))

    again = await spid(http, "mario")  # a return visit: straight in, the same family
    assert again.status_code == 303 and again.headers["location"] == "/famiglia"
    assert await Family.count() == 1 and await FamilyIdentity.count() == 1
    assert "Mario" in (await http.get("/famiglia")).text


async def test_the_fiscal_number_is_never_stored_in_clear(portal_with_oidc, empty_db):
    await first_sign_in(portal_with_oidc)
    identity = await FamilyIdentity.select().first()
    assert MARIO_FISCAL not in identity["subject_hash"] and len(identity["subject_hash"]) == 64
    stored = [str(row) for table in (Family, FamilyIdentity, AuditEntry, Outbox) for row in await table.select()]
    sessions = [base64.b64decode(row["value"]).decode() for row in await WebSession.select(WebSession.value)]
    assert sessions and not any(MARIO_FISCAL in text for text in stored + sessions)
    assert not any("eyJ" in text for text in sessions)  # no token kept (its payload holds the fiscal number)


async def test_cie_and_spid_meet_on_the_same_person(portal_with_oidc, empty_db):
    await first_sign_in(portal_with_oidc)
    await portal_with_oidc.post("/esci", data=await _csrf(portal_with_oidc))
    again = await spid(portal_with_oidc, "mario", start="/accedi/cie")
    assert again.status_code == 303 and again.headers["location"].startswith("/famiglia")
    assert await Family.count() == 1


async def test_no_email_from_the_provider_the_family_gives_one_and_proves_it(portal_with_oidc, empty_db):
    http = portal_with_oidc
    answer = await spid(http, "anna")
    assert answer.headers["location"] == "/accedi/email"
    page = await http.get("/accedi/email")
    assert "non ci ha dato un indirizzo e-mail" in page.text
    bad = await http.post("/accedi/email", data={"email": "not an address", **await _csrf(http)})
    assert bad.status_code == 422 and "is-invalid" in bad.text and await Family.count() == 0
    sent = await http.post("/accedi/email", data={"email": "anna@example.it", **await _csrf(http)})
    assert sent.status_code == 303 and sent.headers["location"] == "/accedi/codice"
    mail = await Outbox.select(Outbox.text_body).where(Outbox.to_address == "anna@example.it").first()
    code = re.search(r"\b(\d{6})\b", mail["text_body"]).group(1)
    done = await http.post("/accedi/codice", data={"code": code, **await _csrf(http)})
    assert done.status_code == 303
    family = await Family.select().first()
    assert (family["email"], family["name"]) == ("anna@example.it", "Anna")
    await http.post("/esci", data=await _csrf(http))
    assert (await spid(http, "anna")).headers["location"].startswith("/famiglia")  # recognised


async def test_an_address_an_existing_family_holds_is_proved_by_code_and_connected(portal_with_oidc, empty_db):
    http = portal_with_oidc
    await sign_in(http, "mario.rossi@example.it")  # a family that came by e-mail
    await http.post("/famiglia/profilo", data={**PROFILE, **csrf(http)})
    await http.post("/esci", data=csrf(http))
    sent = await first_sign_in(http)
    assert sent.headers["location"] == "/accedi/codice"  # the same address: the code proves it is theirs
    mail = await Outbox.select(Outbox.text_body).order_by(Outbox.id, ascending=False).first()
    code = re.search(r"\b(\d{6})\b", mail["text_body"]).group(1)
    assert (await http.post("/accedi/codice", data={"code": code, **csrf(http)})).headers["location"] == "/famiglia"
    assert await Family.count() == 1 and await FamilyIdentity.count() == 1


async def test_a_family_that_came_by_email_connects_spid(portal_with_oidc, provider, empty_db):
    http = portal_with_oidc
    await sign_in(http, "lucia@example.it")
    await http.post("/famiglia/profilo", data={**PROFILE, "name": "Lucia", **csrf(http)})
    area = await http.get("/famiglia")
    assert "Collega SPID" in area.text
    assert f"form-action 'self' {provider.issuer}" in area.headers["content-security-policy"]  # the form may go there
    start = await http.post("/famiglia/identita", data={"method": "spid", **csrf(http)})
    answer = await http.get(await to_provider_and_back(http, start, "lucia"))
    assert answer.status_code == 303 and answer.headers["location"] == "/famiglia?esito=identita-collegata"
    assert "Collega SPID" not in (await http.get("/famiglia")).text
    await http.post("/esci", data=csrf(http))
    again = await spid(http, "lucia")
    assert again.headers["location"] == "/famiglia"
    family = await Family.select(Family.email).first()
    assert family["email"] == "lucia@example.it" and await Family.count() == 1  # the e-mail the family chose


async def test_an_identity_connected_to_another_family_is_refused(portal_with_oidc, empty_db):
    http = portal_with_oidc
    await first_sign_in(http, "lucia")
    await http.post("/esci", data=await _csrf(http))
    await sign_in(http, "other@example.it")
    await http.post("/famiglia/profilo", data={**PROFILE, **csrf(http)})
    start = await http.post("/famiglia/identita", data={"method": "spid", **csrf(http)})
    answer = await http.get(await to_provider_and_back(http, start, "lucia"))
    assert answer.status_code == 400 and "già collegata a un altro account" in answer.text
    assert 'href="/famiglia"' in answer.text and await FamilyIdentity.count() == 1


async def test_connecting_needs_a_signed_in_family(portal_with_oidc, empty_db):
    http = portal_with_oidc
    answer = await http.post("/famiglia/identita", data={"method": "spid", **await _csrf(http)})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/accedi")


async def test_sign_out_ends_the_session_at_the_provider_too(portal_with_oidc, provider, empty_db):
    http = portal_with_oidc
    await first_sign_in(http)
    out = await http.post("/esci", data=await _csrf(http))
    assert out.status_code == 303
    location = urlsplit(out.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == provider.issuer and location.path == "/session/end"
    assert query["post_logout_redirect_uri"] == [PORTAL + "/accedi?esito=uscita"] and query["client_id"] == ["portal"]
    assert (await http.get(out.headers["location"])).status_code == 200  # the provider's sign-out page
    assert (await http.get("/famiglia")).status_code == 303  # the portal session has ended


# -- failures -------------------------------------------------------------------------------


def _no_personal_data(records: list[logging.LogRecord]) -> None:
    text = " ".join(record.getMessage() for record in records)
    for secret in ("mario", "Rossi", MARIO_FISCAL, "example.it", "code="):
        assert secret not in text


@pytest.fixture
def oidc_log():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("portal.identity.oidc")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield records
    logger.removeHandler(handler)


async def test_a_cancelled_sign_in(portal_with_oidc, empty_db, oidc_log):
    answer = await spid(portal_with_oidc, None)
    assert answer.status_code == 400 and "Accesso annullato" in answer.text and 'href="/accedi"' in answer.text
    assert await Family.count() == 0 and [r.getMessage() for r in oidc_log] == [
        "OpenID Connect sign-in failed: cancelled (ValueError)"]


async def test_a_wrong_or_missing_state(portal_with_oidc, migrated, provider, empty_db, oidc_log):
    http = portal_with_oidc
    back = await to_provider_and_back(http, await http.get("/accedi/spid"), "mario")
    forged = re.sub(r"state=[^&]+", "state=forged", back)
    answer = await http.get(forged)
    assert answer.status_code == 400 and "Questo accesso è scaduto" in answer.text
    assert (await http.get(back)).status_code == 400  # the flow was used up by the first answer
    async with portal_client(replace(migrated, oidc=provider.settings())) as stranger:
        assert (await stranger.get(back)).status_code == 400  # another browser never had the flow
    assert await Family.count() == 0
    _no_personal_data(oidc_log)


async def test_a_replayed_code_is_refused_by_the_provider(portal_with_oidc, empty_db, oidc_log):
    http = portal_with_oidc
    back = await to_provider_and_back(http, await http.get("/accedi/spid"), "mario")
    assert (await http.get(back)).status_code == 303  # used once
    code = parse_qs(urlsplit(back).query)["code"][0]
    fresh = await http.get("/accedi/spid")  # a new flow in the same browser, answered with the old code
    state = parse_qs(urlsplit(fresh.headers["location"]).query)["state"][0]
    answer = await http.get(f"/accedi/oidc/ritorno?code={code}&state={state}")
    assert answer.status_code == 400 and "Non siamo riusciti a verificare" in answer.text
    assert "token (OAuthError)" in oidc_log[-1].getMessage()
    _no_personal_data(oidc_log)


@pytest.mark.parametrize("mode", ["wrong_key", "expired"])
async def test_a_forged_or_expired_id_token_is_refused(portal_with_oidc, provider, empty_db, oidc_log, mode):
    http = portal_with_oidc
    back = await to_provider_and_back(http, await http.get("/accedi/spid"), "mario")
    provider.set_mode(mode)
    answer = await http.get(back)
    assert answer.status_code == 400 and "Non siamo riusciti a verificare" in answer.text
    assert await Family.count() == 0 and (await http.get("/famiglia")).status_code == 303
    expected = "BadSignatureError" if mode == "wrong_key" else "ExpiredTokenError"
    assert oidc_log[-1].getMessage() == f"OpenID Connect sign-in failed: token ({expected})"
    _no_personal_data(oidc_log)


async def test_the_provider_down_before_and_during_the_sign_in(portal_with_oidc, migrated, provider, empty_db):
    provider.set_mode("down")
    async with portal_client(replace(migrated, oidc=provider.settings())) as http:  # discovery fails
        answer = await http.get("/accedi/spid")
        assert answer.status_code == 503 and "non risponde" in answer.text and 'href="/accedi"' in answer.text
    provider.set_mode("normal")
    back = await to_provider_and_back(portal_with_oidc, await portal_with_oidc.get("/accedi/spid"), "mario")
    provider.set_mode("down")  # down at the token exchange
    answer = await portal_with_oidc.get(back)
    assert answer.status_code == 503 and "non risponde" in answer.text


async def test_a_gateway_nobody_answers_at(migrated, empty_db):
    settings = OidcSettings(issuer=f"http://127.0.0.1:{free_port()}", client_id="portal", client_secret="x")
    async with portal_client(replace(migrated, oidc=settings)) as http:
        answer = await http.get("/accedi/cie")
        assert answer.status_code == 503 and "Riprova tra qualche minuto" in answer.text


async def test_english_pages_for_english_visitors(portal_with_oidc, empty_db):
    answer = await portal_with_oidc.get("/accedi/oidc/ritorno?error=access_denied&state=x",
                                        headers={"accept-language": "en"})
    assert answer.status_code == 400 and "Sign-in cancelled" in answer.text and "Back to sign-in" in answer.text


async def test_private_key_jwt_client_authentication(migrated, provider, empty_db):
    async with portal_client(replace(migrated, oidc=provider.key_settings())) as http:
        answer = await first_sign_in(http)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/famiglia")
    assert await FamilyIdentity.count() == 1
