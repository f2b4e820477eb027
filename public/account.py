"""Family sign-in (/accedi) and the family area (/famiglia): thin handlers over identity and families.

Every form posts back to its own page and redirects on success (POST-redirect-GET); bad input is
shown by its field with a 4xx. Nothing here is cached: the router sends `Cache-Control: no-store`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from babel import Locale
from litestar import Request, Response, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from portal.booking import listing
from portal.db import NotFound
from portal.families import accounts as families
from portal.families import erasure
from portal.feeds import selection as feeds
from portal.i18n import N_, current_language, gettext
from portal.identity import citizens, sessions
from portal.identity import codes as identity
from portal.identity.oidc import ERRORS, Citizen, OidcError
from portal.identity.sessions import provide_family_id, require_family
from portal.web import render, safe_next

FamilyId = NamedDependency[int]  # the signed-in family with a complete profile (see provide_family_id)
PENDING = "sign_in"  # session key of a sign-in waiting for its code: {"email": ..., "next": ...}
PENDING_EMAIL_CHANGE = "new_email"
AT_PROVIDER = "at_provider"  # session key: signed in through the identity provider, to sign out there too
NEW_FEED_TOKEN = "feed_token"  # session key: a calendar token just made, shown once on the family page
NOTICES = {
    "profilo": N_("Your details have been saved."),
    "componente-aggiunto": N_("The household member has been added."),
    "componente-modificato": N_("The household member has been updated."),
    "componente-eliminato": N_("The household member has been removed."),
    "email": N_("Your e-mail address has been changed."),
    "uscita": N_("You have signed out on this device."),
    "uscita-ovunque": N_("You have signed out on every device."),
    "eliminato": N_("Your account has been deleted: your bookings are cancelled and your data erased."),
    "identita-collegata": N_("Your digital identity is connected: next time you can sign in with it."),
    "calendario-disattivato": N_("Your calendar address is turned off: calendars subscribed to it stop updating."),
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: form.get(name) for name in form if name != "_csrf_token"}


def _notice(request: Request) -> str | None:
    key = request.query_params.get("esito")
    return gettext(NOTICES[key]) if key in NOTICES else None


def _refusal(request: Request, template: str, error: identity.SignInError, **context: Any) -> Response:
    headers = {"retry-after": str(error.retry_after)} if isinstance(error, identity.TooManyRequests) else None
    return render(request, template, status_code=error.status_code, headers=headers,
                  errors={error.field: error.message}, **context)


def _after_sign_in(current_complete: bool, next_path: str | None) -> str:
    if not current_complete:
        return "/famiglia/profilo" + ("?next=" + quote(next_path, safe="/") if next_path else "")
    return next_path or "/famiglia"


def oidc_failure_page(request: Request, error: OidcError, back: str = "/accedi") -> Response:
    """A SPID/CIE sign-in that did not succeed, told in the citizen's words, with a way back."""
    title, text = ERRORS[error.kind]
    return render(request, "public/account/oidc_error.html", status_code=error.status_code,
                  title=gettext(title), text=gettext(text), back=back)


async def signed_in_redirect(request: Request, family_id: int, next_path: str | None,
                             at_provider: bool = False) -> Response:
    """Start the family's session (a new id) and go on; `at_provider`: signed in through the identity
    provider, whose session sign-out ends too. (The ID token is not kept: it carries the fiscal number.)"""
    await sessions.sign_in(request, family_id)
    if at_provider:
        request.session[AT_PROVIDER] = True
    profile = await families.profile(family_id)
    return Redirect(_after_sign_in(profile.complete, next_path), status_code=303)


# -- signing in ----------------------------------------------------------------------------


@get("/accedi")
async def sign_in_page(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if await sessions.signed_in_family(request):
        return Redirect(next_path or "/famiglia", status_code=303)
    return _sign_in_form(request, next=next_path, email="", errors={}, notice=_notice(request))


def _sign_in_form(request: Request, status_code: int = 200, headers: dict | None = None, **context: Any) -> Response:
    """The sign-in page: SPID and CIE when the identity gateway is configured, the e-mail code when enabled."""
    party = request.app.state.relying_party
    return render(request, "public/account/sign_in.html", status_code=status_code, headers=headers,
                  methods=party.config.methods if party else (), email_sign_in=_settings(request).email_sign_in,
                  **context)


@post("/accedi")
async def request_code(request: Request) -> Response:
    if not _settings(request).email_sign_in:
        raise NotFoundException()
    values = await _form(request)
    next_path = safe_next(values.get("next"))
    context = {"next": next_path, "email": (values.get("email") or "").strip()[:254]}
    try:
        email = await identity.request_code(
            values.get("email") or "", "sign_in", current_language(), _client_ip(request), _now(),
            base_url=_settings(request).base_url, secret_key=_settings(request).secret_key)
    except identity.SignInError as error:
        headers = {"retry-after": str(error.retry_after)} if isinstance(error, identity.TooManyRequests) else None
        return _sign_in_form(request, error.status_code, headers, errors={error.field: error.message}, **context)
    sessions.rotate(request)  # a session planted before the sign-in never sees the address
    request.set_session({PENDING: {"email": email, "next": next_path}})
    return Redirect("/accedi/codice", status_code=303)


def _pending(request: Request) -> dict | None:
    pending = request.session.get(PENDING) if isinstance(request.scope.get("session"), dict) else None
    return pending if isinstance(pending, dict) and pending.get("email") else None


@get("/accedi/codice")
async def code_page(request: Request) -> Response:
    pending = _pending(request)
    if pending is None:
        return Redirect("/accedi", status_code=303)
    return render(request, "public/account/code.html", email=pending["email"], errors={})


@post("/accedi/codice")
async def verify_code(request: Request) -> Response:
    pending = _pending(request)
    if pending is None:
        return Redirect("/accedi", status_code=303)
    values = await _form(request)
    try:
        family_id = await identity.verify_code(
            pending["email"], values.get("code") or "", _now(), secret_key=_settings(request).secret_key,
            client_ip=_client_ip(request), language=current_language())
    except identity.SignInError as error:
        return _refusal(request, "public/account/code.html", error, email=pending["email"])
    citizen = Citizen.from_session(pending.get("citizen"))
    if citizen is not None:  # a first SPID/CIE sign-in whose e-mail the code has just proved
        try:
            await citizens.connect(family_id, citizen, _now())
        except OidcError as error:
            return oidc_failure_page(request, error)
    return await signed_in_redirect(request, family_id, safe_next(pending.get("next")))


@get("/accedi/link/{token:str}")
async def link_page(request: Request, token: FromPath[str]) -> Response:
    """One button, so a mail scanner that opens the link does not use the code up."""
    valid = await identity.link_is_valid(token, _now(), secret_key=_settings(request).secret_key)
    return render(request, "public/account/link.html", valid=valid, action=f"/accedi/link/{token}", errors={},
                  status_code=200 if valid else 410)


@post("/accedi/link/{token:str}")
async def use_link(request: Request, token: FromPath[str]) -> Response:
    try:
        family_id = await identity.verify_link(token, _now(), secret_key=_settings(request).secret_key,
                                               client_ip=_client_ip(request), language=current_language())
    except identity.SignInError as error:
        return _refusal(request, "public/account/link.html", error, valid=False, action="")
    return await signed_in_redirect(request, family_id, None)


@post("/esci")
async def sign_out(request: Request) -> Response:
    """End the portal session and, after a SPID/CIE sign-in, the identity provider's session too."""
    session = request.scope.get("session")
    at_provider = isinstance(session, dict) and session.get(AT_PROVIDER) is True
    sessions.sign_out(request)
    party, after = request.app.state.relying_party, "/accedi?esito=uscita"
    provider_url = await party.logout_url(_settings(request).base_url + after) if party and at_provider else None
    return Redirect(provider_url or after, status_code=303)


# -- the family area -----------------------------------------------------------------------


@get("/famiglia", guards=[require_family])
async def family_area(request: Request) -> Response:
    current = await sessions.current_family(request)
    if not current.profile_complete:
        return Redirect("/famiglia/profilo", status_code=303)
    family_id = current.family_id
    now = _now()
    upcoming = [b for b in await listing.family_bookings(family_id) if b.live and not b.is_past(now)]
    party = request.app.state.relying_party
    return render(request, "public/account/family.html", profile=await families.profile(family_id),
                  members=await families.members(family_id), family_id=family_id, notice=_notice(request),
                  bookings=upcoming, now=now, identity_methods=party.config.methods if party else (),
                  connected_methods=await citizens.connected_methods(family_id) if party else (),
                  **await _calendar_feed(request, family_id))


async def _calendar_feed(request: Request, family_id: int) -> dict[str, Any]:
    """The private feed's state; a token just made is shown this once (only its hash is kept)."""
    token = request.session.pop(NEW_FEED_TOKEN, None)
    context: dict[str, Any] = {"feed_status": await feeds.token_status("family", family_id)}
    if token:
        url = _settings(request).base_url + feeds.family_feed_path(token)
        context.update(new_feed_url=url, new_feed_qr=feeds.qr_data_uri(feeds.webcal_url(url)))
    return context


@post("/famiglia/calendario")
async def new_calendar_address(request: Request, family_id: FamilyId) -> Response:
    """Make the family's private calendar address, or a new one (the old one then answers 404)."""
    request.session[NEW_FEED_TOKEN] = await feeds.rotate_token("family", family_id, _settings(request).secret_key,
                                                               _now())
    return Redirect("/famiglia#calendario", status_code=303)


@post("/famiglia/calendario/disattiva")
async def turn_off_calendar_address(request: Request, family_id: FamilyId) -> Response:
    await feeds.revoke_token("family", family_id, _now())
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
    values = await _form(request)
    try:
        await families.update_profile(family_id, values, _now())
    except families.FormErrors as errors:
        return await _profile_form(request, await families.profile(family_id), values, errors.by_field,
                                   errors.status_code)
    return Redirect(safe_next(values.get("next")) or "/famiglia?esito=profilo", status_code=303)


@get("/famiglia/componenti")
async def members_page(request: Request, family_id: FamilyId) -> Response:
    return _household(request, "public/account/members.html", members=await families.members(family_id),
                  values={"kind": "child"}, errors={}, notice=_notice(request))


@post("/famiglia/componenti")
async def add_member(request: Request, family_id: FamilyId) -> Response:
    values = await _form(request)
    try:
        await families.add_member(family_id, values, _now())
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
    values = await _form(request)
    try:
        await families.update_member(family_id, member_id, values, _now())
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
    months = Locale.parse(current_language()).months["format"]["wide"]
    return render(request, template, status_code=status_code,
                  month_names=[months[number].capitalize() for number in range(1, 13)], **context)


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
    await erasure.erase_family(await sessions.signed_in_family(request), _now(), request.app.state.links)
    sessions.sign_out(request)
    return Redirect("/accedi?esito=eliminato", status_code=303)


@get("/famiglia/dati.json", guards=[require_family])
async def download_data(request: Request) -> Response:
    data = await families.export(await sessions.signed_in_family(request), _now())
    return Response(
        content=json.dumps(data, ensure_ascii=False, indent=2).encode(), media_type="application/json",
        headers={"content-disposition": 'attachment; filename="poli-famiglie-dati.json"'},
    )


# -- changing the e-mail address -----------------------------------------------------------


@get("/famiglia/email")
async def email_page(request: Request, family_id: FamilyId) -> Response:
    return render(request, "public/account/email.html", profile=await families.profile(family_id), email="",
                  errors={})


@post("/famiglia/email")
async def request_email_change(request: Request, family_id: FamilyId) -> Response:
    values = await _form(request)
    email = (values.get("email") or "").strip()[:254]
    try:
        new_email = await families.request_email_change(
            family_id, email, current_language(), _client_ip(request), _now(),
            base_url=_settings(request).base_url, secret_key=_settings(request).secret_key)
    except identity.SignInError as error:
        return _refusal(request, "public/account/email.html", error, profile=await families.profile(family_id),
                        email=email)
    except families.FormErrors as errors:
        return render(request, "public/account/email.html", profile=await families.profile(family_id),
                      email=email, errors=errors.by_field, status_code=errors.status_code)
    request.session[PENDING_EMAIL_CHANGE] = new_email
    return Redirect("/famiglia/email/codice", status_code=303)


@get("/famiglia/email/codice")
async def email_code_page(request: Request, family_id: FamilyId) -> Response:
    new_email = request.session.get(PENDING_EMAIL_CHANGE)
    if not new_email:
        return Redirect("/famiglia/email", status_code=303)
    return render(request, "public/account/email_code.html", email=new_email, errors={})


@post("/famiglia/email/codice")
async def confirm_email_change(request: Request, family_id: FamilyId) -> Response:
    new_email = request.session.get(PENDING_EMAIL_CHANGE)
    if not new_email:
        return Redirect("/famiglia/email", status_code=303)
    values = await _form(request)
    try:
        await families.change_email(family_id, new_email, values.get("code") or "", _now(),
                                    secret_key=_settings(request).secret_key, client_ip=_client_ip(request))
    except identity.SignInError as error:
        return _refusal(request, "public/account/email_code.html", error, email=new_email)
    request.session.pop(PENDING_EMAIL_CHANGE, None)
    return Redirect("/famiglia?esito=email", status_code=303)


@get("/famiglia/email/link/{token:str}")
async def email_link_page(request: Request, token: FromPath[str]) -> Response:
    valid = await identity.link_is_valid(token, _now(), secret_key=_settings(request).secret_key,
                                         purpose="change_email")
    return render(request, "public/account/email_link.html", valid=valid, action=f"/famiglia/email/link/{token}",
                  errors={}, status_code=200 if valid else 410)


@post("/famiglia/email/link/{token:str}")
async def use_email_link(request: Request, token: FromPath[str]) -> Response:
    """The token proves the new address and names the family that asked: no session is needed."""
    try:
        await families.change_email_by_link(token, _now(), secret_key=_settings(request).secret_key,
                                            client_ip=_client_ip(request))
    except identity.SignInError as error:
        return _refusal(request, "public/account/email_link.html", error, valid=False, action="")
    if await sessions.signed_in_family(request):
        request.session.pop(PENDING_EMAIL_CHANGE, None)
        return Redirect("/famiglia?esito=email", status_code=303)
    return Redirect("/accedi?esito=email", status_code=303)


account_router = Router(
    path="/",
    route_handlers=[
        sign_in_page, request_code, code_page, verify_code, link_page, use_link, sign_out,
        family_area, profile_page, save_profile, members_page, add_member, member_page, update_member,
        remove_member, sign_out_everywhere, delete_page, delete_account, download_data,
        new_calendar_address, turn_off_calendar_address,
        email_page, request_email_change, email_code_page, confirm_email_change, email_link_page, use_email_link,
    ],
    dependencies={"family_id": Provide(provide_family_id)},
    cache_control=CacheControlHeader(no_store=True),
)
