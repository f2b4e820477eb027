"""The staff second factor on the web: the code after the password, enrolment with a QR code and
recovery codes, and an administrator's reset. Thin handlers over portal.identity.second_factor.

Between the password and the code the session holds only PENDING (who, since when, where next),
which opens nothing in the staff area; the session id is rotated at each step.
"""

from __future__ import annotations

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common

from portal.identity import second_factor, sessions, staff_access
from portal.identity.staff_access import Staff
from portal.web import render

PENDING = "staff_pending"  # session key: {"id": staff id, "at": timestamp, "next": path}
PENDING_SECONDS = 300


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _secret_key(request: Request) -> str:
    return request.app.state.settings.secret_key


async def after_password(request: Request, staff_id: int, next_path: str) -> Response:
    """The password was right: the code next if the account has or needs a second factor, else signed in."""
    staff = await staff_access.load_staff(staff_id)
    active = await second_factor.is_active(staff_id)
    if not active and not second_factor.required(staff.role, request.app.state.settings.staff_two_factor):
        await sessions.staff_sign_in(request, staff)
        return Redirect(next_path, status_code=303)
    sessions.rotate(request)
    request.set_session({PENDING: {"id": staff_id, "at": common.now().timestamp(), "next": next_path}})
    return Redirect("/staff/accedi/codice" if active else "/staff/accedi/attiva", status_code=303)


def _pending(request: Request) -> dict | None:
    session = request.scope.get("session")
    pending = session.get(PENDING) if isinstance(session, dict) else None
    if not isinstance(pending, dict) or common.now().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return pending


async def _finish(request: Request, pending: dict) -> Response:
    staff = await staff_access.load_staff(pending["id"])
    if staff is None:
        return Redirect("/staff/accedi", status_code=303)
    await sessions.staff_sign_in(request, staff)
    return Redirect(pending.get("next") or "/staff/", status_code=303)


@get("/staff/accedi/codice")
async def code_page(request: Request) -> Response:
    if _pending(request) is None:
        return Redirect("/staff/accedi", status_code=303)
    return render(request, "staff/second_factor_code.html", error=None)


@post("/staff/accedi/codice")
async def check_code(request: Request) -> Response:
    pending = _pending(request)
    if pending is None:
        return Redirect("/staff/accedi", status_code=303)
    code = (await request.form()).get("code") or ""
    try:
        await second_factor.verify(pending["id"], code, common.now(), secret_key=_secret_key(request),
                                   client_ip=_client_ip(request))
    except second_factor.SecondFactorRefused as refusal:
        return _refused(request, "staff/second_factor_code.html", refusal)
    return await _finish(request, pending)


def _refused(request: Request, template: str, refusal: second_factor.SecondFactorRefused, **context) -> Response:
    headers = {"retry-after": str(refusal.retry_after)} if refusal.retry_after else None
    return render(request, template, status_code=429 if refusal.retry_after else 400, headers=headers,
                  error=refusal.message, **context)


async def _enrolling(request: Request) -> tuple[Staff | None, dict | None]:
    """Who is enrolling: a staff member between password and code, or one signed in."""
    pending = _pending(request)
    if pending is not None:
        return await staff_access.load_staff(pending["id"]), pending
    return await sessions.current_staff(request), None


async def _enrol_context(staff: Staff) -> dict:
    secret = await second_factor.enrolment_secret(staff.id, common.now())
    uri, qr = second_factor.provisioning_qr(secret, staff.email)
    return {"secret": secret, "qr": qr, "uri": uri}


@get("/staff/accedi/attiva")
async def enrol_page(request: Request) -> Response:
    staff, _ = await _enrolling(request)
    if staff is None:
        return Redirect("/staff/accedi", status_code=303)
    try:
        context = await _enrol_context(staff)
    except second_factor.SecondFactorRefused:
        return Redirect("/staff/profilo", status_code=303)  # already active
    return render(request, "staff/second_factor_enrol.html", error=None, **context)


@post("/staff/accedi/attiva")
async def confirm_enrolment(request: Request) -> Response:
    staff, pending = await _enrolling(request)
    if staff is None:
        return Redirect("/staff/accedi", status_code=303)
    code = (await request.form()).get("code") or ""
    try:
        recovery = await second_factor.confirm_enrolment(staff.id, code, common.now(), secret_key=_secret_key(request),
                                                         client_ip=_client_ip(request))
    except second_factor.SecondFactorRefused as refusal:
        return _refused(request, "staff/second_factor_enrol.html", refusal, **await _enrol_context(staff))
    await sessions.staff_sign_in(request, staff)
    next_path = (pending or {}).get("next") or "/staff/"
    return render(request, "staff/second_factor_recovery.html", recovery_codes=recovery, next=next_path)


@post("/staff/operatori/{staff_id:int}/secondo-fattore/azzera")
async def reset(request: Request, staff_id: FromPath[int]) -> Response:
    await second_factor.reset(await common.signed_in(request), staff_id, common.now())
    return Redirect(f"/staff/operatori/{staff_id}?esito=secondo-fattore-azzerato", status_code=303)


second_factor_router = Router(
    path="/", route_handlers=[code_page, check_code, enrol_page, confirm_enrolment, common.router([reset])],
    cache_control=common.NO_STORE)
