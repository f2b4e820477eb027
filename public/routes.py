"""The families' site: catalogue, activity, hub and area pages, and the footer's pages."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from jinja2 import TemplateNotFound
from litestar import Request, Response, Router, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect
from portal.public import visit

from portal.booking import availability
from portal.catalogue import browse as catalogue
from portal.catalogue import cards, for_family, slots, texts
from portal.i18n import current_language
from portal.identity import sessions
from portal.taxonomy import AREA_BY_SLUG, SERVICES
from portal.web import known_slug, render


async def _family(request: Request) -> int | None:
    """The signed-in family with a complete profile, whose pages are its own; None for visitors."""
    current = await sessions.current_family(request)
    return current.family_id if current and current.profile_complete else None


def _private(response: Response) -> Response:
    """A page made for one family: no shared cache, no proxy, may keep it."""
    response.headers["cache-control"] = "private, no-store"
    return response


def _partial(request: HTMXRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


async def _catalogue(request: HTMXRequest, template: str, fixed: dict[str, str], **context: object) -> Response:
    """Render a filtered catalogue page, or just its results for an HTMX request."""
    hubs = await catalogue.hubs()
    params = {**request.query_params.dict(), **{k: [v] for k, v in fixed.items()}}
    filters, errors = catalogue.parse_filters({k: v[0] for k, v in params.items()}, {h["slug"] for h in hubs},
                                              {h["district"] for h in hubs})
    results = await cards.search(filters, datetime.now(timezone.utc), hubs)
    status_code = 400 if errors else 200
    context.update(filters=filters, errors=errors, results=results, hubs=hubs, services=SERVICES)
    if not _partial(request):
        return render(request, template, status_code=status_code, **context)
    canonical = request.url.path + ("?" + urlencode(filters.query_items()) if filters.query_items() else "")
    return render(request, "public/_results.html", status_code=status_code, headers={"HX-Push-Url": canonical},
                  **context)


@get("/")
async def home(request: HTMXRequest) -> Response:
    remembered = visit.remembered(request)
    if remembered:  # the district and age chosen earlier in this visit
        return Redirect("/?" + urlencode(remembered), status_code=303)
    family = await _family(request)
    if family:  # opens with what fits this family's children: its own page, never the shared cache
        suggestions = None if _partial(request) else await for_family.suggestions(family, datetime.now(timezone.utc))
        response = _private(await _catalogue(request, "public/home.html", {}, for_you=suggestions))
    else:
        response = await request.app.state.page_cache.response(
            request, lambda: _catalogue(request, "public/home.html", {}))
    return visit.remember(request, response)


@get("/aree/{slug:str}")
async def area(request: HTMXRequest, slug: FromPath[str]) -> Response:
    if slug not in AREA_BY_SLUG:
        raise NotFoundException()
    return await request.app.state.page_cache.response(
        request, lambda: _catalogue(request, "public/area.html", {"area": slug}, area=AREA_BY_SLUG[slug]))


@get("/poli/{slug:str}")
async def hub(request: HTMXRequest, slug: FromPath[str]) -> Response:
    known_slug(slug)

    async def produce() -> Response:
        try:
            found = await catalogue.hub_by_slug(slug)
        except catalogue.NotFound:
            raise NotFoundException() from None
        return await _catalogue(request, "public/hub.html", {"hub": slug}, hub=found)

    return await request.app.state.page_cache.response(request, produce)


@get("/attivita/{slug:str}")
async def activity(request: Request, slug: FromPath[str]) -> Response:
    known_slug(slug)
    family = await _family(request)

    async def produce() -> Response:
        now = datetime.now(timezone.utc)
        try:
            page = await catalogue.activity_page(slug, now)
        except catalogue.NotFound:
            raise NotFoundException() from None
        household = await availability.household(family) if family else None
        dates = await availability.for_activity(page.activity_id, now, household)
        base_url = request.app.state.settings.base_url
        return render(request, "public/activity.html", page=page, dates=dates, now=now,
                      json_ld=catalogue.json_ld(page, base_url), slots=await _slots(request, page, slug),
                      texts=await texts.activity_texts(slug, page.card.title, page.card.summary, page.description))

    if family:  # the dates say whether this household fits: never from the shared cache
        return _private(await produce())
    return await request.app.state.page_cache.response(request, produce)


async def _slots(request: Request, page: catalogue.ActivityPage, slug: str) -> slots.SlotPicker | None:
    """An appointment's day picker, on the day asked for by ?giorno= (None for other activities)."""
    if not slots.is_appointment(page.card):
        return None
    wanted = slots.parse_day(request.query_params.get("giorno"))
    return await slots.slot_picker(slug, wanted, datetime.now(timezone.utc))


@get("/attivita/{slug:str}/orari")
async def appointment_slots(request: Request, slug: FromPath[str]) -> Response:
    """The day picker alone, for htmx; without JavaScript the day links reload the whole page."""
    known_slug(slug)

    async def produce() -> Response:
        try:
            picker = await slots.slot_picker(slug, slots.parse_day(request.query_params.get("giorno")),
                                             datetime.now(timezone.utc))
        except catalogue.NotFound:
            raise NotFoundException() from None
        return render(request, "public/_slot_picker.html", picker=picker, slug=slug)

    return await request.app.state.page_cache.response(request, produce)


def _content(request: Request, page: str) -> Response:
    """The Comune's text in the reader's language, else in English (the texts exist in it and en)."""
    language = current_language()
    try:
        request.app.state.templates.get_template(f"content/{page}.{language}.html")
    except TemplateNotFound:
        language = "en"
    return render(request, "public/content.html", page=page, content_language=language)


@get("/privacy")
async def privacy(request: Request) -> Response:
    return _content(request, "privacy")


@get("/accessibilita")
async def accessibility(request: Request) -> Response:
    return _content(request, "accessibility")


public_router = Router(path="/", route_handlers=[home, area, hub, activity, appointment_slots, privacy,
                                                  accessibility])
