"""Approval pages: the places held for a decision, the preliminary meeting and both parents' consent,
and the decision with a message to the family."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common
from portal.staff.operations_common import refusal_message, template

from portal.booking.rules import BookingRefused
from portal.form_fields import FormErrors
from portal.i18n import N_, gettext
from portal.operations import approvals
from portal.operations.scope import Refused

NOTICES = {
    "colloquio": N_("The preliminary meeting has been recorded."),
    "confermata": N_("The place is confirmed and the family has been told."),
    "rifiutata": N_("The request has been declined and the family told; the place went to the waiting list."),
}


@get("/staff/approvazioni")
async def pending_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    return await common.page(request, template("approvals.html"), pending=await approvals.pending_list(staff),
                             notice=common.notice(request, NOTICES))


async def _detail(request: Request, booking_id: int, status_code: int = 200, errors: dict | None = None,
                  values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    pending = await approvals.pending(staff, booking_id)
    return await common.page(request, template("approval.html"), status_code=status_code, pending=pending,
                             errors=errors or {}, values=values or {}, notice=common.notice(request, NOTICES),
                             today=common.now())


@get("/staff/approvazioni/{booking_id:int}")
async def detail_page(request: Request, booking_id: FromPath[int]) -> Response:
    return await _detail(request, booking_id)


@post("/staff/approvazioni/{booking_id:int}/colloquio")
async def record_preliminary(request: Request, booking_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await approvals.record_preliminary(staff, booking_id, values, common.now())
    except FormErrors as invalid:
        return await _detail(request, booking_id, invalid.status_code, invalid.by_field, common.plain(values))
    except Refused as refusal:
        return await _detail(request, booking_id, 409, {"met_on": refusal_message(refusal)}, common.plain(values))
    return Redirect(f"/staff/approvazioni/{booking_id}?esito=colloquio", status_code=303)


@post("/staff/approvazioni/{booking_id:int}/decisione")
async def decide(request: Request, booking_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    decision = values.get("decision")
    if decision not in ("approve", "decline"):
        await approvals.pending(staff, booking_id)  # scope and role first: 404 / 403
        return await _detail(request, booking_id, 422, {"decision": gettext("Choose to confirm or to decline.")},
                             common.plain(values))
    try:
        await approvals.decide(staff, booking_id, decision == "approve", values.get("message") or "",
                               common.now(), request.app.state.links)
    except FormErrors as invalid:
        return await _detail(request, booking_id, invalid.status_code, invalid.by_field, common.plain(values))
    except BookingRefused as refusal:
        return await _detail(request, booking_id, 409, {"decision": refusal_message(refusal)}, common.plain(values))
    outcome = "confermata" if decision == "approve" else "rifiutata"
    return Redirect(f"/staff/approvazioni?esito={outcome}", status_code=303)


ROUTES = [pending_page, detail_page, record_preliminary, decide]
