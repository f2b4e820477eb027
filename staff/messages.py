"""Writing to every family booked on a meeting or an activity (through the outbox)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common
from portal.staff.operations_common import checked, template

from portal.form_fields import FormErrors
from portal.i18n import N_
from portal.operations import messages

NOTICES = {"inviato": N_("The message is on its way to the families.")}


async def _form(request: Request, activity_id: int | None, meeting_id: int | None, status_code: int = 200,
                errors: dict | None = None, values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    values = values or {}
    audience = await messages.audience(staff, activity_id, meeting_id, checked(values, "waiting"))
    action = f"/staff/messaggi/incontri/{meeting_id}" if meeting_id else f"/staff/messaggi/attivita/{activity_id}"
    return await common.page(request, template("message_form.html"), status_code=status_code, audience=audience,
                             action=action, errors=errors or {}, values=values, notice=common.notice(request, NOTICES),
                             sent=request.query_params.get("inviati"))


async def _send(request: Request, activity_id: int | None, meeting_id: int | None) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        count = await messages.send(staff, activity_id, meeting_id, values, common.now(), request.app.state.links)
    except FormErrors as invalid:
        return await _form(request, activity_id, meeting_id, invalid.status_code, invalid.by_field,
                           common.plain(values))
    action = f"/staff/messaggi/incontri/{meeting_id}" if meeting_id else f"/staff/messaggi/attivita/{activity_id}"
    return Redirect(f"{action}?esito=inviato&inviati={count}", status_code=303)


@get("/staff/messaggi/incontri/{meeting_id:int}")
async def meeting_form(request: Request, meeting_id: FromPath[int]) -> Response:
    return await _form(request, None, meeting_id)


@post("/staff/messaggi/incontri/{meeting_id:int}")
async def meeting_send(request: Request, meeting_id: FromPath[int]) -> Response:
    return await _send(request, None, meeting_id)


@get("/staff/messaggi/attivita/{activity_id:int}")
async def activity_form(request: Request, activity_id: FromPath[int]) -> Response:
    return await _form(request, activity_id, None)


@post("/staff/messaggi/attivita/{activity_id:int}")
async def activity_send(request: Request, activity_id: FromPath[int]) -> Response:
    return await _send(request, activity_id, None)


ROUTES = [meeting_form, meeting_send, activity_form, activity_send]
