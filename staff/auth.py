"""Staff sign-in (separate from families'), sign-out, and the staff area's home (the dashboard)."""

from __future__ import annotations

from datetime import datetime, timezone

from litestar import Request, Response, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.response import Redirect
from portal.staff import second_factor

from portal.identity import sessions, staff_access
from portal.identity.sessions import require_staff
from portal.operations import dashboard
from portal.web import render, safe_next


def _now() -> datetime:
    return datetime.now(timezone.utc)


@get("/staff/accedi")
async def login_page(request: Request) -> Response:
    if await sessions.current_staff(request):
        return Redirect("/staff/", status_code=303)
    return render(request, "staff/login.html", email="", error=None,
                  next=safe_next(request.query_params.get("next")))


@post("/staff/accedi")
async def login(request: Request) -> Response:
    form = await request.form()
    email, next_path = (form.get("email") or "").strip()[:254], safe_next(form.get("next"))
    try:
        staff_id = await staff_access.authenticate(
            email, form.get("password") or "", request.client.host if request.client else None, _now())
    except staff_access.LoginRefused as refusal:
        headers = {"retry-after": str(refusal.retry_after)} if refusal.retry_after else None
        return render(request, "staff/login.html", status_code=429 if refusal.retry_after else 400,
                      headers=headers, email=email, error=refusal.message, next=next_path)
    return await second_factor.after_password(
        request, staff_id, next_path if next_path and next_path.startswith("/staff/") else "/staff/")


@post("/staff/esci")
async def logout(request: Request) -> Response:
    request.clear_session()
    return Redirect("/staff/accedi", status_code=303)


@get("/staff/", guards=[require_staff])
async def home(request: Request) -> Response:
    staff = await sessions.current_staff(request)
    found = await dashboard.build(staff, _now())
    return render(request, "staff/home.html", staff=staff, dashboard=found, overview=found.scope)


auth_router = Router(path="/", route_handlers=[login_page, login, logout, home],
                     cache_control=CacheControlHeader(no_store=True))
