"""Hubs in the staff area: the list of one's hubs, a hub's page with its activities, and the hub
form (administrators create hubs, coordinators edit theirs). Thin handlers over portal.admin.hubs."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common

from portal.admin import hubs as hubs_admin
from portal.form_fields import FormErrors
from portal.i18n import N_

NOTICES = {
    "creato": N_("The hub has been created."),
    "salvato": N_("The hub has been saved."),
    "attivita-creata": N_("The activity has been created."),
}


@get("/staff/poli")
async def hubs_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    return await common.page(request, "staff/hubs.html", overview=await hubs_admin.overview(staff, common.now()),
                             may_create=hubs_admin.may_create_hub(staff))


@get("/staff/poli/nuovo")
async def new_hub_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    hubs_admin.require_create(staff)
    return await common.page(request, "staff/hub_form.html", hub=None, values={"city": ""}, errors={})


@post("/staff/poli/nuovo")
async def create_hub(request: Request) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        hub_id = await hubs_admin.create_hub(staff, values, common.now())
    except FormErrors as errors:
        return await common.page(request, "staff/hub_form.html", status_code=errors.status_code, hub=None,
                                 values=common.plain(values), errors=errors.by_field)
    return Redirect(f"/staff/poli/{hub_id}?esito=creato", status_code=303)


@get("/staff/poli/{hub_id:int}")
async def hub_page(request: Request, hub_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    hub = await hubs_admin.hub(staff, hub_id)
    return await common.page(request, "staff/hub.html", hub=hub,
                             activities=await hubs_admin.hub_activities(staff, hub_id, common.now()),
                             may_edit=hubs_admin.may_edit(staff), notice=common.notice(request, NOTICES))


@get("/staff/poli/{hub_id:int}/modifica")
async def edit_hub_page(request: Request, hub_id: FromPath[int]) -> Response:
    hub = await hubs_admin.editable_hub(await common.signed_in(request), hub_id)
    return await common.page(request, "staff/hub_form.html", hub=hub, values=hubs_admin.form_values(hub), errors={})


@post("/staff/poli/{hub_id:int}/modifica")
async def update_hub(request: Request, hub_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await hubs_admin.update_hub(staff, hub_id, values, common.now())
    except FormErrors as errors:
        return await common.page(request, "staff/hub_form.html", status_code=errors.status_code,
                                 hub=await hubs_admin.hub(staff, hub_id), values=common.plain(values),
                                 errors=errors.by_field)
    return Redirect(f"/staff/poli/{hub_id}?esito=salvato", status_code=303)


hubs_router = common.router([
    hubs_page, new_hub_page, create_hub, hub_page, edit_hub_page, update_hub,
])
