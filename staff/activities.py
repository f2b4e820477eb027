"""Activities in the staff area: an activity's page (its meetings, with their actions), the activity
form, and the capacity page. Thin handlers over portal.admin.activities and portal.admin.capacity."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common

from portal import taxonomy
from portal.admin import (
    activities as activities_admin,
)
from portal.admin import (
    capacity,
)
from portal.admin import (
    hubs as hubs_admin,
)
from portal.admin import (
    meetings as meetings_admin,
)
from portal.admin import translations as translations_admin
from portal.form_fields import FormErrors
from portal.i18n import N_, gettext

NOTICES = {
    "creata": N_("The activity has been created."),
    "salvata": N_("The activity has been saved."),
    "capienza": N_("The capacity has been changed."),
    "incontro": N_("The meeting has been added."),
    "serie": N_("The meetings have been added."),
    "incontro-salvato": N_("The meeting has been saved."),
    "annullato": N_("The meeting has been cancelled and the families have been told."),
    "traduzione": N_("The texts in the other language have been saved."),
}


@get("/staff/attivita/{activity_id:int}")
async def activity_page(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    activity = await activities_admin.activity(staff, activity_id)
    hub = await hubs_admin.hub(staff, activity["hub"])
    return await common.page(
        request, "staff/activity.html", activity=activity, hub=hub,
        service=await activities_admin.service_slug(activity["service"]),
        meetings=await meetings_admin.meetings_of(staff, activity_id), now=common.now(),
        may_edit=hubs_admin.may_edit(staff), option_label=activities_admin.option_label,
        notice=common.notice(request, NOTICES), translation_languages=translations_admin.LANGUAGES,
        translations=await translations_admin.translations_of(staff, activity_id))


@get("/staff/poli/{hub_id:int}/attivita/nuova")
async def new_activity_page(request: Request, hub_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    hub = await activities_admin.hub_for_new_activity(staff, hub_id)
    return await _form(request, None, hub, activities_admin.new_form_values(hub_id), {})


@post("/staff/poli/{hub_id:int}/attivita/nuova")
async def create_activity(request: Request, hub_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        activity_id = await activities_admin.create_activity(staff, hub_id, values, common.now())
    except FormErrors as errors:
        hub = await hubs_admin.hub(staff, hub_id)
        return await _form(request, None, hub, common.plain(values), errors.by_field, errors.status_code)
    return Redirect(f"/staff/attivita/{activity_id}?esito=creata", status_code=303)


@get("/staff/attivita/{activity_id:int}/modifica")
async def edit_activity_page(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    activity = await activities_admin.editable_activity(staff, activity_id)
    return await _form(request, activity, await hubs_admin.hub(staff, activity["hub"]),
                       await activities_admin.form_values(activity), {})


@post("/staff/attivita/{activity_id:int}/modifica")
async def update_activity(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await activities_admin.update_activity(staff, activity_id, values, common.now(), request.app.state.links)
    except FormErrors as errors:
        activity = await activities_admin.activity(staff, activity_id)
        return await _form(request, activity, await hubs_admin.hub(staff, activity["hub"]), common.plain(values),
                           errors.by_field, errors.status_code)
    return Redirect(f"/staff/attivita/{activity_id}?esito=salvata", status_code=303)


@get("/staff/attivita/{activity_id:int}/capienza")
async def capacity_page(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    current = await capacity.page(staff, activity_id=activity_id)
    return await common.page(request, "staff/capacity.html", current=current, values={}, errors={},
                             action=f"/staff/attivita/{activity_id}/capienza")


@post("/staff/attivita/{activity_id:int}/capienza")
async def change_capacity(request: Request, activity_id: FromPath[int]) -> Response:
    return await capacity_form(request, f"/staff/attivita/{activity_id}", activity_id=activity_id)


async def capacity_form(request: Request, back: str, **target: int) -> Response:
    """The capacity page's POST, for an activity or a meeting: redirect back, or the form with errors."""
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await capacity.change(staff, values, common.now(), request.app.state.links, **target)
    except FormErrors as errors:
        current = await capacity.page(staff, **target)
        return await common.page(request, "staff/capacity.html", status_code=errors.status_code, current=current,
                                 values=common.plain(values), errors=errors.by_field, action=request.url.path)
    return Redirect(f"{back}?esito=capienza", status_code=303)


async def _form(request: Request, activity: dict | None, hub: dict, values: dict, errors: dict,
                status_code: int = 200) -> Response:
    staff = await common.signed_in(request)
    label = activities_admin.option_label
    options: dict[str, Any] = {
        "service": [(s.slug, f"{gettext(taxonomy.AREA_BY_SLUG[s.area].name)} – {gettext(s.name)}")
                    for s in taxonomy.SERVICES],
        "hub": [(str(h["id"]), h["name"]) for h in await activities_admin.hub_choices(staff)],
        "access": [(v, label("access", v)) for v in activities_admin.ACCESS],
        "format": [(v, label("format", v)) for v in activities_admin.FORMATS],
        "seat_unit": [(v, label("seat_unit", v)) for v in activities_admin.SEAT_UNITS],
        "audience": [(v, label("audience", v)) for v in activities_admin.AUDIENCES],
        "age_unit": [("years", gettext("years")), ("months", gettext("months"))],
    }
    return await common.page(request, "staff/activity_form.html", status_code=status_code, activity=activity,
                             hub=hub, values=values, errors=errors, options=options)


activities_router = common.router([
    activity_page, new_activity_page, create_activity, edit_activity_page, update_activity, capacity_page,
    change_capacity,
])
