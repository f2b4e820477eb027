"""Direct enrolment pages (referral-only services, mediation and other request activities): enrol a
family, then schedule the meetings private to its enrolment."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common
from portal.staff.operations_common import checked, ids, optional_id, refusal_message, search_families, template

from portal.booking.rules import BookingRefused
from portal.form_fields import FormErrors
from portal.i18n import N_, gettext
from portal.operations import enrolment, households

NOTICES = {
    "iscritta": N_("The family is enrolled and has been told."),
    "incontro": N_("The meeting is scheduled. It is private: it appears in no public listing."),
    "famiglia": N_("The family has been added: now choose who takes part."),
    "componente": N_("The member has been added."),
}


@get("/staff/iscrizioni")
async def enrolments_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    return await common.page(request, template("enrolments.html"), activities=await enrolment.activities(staff),
                             notice=common.notice(request, NOTICES))


async def _new_page(request: Request, activity_id: int, status_code: int = 200, errors: dict | None = None,
                    values: dict | None = None, family_id: int | None = None) -> Response:
    staff = await common.signed_in(request)
    activity = await enrolment.enrollable(staff, activity_id)
    query = request.query_params.get("cerca") or ""
    found = await search_families(request, query)
    chosen = family_id if family_id is not None else optional_id(request.query_params.get("famiglia"))
    family = await households.family(staff, chosen, common.found_families(request)) if chosen else None
    here = f"/staff/iscrizioni/attivita/{activity_id}/nuova"
    return await common.page(
        request, template("add.html"), status_code=status_code, activity=activity, meeting=None,
        capacity=activity["capacity"], taken=activity["seats_taken"], back="/staff/iscrizioni", query=query,
        found=found, family=family,
        here=here, errors=errors or {}, values=values or {}, notice=common.notice(request, NOTICES),
        heading=gettext("Enrol a family"),
    )


@get("/staff/iscrizioni/attivita/{activity_id:int}/nuova")
async def new_page(request: Request, activity_id: FromPath[int]) -> Response:
    return await _new_page(request, activity_id)


@post("/staff/iscrizioni/attivita/{activity_id:int}/nuova")
async def enrol(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    await enrolment.enrollable(staff, activity_id)  # 404 / 403 before reading the rest
    family_id = optional_id(values.get("family"))
    if family_id is None:
        return await _new_page(request, activity_id, 422, {"family": gettext("Choose a family first.")})
    await households.family(staff, family_id, common.found_families(request))  # 404 outside their reach
    try:
        result = await enrolment.enrol(staff, activity_id, family_id, ids(values, "members"),
                                       checked(values, "raise_capacity"), values.get("reason") or "", common.now(),
                                       request.app.state.links)
    except BookingRefused as refusal:
        return await _new_page(request, activity_id, 422, {"members": refusal_message(refusal)},
                               common.plain(values), family_id)
    return Redirect(f"/staff/iscrizioni/{await enrolment.booking_id(result.code)}?esito=iscritta", status_code=303)


async def _detail(request: Request, booking_id: int, status_code: int = 200, errors: dict | None = None,
                  values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    return await common.page(request, template("enrolment.html"), status_code=status_code,
                             enrolment=await enrolment.enrolment(staff, booking_id), errors=errors or {},
                             values=values or {"minutes": "60"}, notice=common.notice(request, NOTICES))


@get("/staff/iscrizioni/{booking_id:int}")
async def detail_page(request: Request, booking_id: FromPath[int]) -> Response:
    return await _detail(request, booking_id)


@post("/staff/iscrizioni/{booking_id:int}/incontri")
async def schedule(request: Request, booking_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await enrolment.schedule_meeting(staff, booking_id, values, common.now())
    except FormErrors as invalid:
        return await _detail(request, booking_id, invalid.status_code, invalid.by_field, common.plain(values))
    except BookingRefused as refusal:
        return await _detail(request, booking_id, 409, {"day": refusal_message(refusal)}, common.plain(values))
    return Redirect(f"/staff/iscrizioni/{booking_id}?esito=incontro", status_code=303)


ROUTES = [enrolments_page, new_page, enrol, detail_page, schedule]
