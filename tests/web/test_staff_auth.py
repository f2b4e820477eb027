"""Staff sign-in: argon2id passwords, a rotated session, throttling, roles, the idle timeout."""

from __future__ import annotations

import pytest

from portal.tables import StaffUser
from tests.web.staff_signin import staff_member, staff_sign_in

pytestmark = pytest.mark.anyio


async def test_sign_in_rotates_the_session_and_opens_the_staff_area(client, empty_db):
    await staff_member("capo@example.it")
    assert (await client.get("/staff/")).status_code == 303
    response = await staff_sign_in(client, "capo@example.it")
    assert response.status_code == 303 and response.headers["location"] == "/staff/"
    assert "session=" in response.headers.get("set-cookie", "")  # a new session id, issued at sign-in
    home = await client.get("/staff/")
    assert home.status_code == 200 and "Amministratore" in home.text
    stored = (await StaffUser.select(StaffUser.password_hash).first())["password_hash"]
    assert stored.startswith("$argon2id$")


async def test_wrong_password_and_unknown_account_answer_alike_then_throttle(client, empty_db):
    await staff_member("capo@example.it")
    wrong = await staff_sign_in(client, "capo@example.it", "not the password")
    unknown = await staff_sign_in(client, "nessuno@example.it", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert "E-mail o password errate" in wrong.text and "E-mail o password errate" in unknown.text
    statuses = [(await staff_sign_in(client, "capo@example.it", "again wrong")).status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert (await staff_sign_in(client, "capo@example.it")).status_code == 429  # even the right one, for now


async def test_sign_out(client, empty_db):
    await staff_member("capo@example.it")
    await staff_sign_in(client, "capo@example.it")
    await client.post("/staff/esci", data={"_csrf_token": client.cookies["csrftoken"]})
    assert (await client.get("/staff/")).status_code == 303
