"""Rosters and attendance pages: the activities and meetings one works on, a meeting's roster with
present/absent toggles (HTMX, and plain forms without JavaScript), the printable roster, a course's grid."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common
from portal.staff.operations_common import refusal_message, template

from portal.i18n import gettext
from portal.identity.staff_access import Staff
from portal.operations import rosters
from portal.operations.scope import Refused
from portal.web import render, safe_next


@get("/staff/registri")
async def overview_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    return await common.page(request, template("overview.html"), activities=await rosters.overview(staff, common.now()))


@get("/staff/registri/incontri/{meeting_id:int}")
async def roster_page(request: Request, meeting_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    roster = await rosters.meeting_roster(staff, meeting_id)
    return await common.page(request, template("roster.html"), roster=roster, error=None)


@get("/staff/registri/incontri/{meeting_id:int}/stampa")
async def roster_print(request: Request, meeting_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    roster = await rosters.meeting_roster(staff, meeting_id)
    return render(request, template("roster_print.html"), roster=roster)


@post("/staff/registri/incontri/{meeting_id:int}/presenze/{participant_id:int}")
async def mark(request: Request, meeting_id: FromPath[int], participant_id: FromPath[int]) -> Response:
    """Present or absent: an HTMX request gets the toggle back; a plain form goes back to the page."""
    staff = await common.signed_in(request)
    values = await request.form()
    present = values.get("present")
    grid = values.get("view") == "grid"
    htmx = bool(request.headers.get("hx-request"))
    if present not in ("1", "0"):
        return await _refused(request, staff, meeting_id, htmx, gettext("Choose present or absent."))
    try:
        participant = await rosters.mark_attendance(staff, meeting_id, participant_id, present == "1", common.now())
    except Refused as refusal:
        return await _refused(request, staff, meeting_id, htmx, refusal_message(refusal))
    if htmx:
        return render(request, template("_attendance_toggle.html"), participant=participant, meeting_id=meeting_id,
                      view="grid" if grid else "roster", back=safe_next(values.get("back")))
    back = safe_next(values.get("back"))
    if back and back.startswith("/staff/registri/"):
        return Redirect(f"{back}#p{participant_id}", status_code=303)
    return Redirect(f"/staff/registri/incontri/{meeting_id}#p{participant_id}", status_code=303)


async def _refused(request: Request, staff: Staff, meeting_id: int, htmx: bool, message: str) -> Response:
    if htmx:
        return render(request, template("_refused.html"), status_code=422, message=message)
    roster = await rosters.meeting_roster(staff, meeting_id)
    return await common.page(request, template("roster.html"), status_code=422, roster=roster, error=message)


@get("/staff/registri/percorsi/{activity_id:int}")
async def grid_page(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    try:
        grid = await rosters.attendance_grid(staff, activity_id)
    except Refused as refusal:
        return await common.page(request, template("message.html"), status_code=409, title=refusal_message(refusal),
                                 back="/staff/registri")
    return await common.page(request, template("grid.html"), grid=grid)


ROUTES = [overview_page, roster_page, roster_print, mark, grid_page]
