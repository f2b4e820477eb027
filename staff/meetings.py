"""Meetings in the staff area: add one or a weekly series, edit, cancel with a message, and a single
meeting's capacity. Thin handlers over portal.admin.meetings and portal.admin.capacity."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common
from portal.staff.activities import capacity_form

from portal.admin import activities as activities_admin
from portal.admin import capacity as capacity_admin
from portal.admin import meetings as meetings_admin
from portal.form_fields import FormErrors


def _activity_url(activity_id: int, notice: str) -> str:
    return f"/staff/attivita/{activity_id}?esito={notice}"


@get("/staff/attivita/{activity_id:int}/incontri/nuovo")
async def new_meeting_page(request: Request, activity_id: FromPath[int]) -> Response:
    activity = await _editable_activity(request, activity_id)
    return await common.page(request, "staff/meeting_form.html", activity=activity, meeting=None, values={},
                             errors={})


@post("/staff/attivita/{activity_id:int}/incontri/nuovo")
async def add_meeting(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await meetings_admin.add_meeting(staff, activity_id, values, common.now())
    except FormErrors as errors:
        return await common.page(request, "staff/meeting_form.html", status_code=errors.status_code,
                                 activity=await activities_admin.activity(staff, activity_id), meeting=None,
                                 values=common.plain(values), errors=errors.by_field)
    return Redirect(_activity_url(activity_id, "incontro"), status_code=303)


@get("/staff/attivita/{activity_id:int}/incontri/serie")
async def new_series_page(request: Request, activity_id: FromPath[int]) -> Response:
    activity = await _editable_activity(request, activity_id)
    return await common.page(request, "staff/series_form.html", activity=activity, values={"weekdays": []},
                             errors={})


@post("/staff/attivita/{activity_id:int}/incontri/serie")
async def add_series(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await meetings_admin.add_series(staff, activity_id, values, common.now())
    except FormErrors as errors:
        return await common.page(request, "staff/series_form.html", status_code=errors.status_code,
                                 activity=await activities_admin.activity(staff, activity_id),
                                 values=common.plain(values), errors=errors.by_field)
    return Redirect(_activity_url(activity_id, "serie"), status_code=303)


@get("/staff/incontri/{meeting_id:int}/modifica")
async def edit_meeting_page(request: Request, meeting_id: FromPath[int]) -> Response:
    meeting, activity = await meetings_admin.editable_meeting(await common.signed_in(request), meeting_id)
    return await common.page(request, "staff/meeting_form.html", activity=activity, meeting=meeting,
                             values=meetings_admin.form_values(meeting), errors={})


@post("/staff/incontri/{meeting_id:int}/modifica")
async def update_meeting(request: Request, meeting_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await meetings_admin.update_meeting(staff, meeting_id, values, common.now())
    except FormErrors as errors:
        meeting, activity = await meetings_admin.meeting_in_scope(staff, meeting_id)
        return await common.page(request, "staff/meeting_form.html", status_code=errors.status_code,
                                 activity=activity, meeting=meeting, values=common.plain(values),
                                 errors=errors.by_field)
    meeting, _ = await meetings_admin.meeting_in_scope(staff, meeting_id)
    return Redirect(_activity_url(meeting["activity"], "incontro-salvato"), status_code=303)


@get("/staff/incontri/{meeting_id:int}/annulla")
async def cancel_meeting_page(request: Request, meeting_id: FromPath[int]) -> Response:
    meeting, activity = await meetings_admin.editable_meeting(await common.signed_in(request), meeting_id)
    return await common.page(request, "staff/meeting_cancel.html", activity=activity, meeting=meeting,
                             holders=await meetings_admin.families_told(meeting, activity), values={}, errors={})


@post("/staff/incontri/{meeting_id:int}/annulla")
async def cancel_meeting(request: Request, meeting_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await meetings_admin.cancel_meeting(staff, meeting_id, values, common.now(), request.app.state.links)
    except FormErrors as errors:
        meeting, activity = await meetings_admin.meeting_in_scope(staff, meeting_id)
        return await common.page(request, "staff/meeting_cancel.html", status_code=errors.status_code,
                                 activity=activity, meeting=meeting,
                                 holders=await meetings_admin.families_told(meeting, activity),
                                 values=common.plain(values), errors=errors.by_field)
    meeting, _ = await meetings_admin.meeting_in_scope(staff, meeting_id)
    return Redirect(_activity_url(meeting["activity"], "annullato"), status_code=303)


@get("/staff/incontri/{meeting_id:int}/capienza")
async def meeting_capacity_page(request: Request, meeting_id: FromPath[int]) -> Response:
    current = await capacity_admin.page(await common.signed_in(request), meeting_id=meeting_id)
    return await common.page(request, "staff/capacity.html", current=current, values={}, errors={},
                             action=f"/staff/incontri/{meeting_id}/capienza")


@post("/staff/incontri/{meeting_id:int}/capienza")
async def change_meeting_capacity(request: Request, meeting_id: FromPath[int]) -> Response:
    meeting, _ = await meetings_admin.meeting_in_scope(await common.signed_in(request), meeting_id)
    return await capacity_form(request, f"/staff/attivita/{meeting['activity']}", meeting_id=meeting_id)


async def _editable_activity(request: Request, activity_id: int) -> dict:
    return await meetings_admin.editable_activity(await common.signed_in(request), activity_id)


meetings_router = common.router([
    new_meeting_page, add_meeting, new_series_page, add_series, edit_meeting_page, update_meeting,
    cancel_meeting_page, cancel_meeting, meeting_capacity_page, change_meeting_capacity,
])
