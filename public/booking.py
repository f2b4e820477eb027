"""Booking in a few taps: date or slot → participants → summary → confirmation; and the family's bookings."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from portal.booking import access_requests, availability, listing, service
from portal.booking.rules import BookingRefused
from portal.catalogue import browse as catalogue
from portal.catalogue import slots
from portal.db import NotFound
from portal.families import accounts as families
from portal.i18n import gettext
from portal.identity.sessions import provide_family_id
from portal.tables import Member
from portal.web import known_slug, month_names, render

NO_STORE = {"cache-control": "no-store"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _meeting_id(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise NotFoundException()
    return int(raw)


def _member_ids(raw: list[str]) -> list[int]:
    if not all(value.isdigit() for value in raw):
        raise NotFoundException()
    return [int(value) for value in raw]


async def _target(slug: str, meeting: int | None) -> service.Target:
    try:
        return await service.find_target(known_slug(slug), meeting)
    except NotFound:
        raise NotFoundException() from None


def _page(request: Request, template: str, status_code: int = 200, **context: object) -> Response:
    return render(request, f"public/booking/{template}", status_code=status_code, headers=NO_STORE, **context)


async def _household(family_id: int) -> list[dict]:
    return await Member.select().where(Member.family == family_id).order_by(Member.id)


async def _refused(request: Request, slug: str, refusal: BookingRefused) -> Response:
    page = await catalogue.activity_page(slug, _now())
    return _page(request, "refused.html", status_code=409, page=page, reason=refusal.message())


async def _activity(slug: str) -> catalogue.ActivityPage:
    try:
        return await catalogue.activity_page(known_slug(slug), _now())
    except NotFound:
        raise NotFoundException() from None


async def _dates(request: Request, page: catalogue.ActivityPage, family: int, status_code: int = 200,
                 error: str | None = None) -> Response:
    """Step 1: every upcoming date, a button where the family can act, the reason where it cannot."""
    dates = await availability.for_activity(page.activity_id, _now(), await availability.household(family))
    picker = None
    if slots.is_appointment(page.card):  # one family per slot: a day picker instead of every slot
        picker = await slots.slot_picker(page.card.slug, slots.parse_day(request.query_params.get("giorno")), _now())
    return _page(request, "choose.html", status_code=status_code, page=page, dates=dates, slots=picker, step=1,
                 error=error)


async def _participants(request: Request, page: catalogue.ActivityPage, target: service.Target, family: int,
                        chosen: set[int] | None = None, *, status_code: int = 200, error: str | None = None,
                        child_values: dict | None = None, child_errors: dict | None = None,
                        partial: bool = False) -> Response:
    """Step 2: who takes part; a child can be added here without leaving the booking."""
    household = await availability.household(family)
    offer = await availability.offer_for(target.activity_id, target.meeting_id, target.window, _now(), household)
    if chosen is None:
        chosen = availability.suggested(target.audience, household, target.starts_at.date())
    template = "_participants_form.html" if partial else "participants.html"
    return _page(request, template, status_code=status_code, page=page, target=target, step=2,
                 household=await _household(family), chosen=chosen, error=error, needs_child=offer.needs_child,
                 child_values=child_values or {}, child_errors=child_errors or {}, month_names=month_names())


@get("/attivita/{slug:str}/prenota")
async def choose(request: Request, slug: FromPath[str], incontro: FromQuery[str | None] = None) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    page = await _activity(slug)
    if page.card.access == "request":
        return Redirect(f"/attivita/{slug}/richiesta", status_code=303)
    meeting = _meeting_id(incontro)
    if page.card.format == "single" and meeting is None:
        return await _dates(request, page, family)
    try:
        target = await _target(slug, meeting)
    except BookingRefused as refusal:
        return await _refused(request, slug, refusal)
    offer = await availability.offer_for(target.activity_id, target.meeting_id, target.window, _now())
    if not offer.can_act:
        if page.card.format == "single":  # another date may still be open: step 1 says which
            return await _dates(request, page, family, status_code=409, error=offer.refusal.message())
        return await _refused(request, slug, offer.refusal)
    chosen = set(_member_ids(request.query_params.getall("partecipante", []))) or None
    return await _participants(request, page, target, family, chosen)


@post("/attivita/{slug:str}/prenota/componenti", status_code=303)
async def add_child(request: Request, slug: FromPath[str]) -> Response:
    """Add a child on the participants step: htmx swaps the form, without JavaScript the step reloads."""
    family = await provide_family_id(request)  # signed in, with a complete profile
    form = await request.form()
    page = await _activity(slug)
    meeting = _meeting_id(form.get("incontro"))
    try:
        target = await _target(slug, meeting)
    except BookingRefused as refusal:
        return await _refused(request, slug, refusal)
    chosen = set(_member_ids(form.getall("partecipante", [])))
    values = {"kind": "child", **{name: form.get(name) or "" for name in ("first_name", "birth_month", "birth_year")}}
    partial = bool(request.headers.get("hx-request"))
    try:
        member_id = await families.add_member(family, values, _now())
    except families.FormErrors as errors:
        return await _participants(request, page, target, family, chosen, status_code=errors.status_code,
                                   child_values=values, child_errors=errors.by_field, partial=partial)
    chosen.add(member_id)
    if partial:
        return await _participants(request, page, target, family, chosen, partial=True)
    query = urlencode([*([("incontro", meeting)] if meeting else []), *(("partecipante", m) for m in sorted(chosen))])
    return Redirect(f"/attivita/{slug}/prenota?{query}#partecipanti", status_code=303)


@get("/attivita/{slug:str}/prenota/riepilogo")
async def summary(request: Request, slug: FromPath[str], incontro: FromQuery[str | None] = None) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    target = await _target(slug, _meeting_id(incontro))
    member_ids = _member_ids(request.query_params.getall("partecipante", []))
    page = await _activity(slug)
    try:
        outcome = await service.preview(family, target, member_ids, _now())
    except NotFound:
        raise NotFoundException() from None
    except BookingRefused as refusal:
        return await _participants(request, page, target, family, set(member_ids), status_code=422,
                                   error=refusal.message())
    if outcome.existing:
        return Redirect(f"/famiglia/prenotazioni/{outcome.code}", status_code=303)
    chosen = [member for member in await _household(family) if member["id"] in member_ids]
    return _page(request, "summary.html", page=page, target=target, step=3, outcome=outcome, chosen=chosen)


@post("/attivita/{slug:str}/prenota", status_code=303)
async def confirm(request: Request, slug: FromPath[str]) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    form = await request.form()
    target = await _target(slug, _meeting_id(form.get("incontro")))
    try:
        result = await service.book(family, target, _member_ids(form.getall("partecipante", [])), _now(),
                                    request.app.state.links)
    except NotFound:
        raise NotFoundException() from None
    except BookingRefused as refusal:
        return await _refused(request, slug, refusal)
    return Redirect(f"/famiglia/prenotazioni/{result.code}", status_code=303)


@get("/attivita/{slug:str}/apertura")
async def opening(request: Request, slug: FromPath[str]) -> Response:
    """The small fragment the activity page asks for every few seconds until bookings open."""
    try:
        state = await catalogue.opening(known_slug(slug), _now())
    except NotFound:
        raise NotFoundException() from None
    return render(request, "public/_opening.html", headers=NO_STORE, opening=state)


@get("/famiglia/prenotazioni")
async def my_bookings(request: Request) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    bookings = await listing.family_bookings(family)
    now = _now()
    return _page(request, "list.html", now=now,
                 upcoming=[b for b in bookings if b.live and not b.is_past(now)],
                 past=[b for b in bookings if not b.live or b.is_past(now)],
                 requests=await access_requests.family_requests(family))


@get("/famiglia/prenotazioni/{code:str}")
async def booking_detail(request: Request, code: FromPath[str]) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    try:
        booking = await listing.family_booking(code, family)
    except NotFound:
        raise NotFoundException() from None
    return _page(request, "detail.html", booking=booking, now=_now(), step=4)


@post("/famiglia/prenotazioni/{code:str}/annulla", status_code=303)
async def cancel(request: Request, code: FromPath[str]) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    try:
        await service.cancel(code, family, f"family:{family}", _now(), request.app.state.links)
    except NotFound:
        raise NotFoundException() from None
    except BookingRefused as refusal:
        booking = await listing.family_booking(code, family)
        return _page(request, "detail.html", status_code=409, booking=booking, now=_now(),
                     error=refusal.message())
    return Redirect(f"/famiglia/prenotazioni/{code}", status_code=303)


async def _signed_booking(request: Request, code: str, signature: str) -> listing.FamilyBooking:
    if not request.app.state.links.verify_cancel(code, signature):
        raise NotFoundException()
    owner = await service.booking_owner(code)
    if owner is None:
        raise NotFoundException()
    return await listing.family_booking(code, owner)


@get("/prenotazioni/{code:str}/annulla/{signature:str}")
async def cancel_by_link(request: Request, code: FromPath[str], signature: FromPath[str]) -> Response:
    """A mailed one-click link: confirm on a page (a GET never cancels), no sign-in needed."""
    booking = await _signed_booking(request, code, signature)
    return _page(request, "cancel_link.html", booking=booking, now=_now(), done=False)


@post("/prenotazioni/{code:str}/annulla/{signature:str}", status_code=200)
async def cancel_by_link_confirmed(request: Request, code: FromPath[str], signature: FromPath[str]) -> Response:
    booking = await _signed_booking(request, code, signature)
    owner = await service.booking_owner(code)
    try:
        await service.cancel(code, owner, f"family:{owner}", _now(), request.app.state.links)
    except BookingRefused as refusal:
        return _page(request, "cancel_link.html", status_code=409, booking=booking, now=_now(), done=False,
                     error=refusal.message())
    return _page(request, "cancel_link.html", booking=await listing.family_booking(code, owner), now=_now(),
                 done=True)


@get("/attivita/{slug:str}/richiesta")
async def access_request_form(request: Request, slug: FromPath[str]) -> Response:
    await provide_family_id(request)  # signed in, with a complete profile
    activity = await _requestable(slug)
    return _page(request, "request.html", activity=activity, form=access_requests.RequestForm(),
                 warning=gettext(access_requests.WARNING))


@post("/attivita/{slug:str}/richiesta", status_code=303)
async def access_request_send(request: Request, slug: FromPath[str]) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    activity = await _requestable(slug)
    form = access_requests.parse_request(dict((await request.form()).items()))
    if form.errors:
        return _page(request, "request.html", status_code=422, activity=activity, form=form,
                     warning=gettext(access_requests.WARNING))
    code = await access_requests.request_access(family, slug, form, _now(), request.app.state.links)
    return Redirect(f"/famiglia/prenotazioni?{urlencode({'richiesta': code})}", status_code=303)


async def _requestable(slug: str) -> dict:
    try:
        return await access_requests.requestable_activity(known_slug(slug))
    except NotFound:
        raise NotFoundException() from None


booking_router = Router(path="/", route_handlers=[
    choose, add_child, summary, confirm, opening, my_bookings, booking_detail, cancel, cancel_by_link,
    cancel_by_link_confirmed,
    access_request_form, access_request_send,
])
