"""The household file pages: find a household, open its file, write a note (and correct it within a
day), record a referral, choose its key worker, book for it. Thin handlers over portal.households, which
decides scope (404) and role (403) and writes the audit log."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common

from portal.form_fields import FormErrors
from portal.households import booking_choices, file, key_workers, notes, referrals, search
from portal.households.vocabulary import DIRECTIONS, NOTE_CATEGORIES, REFERRAL_REASONS, options
from portal.i18n import N_, ROME

NOTICES = {
    "nota": N_("The note has been saved."),
    "nota-corretta": N_("The note has been corrected; the earlier version is kept."),
    "invio": N_("The referral has been recorded."),
    "referente": N_("The key worker has been chosen."),
    "componente": N_("The member has been added."),
}
TEMPLATES = "staff/households"


def _path(family_id: int) -> str:
    return f"/staff/famiglie/{family_id}"


@get("/staff/famiglie")
async def search_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    query = (request.query_params.get("q") or "")[:search.QUERY_LENGTH]
    results = await search.search(staff, query) if query else None
    return await common.page(request, f"{TEMPLATES}/search.html", query=query, results=results,
                             too_short=bool(query) and results is None)


def _defaults(now: datetime, choices: dict) -> dict:
    """A new note or referral: today, and the hub when one writes for a single hub."""
    today = now.astimezone(ROME).date().isoformat()
    defaults = {"contact_on": today, "referred_on": today, "consent_on": today, "category": "call"}
    if len(choices["hubs"]) == 1:
        defaults["hub"] = choices["hubs"][0]["id"]
    return defaults


async def _file_page(request: Request, family_id: int, status_code: int = 200, errors: dict | None = None,
                     values: dict | None = None, form: str = "") -> Response:
    staff = await common.signed_in(request)
    now = common.now()
    opened = await file.open_file(staff, family_id, now)
    choices = await notes.note_choices(staff)
    defaults = _defaults(now, choices)
    return await common.page(
        request, f"{TEMPLATES}/file.html", status_code=status_code, file=opened, choices=choices,
        candidates=await key_workers.candidates(staff) if opened.may_write else {},
        note_values={**defaults, **(values or {})} if form == "note" else defaults,
        note_errors=errors if form == "note" else {}, key_worker_errors=errors if form == "key_worker" else {},
        categories=options(NOTE_CATEGORIES), notice=common.notice(request, NOTICES),
    )


@get("/staff/famiglie/{family_id:int}")
async def file_page(request: Request, family_id: FromPath[int]) -> Response:
    return await _file_page(request, family_id)


@post("/staff/famiglie/{family_id:int}/note")
async def add_note(request: Request, family_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await notes.add(staff, family_id, values, common.now())
    except FormErrors as invalid:
        return await _file_page(request, family_id, invalid.status_code, invalid.by_field, common.plain(values), "note")
    return Redirect(f"{_path(family_id)}?esito=nota#note", status_code=303)


async def _note_page(request: Request, family_id: int, note_id: int, status_code: int = 200,
                     errors: dict | None = None, values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    shown = await notes.note_page(staff, family_id, note_id, common.now())
    note = shown.note
    return await common.page(
        request, f"{TEMPLATES}/note.html", status_code=status_code, family_id=family_id, note=note,
        versions=shown.versions, editable=shown.editable, errors=errors or {}, categories=options(NOTE_CATEGORIES),
        category_labels=dict(options(NOTE_CATEGORIES)),
        values=values or {**note, "contact_on": note["contact_on"].isoformat()})


@get("/staff/famiglie/{family_id:int}/note/{note_id:int}")
async def note_page(request: Request, family_id: FromPath[int], note_id: FromPath[int]) -> Response:
    return await _note_page(request, family_id, note_id)


@post("/staff/famiglie/{family_id:int}/note/{note_id:int}")
async def edit_note(request: Request, family_id: FromPath[int], note_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await notes.edit(staff, family_id, note_id, values, common.now())
    except FormErrors as invalid:
        return await _note_page(request, family_id, note_id, invalid.status_code, invalid.by_field,
                                common.plain(values))
    return Redirect(f"{_path(family_id)}?esito=nota-corretta#note", status_code=303)


async def _referral_page(request: Request, family_id: int, status_code: int = 200, errors: dict | None = None,
                         values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    family, choices = await referrals.new_referral(staff, family_id)
    return await common.page(
        request, f"{TEMPLATES}/referral_form.html", status_code=status_code, family=family, choices=choices,
        values={**_defaults(common.now(), choices), **(values or {})}, errors=errors or {},
        reasons=options(REFERRAL_REASONS), directions=options(DIRECTIONS))


@get("/staff/famiglie/{family_id:int}/invii/nuovo")
async def referral_form(request: Request, family_id: FromPath[int]) -> Response:
    return await _referral_page(request, family_id)


@post("/staff/famiglie/{family_id:int}/invii")
async def add_referral(request: Request, family_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        recorded = await referrals.record(staff, family_id, values, common.now())
    except FormErrors as invalid:
        return await _referral_page(request, family_id, invalid.status_code, invalid.by_field, common.plain(values))
    if recorded.enrol_activity is not None:  # a referral-only service: enrol the family there now
        query = urlencode({"famiglia": family_id})
        return Redirect(f"/staff/iscrizioni/attivita/{recorded.enrol_activity}/nuova?{query}", status_code=303)
    return Redirect(f"{_path(family_id)}?esito=invio#invii", status_code=303)


@post("/staff/famiglie/{family_id:int}/referente")
async def choose_key_worker(request: Request, family_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await key_workers.assign(staff, family_id, values, common.now())
    except FormErrors as invalid:
        return await _file_page(request, family_id, invalid.status_code, invalid.by_field, common.plain(values),
                                "key_worker")
    return Redirect(f"{_path(family_id)}?esito=referente#referenti", status_code=303)


@get("/staff/famiglie/{family_id:int}/prenota")
async def booking_page(request: Request, family_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    family, found = await booking_choices.choices(staff, family_id, common.now())
    return await common.page(request, f"{TEMPLATES}/book.html", family=family, choices=found)


# In the operations router, beside the POST /staff/famiglie of the phone booking (one route per path).
ROUTES = [search_page, file_page, add_note, note_page, edit_note, referral_form, add_referral, choose_key_worker,
          booking_page]
