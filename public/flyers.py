"""Flyers of a hub and of an activity: the printable page, and the same page as an A4 PDF."""

from __future__ import annotations

from datetime import datetime, timezone

from litestar import Request, Response, Router, get
from litestar.concurrency import sync_to_thread
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from portal import i18n
from portal.db import NotFound
from portal.flyers import content
from portal.flyers.pdf import render_pdf
from portal.web import STATIC_DIR, known_slug, render, render_html


async def _flyer(request: Request, kind: str, slug: str) -> content.Flyer:
    build = content.hub_flyer if kind == "hub" else content.activity_flyer
    try:
        return await build(known_slug(slug), request.app.state.settings.base_url, datetime.now(timezone.utc))
    except NotFound:
        raise NotFoundException() from None


def _context(kind: str, slug: str, flyer: content.Flyer) -> dict:
    back = f"/poli/{slug}" if kind == "hub" else f"/attivita/{slug}"
    return {"flyer": flyer, "back_url": back}


async def _page(request: Request, kind: str, slug: str) -> Response:
    flyer = await _flyer(request, kind, slug)
    return render(request, "public/flyer.html", **_context(kind, slug, flyer))


async def _pdf(request: Request, kind: str, slug: str) -> Response:
    flyer = await _flyer(request, kind, slug)
    html = render_html(request, "public/flyer.html", **_context(kind, slug, flyer))
    pdf = await sync_to_thread(render_pdf, html, STATIC_DIR)
    filename = f"volantino-{slug}-{i18n.current_language()}.pdf"
    return Response(content=pdf, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{filename}"'})


@get("/poli/{slug:str}/volantino")
async def hub_flyer(request: Request, slug: FromPath[str]) -> Response:
    return await _page(request, "hub", slug)


@get("/poli/{slug:str}/volantino.pdf")
async def hub_flyer_pdf(request: Request, slug: FromPath[str]) -> Response:
    return await _pdf(request, "hub", slug)


@get("/attivita/{slug:str}/volantino")
async def activity_flyer(request: Request, slug: FromPath[str]) -> Response:
    return await _page(request, "activity", slug)


@get("/attivita/{slug:str}/volantino.pdf")
async def activity_flyer_pdf(request: Request, slug: FromPath[str]) -> Response:
    return await _pdf(request, "activity", slug)


flyers_router = Router(path="/", route_handlers=[hub_flyer, hub_flyer_pdf, activity_flyer, activity_flyer_pdf])
