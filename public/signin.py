"""Family sign-in (/accedi) and the change of a family's e-mail address: each proves an address with a
mailed code or link. Thin handlers over portal.identity and portal.families; routed by the account's router.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.public import common
from portal.public.common import FamilyId

from portal.families import accounts as families
from portal.i18n import current_language
from portal.identity import codes as identity
from portal.identity import sessions
from portal.web import render, safe_next

PENDING = "sign_in"  # session key of a sign-in waiting for its code: {"email": ..., "next": ...}
PENDING_EMAIL_CHANGE = "new_email"


def _refusal(request: Request, template: str, error: identity.SignInError, **context: Any) -> Response:
    headers = {"retry-after": str(error.retry_after)} if isinstance(error, identity.TooManyRequests) else None
    return render(request, template, status_code=error.status_code, headers=headers,
                  errors={error.field: error.message}, **context)


def _after_sign_in(current_complete: bool, next_path: str | None) -> str:
    if not current_complete:
        return "/famiglia/profilo" + ("?next=" + quote(next_path, safe="/") if next_path else "")
    return next_path or "/famiglia"


async def _signed_in_redirect(request: Request, family_id: int, next_path: str | None) -> Response:
    await sessions.sign_in(request, family_id)
    profile = await families.profile(family_id)
    return Redirect(_after_sign_in(profile.complete, next_path), status_code=303)


# -- signing in ----------------------------------------------------------------------------


@get("/accedi")
async def sign_in_page(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if await sessions.signed_in_family(request):
        return Redirect(next_path or "/famiglia", status_code=303)
    return render(request, "public/account/sign_in.html", next=next_path, email="", errors={},
                  notice=common.notice(request))


@post("/accedi")
async def request_code(request: Request) -> Response:
    values = await common.form_values(request)
    next_path = safe_next(values.get("next"))
    context = {"next": next_path, "email": (values.get("email") or "").strip()[:254]}
    try:
        email = await identity.request_code(
            values.get("email") or "", "sign_in", current_language(), common.client_ip(request), common.now(),
            base_url=common.settings(request).base_url, secret_key=common.settings(request).secret_key)
    except identity.SignInError as error:
        return _refusal(request, "public/account/sign_in.html", error, **context)
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
    return await _signed_in_redirect(request, family_id, safe_next(pending.get("next")))


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
    return await _signed_in_redirect(request, family_id, None)


@post("/esci")
async def sign_out(request: Request) -> Response:
    sessions.sign_out(request)
    return Redirect("/accedi?esito=uscita", status_code=303)


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
