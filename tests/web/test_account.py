"""Sign-in and the family area over HTTP: the flows, sessions, CSRF, enumeration, escaping, 4xx answers."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from portal.tables import Family, Member, Outbox, SignInCode, WebSession

pytestmark = pytest.mark.anyio
HTMX = {"HX-Request": "true"}
PROFILE = {"name": "Anna", "surname": "Rossi", "phone": "", "district": "", "language": "it", "privacy": "1"}


@pytest.fixture
async def second_client(client):
    """Another browser on the same app (its own cookies)."""
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        yield other


def token(client: httpx.AsyncClient) -> str:
    return client.cookies["csrftoken"]


async def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    if "csrftoken" not in client.cookies:
        await client.get("/accedi")
    return {"_csrf_token": token(client)}


async def mailed(email: str) -> tuple[str, str]:
    row = await Outbox.select(Outbox.text_body).where(Outbox.to_address == email).order_by(
        Outbox.id, ascending=False).first()
    code = re.search(r"\b(\d{6})\b", row["text_body"]).group(1)
    link = re.search(r"https?://\S+/link/[A-Za-z0-9_-]+", row["text_body"]).group(0)
    return code, link.removeprefix("http://testserver")


async def ask_code(client: httpx.AsyncClient, email: str, next_path: str | None = None) -> httpx.Response:
    data = {"email": email, **await csrf(client)}
    if next_path is not None:
        data["next"] = next_path
    return await client.post("/accedi", data=data)


async def sign_in(client: httpx.AsyncClient, email: str = "anna@example.it", profile: dict | None = PROFILE,
                  next_path: str | None = None) -> httpx.Response:
    response = await ask_code(client, email, next_path)
    assert response.status_code == 303, response.text[:300]
    code, _ = await mailed(email.strip().lower())
    response = await client.post("/accedi/codice", data={"code": code, **await csrf(client)})
    assert response.status_code == 303, response.text[:300]
    if profile is not None and response.headers["location"].startswith("/famiglia/profilo"):
        next_match = re.search(r"next=([^&]+)", response.headers["location"])
        data = {**profile, **await csrf(client)}
        if next_match:
            data["next"] = httpx.QueryParams(response.headers["location"].split("?", 1)[1])["next"]
        response = await client.post("/famiglia/profilo", data=data)
        assert response.status_code == 303, response.text[:300]
    return response


async def family_row(email: str = "anna@example.it") -> dict:
    return await Family.select().where(Family.email == email).first()


# -- signing in ----------------------------------------------------------------------------


async def test_sign_in_form_is_accessible(client, empty_db):
    response = await client.get("/accedi")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    html = response.text
    assert '<label for="sign-in-email"' in html and 'autocomplete="email"' in html
    assert f'name="_csrf_token" value="{token(client)}"' in html
    assert 'href="/privacy"' in html and 'aria-describedby="sign-in-privacy"' in html
    assert "set-cookie" not in response.headers or "session=" not in response.headers["set-cookie"]


async def test_first_sign_in_asks_the_profile_and_the_privacy_notice(client, empty_db):
    response = await ask_code(client, "  Anna@Example.it ")
    assert response.status_code == 303 and response.headers["location"] == "/accedi/codice"
    page = await client.get("/accedi/codice")
    assert "anna@example.it" in page.text
    assert 'autocomplete="one-time-code"' in page.text and 'inputmode="numeric"' in page.text
    code, _ = await mailed("anna@example.it")
    response = await client.post("/accedi/codice", data={"code": code, **await csrf(client)})
    assert response.status_code == 303 and response.headers["location"] == "/famiglia/profilo"
    area = await client.get("/famiglia")
    assert area.status_code == 303 and area.headers["location"] == "/famiglia/profilo"
    form = await client.get("/famiglia/profilo")
    assert form.status_code == 200 and 'href="/privacy"' in form.text and 'name="privacy"' in form.text
    assert form.headers["cache-control"] == "no-store"
    refused = await client.post("/famiglia/profilo", data={"name": "Anna", "surname": "", **await csrf(client)})
    assert refused.status_code == 422
    assert 'aria-invalid="true" aria-describedby="error-surname"' in refused.text
    assert 'id="error-privacy"' in refused.text and 'role="alert"' in refused.text
    assert (await family_row())["surname"] == "" and (await family_row())["privacy_acknowledged_at"] is None
    saved = await client.post("/famiglia/profilo", data={**PROFILE, **await csrf(client)})
    assert saved.status_code == 303 and saved.headers["location"] == "/famiglia?esito=profilo"
    area = await client.get("/famiglia?esito=profilo")
    assert area.status_code == 200 and "Anna" in area.text and "anna@example.it" in area.text
    assert area.headers["cache-control"] == "no-store"
    assert 'action="/famiglia/esci-ovunque"' in area.text and 'href="/famiglia/elimina"' in area.text
    assert 'href="/famiglia/dati.json"' in area.text and 'role="status"' in area.text


async def test_the_answer_does_not_tell_whether_an_address_is_known(client, second_client, empty_db):
    await sign_in(client, "known@example.it")
    await client.post("/esci", data=await csrf(client))
    answers = []
    for browser, email in ((client, "known@example.it"), (second_client, "nobody@example.it")):
        response = await ask_code(browser, email)
        page = await browser.get("/accedi/codice")
        answers.append((response.status_code, response.headers["location"], page.status_code,
                        page.text.replace(email, "EMAIL").replace(token(browser), "TOKEN")))
    assert answers[0] == answers[1]
    assert await Outbox.count().where(Outbox.to_address == "nobody@example.it") == 1


@pytest.mark.parametrize("email", ["", "anna", "anna@example", "<script>@x.it"])
async def test_a_bad_address_is_explained_by_its_field(client, empty_db, email):
    response = await client.post("/accedi?lang=en", data={"email": email, **await csrf(client)})
    assert response.status_code == 422
    assert 'id="error-email"' in response.text and "valid e-mail address" in response.text
    assert 'aria-invalid="true"' in response.text and "<script>@" not in response.text
    assert await Outbox.count() == 0 and await WebSession.count() == 0


async def test_a_wrong_code_is_explained_and_counted(client, empty_db):
    await ask_code(client, "anna@example.it")
    code, _ = await mailed("anna@example.it")
    bad = f"{(int(code) + 1) % 1_000_000:06d}"
    response = await client.post("/accedi/codice?lang=en", data={"code": bad, **await csrf(client)})
    assert response.status_code == 400 and "not right" in response.text and "Attempts left: 4" in response.text
    assert 'id="error-code"' in response.text
    assert (await SignInCode.select(SignInCode.attempts).first())["attempts"] == 1
    assert await Family.count() == 0


async def test_the_code_page_without_a_pending_sign_in_goes_back(client, empty_db):
    response = await client.get("/accedi/codice")
    assert response.status_code == 303 and response.headers["location"] == "/accedi"
    response = await client.post("/accedi/codice", data={"code": "123456", **await csrf(client)})
    assert response.status_code == 303 and response.headers["location"] == "/accedi"


async def test_too_many_requests_get_a_429_with_a_clear_message(client, empty_db):
    for _ in range(5):
        assert (await ask_code(client, "anna@example.it")).status_code == 303
    response = await client.post("/accedi?lang=en", data={"email": "anna@example.it", **await csrf(client)})
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert "Too many attempts" in response.text and 'id="error-email"' in response.text
    assert await Outbox.count() == 5


async def test_the_link_page_uses_nothing_until_its_button_is_pressed(client, second_client, empty_db):
    await ask_code(client, "anna@example.it")
    _, link = await mailed("anna@example.it")
    for _ in range(2):  # a mail scanner, then the family
        page = await second_client.get(link)
        assert page.status_code == 200 and f'action="{link}"' in page.text and 'method="post"' in page.text
    assert await SignInCode.select(SignInCode.attempts, SignInCode.used_at).first() == {"attempts": 0,
                                                                                         "used_at": None}
    response = await second_client.post(link, data=await csrf(second_client))
    assert response.status_code == 303 and response.headers["location"] == "/famiglia/profilo"
    assert (await second_client.get("/famiglia/profilo")).status_code == 200
    again = await second_client.get(link)
    assert again.status_code == 410
    assert (await client.post(link, data=await csrf(client))).status_code == 400
    assert (await client.get("/famiglia")).status_code == 303  # the first browser is not signed in


async def test_an_unknown_link_is_gone(client, empty_db):
    response = await client.get("/accedi/link/" + "x" * 43)
    assert response.status_code == 410 and 'href="/accedi"' in response.text


async def test_next_brings_the_family_back_and_only_to_this_site(client, second_client, empty_db):
    page = await client.get("/accedi?next=/attivita/massaggio%3Fx%3D1")
    assert 'name="next" value="/attivita/massaggio?x=1"' in page.text
    response = await sign_in(client, next_path="/attivita/massaggio?x=1")
    assert response.headers["location"] == "/attivita/massaggio?x=1"
    for bad in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        page = await second_client.get("/accedi", params={"next": bad})
        assert 'name="next"' not in page.text
    response = await sign_in(second_client, "bruno@example.it", next_path="//evil.example/x")
    assert response.headers["location"] == "/famiglia?esito=profilo"


async def test_signed_in_visitors_skip_the_sign_in_form(client, empty_db):
    await sign_in(client)
    response = await client.get("/accedi?next=/poli/centro")
    assert response.status_code == 303 and response.headers["location"] == "/poli/centro"


async def test_the_family_area_asks_to_sign_in(client, empty_db):
    response = await client.get("/famiglia/componenti?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/accedi?next=/famiglia/componenti%3Fx%3D1"
    htmx = await client.get("/famiglia", headers=HTMX)
    assert htmx.status_code == 200 and htmx.headers["hx-redirect"] == "/accedi?next=/famiglia"


# -- sessions --------------------------------------------------------------------------------


async def test_browsing_makes_no_session(client, empty_db):
    for path in ("/", "/accedi", "/privacy"):
        response = await client.get(path)
        assert "session=" not in response.headers.get("set-cookie", "")
    assert await WebSession.count() == 0


async def test_the_session_id_changes_at_sign_in_and_the_old_one_is_gone(client, empty_db):
    await ask_code(client, "anna@example.it")
    before = client.cookies["session"]
    assert await WebSession.count() == 1
    code, _ = await mailed("anna@example.it")
    await client.post("/accedi/codice", data={"code": code, **await csrf(client)})
    after = client.cookies["session"]
    assert after != before and len(after) == 64
    assert [row["key"] for row in await WebSession.select(WebSession.key)] == [after]
    assert (await client.get("/famiglia/profilo")).status_code == 200


async def test_a_planted_session_id_is_never_adopted(client, empty_db):
    planted = "attacker-chosen-session-id"
    client.cookies.set("session", planted, domain="testserver.local")
    response = await client.get("/accedi")
    assert f"session={planted}" in response.request.headers["cookie"]
    assert await WebSession.count() == 0
    await sign_in(client)
    assert client.cookies["session"] != planted
    assert await WebSession.count().where(WebSession.key == planted) == 0
    assert (await client.get("/famiglia")).status_code == 200


async def test_an_attackers_real_session_id_is_replaced_at_sign_in(client, second_client, empty_db):
    await ask_code(second_client, "attacker@example.it")  # the attacker's own session, then planted
    planted = second_client.cookies["session"]
    client.cookies.set("session", planted, domain="testserver.local")
    await ask_code(client, "anna@example.it")
    assert client.cookies["session"] != planted  # already when the sign-in starts
    assert await WebSession.count().where(WebSession.key == planted) == 0
    await sign_in(client)
    second_client.cookies.set("session", planted, domain="testserver.local")
    assert (await second_client.get("/famiglia")).status_code == 303


async def test_a_stolen_cookie_stops_working_after_sign_out(client, second_client, empty_db):
    await sign_in(client)
    stolen = client.cookies["session"]
    response = await client.post("/esci", data=await csrf(client))
    assert response.status_code == 303 and response.headers["location"] == "/accedi?esito=uscita"
    assert await WebSession.count() == 0
    second_client.cookies.set("session", stolen, domain="testserver.local")
    assert (await second_client.get("/famiglia")).status_code == 303


async def test_sign_out_everywhere_ends_the_other_devices(client, second_client, empty_db):
    await sign_in(client)
    await sign_in(second_client, profile=None)
    assert (await second_client.get("/famiglia")).status_code == 200
    response = await client.post("/famiglia/esci-ovunque", data=await csrf(client))
    assert response.status_code == 303 and response.headers["location"] == "/accedi?esito=uscita-ovunque"
    assert (await client.get("/famiglia")).status_code == 303
    other = await second_client.get("/famiglia")
    assert other.status_code == 303 and other.headers["location"].startswith("/accedi")
    assert (await family_row())["session_epoch"] == 1
    await sign_in(second_client, profile=None)  # a new sign-in works again
    assert (await second_client.get("/famiglia")).status_code == 200


async def test_a_session_started_on_one_worker_works_on_another(client, empty_db):
    from portal.app import create_app

    await sign_in(client)
    other_worker = create_app(empty_db)  # its own app, stores and engine: only the database is shared
    async with other_worker.lifespan():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other_worker),
                                     base_url="http://testserver") as elsewhere:
            elsewhere.cookies.set("session", client.cookies["session"], domain="testserver.local")
            response = await elsewhere.get("/famiglia")
            assert response.status_code == 200 and "Anna" in response.text


async def test_the_session_cookie_is_http_only_lax_and_lasts_30_days(client, empty_db):
    await ask_code(client, "anna@example.it")
    code, _ = await mailed("anna@example.it")
    response = await client.post("/accedi/codice", data={"code": code, **await csrf(client)})
    cookie = next(value for name, value in response.headers.multi_items()
                  if name == "set-cookie" and value.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Max-Age={30 * 24 * 3600}" in cookie
    row = await WebSession.select(WebSession.expires_at).first()
    expires_at = row["expires_at"]
    assert timedelta(days=29, hours=23) < expires_at - datetime.now(timezone.utc) <= timedelta(days=30)


# -- household -----------------------------------------------------------------------------


async def test_household_members_are_added_edited_and_removed(client, empty_db):
    await sign_in(client)
    page = await client.get("/famiglia/componenti")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    added = await client.post("/famiglia/componenti", data={
        "kind": "child", "first_name": "Leo", "birth_month": "2", "birth_year": "2022", **await csrf(client)})
    assert added.status_code == 303 and added.headers["location"] == "/famiglia/componenti?esito=componente-aggiunto"
    [referent, member] = await Member.select().order_by(Member.id)
    assert (referent["kind"], referent["first_name"]) == ("adult", "Anna")  # joined at the first sign-in
    assert (member["first_name"], member["birth_month"], member["birth_year"]) == ("Leo", 2, 2022)
    edit = await client.get(f"/famiglia/componenti/{member['id']}/modifica")
    assert edit.status_code == 200 and 'value="Leo"' in edit.text
    saved = await client.post(f"/famiglia/componenti/{member['id']}/modifica", data={
        "kind": "child", "first_name": "Leone", "birth_month": "3", "birth_year": "2022", **await csrf(client)})
    assert saved.status_code == 303
    assert (await Member.select(Member.first_name).where(Member.id == member["id"]).first())["first_name"] == "Leone"
    area = await client.get("/famiglia")
    assert "Leone" in area.text
    removed = await client.post(f"/famiglia/componenti/{member['id']}/elimina", data=await csrf(client))
    assert removed.status_code == 303 and await Member.count() == 1


async def test_a_bad_member_is_explained_and_nothing_saved(client, empty_db):
    await sign_in(client)
    response = await client.post("/famiglia/componenti?lang=en", data={
        "kind": "child", "first_name": "Leo", "birth_month": "13", "birth_year": "1900", **await csrf(client)})
    assert response.status_code == 422
    assert 'id="error-birth_month"' in response.text and 'id="error-birth_year"' in response.text
    assert 'aria-describedby="error-birth_year add-birth-hint"' in response.text
    assert 'value="Leo"' in response.text and await Member.count() == 1  # the referent only


async def test_another_familys_member_is_not_found(client, second_client, empty_db):
    await sign_in(client)
    await sign_in(second_client, "bruno@example.it", {**PROFILE, "name": "Bruno"})
    await second_client.post("/famiglia/componenti", data={"kind": "adult", "first_name": "Ugo",
                                                           **await csrf(second_client)})
    theirs = (await Member.select(Member.id).where(Member.first_name == "Ugo").first())["id"]
    assert (await client.get(f"/famiglia/componenti/{theirs}/modifica")).status_code == 404
    assert (await client.get("/famiglia/componenti/999999/modifica")).status_code == 404
    edit = await client.post(f"/famiglia/componenti/{theirs}/modifica",
                             data={"kind": "adult", "first_name": "Mio", **await csrf(client)})
    remove = await client.post(f"/famiglia/componenti/{theirs}/elimina", data=await csrf(client))
    assert edit.status_code == 404 and remove.status_code == 404
    assert (await Member.select(Member.first_name).where(Member.id == theirs).first())["first_name"] == "Ugo"
    assert "Ugo" not in (await client.get("/famiglia/componenti")).text


async def test_user_text_is_escaped(client, empty_db):
    await sign_in(client, profile={**PROFILE, "name": "<b>Anna</b>", "surname": "O'Hara & <i>co</i>"})
    await client.post("/famiglia/componenti", data={"kind": "adult", "first_name": "<script>x</script>",
                                                    **await csrf(client)})
    for path in ("/famiglia", "/famiglia/componenti", "/famiglia/profilo"):
        html = (await client.get(path)).text
        assert "<b>Anna" not in html and "<script>x" not in html and "<i>co" not in html
    area = (await client.get("/famiglia")).text
    assert "&lt;b&gt;Anna&lt;/b&gt;" in area and "&lt;script&gt;x&lt;/script&gt;" in area
    assert "O&#39;Hara &amp; &lt;i&gt;co&lt;/i&gt;" in area


# -- data and e-mail -------------------------------------------------------------------------


async def test_the_data_download_is_json_with_everything(client, empty_db):
    await sign_in(client)
    await client.post("/famiglia/componenti", data={"kind": "adult", "first_name": "Marco", **await csrf(client)})
    response = await client.get("/famiglia/dati.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["cache-control"] == "no-store"
    data = json.loads(response.content)
    assert data["family"]["email"] == "anna@example.it" and data["family"]["name"] == "Anna"
    assert [member["first_name"] for member in data["members"]] == ["Anna", "Marco"]
    assert data["bookings"] == [] and data["access_requests"] == []


async def test_the_e_mail_changes_with_a_code_sent_to_the_new_address(client, empty_db):
    await sign_in(client)
    response = await client.post("/famiglia/email", data={"email": "Anna.Nuova@example.it", **await csrf(client)})
    assert response.status_code == 303 and response.headers["location"] == "/famiglia/email/codice"
    page = await client.get("/famiglia/email/codice")
    assert "anna.nuova@example.it" in page.text
    code, link = await mailed("anna.nuova@example.it")
    assert link.startswith("/famiglia/email/link/")
    response = await client.post("/famiglia/email/codice", data={"code": code, **await csrf(client)})
    assert response.status_code == 303 and response.headers["location"] == "/famiglia?esito=email"
    assert await family_row("anna.nuova@example.it") is not None
    assert (await client.get("/famiglia")).status_code == 200


async def test_the_e_mail_change_link_needs_one_button(client, second_client, empty_db):
    await sign_in(client)
    await client.post("/famiglia/email", data={"email": "nuova@example.it", **await csrf(client)})
    _, link = await mailed("nuova@example.it")
    page = await second_client.get(link)
    assert page.status_code == 200 and f'action="{link}"' in page.text
    assert await family_row("nuova@example.it") is None
    response = await second_client.post(link, data=await csrf(second_client))
    assert response.status_code == 303 and response.headers["location"] == "/accedi?esito=email"
    assert await family_row("nuova@example.it") is not None


async def test_an_address_of_another_family_is_refused_once_proved(client, second_client, empty_db):
    await sign_in(client)
    await sign_in(second_client, "bruno@example.it")
    response = await client.post("/famiglia/email", data={"email": "bruno@example.it", **await csrf(client)})
    assert response.status_code == 303  # the same answer as for any address
    code, _ = await mailed("bruno@example.it")
    response = await client.post("/famiglia/email/codice?lang=en", data={"code": code, **await csrf(client)})
    assert response.status_code == 409 and "another family" in response.text
    assert (await family_row())["email"] == "anna@example.it"


async def test_a_bad_new_address_is_explained(client, empty_db):
    await sign_in(client)
    for email, status in (("nonsense", 422), ("anna@example.it", 422)):
        response = await client.post("/famiglia/email", data={"email": email, **await csrf(client)})
        assert response.status_code == status and 'id="error-email"' in response.text
    assert await Outbox.count() == 1  # the sign-in code only


# -- CSRF --------------------------------------------------------------------------------------


async def _state() -> tuple:
    return (await Family.select().order_by(Family.id), await Member.select().order_by(Member.id),
            await Outbox.count(), await SignInCode.select().order_by(SignInCode.id))


@pytest.mark.parametrize("bad_token", [None, "wrong-token"])
async def test_every_post_needs_the_csrf_token(client, empty_db, bad_token):
    await sign_in(client)
    await client.post("/famiglia/componenti", data={"kind": "adult", "first_name": "Marco", **await csrf(client)})
    member_id = (await Member.select(Member.id).first())["id"]
    await client.post("/famiglia/email", data={"email": "nuova@example.it", **await csrf(client)})
    _, link = await mailed("nuova@example.it")
    await ask_code(client, "altro@example.it")
    _, sign_in_link = await mailed("altro@example.it")
    await sign_in(client)  # the pending e-mail change is kept in the session
    await client.post("/famiglia/email", data={"email": "nuova@example.it", **await csrf(client)})
    _, link = await mailed("nuova@example.it")
    posts = {
        "/accedi": {"email": "altro@example.it"},
        "/accedi/codice": {"code": "123456"},
        sign_in_link: {},
        "/famiglia/profilo": {**PROFILE, "name": "Changed"},
        "/famiglia/componenti": {"kind": "adult", "first_name": "Intruso"},
        f"/famiglia/componenti/{member_id}/modifica": {"kind": "adult", "first_name": "Changed"},
        f"/famiglia/componenti/{member_id}/elimina": {},
        "/famiglia/email": {"email": "altra@example.it"},
        "/famiglia/email/codice": {"code": "123456"},
        link: {},
        "/famiglia/esci-ovunque": {},
        "/esci": {},
    }
    before = await _state()
    sessions_before = await WebSession.select().order_by(WebSession.id)
    for path, data in posts.items():
        if bad_token:
            data = {**data, "_csrf_token": bad_token}
        response = await client.post(path, data=data)
        assert response.status_code == 403, path
        htmx = await client.post(path, data=data, headers={**HTMX, "x-csrftoken": bad_token or ""})
        assert htmx.status_code == 403, path
    assert await _state() == before
    assert await WebSession.select().order_by(WebSession.id) == sessions_before
    assert (await client.get("/famiglia")).status_code == 200


async def test_htmx_posts_carry_the_token_in_a_header(client, empty_db):
    await sign_in(client)
    response = await client.post("/famiglia/componenti", data={"kind": "adult", "first_name": "Marco"},
                                 headers={**HTMX, "x-csrftoken": token(client)})
    assert response.status_code == 303 and await Member.count() == 2


# -- languages -------------------------------------------------------------------------------


async def test_english_pages(client, empty_db):
    page = await client.get("/accedi?lang=en")
    assert "Send me the code" in page.text and page.headers["content-language"] == "en"
    await sign_in(client, profile={**PROFILE, "language": "en"})
    area = await client.get("/famiglia")
    assert "Your family area" in area.text and "Your household" in area.text
