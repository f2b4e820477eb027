"""The family area (/famiglia): bookings, household, calendar address, data; thin handlers over families.
Its router also serves the sign-in pages (portal.public.signin).

Every form posts back to its own page and redirects on success (POST-redirect-GET); bad input is
shown by its field with a 4xx. Nothing here is cached: the router sends `Cache-Control: no-store`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect
from portal.public import common, signin
from portal.public.common import FamilyId

from portal.booking import listing
from portal.catalogue import for_family
from portal.db import NotFound
from portal.families import accounts as families
from portal.families import erasure
from portal.feeds import tokens as feed_tokens
from portal.households import key_workers
from portal.i18n import current_language
from portal.identity import citizens, sessions
from portal.identity import codes as identity
from portal.identity.sessions import provide_family_id, require_family
from portal.web import month_names, render, safe_next

NEW_FEED_TOKEN = "feed_token"  # session key: a calendar token just made, shown once on the family page


# -- the family area -----------------------------------------------------------------------


@get("/famiglia", guards=[require_family])
async def family_area(request: Request) -> Response:
    current = await sessions.current_family(request)
    if not current.profile_complete:
        return Redirect("/famiglia/profilo", status_code=303)
    family_id = current.family_id
    now = common.now()
    upcoming = [b for b in await listing.family_bookings(family_id) if b.live and not b.is_past(now)]
    party = request.app.state.relying_party
    return render(request, "public/account/family.html", profile=await families.profile(family_id),
                  members=await families.members(family_id), family_id=family_id, notice=common.notice(request),
                  bookings=upcoming, now=now, followed_at=await key_workers.followed_by(family_id),
                  for_you=await for_family.suggestions(family_id, now),
                  identity_methods=party.config.methods if party else (),
                  connected_methods=await citizens.connected_methods(family_id) if party else (),
                  **await _calendar_feed(request, family_id))


async def _calendar_feed(request: Request, family_id: int) -> dict[str, Any]:
    """The private feed's state; a token just made is shown this once (only its hash is kept)."""
    token = request.session.pop(NEW_FEED_TOKEN, None)
    context: dict[str, Any] = {"feed_status": await feed_tokens.token_status("family", family_id)}
    if token:
        url = common.settings(request).base_url + feed_tokens.family_feed_path(token)
        context.update(new_feed_url=url, new_feed_qr=feed_tokens.qr_data_uri(feed_tokens.webcal_url(url)))
    return context


@post("/famiglia/calendario")
async def new_calendar_address(request: Request, family_id: FamilyId) -> Response:
    """Make the family's private calendar address, or a new one (the old one then answers 404)."""
    secret_key = common.settings(request).secret_key
    request.session[NEW_FEED_TOKEN] = await feed_tokens.rotate_token("family", family_id, secret_key, common.now())
    return Redirect("/famiglia#calendario", status_code=303)


@post("/famiglia/calendario/disattiva")
async def turn_off_calendar_address(request: Request, family_id: FamilyId) -> Response:
    await feed_tokens.revoke_token("family", family_id, common.now())
    return Redirect("/famiglia?esito=calendario-disattivato#calendario", status_code=303)


@get("/famiglia/profilo", guards=[require_family])
async def profile_page(request: Request) -> Response:
    family_id = await sessions.signed_in_family(request)
    profile = await families.profile(family_id)
    values = {"name": profile.name, "surname": profile.surname, "phone": profile.phone,
              "district": profile.district, "language": profile.language or current_language()}
    return await _profile_form(request, profile, values, {}, 200)


async def _profile_form(request: Request, profile: families.Profile, values: Mapping[str, Any],
                        errors: dict[str, str], status_code: int) -> Response:
    return render(request, "public/account/profile.html", profile=profile, values=values, errors=errors,
                  districts=await families.districts(), next=safe_next(request.query_params.get("next")),
                  status_code=status_code)


@post("/famiglia/profilo", guards=[require_family])
async def save_profile(request: Request) -> Response:
    family_id = await sessions.signed_in_family(request)
    values = await common.form_values(request)
    try:
        await families.update_profile(family_id, values, common.now())
    except families.FormErrors as errors:
        return await _profile_form(request, await families.profile(family_id), values, errors.by_field,
                                   errors.status_code)
    return Redirect(safe_next(values.get("next")) or "/famiglia?esito=profilo", status_code=303)


@get("/famiglia/componenti")
async def members_page(request: Request, family_id: FamilyId) -> Response:
    return _household(request, "public/account/members.html", members=await families.members(family_id),
                  values={"kind": "child"}, errors={}, notice=common.notice(request))


@post("/famiglia/componenti")
async def add_member(request: Request, family_id: FamilyId) -> Response:
    values = await common.form_values(request)
    try:
        await families.add_member(family_id, values, common.now())
    except families.FormErrors as errors:
        return _household(request, "public/account/members.html", members=await families.members(family_id),
                      values=values, errors=errors.by_field, status_code=errors.status_code)
    return Redirect("/famiglia/componenti?esito=componente-aggiunto", status_code=303)


@get("/famiglia/componenti/{member_id:int}/modifica")
async def member_page(request: Request, family_id: FamilyId, member_id: FromPath[int]) -> Response:
    member = await _member(family_id, member_id)
    values = {"kind": member.kind, "first_name": member.first_name, "birth_month": member.birth_month or "",
              "birth_year": member.birth_year or ""}
    return _household(request, "public/account/member.html", member=member, values=values, errors={})


@post("/famiglia/componenti/{member_id:int}/modifica")
async def update_member(request: Request, family_id: FamilyId, member_id: FromPath[int]) -> Response:
    member = await _member(family_id, member_id)
    values = await common.form_values(request)
    try:
        await families.update_member(family_id, member_id, values, common.now())
    except families.FormErrors as errors:
        return _household(request, "public/account/member.html", member=member, values=values,
                      errors=errors.by_field, status_code=errors.status_code)
    except NotFound:
        raise NotFoundException() from None
    return Redirect("/famiglia/componenti?esito=componente-modificato", status_code=303)


@post("/famiglia/componenti/{member_id:int}/elimina")
async def remove_member(request: Request, family_id: FamilyId, member_id: FromPath[int]) -> Response:
    try:
        await families.remove_member(family_id, member_id)
    except NotFound:
        raise NotFoundException() from None
    except families.FormErrors as errors:
        return _household(request, "public/account/members.html", members=await families.members(family_id),
                      values={"kind": "child"}, errors=errors.by_field, status_code=errors.status_code)
    return Redirect("/famiglia/componenti?esito=componente-eliminato", status_code=303)


def _household(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    return render(request, template, status_code=status_code, month_names=month_names(), **context)


async def _member(family_id: int, member_id: int) -> families.HouseholdMember:
    try:
        return await families.member(family_id, member_id)
    except NotFound:
        raise NotFoundException() from None


@post("/famiglia/esci-ovunque", guards=[require_family])
async def sign_out_everywhere(request: Request) -> Response:
    await identity.sign_out_everywhere(await sessions.signed_in_family(request))
    sessions.sign_out(request)
    return Redirect("/accedi?esito=uscita-ovunque", status_code=303)


@get("/famiglia/elimina", guards=[require_family])
async def delete_page(request: Request) -> Response:
    return render(request, "public/account/delete.html")


@post("/famiglia/elimina", guards=[require_family])
async def delete_account(request: Request) -> Response:
    """Bookings are cancelled (waiting lists promoted) and personal data erased, then the device signs out."""
    await erasure.erase_family(await sessions.signed_in_family(request), common.now(), request.app.state.links)
    sessions.sign_out(request)
    return Redirect("/accedi?esito=eliminato", status_code=303)


@get("/famiglia/dati.json", guards=[require_family])
async def download_data(request: Request) -> Response:
    data = await families.export(await sessions.signed_in_family(request), common.now())
    return Response(
        content=json.dumps(data, ensure_ascii=False, indent=2).encode(), media_type="application/json",
        headers={"content-disposition": 'attachment; filename="poli-famiglie-dati.json"'},
    )


account_router = Router(
    path="/",
    route_handlers=[
        *signin.HANDLERS,
        family_area, profile_page, save_profile, members_page, add_member, member_page, update_member,
        remove_member, sign_out_everywhere, delete_page, delete_account, download_data,
        new_calendar_address, turn_off_calendar_address,
    ],
    dependencies={"family_id": Provide(provide_family_id)},
    cache_control=CacheControlHeader(no_store=True),
)
