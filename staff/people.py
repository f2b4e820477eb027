"""The staff member's own profile (password, sign out everywhere) and, for administrators, the
staff accounts: thin handlers over portal.admin.staffing."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common

from portal.admin import staffing
from portal.feeds import tokens as feed_tokens
from portal.form_fields import FormErrors
from portal.i18n import N_
from portal.identity import second_factor, sessions
from portal.identity.staff_access import ROLES

NOTICES = {
    "password": N_("Your password has been changed: your other sessions have ended."),
    "creato": N_("The account has been created."),
    "salvato": N_("The account has been saved."),
    "password-nuova": N_("A new initial password has been made: the account's sessions have ended."),
    "calendario-disattivato": N_("Your calendar address is turned off: calendars subscribed to it stop updating."),
    "secondo-fattore-azzerato": N_("The second factor has been reset: the account sets it up again at its next"
                                   " sign-in."),
}
ONCE = "staff_password_once"  # session key: an initial password, shown on the next page only
NEW_FEED_TOKEN = "staff_feed_once"  # session key: a new calendar address, shown on the next page only


# -- the profile ----------------------------------------------------------------------------------


@get("/staff/profilo")
async def profile_page(request: Request) -> Response:
    return await common.page(request, "staff/profile.html", errors={}, notice=common.notice(request, NOTICES),
                             **await _calendar(request))


async def _calendar(request: Request) -> dict:
    """The staff feed's state, and a new address when one was just made (shown once: only its hash is kept);
    whether the second factor is on."""
    staff = await common.signed_in(request)
    context = {"feed_status": await feed_tokens.token_status("staff", staff.id),
               "second_factor_active": await second_factor.is_active(staff.id)}
    token = request.session.pop(NEW_FEED_TOKEN, None) if isinstance(request.scope.get("session"), dict) else None
    if token:
        url = request.app.state.settings.base_url + f"/calendari/staff/{token}.ics"
        context.update(new_feed_url=url, new_feed_qr=feed_tokens.qr_data_uri(feed_tokens.webcal_url(url)))
    return context


@post("/staff/profilo/calendario")
async def new_calendar_address(request: Request) -> Response:
    staff = await common.signed_in(request)
    token = await feed_tokens.rotate_token("staff", staff.id, request.app.state.settings.secret_key, common.now())
    request.set_session({**request.session, NEW_FEED_TOKEN: token})
    return Redirect("/staff/profilo#calendario", status_code=303)


@post("/staff/profilo/calendario/disattiva")
async def turn_off_calendar_address(request: Request) -> Response:
    await feed_tokens.revoke_token("staff", (await common.signed_in(request)).id, common.now())
    return Redirect("/staff/profilo?esito=calendario-disattivato#calendario", status_code=303)


@post("/staff/profilo/password")
async def change_password(request: Request) -> Response:
    staff = await common.signed_in(request)
    try:
        renewed = await staffing.change_password(staff, await common.form_values(request), common.now())
    except FormErrors as errors:
        return await common.page(request, "staff/profile.html", status_code=errors.status_code,
                                 errors=errors.by_field, notice=None, **await _calendar(request))
    await sessions.staff_sign_in(request, renewed)  # this device stays signed in, on a new session
    return Redirect("/staff/profilo?esito=password", status_code=303)


@post("/staff/profilo/esci-ovunque")
async def sign_out_everywhere(request: Request) -> Response:
    await staffing.sign_out_everywhere(await common.signed_in(request))
    request.clear_session()
    return Redirect("/staff/accedi", status_code=303)


# -- staff accounts (administrators) --------------------------------------------------------------


@get("/staff/operatori")
async def accounts_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    return await common.page(request, "staff/people.html", accounts=await staffing.accounts(staff),
                             choices=await staffing.choices(staff), notice=common.notice(request, NOTICES))


@get("/staff/operatori/nuovo")
async def new_account_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    return await _account_form(request, "staff/person_new.html", await staffing.choices(staff),
                               {"role": "coordinator", "hubs": [], "activities": []}, {})


@post("/staff/operatori/nuovo")
async def create_account(request: Request) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        staff_id, password = await staffing.create_account(staff, values, common.now())
    except FormErrors as errors:
        return await _account_form(request, "staff/person_new.html", await staffing.choices(staff),
                                   common.plain(values), errors.by_field, errors.status_code)
    if password:
        request.set_session({**request.session, ONCE: {"id": staff_id, "password": password}})
    return Redirect(f"/staff/operatori/{staff_id}?esito=creato", status_code=303)


@get("/staff/operatori/{staff_id:int}")
async def account_page(request: Request, staff_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    found = await staffing.account(staff, staff_id)
    return await _account_form(request, "staff/person.html", await staffing.choices(staff),
                               staffing.form_values(found), {}, account=found,
                               initial_password=_password_once(request, staff_id),
                               notice=common.notice(request, NOTICES))


@post("/staff/operatori/{staff_id:int}")
async def update_account(request: Request, staff_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await staffing.update_account(staff, staff_id, values, common.now())
    except FormErrors as errors:
        return await _account_form(request, "staff/person.html", await staffing.choices(staff),
                                   common.plain(values), errors.by_field, errors.status_code,
                                   account=await staffing.account(staff, staff_id))
    return Redirect(f"/staff/operatori/{staff_id}?esito=salvato", status_code=303)


@post("/staff/operatori/{staff_id:int}/password")
async def reset_password(request: Request, staff_id: FromPath[int]) -> Response:
    password = await staffing.reset_password(await common.signed_in(request), staff_id, common.now())
    request.set_session({**request.session, ONCE: {"id": staff_id, "password": password}})
    return Redirect(f"/staff/operatori/{staff_id}?esito=password-nuova", status_code=303)


async def _account_form(request: Request, template: str, choices: staffing.Choices, values: dict, errors: dict,
                        status_code: int = 200, **context) -> Response:
    hubs = {hub["id"]: hub["name"] for hub in choices.hubs}
    return await common.page(
        request, template, status_code=status_code, values=values, errors=errors, roles=ROLES,
        hub_options=[(hub["id"], hub["name"]) for hub in choices.hubs],
        activity_options=[(a["id"], f"{a['title']} – {hubs.get(a['hub'], '')}") for a in choices.activities],
        **context)


def _password_once(request: Request, staff_id: int) -> str | None:
    """The initial password of this account, if it was just made: shown once, then forgotten."""
    session = dict(request.session or {})
    once = session.pop(ONCE, None)
    if not once:
        return None
    request.set_session(session)
    return once["password"] if once.get("id") == staff_id else None


people_router = common.router([
    profile_page, change_password, sign_out_everywhere, new_calendar_address, turn_off_calendar_address,
    accounts_page, new_account_page, create_account, account_page, update_account, reset_password,
])
