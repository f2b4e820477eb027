"""Family solidarity for families: the public page (/solidarieta) and the volunteer's own pages
(/famiglia/solidarieta): its offer (declare, edit, pause, withdraw), its matches with what staff shared,
and the meetings of the solidarity paths it follows. Thin handlers over portal.solidarity."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.i18n import N_, gettext
from portal.identity.sessions import provide_family_id, signed_in_family
from portal.solidarity import matches, offers, paths, vocabulary
from portal.web import error_page, render

FamilyId = NamedDependency[int]
NOTICES = {
    "salvata": N_("Your offer has been saved."),
    "inviata": N_("Thank you: your offer has been sent to the hub, whose staff will contact you."),
    "pause": N_("Your offer is paused: no family will be proposed to you until you resume it."),
    "resume": N_("Your offer has been resumed."),
    "withdraw": N_("Your offer has been withdrawn."),
}
CHANGES = ("pause", "resume", "withdraw")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _notice(request: Request) -> str | None:
    key = request.query_params.get("esito")
    return gettext(NOTICES[key]) if key in NOTICES else None


@get("/solidarieta")
async def solidarity_page(request: Request) -> Response:
    return render(request, "public/solidarity/about.html", paths=await paths.public_paths(),
                  signed_in=await signed_in_family(request) is not None)


@get("/famiglia/solidarieta")
async def volunteer_page(request: Request, family_id: FamilyId) -> Response:
    return render(request, "public/solidarity/volunteer.html", offer=await offers.family_offer(family_id),
                  matches=await matches.volunteer_matches(family_id), help=await matches.family_help(family_id),
                  meetings=await paths.upcoming_meetings(family_id, _now()), notice=_notice(request),
                  vocabulary=vocabulary)


async def _offer_form(request: Request, family_id: int, values: dict[str, Any], errors: dict[str, str],
                      status_code: int = 200) -> Response:
    return render(request, "public/solidarity/offer_form.html", status_code=status_code, values=values,
                  errors=errors, offer=await offers.family_offer(family_id), kinds=await offers.help_kinds(),
                  hubs=await offers.hub_choices(), districts=await offers.districts(),
                  weekdays=vocabulary.weekday_options(), bands=vocabulary.band_options(),
                  languages=vocabulary.language_options(), warning=gettext(offers.WARNING))


@get("/famiglia/solidarieta/offerta")
async def offer_page(request: Request, family_id: FamilyId) -> Response:
    current = await offers.family_offer(family_id)
    values = current.form_values() if current else await offers.default_values(family_id)
    return await _offer_form(request, family_id, values, {})


def _shown(form: Any) -> dict[str, Any]:
    """The posted values to show again: the checkbox lists as lists."""
    lists = {"kinds", "weekdays", "time_bands", "districts", "languages"}
    return {name: (form.getall(name) if name in lists else form.get(name)) for name in form if name != "_csrf_token"}


@post("/famiglia/solidarieta/offerta")
async def save_offer(request: Request, family_id: FamilyId) -> Response:
    form = await request.form()
    existed = await offers.family_offer(family_id) is not None
    try:
        await offers.save_offer(family_id, form, _now(), request.app.state.links)
    except FormErrors as invalid:
        return await _offer_form(request, family_id, _shown(form), invalid.by_field, invalid.status_code)
    return Redirect("/famiglia/solidarieta?esito=" + ("salvata" if existed else "inviata"), status_code=303)


@post("/famiglia/solidarieta/offerta/{change:str}")
async def change_offer(request: Request, family_id: FamilyId, change: FromPath[str]) -> Response:
    if change not in CHANGES:
        raise NotFoundException()
    try:
        await offers.family_set_status(family_id, change, _now())
    except FormErrors:
        return Redirect("/famiglia/solidarieta", status_code=303)
    return Redirect(f"/famiglia/solidarieta?esito={change}", status_code=303)


@get("/famiglia/solidarieta/abbinamenti/{match_id:int}")
async def match_page(request: Request, family_id: FamilyId, match_id: FromPath[int]) -> Response:
    return render(request, "public/solidarity/match.html", match=await matches.family_match(family_id, match_id))


def _not_found(request: Request, _: Exception) -> Response:
    return error_page(request, NotFoundException())


solidarity_router = Router(
    path="/",
    route_handlers=[solidarity_page, volunteer_page, offer_page, save_offer, change_offer, match_page],
    dependencies={"family_id": Provide(provide_family_id)},
    exception_handlers={NotFound: _not_found},
    cache_control=CacheControlHeader(no_store=True),
)
