"""Downloads (after sign-in, never mailed, each one in the audit log) and the participation report."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath
from portal.staff import common
from portal.staff.operations_common import template

from portal.form_fields import FormErrors
from portal.operations import exports, reports
from portal.operations.exports import Download


def _file(download: Download) -> Response:
    return Response(content=download.content, media_type=download.media_type, headers={
        "content-disposition": f"attachment; filename=\"{download.filename}\"; filename*=UTF-8''"
                               f"{quote(download.filename)}",
        "cache-control": "no-store",
    })


@post("/staff/esportazioni/incontri/{meeting_id:int}/elenco/{fmt:str}", status_code=200)
async def roster_export(request: Request, meeting_id: FromPath[int], fmt: FromPath[str]) -> Response:
    staff = await common.signed_in(request)
    return _file(await exports.roster(staff, meeting_id, fmt, common.now()))


@post("/staff/esportazioni/incontri/{meeting_id:int}/presenze/{fmt:str}", status_code=200)
async def meeting_attendance_export(request: Request, meeting_id: FromPath[int], fmt: FromPath[str]) -> Response:
    staff = await common.signed_in(request)
    return _file(await exports.attendance(staff, None, meeting_id, fmt, common.now()))


@post("/staff/esportazioni/attivita/{activity_id:int}/presenze/{fmt:str}", status_code=200)
async def course_attendance_export(request: Request, activity_id: FromPath[int], fmt: FromPath[str]) -> Response:
    staff = await common.signed_in(request)
    return _file(await exports.attendance(staff, activity_id, None, fmt, common.now()))


@get("/staff/rapporti")
async def report_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    values = dict(request.query_params.items())
    try:
        period = reports.parse_period(values, common.now())
    except FormErrors as invalid:
        period = reports.parse_period({}, common.now())
        return await common.page(request, template("report.html"), status_code=invalid.status_code,
                                 report=await reports.participation(staff, period), values=values,
                                 errors=invalid.by_field, hubs=await reports.hubs(staff))
    return await common.page(request, template("report.html"), report=await reports.participation(staff, period),
                             values=values, errors={}, hubs=await reports.hubs(staff))


@post("/staff/rapporti/{fmt:str}", status_code=200)
async def report_export(request: Request, fmt: FromPath[str]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        period = reports.parse_period(values, common.now())
    except FormErrors as invalid:
        return await common.page(request, template("report.html"), status_code=invalid.status_code,
                                 report=await reports.participation(staff, reports.parse_period({}, common.now())),
                                 values=common.plain(values), errors=invalid.by_field, hubs=await reports.hubs(staff))
    return _file(await reports.export(staff, period, fmt, common.now()))


ROUTES = [roster_export, meeting_attendance_export, course_attendance_export, report_page, report_export]
