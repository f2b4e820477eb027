"""Families' sign-in through the Comune's OpenID Connect identity gateway (SPID and CIE).

A standard relying party built on Authlib: the authorization code flow with PKCE (S256), `state`
and `nonce`, the provider found by discovery, the ID token's signature, issuer, audience, expiry
and nonce verified, the client authenticated by `client_secret_basic` or `private_key_jwt`.

What a flow needs between the redirect and the return (state, nonce, PKCE verifier) stays on the
server, in the web session; nothing read back from the query string is trusted beyond being
compared with it. Failures are an `OidcError` whose `kind` names what the citizen is told; they are
logged by kind only, never with personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

import httpx2
from authlib.integrations.base_client import BaseApp, OAuthError
from authlib.integrations.base_client.async_app import AsyncOAuth2Mixin
from authlib.integrations.base_client.async_openid import AsyncOpenIDMixin
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from portal.i18n import N_
from portal.settings import OidcSettings

log = logging.getLogger(__name__)

CALLBACK_PATH = "/accedi/oidc/ritorno"
FLOW_SECONDS = 600  # a sign-in left at the provider longer than this starts again
LEEWAY_SECONDS = 60  # clock difference tolerated on the ID token's times
TIMEOUT_SECONDS = 10
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")

# kind: (title, explanation), in the words the citizen reads
ERRORS = {
    "cancelled": (N_("Sign-in cancelled"),
                  N_("You cancelled the sign-in with your digital identity. You can try again whenever you like.")),
    "state": (N_("This sign-in has expired"),
              N_("The sign-in took too long or was started in another window. Please start again.")),
    "token": (N_("We could not verify your sign-in"),
              N_("The answer from the identity provider could not be verified, so you have not been signed in."
                 " Please start again.")),
    "refused": (N_("The identity provider did not sign you in"),
                N_("The identity provider could not complete the sign-in. Please try again later.")),
    "unavailable": (N_("The identity provider is not answering"),
                    N_("We cannot reach the SPID and CIE sign-in service right now. Please try again in a few"
                       " minutes.")),
    "linked_elsewhere": (N_("This identity is already in use"),
                         N_("This digital identity is already connected to another account of the portal.")),
}


class OidcError(Exception):
    """A sign-in that did not succeed; `kind` is a key of ERRORS."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind

    @property
    def status_code(self) -> int:
        return 503 if self.kind == "unavailable" else 400


@dataclass(frozen=True)
class Citizen:
    """What a sign-in proves: a keyed hash of the identity (never the subject or fiscal number in
    clear), the names and the e-mail the provider gave."""

    subject_hash: str
    method: str
    given_name: str
    family_name: str
    email: str

    def to_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object) -> Citizen | None:
        try:
            return cls(**data) if isinstance(data, dict) else None
        except TypeError:
            return None


def subject_hash(secret_key: str, claim: str, value: str) -> str:
    """The keyed hash that recognises a returning citizen. A fiscal number is compared without the
    "TINIT-" prefix some providers put before it, so SPID and CIE meet on the same person."""
    value = value.strip()
    if value.upper().startswith("TINIT-"):
        value = value[len("TINIT-"):]
    if claim != "sub":
        value = value.upper()
    return hmac.new(secret_key.encode(), f"citizen\0{claim}\0{value}".encode(), hashlib.sha256).hexdigest()


class _Gateway(AsyncOAuth2Mixin, AsyncOpenIDMixin, BaseApp):
    client_cls = AsyncOAuth2Client


class RelyingParty:
    """The portal as a client of one OpenID Connect provider; discovery and keys are cached."""

    def __init__(self, config: OidcSettings, base_url: str, secret_key: str) -> None:
        self.config = config
        self.redirect_uri = base_url.rstrip("/") + CALLBACK_PATH
        self._secret_key = secret_key
        by_key = config.private_key is not None
        self._gateway = _Gateway(
            framework=None, client_id=config.client_id,
            client_secret=config.private_key if by_key else config.client_secret,
            server_metadata_url=config.issuer + "/.well-known/openid-configuration",
            client_auth_methods=[PrivateKeyJWT()] if by_key else None,
            client_kwargs={"scope": config.scopes, "code_challenge_method": "S256", "timeout": TIMEOUT_SECONDS,
                           "token_endpoint_auth_method": "private_key_jwt" if by_key else "client_secret_basic"},
        )

    def origins(self) -> list[str]:
        """Where the browser is sent at the provider (for the Content-Security-Policy's form-action)."""
        metadata = self._gateway.server_metadata
        urls = [self.config.issuer, metadata.get("authorization_endpoint"), metadata.get("end_session_endpoint")]
        return sorted({"{0.scheme}://{0.netloc}".format(urlsplit(url)) for url in urls if isinstance(url, str)})

    async def _metadata(self) -> dict:
        try:
            metadata = await self._gateway.load_server_metadata()
        except (httpx2.HTTPError, ValueError) as error:
            raise _failure("unavailable", error) from None
        if metadata.get("issuer", "").rstrip("/") != self.config.issuer:
            self._gateway.server_metadata.clear()
            raise _failure("unavailable", ValueError("the discovery document names another issuer"))
        return metadata

    async def start(self, method: str, now: datetime) -> tuple[str, dict]:
        """The provider's authorization address, and the flow to keep in the session until the return."""
        await self._metadata()
        extra = dict(parse_qsl(self.config.parameters_for(method)))
        found = await self._gateway.create_authorization_url(
            redirect_uri=self.redirect_uri, state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64), **extra)
        flow = {"state": found["state"], "nonce": found["nonce"], "code_verifier": found["code_verifier"],
                "method": method, "started": now.timestamp()}
        return found["url"], flow

    async def finish(self, flow: dict | None, params: dict[str, str], now: datetime) -> Citizen:
        """Check the provider's answer against the flow kept in the session, exchange the code and
        verify the ID token; returns the citizen. The tokens are not kept: they carry the fiscal number."""
        if params.get("error"):
            raise _failure("cancelled" if params["error"] == "access_denied" else "refused",
                           ValueError(params["error"][:40]))
        if not _flow_matches(flow, params, now):
            raise _failure("state", ValueError("state missing, different or expired"))
        if params.get("iss") and params["iss"].rstrip("/") != self.config.issuer:
            raise _failure("state", ValueError("the answer names another issuer"))  # RFC 9207 mix-up defence
        metadata = await self._metadata()
        try:
            token = await self._gateway.fetch_access_token(
                redirect_uri=self.redirect_uri, code=params.get("code", ""), code_verifier=flow["code_verifier"])
        except OAuthError as error:
            raise _failure("token", error) from None
        except (httpx2.HTTPError, ValueError) as error:
            raise _failure("unavailable", error) from None
        if not isinstance(token.get("id_token"), str):
            raise _failure("token", ValueError("no ID token"))
        claims = await self._verified_claims(token, flow["nonce"], metadata, now)
        return self._citizen(claims, flow["method"])

    async def _verified_claims(self, token: dict, nonce: str, metadata: dict, now: datetime) -> CodeIDToken:
        algorithms = [a for a in metadata.get("id_token_signing_alg_values_supported", ["RS256"])
                      if a in SIGNING_ALGORITHMS] or ["RS256"]
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                decoded = jwt.decode(token["id_token"], KeySet.import_key_set(await self._keys()), registry=registry)
            except InvalidKeyIdError:  # the provider may have rotated its keys
                decoded = jwt.decode(token["id_token"], KeySet.import_key_set(await self._keys(force=True)),
                                     registry=registry)
            claims = CodeIDToken(
                decoded.claims, decoded.header,
                {"iss": {"essential": True, "value": self.config.issuer}, "aud": {"essential": True,
                                                                                 "value": self.config.client_id}},
                {"nonce": nonce, "client_id": self.config.client_id, "access_token": token.get("access_token")})
            claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
        except (JoseError, ValueError) as error:
            raise _failure("token", error) from None
        return claims

    async def _keys(self, force: bool = False) -> dict:
        try:
            return await self._gateway.fetch_jwk_set(force=force)
        except (httpx2.HTTPError, ValueError, RuntimeError) as error:
            raise _failure("unavailable", error) from None

    def _citizen(self, claims: CodeIDToken, method: str) -> Citizen:
        config = self.config
        subject = claims.get(config.subject_claim)
        if not isinstance(subject, str) or not subject.strip():
            raise _failure("token", ValueError(f"no {config.subject_claim} claim"))

        def text(name: str, length: int) -> str:
            value = claims.get(name)
            return value.strip()[:length] if isinstance(value, str) else ""

        return Citizen(subject_hash(self._secret_key, config.subject_claim, subject), method,
                       text(config.given_name_claim, 100), text(config.family_name_claim, 100),
                       text(config.email_claim, 254).lower())

    async def logout_url(self, after: str) -> str | None:
        """The provider's end-session address (RP-initiated logout, identified by client_id), when it offers one."""
        try:
            if not (await self._metadata()).get("end_session_endpoint"):
                return None
            found = await self._gateway.create_logout_url(post_logout_redirect_uri=after,
                                                          client_id=self.config.client_id)
        except OidcError:
            return None
        return found["url"]


def _flow_matches(flow: dict | None, params: dict[str, str], now: datetime) -> bool:
    if not isinstance(flow, dict) or not isinstance(flow.get("state"), str) or not params.get("code"):
        return False
    fresh = 0 <= now.timestamp() - float(flow.get("started", 0)) <= FLOW_SECONDS
    return fresh and hmac.compare_digest(flow["state"].encode(), (params.get("state") or "").encode())


def _failure(kind: str, error: Exception) -> OidcError:
    """Log a failed sign-in by kind and exception type only: no claims, codes or tokens."""
    log.warning("OpenID Connect sign-in failed: %s (%s)", kind, type(error).__name__)
    return OidcError(kind)
