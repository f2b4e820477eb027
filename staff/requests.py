"""Access-request pages: each hub's queue, a request with its status, assignment and confidential notes
(only for the hub's own staff), and the family's enrolment from the request."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common
from portal.staff.operations_common import checked, ids, optional_id, refusal_message, template

from portal.booking.rules import BookingRefused
from portal.form_fields import FormErrors
from portal.i18n import N_, gettext
from portal.operations import households, requests
from portal.operations.scope import Refused

NOTICES = {
    "salvata": N_("The request has been saved."),
    "iscritta": N_("The family is enrolled and has been told; the request is accepted."),
    "famiglia": N_("The family has been added: now choose who takes part."),
    "componente": N_("The member has been added."),
}


@get("/staff/richieste")
async def queue_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    hub_id = optional_id(request.query_params.get("polo"))
    status = request.query_params.get("stato") or None
    return await common.page(
        request, template("requests.html"), hubs=await requests.hubs(staff), hub_id=hub_id,
        status=status if status in requests.STATUSES else None,
        requests=await requests.queue(staff, hub_id, status), statuses=requests.STATUSES,
        status_labels=requests.STATUS_LABELS,
    )


async def _detail(request: Request, request_id: int, status_code: int = 200, errors: dict | None = None,
                  values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    found = await requests.request(staff, request_id)
    assignable = await requests.assignable(found.hub_id)
    return await common.page(
        request, template("request.html"), status_code=status_code, item=found,
        family=await households.family(staff, found.family_id),
        status_options=[(value, gettext(requests.STATUS_LABELS[value])) for value in requests.STATUSES],
        staff_options=[("", "–")] + [(person["id"], person["name"]) for person in assignable], errors=errors or {},
        values=values or {}, may_enrol=staff.role != "operator" and found.activity_access in ("request", "referral"),
        notice=common.notice(request, NOTICES),
    )


@get("/staff/richieste/{request_id:int}")
async def detail_page(request: Request, request_id: FromPath[int]) -> Response:
    return await _detail(request, request_id)


@post("/staff/richieste/{request_id:int}")
async def update(request: Request, request_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await requests.update(staff, request_id, values, common.now())
    except FormErrors as invalid:
        return await _detail(request, request_id, invalid.status_code, invalid.by_field, common.plain(values))
    return Redirect(f"/staff/richieste/{request_id}?esito=salvata", status_code=303)


@post("/staff/richieste/{request_id:int}/iscrivi")
async def enrol(request: Request, request_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await requests.enrol(staff, request_id, ids(values, "members"), checked(values, "raise_capacity"),
                             values.get("reason") or "", common.now(), request.app.state.links)
    except (BookingRefused, Refused) as refusal:
        return await _detail(request, request_id, 422, {"members": refusal_message(refusal)}, common.plain(values))
    return Redirect(f"/staff/richieste/{request_id}?esito=iscritta", status_code=303)


ROUTES = [queue_page, detail_page, update, enrol]
