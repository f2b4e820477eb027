"""Booking in a few taps: date or slot → participants → summary → confirmation; and the family's bookings."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from portal.booking import access_requests, listing, service
from portal.booking.rules import BookingRefused
from portal.catalogue import browse as catalogue
from portal.catalogue import slots
from portal.db import NotFound
from portal.i18n import gettext
from portal.identity.sessions import provide_family_id
from portal.tables import Member
from portal.web import known_slug, render

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
    return _page(request, "refused.html", status_code=409, page=page,
                 reason=gettext(refusal.reason), details=refusal.details)


@get("/attivita/{slug:str}/prenota")
async def choose(request: Request, slug: FromPath[str], incontro: FromQuery[str | None] = None) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    try:
        page = await catalogue.activity_page(known_slug(slug), _now())
    except NotFound:
        raise NotFoundException() from None
    if page.card.access == "request":
        return Redirect(f"/attivita/{slug}/richiesta", status_code=303)
    meeting = _meeting_id(incontro)
    if page.card.format == "single" and meeting is None:
        picker = None
        if slots.is_appointment(page.card):
            picker = await slots.slot_picker(slug, slots.parse_day(request.query_params.get("giorno")), _now())
        return _page(request, "choose.html", page=page, step=1, slots=picker)
    try:
        target = await _target(slug, meeting)
        target.window.check(_now())
    except BookingRefused as refusal:
        return await _refused(request, slug, refusal)
    return _page(request, "participants.html", page=page, target=target, step=2,
                 household=await _household(family), chosen=set(), error=None)


@get("/attivita/{slug:str}/prenota/riepilogo")
async def summary(request: Request, slug: FromPath[str], incontro: FromQuery[str | None] = None) -> Response:
    family = await provide_family_id(request)  # signed in, with a complete profile
    target = await _target(slug, _meeting_id(incontro))
    member_ids = _member_ids(request.query_params.getall("partecipante", []))
    page = await catalogue.activity_page(slug, _now())
    household = await _household(family)
    try:
        outcome = await service.preview(family, target, member_ids, _now())
    except NotFound:
        raise NotFoundException() from None
    except BookingRefused as refusal:
        return _page(request, "participants.html", status_code=422, page=page, target=target, step=2,
                     household=household, chosen=set(member_ids), error=gettext(refusal.reason))
    if outcome.existing:
        return Redirect(f"/famiglia/prenotazioni/{outcome.code}", status_code=303)
    chosen = [member for member in household if member["id"] in member_ids]
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
                     error=gettext(refusal.reason))
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
                     error=gettext(refusal.reason))
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
    choose, summary, confirm, my_bookings, booking_detail, cancel, cancel_by_link, cancel_by_link_confirmed,
    access_request_form, access_request_send,
])
