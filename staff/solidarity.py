"""Family solidarity for staff: the offers queue and review, needs (from an access request or by hand),
ranked candidates and matches, the list of kinds of help, and the report. Thin handlers over
portal.solidarity, which decides scope (404) and role (403)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common
from portal.staff.operations_common import optional_id

from portal.form_fields import FormErrors, parse_day
from portal.i18n import N_, gettext, local
from portal.solidarity import matches, needs, offers, report, vocabulary

T = "staff/solidarity/"
NOTICES = {
    "salvata": N_("Saved."),
    "bisogno": N_("The need has been recorded: choose an offer that fits."),
    "abbinamento": N_("The match has been proposed; the families with an account have been told."),
}
LISTS = {"weekdays", "time_bands"}


def _shown(values: Any) -> dict[str, Any]:
    return {name: (values.getall(name) if name in LISTS else values.get(name)) for name in values
            if name != "_csrf_token"}


def _options(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(value, gettext(label)) for value, label in labels.items()]


# -- offers --------------------------------------------------------------------------------


@get("/staff/solidarieta")
async def offers_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    hub_id = optional_id(request.query_params.get("polo"))
    status = request.query_params.get("stato") or None
    status = status if status in vocabulary.OFFER_STATUSES else None
    return await common.page(request, T + "offers.html", hubs=await offers.staff_hubs(staff), hub_id=hub_id,
                             status=status, offers=await offers.queue(staff, hub_id, status),
                             statuses=_options(vocabulary.OFFER_STATUSES), vocabulary=vocabulary)


async def _offer(request: Request, offer_id: int, status_code: int = 200, errors: dict | None = None,
                 values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    found = await offers.offer_in_scope(staff, offer_id)
    interview = found.offer.interview_at
    shown = values or {"status": found.offer.status, "staff_notes": found.staff_notes,
                       "interview_date": local(interview).date().isoformat() if interview else "",
                       "interview_time": local(interview).strftime("%H:%M") if interview else ""}
    return await common.page(request, T + "offer.html", status_code=status_code, item=found, values=shown,
                             errors=errors or {}, statuses=_options(vocabulary.OFFER_STATUSES),
                             matches=await matches.offer_matches(staff, offer_id), vocabulary=vocabulary,
                             notice=common.notice(request, NOTICES))


@get("/staff/solidarieta/offerte/{offer_id:int}")
async def offer_page(request: Request, offer_id: FromPath[int]) -> Response:
    return await _offer(request, offer_id)


@post("/staff/solidarieta/offerte/{offer_id:int}")
async def review_offer(request: Request, offer_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await offers.review(staff, offer_id, values, common.now(), request.app.state.links)
    except FormErrors as invalid:
        return await _offer(request, offer_id, invalid.status_code, invalid.by_field, _shown(values))
    return Redirect(f"/staff/solidarieta/offerte/{offer_id}?esito=salvata", status_code=303)


# -- needs ---------------------------------------------------------------------------------


@get("/staff/solidarieta/bisogni")
async def needs_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    hub_id = optional_id(request.query_params.get("polo"))
    return await common.page(request, T + "needs.html", hubs=await offers.staff_hubs(staff), hub_id=hub_id,
                             needs=await needs.listing(staff, hub_id), vocabulary=vocabulary)


async def _need_form(request: Request, hub_id: int | None, request_id: int | None, values: dict,
                     errors: dict, status_code: int = 200) -> Response:
    staff = await common.signed_in(request)
    return await common.page(
        request, T + "need_form.html", status_code=status_code, hub_id=hub_id, request_id=request_id,
        hubs=await offers.staff_hubs(staff), values=values, errors=errors,
        kinds=[(k["id"], k["name"]) for k in await offers.help_kinds()],
        districts=[(d, d) for d in await offers.districts()], languages=vocabulary.language_options(),
        weekdays=vocabulary.weekday_options(), bands=vocabulary.band_options())


@get("/staff/solidarieta/bisogni/nuovo")
async def new_need_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    await offers.staff_hubs(staff)  # operators: 403
    return await _need_form(request, optional_id(request.query_params.get("polo")), None,
                            {"language": "it", "weekdays": [], "time_bands": []}, {})


@post("/staff/solidarieta/bisogni/nuovo")
async def create_need(request: Request) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    hub_id = optional_id(values.get("hub"))
    if hub_id is None:
        return await _need_form(request, None, None, _shown(values), {"hub": gettext("Choose a hub.")}, 422)
    try:
        need_id = await needs.create(staff, hub_id, None, values, common.now())
    except FormErrors as invalid:
        return await _need_form(request, hub_id, None, _shown(values), invalid.by_field, invalid.status_code)
    return Redirect(f"/staff/solidarieta/bisogni/{need_id}?esito=bisogno", status_code=303)


@get("/staff/solidarieta/bisogni/da-richiesta/{request_id:int}")
async def need_from_request_page(request: Request, request_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    return await _need_form(request, None, request_id, await needs.request_defaults(staff, request_id), {})


@post("/staff/solidarieta/bisogni/da-richiesta/{request_id:int}")
async def create_need_from_request(request: Request, request_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        need_id = await needs.create(staff, None, request_id, values, common.now())
    except FormErrors as invalid:
        return await _need_form(request, None, request_id, _shown(values), invalid.by_field, invalid.status_code)
    return Redirect(f"/staff/solidarieta/bisogni/{need_id}?esito=bisogno", status_code=303)


async def _need(request: Request, need_id: int, status_code: int = 200, errors: dict | None = None,
                values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    need = await needs.need_in_scope(staff, need_id)
    return await common.page(
        request, T + "need.html", status_code=status_code, need=need, errors=errors or {},
        values=values or {"status": need.status, "staff_notes": need.staff_notes},
        candidates=await matches.candidates(staff, need_id), matches=await matches.need_matches(staff, need_id),
        statuses=_options(vocabulary.NEED_STATUSES), vocabulary=vocabulary, notice=common.notice(request, NOTICES))


@get("/staff/solidarieta/bisogni/{need_id:int}")
async def need_page(request: Request, need_id: FromPath[int]) -> Response:
    return await _need(request, need_id)


@post("/staff/solidarieta/bisogni/{need_id:int}")
async def update_need(request: Request, need_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await needs.update(staff, need_id, values, common.now())
    except FormErrors as invalid:
        return await _need(request, need_id, invalid.status_code, invalid.by_field, _shown(values))
    return Redirect(f"/staff/solidarieta/bisogni/{need_id}?esito=salvata", status_code=303)


@post("/staff/solidarieta/bisogni/{need_id:int}/abbina")
async def propose_match(request: Request, need_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    offer_id = optional_id(values.get("offer"))
    if offer_id is None or offer_id > common.MAX_ID:
        raise NotFoundException()
    try:
        match_id = await matches.propose(staff, need_id, offer_id, values, common.now(), request.app.state.links)
    except FormErrors as invalid:
        return await _need(request, need_id, invalid.status_code, invalid.by_field, _shown(values))
    return Redirect(f"/staff/solidarieta/abbinamenti/{match_id}?esito=abbinamento", status_code=303)


# -- matches -------------------------------------------------------------------------------


async def _match(request: Request, match_id: int, status_code: int = 200, errors: dict | None = None,
                 values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    found = await matches.match_in_scope(staff, match_id)
    shown = values or {"status": found.status, "start_date": found.start_date.isoformat() if found.start_date else "",
                       "shared_with_volunteer": found.shared_with_volunteer,
                       "shared_with_family": found.shared_with_family, "follow_up_notes": found.follow_up_notes}
    return await common.page(
        request, T + "match.html", status_code=status_code, match=found, values=shown, errors=errors or {},
        offer=await offers.offer_in_scope(staff, found.offer_id), need=await needs.need_in_scope(staff, found.need_id),
        statuses=_options(vocabulary.MATCH_STATUSES), notice=common.notice(request, NOTICES))


@get("/staff/solidarieta/abbinamenti/{match_id:int}")
async def match_page(request: Request, match_id: FromPath[int]) -> Response:
    return await _match(request, match_id)


@post("/staff/solidarieta/abbinamenti/{match_id:int}")
async def update_match(request: Request, match_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await matches.update(staff, match_id, values, common.now())
    except FormErrors as invalid:
        return await _match(request, match_id, invalid.status_code, invalid.by_field, _shown(values))
    return Redirect(f"/staff/solidarieta/abbinamenti/{match_id}?esito=salvata", status_code=303)


# -- kinds of help and the report ----------------------------------------------------------


async def _kinds(request: Request, status_code: int = 200, errors: dict | None = None,
                 values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    await offers.staff_hubs(staff)  # operators: 403
    return await common.page(request, T + "kinds.html", status_code=status_code,
                             kinds=await offers.help_kinds(active_only=False), errors=errors or {},
                             values=values or {}, notice=common.notice(request, NOTICES))


@get("/staff/solidarieta/aiuti")
async def kinds_page(request: Request) -> Response:
    return await _kinds(request)


@post("/staff/solidarieta/aiuti")
async def add_kind(request: Request) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await offers.save_help_kind(staff, values, common.now())
    except FormErrors as invalid:
        return await _kinds(request, invalid.status_code, invalid.by_field, _shown(values))
    return Redirect("/staff/solidarieta/aiuti?esito=salvata", status_code=303)


@post("/staff/solidarieta/aiuti/{kind_id:int}")
async def update_kind(request: Request, kind_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await request.form()
    try:
        await offers.save_help_kind(staff, values, common.now(), kind_id)
    except FormErrors as invalid:
        return await _kinds(request, invalid.status_code, {f"{name}-{kind_id}": message
                                                           for name, message in invalid.by_field.items()})
    return Redirect("/staff/solidarieta/aiuti?esito=salvata", status_code=303)


@get("/staff/solidarieta/rapporto")
async def report_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    hub_id = optional_id(request.query_params.get("polo"))
    today = local(common.now()).date()
    start = parse_day(request.query_params.get("dal") or "") or date(today.year, 1, 1)
    end = parse_day(request.query_params.get("al") or "") or today
    errors = {}
    if end < start:
        errors["al"] = gettext("The end of the period must not come before its start.")
        start, end = end, end + timedelta(days=0)
    return await common.page(request, T + "report.html", status_code=422 if errors else 200,
                             hubs=await offers.staff_hubs(staff), hub_id=hub_id, errors=errors,
                             report=await report.report(staff, hub_id, start, end))


solidarity_router = common.router([
    offers_page, offer_page, review_offer, needs_page, new_need_page, create_need, need_from_request_page,
    create_need_from_request, need_page, update_need, propose_match, match_page, update_match, kinds_page,
    add_kind, update_kind, report_page,
])
