"""SPID/CIE sign-in and the staff second factor in Chromium on a phone (390×844), against a real
OpenID Connect provider and a live portal server configured for it."""

from __future__ import annotations

import re

import pyotp
import pytest

from portal.tables import Family
from tests.browser.conftest import first_sign_in, serve_portal
from tests.oidc.fixtures import SECRET
from tests.web.staff_signin import PASSWORD, staff_member

pytestmark = [pytest.mark.anyio, pytest.mark.browser]


@pytest.fixture(scope="session")
def identity_server(migrated, chromium_path, mailbox, tmp_path_factory, oidc_provider, oidc_portal_port) -> str:
    env = {"OIDC_ISSUER": oidc_provider.issuer, "OIDC_CLIENT_ID": "portal", "OIDC_CLIENT_SECRET": SECRET,
           "OIDC_SCOPES": "openid profile email fiscal", "OIDC_SUBJECT_CLAIM": "fiscal_number",
           "STAFF_TWO_FACTOR": "admins", "SMTP_URL": mailbox.url}
    with serve_portal(migrated, tmp_path_factory.mktemp("identity-var"), oidc_portal_port, **env) as url:
        yield url


async def fits_the_phone(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390


async def test_spid_first_sign_in_sign_out_and_return(identity_server, provider, phone, empty_db):
    page = phone
    await page.goto(identity_server + "/accedi")
    spid = page.get_by_role("link", name="Entra con SPID")
    await spid.wait_for()
    assert await page.get_by_role("link", name="Entra con CIE").is_visible()
    await fits_the_phone(page)
    await spid.click()
    await page.get_by_role("button", name="mario").click()  # the provider's sign-in page
    await page.wait_for_url("**/accedi/email")
    assert await page.input_value("#identity-email") == "mario.rossi@example.it"
    await page.click("form[action='/accedi/email'] button[type=submit]")
    await page.wait_for_url("**/famiglia/profilo**")
    assert await page.input_value("#profile-name") == "Mario"
    await page.click("label[for=profile-privacy]")
    await page.click("form[action='/famiglia/profilo'] button[type=submit]")
    await page.wait_for_url(re.compile(r".*/famiglia\?esito=profilo$"))
    await page.get_by_role("button", name="Esci", exact=True).first.click()
    await page.wait_for_url(re.compile(r".*/session/end.*"))  # the provider asks to confirm its sign-out
    await page.get_by_role("button", name="Esci").click()
    await page.wait_for_url(re.compile(r".*/accedi\?esito=uscita(&.*)?$"))

    await page.get_by_role("link", name="Entra con SPID").click()  # the return visit
    await page.get_by_role("button", name="mario").click()
    await page.wait_for_url(re.compile(r".*/famiglia$"))
    assert "Mario" in await page.inner_text("main")
    assert await Family.count() == 1


async def test_a_cancelled_cie_sign_in_explains_and_leads_back(identity_server, provider, phone, empty_db):
    page = phone
    await page.goto(identity_server + "/accedi")
    await page.get_by_role("link", name="Entra con CIE").click()
    await page.get_by_role("button", name="Annulla").click()
    await page.get_by_role("heading", name="Accesso annullato").wait_for()
    await fits_the_phone(page)
    await page.get_by_role("link", name="Torna all'accesso").click()
    await page.wait_for_url("**/accedi")


async def test_a_family_that_came_by_email_connects_spid(identity_server, provider, phone, mailbox, empty_db):
    page = phone
    await page.goto(identity_server + "/famiglia")
    await first_sign_in(page, mailbox, "lucia@example.it", "Lucia", "Verdi")
    await page.get_by_role("button", name="Collega SPID").click()  # a form that leads to the provider
    await page.get_by_role("button", name="lucia").click()
    await page.wait_for_url(re.compile(r".*/famiglia\?esito=identita-collegata$"))
    assert "La tua identità digitale è collegata" in await page.inner_text("main")


async def test_the_provider_down_is_a_clear_page(identity_server, provider, phone, empty_db):
    provider.set_mode("token_down")
    page = phone
    await page.goto(identity_server + "/accedi")
    await page.get_by_role("link", name="Entra con SPID").click()
    await page.get_by_role("button", name="mario").click()  # the sign-in works, the code cannot be redeemed
    await page.get_by_role("heading", name="Il servizio di accesso non risponde").wait_for()


async def test_an_administrator_enrols_a_second_factor_then_signs_in_with_it(identity_server, phone, empty_db):
    await staff_member("capo@example.it")
    page = phone
    await page.goto(identity_server + "/staff/accedi")
    await page.fill("#staff-email", "capo@example.it")
    await page.fill("#staff-password", PASSWORD)
    await page.click("form[action='/staff/accedi'] button[type=submit]")
    await page.wait_for_url("**/staff/accedi/attiva")
    assert await page.get_by_role("img", name=re.compile("Codice QR")).is_visible()
    await fits_the_phone(page)
    secret = await page.inner_text("#totp-secret")
    await page.fill("#staff-code", pyotp.TOTP(secret).now())
    await page.click("form[action='/staff/accedi/attiva'] button[type=submit]")
    assert len(await page.locator("#recovery-codes li").all()) == 10
    await page.get_by_role("link", name="Continua").click()
    await page.wait_for_url("**/staff/")
