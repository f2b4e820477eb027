"""An activity's draw in the staff area: set it up, then run it with the seed typed on the day.
Thin handlers over portal.admin.draws."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common

from portal.admin import draws
from portal.form_fields import FormErrors
from portal.i18n import N_

NOTICES = {
    "impostato": N_("The draw has been set up: the activity page announces it."),
    "eseguito": N_("The draw has been run: the families have been told and the activity page publishes the order."),
}


@get("/staff/attivita/{activity_id:int}/sorteggio")
async def draw_page(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    current = await draws.page(staff, activity_id, common.now())
    return await _page(request, current, draws.form_values(current), {})


@post("/staff/attivita/{activity_id:int}/sorteggio")
async def configure_draw(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await draws.configure(staff, activity_id, values, common.now())
    except FormErrors as errors:
        current = await draws.page(staff, activity_id, common.now())
        return await _page(request, current, common.plain(values), errors.by_field, errors.status_code)
    return Redirect(f"/staff/attivita/{activity_id}/sorteggio?esito=impostato", status_code=303)


@post("/staff/attivita/{activity_id:int}/sorteggio/esegui")
async def run_draw(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await draws.run(staff, activity_id, values, common.now(), request.app.state.links)
    except FormErrors as errors:
        current = await draws.page(staff, activity_id, common.now())
        return await _page(request, current, {**draws.form_values(current), **common.plain(values)},
                           errors.by_field, errors.status_code)
    return Redirect(f"/staff/attivita/{activity_id}/sorteggio?esito=eseguito", status_code=303)


async def _page(request: Request, current: draws.DrawPage, values: dict, errors: dict,
                status_code: int = 200) -> Response:
    return await common.page(request, "staff/draw.html", status_code=status_code, current=current, values=values,
                             errors=errors, now=common.now(), notice=common.notice(request, NOTICES))


draws_router = common.router([draw_page, configure_draw, run_draw])
