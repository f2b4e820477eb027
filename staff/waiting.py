"""Waiting-list pages: the list in order, promotion out of order and removal (with a reason), and a
booking added by hand (a phone booking) with its family found or created here."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from portal.staff import common
from portal.staff.operations_common import checked, ids, optional_id, refusal_message, search_families, template

from portal.booking.rules import BookingRefused
from portal.form_fields import FormErrors
from portal.i18n import N_, gettext
from portal.operations import households, waiting

NOTICES = {
    "promossa": N_("The booking has been promoted and the family told."),
    "rimossa": N_("The booking has been removed from the waiting list and the family told."),
    "famiglia": N_("The family has been added: now choose who takes part."),
    "componente": N_("The member has been added."),
    "aggiunta": N_("The booking is made and the family has been told: it is on the roster."),
    "in_attesa": N_("There was no free place: the family is at the end of the waiting list and has been told."),
}


def list_path(activity_id: int, meeting_id: int | None) -> str:
    return f"/staff/attese/incontri/{meeting_id}" if meeting_id else f"/staff/attese/attivita/{activity_id}"


async def _list_page(request: Request, listing: waiting.WaitingList, status_code: int = 200,
                     errors: dict | None = None, values: dict | None = None, booking_id: int | None = None
                     ) -> Response:
    return await common.page(request, template("waiting.html"), status_code=status_code, listing=listing,
                             errors=errors or {}, values=values or {}, failed=booking_id,
                             notice=common.notice(request, NOTICES))


@get("/staff/attese/incontri/{meeting_id:int}")
async def meeting_list(request: Request, meeting_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    return await _list_page(request, await waiting.waiting_list(staff, 0, meeting_id))


@get("/staff/attese/attivita/{activity_id:int}")
async def activity_list(request: Request, activity_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    return await _list_page(request, await waiting.waiting_list(staff, activity_id, None))


@post("/staff/attese/prenotazioni/{booking_id:int}/promuovi")
async def promote(request: Request, booking_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    listing = await waiting.list_of_booking(staff, booking_id)
    try:
        await waiting.promote(staff, booking_id, values.get("reason") or "", checked(values, "raise_capacity"),
                              common.now(), request.app.state.links)
    except BookingRefused as refusal:
        return await _list_page(request, listing, 422, {"reason": refusal_message(refusal)}, common.plain(values),
                                booking_id)
    return Redirect(listing.path + "?esito=promossa", status_code=303)


@post("/staff/attese/prenotazioni/{booking_id:int}/rimuovi")
async def remove(request: Request, booking_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    listing = await waiting.list_of_booking(staff, booking_id)
    try:
        await waiting.remove(staff, booking_id, values.get("reason") or "", common.now(), request.app.state.links)
    except BookingRefused as refusal:
        return await _list_page(request, listing, 422, {"remove_reason": refusal_message(refusal)},
                                common.plain(values), booking_id)
    return Redirect(listing.path + "?esito=rimossa", status_code=303)


# -- a booking by phone ------------------------------------------------------------------


async def _add_page(request: Request, activity_id: int, meeting_id: int | None, status_code: int = 200,
                    errors: dict | None = None, values: dict | None = None, family_id: int | None = None) -> Response:
    staff = await common.signed_in(request)
    listing = await waiting.waiting_list(staff, activity_id, meeting_id)
    query = request.query_params.get("cerca") or ""
    found = await search_families(request, query)
    chosen = family_id if family_id is not None else optional_id(request.query_params.get("famiglia"))
    family = await households.family(staff, chosen, common.found_families(request)) if chosen else None
    here = list_path(listing.activity["id"], meeting_id) + "/aggiungi"
    return await common.page(
        request, template("add.html"), status_code=status_code, activity=listing.activity, meeting=listing.meeting,
        capacity=listing.capacity, taken=listing.seats_taken, back=listing.path, query=query,
        found=found, family=family, here=here,
        errors=errors or {}, values=values or {}, notice=common.notice(request, NOTICES),
        heading=gettext("Add a family by phone"),
    )


@get("/staff/attese/incontri/{meeting_id:int}/aggiungi")
async def add_to_meeting_page(request: Request, meeting_id: FromPath[int]) -> Response:
    return await _add_page(request, 0, meeting_id)


@get("/staff/attese/attivita/{activity_id:int}/aggiungi")
async def add_to_activity_page(request: Request, activity_id: FromPath[int]) -> Response:
    return await _add_page(request, activity_id, None)


@post("/staff/attese/incontri/{meeting_id:int}/aggiungi")
async def add_to_meeting(request: Request, meeting_id: FromPath[int]) -> Response:
    return await _add(request, 0, meeting_id)


@post("/staff/attese/attivita/{activity_id:int}/aggiungi")
async def add_to_activity(request: Request, activity_id: FromPath[int]) -> Response:
    return await _add(request, activity_id, None)


async def _add(request: Request, activity_id: int, meeting_id: int | None) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    family_id = optional_id(values.get("family"))
    listing = await waiting.waiting_list(staff, activity_id, meeting_id)  # 404 / 403 before anything else
    if family_id is None:
        return await _add_page(request, activity_id, meeting_id, 422, {"family": gettext("Choose a family first.")})
    await households.family(staff, family_id, common.found_families(request))  # 404 outside their reach
    try:
        result = await waiting.add_by_phone(staff, listing.activity["id"], meeting_id, family_id,
                                            ids(values, "members"), checked(values, "raise_capacity"),
                                            values.get("reason") or "", common.now(), request.app.state.links)
    except BookingRefused as refusal:
        return await _add_page(request, activity_id, meeting_id, 422, {"members": refusal_message(refusal)},
                               common.plain(values), family_id)
    outcome = "in_attesa" if result.status == "waitlisted" else "aggiunta"
    return Redirect(f"{listing.path}?esito={outcome}", status_code=303)


# -- families, found or created for a phone booking or an enrolment ------------------------


@post("/staff/famiglie")
async def create_family(request: Request) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    back = _family_back(values)
    try:
        family_id = await households.create(staff, values, common.now())
        common.remember_found(request, [family_id])
    except FormErrors as invalid:
        return await common.page(request, template("family_new.html"), status_code=invalid.status_code,
                                 values=common.plain(values), errors=invalid.by_field, back=back)
    return Redirect(f"{back}?{urlencode({'famiglia': family_id, 'esito': 'famiglia'})}", status_code=303)


@get("/staff/famiglie/nuova")
async def new_family_page(request: Request, torna: FromQuery[str | None] = None) -> Response:
    await common.signed_in(request)
    return await common.page(request, template("family_new.html"), values={}, errors={},
                             back=_family_back({"back": torna}))


@post("/staff/famiglie/{family_id:int}/componenti")
async def add_member(request: Request, family_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    back = _family_back(values)
    found = common.found_families(request)
    try:
        await households.add_member(staff, family_id, values, common.now(), found)
    except FormErrors as invalid:
        return await common.page(request, template("member_new.html"), status_code=invalid.status_code,
                                 family=await households.family(staff, family_id, found), values=common.plain(values),
                                 errors=invalid.by_field, back=back)
    return Redirect(f"{back}?{urlencode({'famiglia': family_id, 'esito': 'componente'})}", status_code=303)


@get("/staff/famiglie/{family_id:int}/componenti/nuovo")
async def new_member_page(request: Request, family_id: FromPath[int], torna: FromQuery[str | None] = None
                          ) -> Response:
    staff = await common.signed_in(request)
    family = await households.family(staff, family_id, common.found_families(request))
    return await common.page(request, template("member_new.html"), family=family,
                             values={"kind": "child"}, errors={}, back=_family_back({"back": torna}))


_FAMILY_BACK = re.compile(
    r"^/staff/(attese/(incontri|attivita)/\d+/aggiungi|iscrizioni/attivita/\d+/nuova|richieste/\d+|famiglie/\d+)$")


def _family_back(values) -> str:
    """Where a family form returns: the phone booking, enrolment, request page or household file it was opened from."""
    back = values.get("back") or ""
    return back if _FAMILY_BACK.match(back) else "/staff/registri"


ROUTES = [meeting_list, activity_list, promote, remove, add_to_meeting_page, add_to_activity_page, add_to_meeting,
          add_to_activity, create_family, new_family_page, add_member, new_member_page]
