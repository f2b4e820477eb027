"""Sign-in with SPID and CIE through the Comune's OpenID Connect gateway: thin handlers over
portal.identity.oidc (the protocol) and portal.identity.citizens (families and their identities).

The flow in progress (state, nonce, PKCE verifier) lives in the server-side session under FLOW and
is taken out when the provider sends the citizen back, so an answer is used at most once. Every
failure is a page in the citizen's language with a way back, never a 500.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.response import Redirect
from portal.public.common import FamilyId
from portal.public.signin import PENDING, oidc_failure_page, signed_in_redirect

from portal.i18n import current_language
from portal.identity import citizens, sessions
from portal.identity import codes as identity
from portal.identity.oidc import CALLBACK_PATH, Citizen, OidcError, RelyingParty
from portal.identity.sessions import provide_family_id
from portal.web import render, safe_next

FLOW = "oidc_flow"  # session keys: the flow in progress; a first sign-in waiting for its e-mail
NEW_CITIZEN = "oidc_citizen"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _party(request: Request) -> RelyingParty:
    party = request.app.state.relying_party
    if party is None:
        raise NotFoundException()
    return party


def _session(request: Request) -> dict[str, Any]:
    raw = request.scope.get("session")
    return raw if isinstance(raw, dict) else {}


async def _start(request: Request, method: str, purpose: str, **flow: Any) -> Response:
    party = _party(request)
    if method not in party.config.methods:
        raise NotFoundException()
    try:
        url, started = await party.start(method, _now())
    except OidcError as error:
        return oidc_failure_page(request, error, "/famiglia" if purpose == "link" else "/accedi")
    sessions.rotate(request)  # a session planted before the sign-in never sees how it ends
    request.set_session({**_session(request), FLOW: {**started, "purpose": purpose, **flow}})
    return Redirect(url, status_code=303)


@get(["/accedi/spid", "/accedi/cie"])
async def start_sign_in(request: Request) -> Response:
    """The "Entra con SPID" and "Entra con CIE" buttons: off to the identity gateway."""
    method = request.url.path.rsplit("/", 1)[1]
    return await _start(request, method, "sign_in", next=safe_next(request.query_params.get("next")))


@post("/famiglia/identita")
async def start_linking(request: Request, family_id: FamilyId) -> Response:
    """A family that came by e-mail connects SPID or CIE: it signs in with it once more."""
    method = (await request.form()).get("method") or ""
    return await _start(request, method, "link", family_id=family_id)


@get(CALLBACK_PATH)
async def provider_return(request: Request) -> Response:
    party = _party(request)
    flow = _session(request).pop(FLOW, None)
    purpose = flow.get("purpose") if isinstance(flow, dict) else None
    params = {name: request.query_params.get(name) or "" for name in ("code", "state", "error", "iss")}
    try:
        citizen = await party.finish(flow, params, _now())
        if purpose == "link":
            return await _link(request, flow, citizen)
    except OidcError as error:
        return oidc_failure_page(request, error, "/famiglia" if purpose == "link" else "/accedi")
    family_id = await citizens.returning_family(citizen, _now())
    if family_id is not None:
        return await signed_in_redirect(request, family_id, flow.get("next"), at_provider=True)
    sessions.rotate(request)
    request.set_session({NEW_CITIZEN: {"citizen": citizen.to_session(), "next": flow.get("next")}})
    return Redirect("/accedi/email", status_code=303)


async def _link(request: Request, flow: dict, citizen: Citizen) -> Response:
    family_id = await sessions.signed_in_family(request)
    if family_id is None or family_id != flow.get("family_id"):
        raise OidcError("state")
    await citizens.connect(family_id, citizen, _now())
    return Redirect("/famiglia?esito=identita-collegata", status_code=303)


def _new_citizen(request: Request) -> tuple[Citizen | None, dict]:
    pending = _session(request).get(NEW_CITIZEN)
    pending = pending if isinstance(pending, dict) else {}
    return Citizen.from_session(pending.get("citizen")), pending


@get("/accedi/email")
async def email_page(request: Request) -> Response:
    """A first sign-in: the family confirms the e-mail the provider gave, or gives one."""
    citizen, _ = _new_citizen(request)
    if citizen is None:
        return Redirect("/accedi", status_code=303)
    return render(request, "public/account/oidc_email.html", citizen=citizen, email=citizen.email, errors={})


@post("/accedi/email")
async def confirm_email(request: Request) -> Response:
    citizen, pending = _new_citizen(request)
    if citizen is None:
        return Redirect("/accedi", status_code=303)
    raw = (await request.form()).get("email") or ""
    settings = request.app.state.settings
    try:
        email = identity.normalise_email(raw)
        if email == citizen.email:
            family_id = await citizens.create_family(citizen, current_language(), _now())
            if family_id is not None:
                return await signed_in_redirect(request, family_id, pending.get("next"), at_provider=True)
        email = await identity.request_code(
            email, "sign_in", current_language(), request.client.host if request.client else None, _now(),
            base_url=settings.base_url, secret_key=settings.secret_key)
    except identity.SignInError as error:
        return render(request, "public/account/oidc_email.html", status_code=error.status_code,
                      citizen=citizen, email=raw.strip()[:254], errors={error.field: error.message})
    # the code proves the address; the identity is connected to its family once the code is verified
    request.set_session({PENDING: {"email": email, "next": pending.get("next"), "citizen": citizen.to_session()}})
    return Redirect("/accedi/codice", status_code=303)


oidc_router = Router(
    path="/",
    route_handlers=[start_sign_in, start_linking, provider_return, email_page, confirm_email],
    dependencies={"family_id": Provide(provide_family_id)},
    cache_control=CacheControlHeader(no_store=True),
)
