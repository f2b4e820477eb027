"""Staff second factor over HTTP: enrolment with a QR code, the code after the password (each once),
recovery codes, throttling, the policy setting, an administrator's reset, the audit log."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from portal.tables import AuditEntry, StaffRecoveryCode, StaffSecondFactor
from tests.oidc.fixtures import portal_client
from tests.web.staff_signin import staff_member, staff_sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def staff_client(migrated):
    async with portal_client(replace(migrated, staff_two_factor="admins")) as http:
        yield http


def _csrf(http) -> dict[str, str]:
    return {"_csrf_token": http.cookies["csrftoken"]}


async def _actions() -> list[str]:
    return [row["action"] for row in await AuditEntry.select(AuditEntry.action).order_by(AuditEntry.id)]


async def enrol(http, email: str) -> tuple[str, list[str], str]:
    """Password, then the enrolment page: the secret, the recovery codes and the code used."""
    answer = await staff_sign_in(http, email)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/accedi/attiva"
    page = await http.get("/staff/accedi/attiva")
    assert 'src="data:image/svg+xml' in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    code = pyotp.TOTP(secret).now()
    done = await http.post("/staff/accedi/attiva", data={"code": code, **_csrf(http)})
    assert done.status_code == 200, done.text[:300]
    return secret, re.findall(r'<code class="h5">([a-z0-9-]+)</code>', done.text), code


async def test_an_administrator_must_enrol_before_entering(staff_client, empty_db):
    http = staff_client
    await staff_member("capo@example.it")
    answer = await staff_sign_in(http, "capo@example.it")
    assert answer.headers["location"] == "/staff/accedi/attiva"
    assert (await http.get("/staff/")).status_code == 303  # the password alone opens nothing
    await http.get("/staff/accedi/attiva")
    wrong = await http.post("/staff/accedi/attiva", data={"code": "000000", **_csrf(http)})
    assert wrong.status_code == 400 and "non è corretto" in wrong.text
    assert (await http.get("/staff/")).status_code == 303
    await http.post("/staff/esci", data=_csrf(http))
    secret, recovery, _ = await enrol(http, "capo@example.it")
    assert len(recovery) == 10 and len(set(recovery)) == 10
    assert (await http.get("/staff/")).status_code == 200
    hashes = [row["code_hash"] for row in await StaffRecoveryCode.select(StaffRecoveryCode.code_hash)]
    assert len(hashes) == 10 and not set(hashes) & {code.replace("-", "") for code in recovery}
    assert await _actions() == ["second_factor_failed", "second_factor_enrolled"]


async def test_sign_in_asks_the_code_and_each_code_works_once(staff_client, empty_db):
    http = staff_client
    await staff_member("capo@example.it")
    secret, _, used = await enrol(http, "capo@example.it")
    await http.post("/staff/esci", data=_csrf(http))
    answer = await staff_sign_in(http, "capo@example.it")
    assert answer.headers["location"] == "/staff/accedi/codice"
    assert (await http.get("/staff/")).status_code == 303
    replay = await http.post("/staff/accedi/codice", data={"code": used, **_csrf(http)})
    assert replay.status_code == 400
    following = pyotp.TOTP(secret).at(datetime.now(timezone.utc) + timedelta(seconds=30))
    done = await http.post("/staff/accedi/codice", data={"code": following, **_csrf(http)})
    assert done.status_code == 303 and done.headers["location"] == "/staff/"
    assert (await http.get("/staff/")).status_code == 200


async def test_a_recovery_code_works_once(staff_client, empty_db):
    http = staff_client
    await staff_member("capo@example.it")
    _, recovery, _ = await enrol(http, "capo@example.it")
    for expected in (303, 400):
        await http.post("/staff/esci", data=_csrf(http))
        await staff_sign_in(http, "capo@example.it")
        answer = await http.post("/staff/accedi/codice", data={"code": recovery[3].upper(), **_csrf(http)})
        assert answer.status_code == expected
    assert "second_factor_recovery_used" in await _actions()


async def test_codes_are_throttled_like_the_password(staff_client, empty_db):
    http = staff_client
    await staff_member("capo@example.it")
    secret, _, _ = await enrol(http, "capo@example.it")
    await http.post("/staff/esci", data=_csrf(http))
    await staff_sign_in(http, "capo@example.it")
    statuses = [(await http.post("/staff/accedi/codice", data={"code": "123456", **_csrf(http)})).status_code
                for _ in range(5)]
    assert statuses[-1] == 429  # the enrolment's code counted too
    right = pyotp.TOTP(secret).at(datetime.now(timezone.utc) + timedelta(seconds=30))
    blocked = await http.post("/staff/accedi/codice", data={"code": right, **_csrf(http)})
    assert blocked.status_code == 429 and "retry-after" in blocked.headers
    assert (await _actions()).count("second_factor_failed") == 4


async def test_the_policy_decides_who_must_use_it(migrated, empty_db):
    await staff_member("coord@example.it", role="coordinator")
    async with portal_client(replace(migrated, staff_two_factor="admins")) as http:
        assert (await staff_sign_in(http, "coord@example.it")).headers["location"] == "/staff/"
    async with portal_client(replace(migrated, staff_two_factor="all")) as http:
        assert (await staff_sign_in(http, "coord@example.it")).headers["location"] == "/staff/accedi/attiva"


async def test_anyone_may_turn_it_on_from_the_profile(client, empty_db):
    await staff_member("coord@example.it", role="coordinator")
    await staff_sign_in(client, "coord@example.it")
    assert "/staff/accedi/attiva" in (await client.get("/staff/profilo")).text
    page = await client.get("/staff/accedi/attiva")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    done = await client.post("/staff/accedi/attiva", data={"code": pyotp.TOTP(secret).now(), **_csrf(client)})
    assert done.status_code == 200 and "/staff/accedi/attiva" not in (await client.get("/staff/profilo")).text
    await client.post("/staff/esci", data=_csrf(client))
    assert (await staff_sign_in(client, "coord@example.it")).headers["location"] == "/staff/accedi/codice"


async def test_an_administrator_resets_a_lost_authenticator(staff_client, migrated, empty_db):
    http = staff_client
    lost = await staff_member("perso@example.it")
    await enrol(http, "perso@example.it")
    async with portal_client(replace(migrated, staff_two_factor="admins")) as admin:
        await staff_member("capo@example.it")
        await enrol(admin, "capo@example.it")
        answer = await admin.post(f"/staff/operatori/{lost}/secondo-fattore/azzera", data=_csrf(admin))
        assert answer.status_code == 303
    assert (await http.get("/staff/")).status_code == 303  # the account's sessions have ended
    assert not await StaffSecondFactor.exists().where(StaffSecondFactor.staff == lost)
    assert (await staff_sign_in(http, "perso@example.it")).headers["location"] == "/staff/accedi/attiva"
    assert "second_factor_reset" in await _actions()


async def test_only_administrators_reset(client, empty_db):
    target = await staff_member("capo@example.it")
    await staff_member("coord@example.it", role="coordinator")
    await staff_sign_in(client, "coord@example.it")
    answer = await client.post(f"/staff/operatori/{target}/secondo-fattore/azzera", data=_csrf(client))
    assert answer.status_code == 403


async def test_the_code_page_needs_the_password_first(staff_client, empty_db):
    answer = await staff_client.get("/staff/accedi/codice")
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/accedi"
    assert (await staff_client.get("/staff/accedi/attiva")).headers["location"] == "/staff/accedi"
