"""What every page shares: templates, language, security headers, errors, and the page cache."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

from babel import Locale
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from litestar import Request, Response
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import HTTPException, NotFoundException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from portal import db, i18n, taxonomy
from portal.identity import staff_access
from portal.settings import Settings

log = logging.getLogger("portal")

STATIC_DIR = Path(__file__).parent / "static"
LANGUAGE_COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "geolocation=(), camera=(), microphone=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
}


def template_environment(settings: Settings) -> Environment:
    loaders = [
        PackageLoader("portal.public", "templates"),
        PackageLoader("portal.staff", "templates"),
        PackageLoader("portal", "templates"),
    ]
    if settings.content_dir:  # the Comune's own texts (privacy notice, accessibility statement) win
        loaders.insert(0, FileSystemLoader(str(settings.content_dir)))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.translate, i18n.translate_plural, newstyle=True)
    env.globals.update(
        asset=asset_url, taxonomy=taxonomy, area_name=taxonomy.area_name,
        service_name=taxonomy.service_name, weekday_name=i18n.weekday_name,
        current_language=i18n.current_language, site_languages=i18n.LANGUAGES, settings=settings,
        language_names=i18n.LANGUAGE_NAMES, html_language=i18n.html_language, text_direction=i18n.text_direction,
        role_label=staff_access.role_label,
    )
    env.filters.update(
        date=i18n.format_date, short_day=i18n.format_short_day, time=i18n.format_time,
        datetime=i18n.format_datetime, age_range=age_range, replace_lang=replace_lang, urlencode_items=urlencode,
    )
    return env


def age_range(minimum: int | None, maximum: int | None) -> str:
    """'5–10 months', '6–11 years', 'from 3 years': ages are kept in months."""
    def years_or_months(months: int) -> tuple[int, bool]:
        return (months // 12, True) if months % 12 == 0 or months >= 36 else (months, False)

    if minimum is None and maximum is None:
        return i18n.gettext("all ages")
    if maximum is None:
        value, in_years = years_or_months(minimum)
        return i18n.gettext("from %(n)s years", n=value) if in_years else i18n.gettext("from %(n)s months", n=value)
    low, high = minimum or 0, maximum
    if high < 36 and not (low % 12 == 0 and (high + 1) % 12 == 0):
        return i18n.gettext("%(low)s–%(high)s months", low=low, high=high)
    return i18n.gettext("%(low)s–%(high)s years", low=low // 12, high=high // 12)


def replace_lang(query: str, language: str) -> str:
    items = [(name, value) for name, value in parse_qsl(query, keep_blank_values=True) if name != "lang"]
    return urlencode([*items, ("lang", language)])


_asset_versions: dict[str, str] = {}


def asset_url(path: str) -> str:
    """A static file's URL with its content hash, so it can be cached for a year."""
    if path not in _asset_versions:
        digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
        _asset_versions[path] = digest
    return f"/static/{path}?v={_asset_versions[path]}"


def render(request: Request, template: str, *, status_code: int = 200, headers: dict[str, str] | None = None,
           **context: Any) -> Response:
    html = render_html(request, template, **context)
    return Response(content=html, status_code=status_code, media_type="text/html", headers=headers)


def render_html(request: Request, template: str, **context: Any) -> str:
    env: Environment = request.app.state.templates
    csrf = ScopeState.from_scope(request.scope).csrf_token
    return env.get_template(template).render(request=request, csrf_token=csrf or "", **context)


def month_names() -> list[str]:
    """January to December in the current language, for a birth month select."""
    months = Locale.parse(i18n.current_language()).months["format"]["wide"]
    return [months[number].capitalize() for number in range(1, 13)]


def safe_next(value: str | None) -> str | None:
    """A path on this site to come back to; anything else (other sites, odd characters) is dropped."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return None
    if any(character in value for character in "\\\r\n\t") or value.startswith(("/accedi", "/esci", "/staff/accedi")):
        return None
    return value


SLUG = re.compile(r"[a-z0-9-]{1,120}")


def known_slug(slug: str) -> str:
    """A slug as the portal writes them; anything else (NUL bytes, spaces…) is simply not found."""
    if not SLUG.fullmatch(slug):
        raise NotFoundException()
    return slug


class PageCache:
    """Rendered pages keyed by the catalogue's revision: a page is reused only while no seat or
    activity has changed since it was rendered, so free places are never stale. Requests that
    miss together wait for one rendering instead of each running the same queries."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self.pages: OrderedDict[tuple, tuple[int, bytes, dict[str, str]]] = OrderedDict()
        self.rendering: dict[tuple, asyncio.Future] = {}

    async def response(self, request: Request, produce: Callable[[], Awaitable[Response]]) -> Response:
        revision = await db.current_revision()
        minute = datetime.now(timezone.utc).replace(second=0, microsecond=0)  # "upcoming" moves with time
        partial = bool(request.headers.get("hx-request")) and not request.headers.get("hx-boosted")
        key = (revision, minute, i18n.current_language(), request.url.path, request.url.query, partial)
        cached = self.pages.get(key)
        if cached is None:
            if key not in self.rendering:
                self.rendering[key] = asyncio.ensure_future(self._render(key, produce))
            cached = await asyncio.shield(self.rendering[key])
        status_code, content, headers = cached
        return Response(content=content, status_code=status_code, media_type="text/html",
                        headers={**headers, "vary": "HX-Request"})

    async def _render(self, key: tuple, produce: Callable[[], Awaitable[Response]]) -> tuple:
        try:
            response = await produce()
            self.pages[key] = (response.status_code, response.content, dict(response.headers))
            if len(self.pages) > self.size:
                self.pages.popitem(last=False)
            return self.pages[key]
        finally:
            del self.rendering[key]


# -- language and headers ------------------------------------------------------------------


def request_language(scope: Scope) -> str:
    request: Request = Request(scope)
    return i18n.choose_language(request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE),
                                request.headers.get("accept-language"))


def language_middleware(app: ASGIApp) -> ASGIApp:
    """Choose the language of each request (errors outside a route choose it in error_page)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            i18n.set_language(request_language(scope))
        await app(scope, receive, send)

    return middleware


async def add_response_headers(message: Message, scope: Scope) -> None:
    """Security headers on every response, the language, and the remembered ?lang= choice."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in SECURITY_HEADERS.items():
        headers[name] = value
    party = scope["app"].state.get("relying_party")
    if party is not None:  # a form may lead to the identity provider (connecting SPID/CIE, signing out)
        targets = " ".join(party.origins())
        headers["content-security-policy"] = CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'", f"form-action 'self' {targets}")
    path = scope.get("path", "")
    if path.startswith("/static/"):
        headers["cache-control"] = f"public, max-age={ONE_YEAR}, immutable"
        return
    headers["content-language"] = i18n.html_language(i18n.current_language())
    headers.add("vary", "Accept-Language, Cookie")
    chosen = Request(scope).query_params.get("lang")
    if chosen in i18n.LANGUAGES:
        cookie = Cookie(key=LANGUAGE_COOKIE, value=chosen, max_age=ONE_YEAR, samesite="lax", httponly=True)
        headers.add("set-cookie", cookie.to_header(header=""))


# -- errors ----------------------------------------------------------------------------------

ERROR_TITLES = {
    400: i18n.N_("The request is not valid"),
    403: i18n.N_("You cannot do this"),
    404: i18n.N_("Page not found"),
    405: i18n.N_("This action is not allowed here"),
    429: i18n.N_("Too many requests: please wait a moment and try again"),
}


def error_page(request: Request, exc: Exception) -> Response:
    i18n.set_language(request_language(request.scope))
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status >= 500:
        log.error("unhandled error on %s", request.scope.get("path_template") or "an unknown route", exc_info=exc)
    title = ERROR_TITLES.get(status, i18n.N_("Something went wrong on our side"))
    html = render_html(request, "public/error.html", status_code=status, title=i18n.gettext(title))
    return Response(content=html, status_code=status, media_type="text/html",
                    headers=getattr(exc, "headers", None) or None)
