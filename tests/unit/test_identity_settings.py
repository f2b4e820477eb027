"""SPID/CIE and second-factor settings, and the keyed hash that recognises a citizen."""

import pytest

from portal.identity.oidc import subject_hash
from portal.identity.second_factor import required
from portal.settings import ConfigError, load_settings

GATEWAY = {"OIDC_ISSUER": "https://id.comune.example.it", "OIDC_CLIENT_ID": "poli", "OIDC_CLIENT_SECRET": "s3cret"}


def _load(tmp_path, **env):
    return load_settings({"PORTAL_VAR_DIR": str(tmp_path), **env})


def test_off_unless_configured_and_defaults(tmp_path):
    settings = _load(tmp_path)
    assert settings.oidc is None and settings.email_sign_in and settings.staff_two_factor == "admins"
    oidc = _load(tmp_path, **GATEWAY).oidc
    assert (oidc.issuer, oidc.client_id, oidc.client_secret, oidc.private_key) == (
        "https://id.comune.example.it", "poli", "s3cret", None)
    assert oidc.scopes == "openid profile email" and oidc.methods == ("spid", "cie")
    assert oidc.subject_claim == "sub" and oidc.parameters_for("spid") == ""


def test_claims_methods_parameters_and_key_file(tmp_path):
    key = tmp_path / "client.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n...\n")
    env = {**GATEWAY, "OIDC_CLIENT_SECRET": "", "OIDC_PRIVATE_KEY_FILE": str(key), "OIDC_METHODS": "cie",
           "OIDC_SUBJECT_CLAIM": "https://attributes.eid.gov.it/fiscal_number", "OIDC_EMAIL_CLAIM": "mail",
           "OIDC_CIE_PARAMETERS": "acr_values=https://www.spid.gov.it/SpidL2", "EMAIL_SIGN_IN": "0",
           "STAFF_TWO_FACTOR": "all"}
    settings = _load(tmp_path, **env)
    oidc = settings.oidc
    assert oidc.private_key.startswith("-----BEGIN") and oidc.client_secret is None and oidc.methods == ("cie",)
    assert oidc.subject_claim == "https://attributes.eid.gov.it/fiscal_number" and oidc.email_claim == "mail"
    assert oidc.parameters_for("cie") == "acr_values=https://www.spid.gov.it/SpidL2"
    assert not settings.email_sign_in and settings.staff_two_factor == "all"


@pytest.mark.parametrize("env, words", [
    ({"OIDC_CLIENT_ID": ""}, "OIDC_CLIENT_ID must be set"),
    ({"OIDC_ISSUER": "id.comune.example.it"}, "OIDC_ISSUER must be an http"),
    ({"OIDC_CLIENT_SECRET": ""}, "set one of OIDC_CLIENT_SECRET"),
    ({"OIDC_PRIVATE_KEY_FILE": "/etc/key.pem"}, "set one of OIDC_CLIENT_SECRET"),
    ({"OIDC_CLIENT_SECRET": "", "OIDC_PRIVATE_KEY_FILE": "/nonexistent/key.pem"}, "cannot read OIDC_PRIVATE_KEY_FILE"),
    ({"OIDC_METHODS": "spid,cns"}, "OIDC_METHODS must list"),
    ({"OIDC_SCOPES": "profile email"}, "must include openid"),
    ({"STAFF_TWO_FACTOR": "some"}, "STAFF_TWO_FACTOR must be one of"),
])
def test_bad_values_are_explained(tmp_path, env, words):
    with pytest.raises(ConfigError, match=words):
        _load(tmp_path, **{**GATEWAY, **env})


def test_the_citizen_hash_is_keyed_and_meets_spid_and_cie():
    key, other_key = "k" * 40, "o" * 40
    claim = "fiscal_number"
    spid = subject_hash(key, claim, "TINIT-RSSMRA80A01F839X")
    assert spid == subject_hash(key, claim, "rssmra80a01f839x") == subject_hash(key, claim, " RSSMRA80A01F839X ")
    assert spid != subject_hash(other_key, claim, "RSSMRA80A01F839X") and "RSSMRA" not in spid
    assert subject_hash(key, "sub", "abc") != subject_hash(key, "sub", "ABC")  # subjects are case-sensitive


@pytest.mark.parametrize("role, policy, needed", [
    ("admin", "admins", True), ("coordinator", "admins", False), ("operator", "all", True),
    ("admin", "off", False),
])
def test_who_must_use_a_second_factor(role, policy, needed):
    assert required(role, policy) is needed
