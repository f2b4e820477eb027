"""Family sign-in (/accedi) and the change of a family's e-mail address: each proves an address with a
mailed code or link. Thin handlers over portal.identity and portal.families; routed by the account's router.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from portal.public import common
from portal.public.common import FamilyId

from portal.families import accounts as families
from portal.i18n import current_language, gettext
from portal.identity import citizens, sessions
from portal.identity import codes as identity
from portal.identity.oidc import ERRORS, Citizen, OidcError
from portal.web import render, safe_next

PENDING = "sign_in"  # session key of a sign-in waiting for its code: {"email": ..., "next": ...}
PENDING_EMAIL_CHANGE = "new_email"
AT_PROVIDER = "at_provider"  # session key: signed in through the identity provider, to sign out there too


def _refusal(request: Request, template: str, error: identity.SignInError, **context: Any) -> Response:
    headers = {"retry-after": str(error.retry_after)} if isinstance(error, identity.TooManyRequests) else None
    return render(request, template, status_code=error.status_code, headers=headers,
                  errors={error.field: error.message}, **context)


def _after_sign_in(current_complete: bool, next_path: str | None) -> str:
    if not current_complete:
        return "/famiglia/profilo" + ("?next=" + quote(next_path, safe="/") if next_path else "")
    return next_path or "/famiglia"


def oidc_failure_page(request: Request, error: OidcError, back: str = "/accedi") -> Response:
    """A SPID/CIE sign-in that did not succeed, told in the citizen's words, with a way back."""
    title, text = ERRORS[error.kind]
    return render(request, "public/account/oidc_error.html", status_code=error.status_code,
                  title=gettext(title), text=gettext(text), back=back)


async def signed_in_redirect(request: Request, family_id: int, next_path: str | None,
                             at_provider: bool = False) -> Response:
    """Start the family's session (a new id) and go on; `at_provider`: signed in through the identity
    provider, whose session sign-out ends too. (The ID token is not kept: it carries the fiscal number.)"""
    await sessions.sign_in(request, family_id)
    if at_provider:
        request.session[AT_PROVIDER] = True
    profile = await families.profile(family_id)
    return Redirect(_after_sign_in(profile.complete, next_path), status_code=303)


# -- signing in ----------------------------------------------------------------------------


@get("/accedi")
async def sign_in_page(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if await sessions.signed_in_family(request):
        return Redirect(next_path or "/famiglia", status_code=303)
    return _sign_in_form(request, next=next_path, email="", errors={}, notice=common.notice(request))


def _sign_in_form(request: Request, status_code: int = 200, headers: dict | None = None, **context: Any) -> Response:
    """The sign-in page: SPID and CIE when the identity gateway is configured, the e-mail code when enabled."""
    party = request.app.state.relying_party
    return render(request, "public/account/sign_in.html", status_code=status_code, headers=headers,
                  methods=party.config.methods if party else (), email_sign_in=common.settings(request).email_sign_in,
                  **context)


@post("/accedi")
async def request_code(request: Request) -> Response:
    if not common.settings(request).email_sign_in:
        raise NotFoundException()
    values = await common.form_values(request)
    next_path = safe_next(values.get("next"))
    context = {"next": next_path, "email": (values.get("email") or "").strip()[:254]}
    try:
        email = await identity.request_code(
            values.get("email") or "", "sign_in", current_language(), common.client_ip(request), common.now(),
            base_url=common.settings(request).base_url, secret_key=common.settings(request).secret_key)
    except identity.SignInError as error:
        headers = {"retry-after": str(error.retry_after)} if isinstance(error, identity.TooManyRequests) else None
        return _sign_in_form(request, error.status_code, headers, errors={error.field: error.message}, **context)
    sessions.rotate(request)  # a session planted before the sign-in never sees the address
    request.set_session({PENDING: {"email": email, "next": next_path}})
    return Redirect("/accedi/codice", status_code=303)


def _pending(request: Request) -> dict | None:
    pending = request.session.get(PENDING) if isinstance(request.scope.get("session"), dict) else None
    return pending if isinstance(pending, dict) and pending.get("email") else None


@get("/accedi/codice")
async def code_page(request: Request) -> Response:
    pending = _pending(request)
    if pending is None:
        return Redirect("/accedi", status_code=303)
    return render(request, "public/account/code.html", email=pending["email"], errors={})


@post("/accedi/codice")
async def verify_code(request: Request) -> Response:
    pending = _pending(request)
    if pending is None:
        return Redirect("/accedi", status_code=303)
    values = await common.form_values(request)
    try:
        family_id = await identity.verify_code(
            pending["email"], values.get("code") or "", common.now(), secret_key=common.settings(request).secret_key,
            client_ip=common.client_ip(request), language=current_language())
    except identity.SignInError as error:
        return _refusal(request, "public/account/code.html", error, email=pending["email"])
    citizen = Citizen.from_session(pending.get("citizen"))
    if citizen is not None:  # a first SPID/CIE sign-in whose e-mail the code has just proved
        try:
            await citizens.connect(family_id, citizen, common.now())
        except OidcError as error:
            return oidc_failure_page(request, error)
    return await signed_in_redirect(request, family_id, safe_next(pending.get("next")))


@get("/accedi/link/{token:str}")
async def link_page(request: Request, token: FromPath[str]) -> Response:
    """One button, so a mail scanner that opens the link does not use the code up."""
    valid = await identity.link_is_valid(token, common.now(), secret_key=common.settings(request).secret_key)
    return render(request, "public/account/link.html", valid=valid, action=f"/accedi/link/{token}", errors={},
                  status_code=200 if valid else 410)


@post("/accedi/link/{token:str}")
async def use_link(request: Request, token: FromPath[str]) -> Response:
    try:
        family_id = await identity.verify_link(token, common.now(), secret_key=common.settings(request).secret_key,
                                               client_ip=common.client_ip(request), language=current_language())
    except identity.SignInError as error:
        return _refusal(request, "public/account/link.html", error, valid=False, action="")
    return await signed_in_redirect(request, family_id, None)


@post("/esci")
async def sign_out(request: Request) -> Response:
    """End the portal session and, after a SPID/CIE sign-in, the identity provider's session too."""
    session = request.scope.get("session")
    at_provider = isinstance(session, dict) and session.get(AT_PROVIDER) is True
    sessions.sign_out(request)
    party, after = request.app.state.relying_party, "/accedi?esito=uscita"
    provider_url = await party.logout_url(common.settings(request).base_url + after) if party and at_provider else None
    return Redirect(provider_url or after, status_code=303)


# -- changing the e-mail address -----------------------------------------------------------


@get("/famiglia/email")
async def email_page(request: Request, family_id: FamilyId) -> Response:
    return render(request, "public/account/email.html", profile=await families.profile(family_id), email="",
                  errors={})


@post("/famiglia/email")
async def request_email_change(request: Request, family_id: FamilyId) -> Response:
    values = await common.form_values(request)
    email = (values.get("email") or "").strip()[:254]
    try:
        new_email = await families.request_email_change(
            family_id, email, current_language(), common.client_ip(request), common.now(),
            base_url=common.settings(request).base_url, secret_key=common.settings(request).secret_key)
    except identity.SignInError as error:
        return _refusal(request, "public/account/email.html", error, profile=await families.profile(family_id),
                        email=email)
    except families.FormErrors as errors:
        return render(request, "public/account/email.html", profile=await families.profile(family_id),
                      email=email, errors=errors.by_field, status_code=errors.status_code)
    request.session[PENDING_EMAIL_CHANGE] = new_email
    return Redirect("/famiglia/email/codice", status_code=303)


@get("/famiglia/email/codice")
async def email_code_page(request: Request, family_id: FamilyId) -> Response:
    new_email = request.session.get(PENDING_EMAIL_CHANGE)
    if not new_email:
        return Redirect("/famiglia/email", status_code=303)
    return render(request, "public/account/email_code.html", email=new_email, errors={})


@post("/famiglia/email/codice")
async def confirm_email_change(request: Request, family_id: FamilyId) -> Response:
    new_email = request.session.get(PENDING_EMAIL_CHANGE)
    if not new_email:
        return Redirect("/famiglia/email", status_code=303)
    values = await common.form_values(request)
    try:
        await families.change_email(family_id, new_email, values.get("code") or "", common.now(),
                                    secret_key=common.settings(request).secret_key, client_ip=common.client_ip(request))
    except identity.SignInError as error:
        return _refusal(request, "public/account/email_code.html", error, email=new_email)
    request.session.pop(PENDING_EMAIL_CHANGE, None)
    return Redirect("/famiglia?esito=email", status_code=303)


@get("/famiglia/email/link/{token:str}")
async def email_link_page(request: Request, token: FromPath[str]) -> Response:
    valid = await identity.link_is_valid(token, common.now(), secret_key=common.settings(request).secret_key,
                                         purpose="change_email")
    return render(request, "public/account/email_link.html", valid=valid, action=f"/famiglia/email/link/{token}",
                  errors={}, status_code=200 if valid else 410)


@post("/famiglia/email/link/{token:str}")
async def use_email_link(request: Request, token: FromPath[str]) -> Response:
    """The token proves the new address and names the family that asked: no session is needed."""
    try:
        await families.change_email_by_link(token, common.now(), secret_key=common.settings(request).secret_key,
                                            client_ip=common.client_ip(request))
    except identity.SignInError as error:
        return _refusal(request, "public/account/email_link.html", error, valid=False, action="")
    if await sessions.signed_in_family(request):
        request.session.pop(PENDING_EMAIL_CHANGE, None)
        return Redirect("/famiglia?esito=email", status_code=303)
    return Redirect("/accedi?esito=email", status_code=303)


HANDLERS = [
    sign_in_page, request_code, code_page, verify_code, link_page, use_link, sign_out,
    email_page, request_email_change, email_code_page, confirm_email_change, email_link_page, use_email_link,
]
