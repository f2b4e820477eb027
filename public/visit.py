"""The catalogue's first two filters, district and child's age, remembered for the visit.

A cookie without an expiry (it ends with the browser's session) holds what was last chosen; the
home page, opened without filters, goes back to them. Choosing them empty forgets them.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from litestar import Request, Response

COOKIE = "catalogo"
REMEMBERED = ("district", "age")
FILTERS = ("district", "area", "service", "hub", "age", "day", "from", "to", "q", "available", "page")


def remembered(request: Request) -> list[tuple[str, str]]:
    """The remembered filters when the home page is opened without any; else nothing."""
    if any(name in request.query_params for name in FILTERS) or request.headers.get("hx-request"):
        return []
    saved = parse_qsl(request.cookies.get(COOKIE, ""))
    items = [(name, value[:120]) for name, value in saved if name in REMEMBERED and value]
    language = request.query_params.get("lang")
    return items + ([("lang", language)] if items and language else [])


def remember(request: Request, response: Response) -> Response:
    """Keep the district and age of this request, when it names them (empty: forget them)."""
    if not any(name in request.query_params for name in REMEMBERED):
        return response
    chosen = [(name, request.query_params.get(name, "").strip()[:120]) for name in REMEMBERED]
    chosen = [(name, value) for name, value in chosen if value]
    if chosen:
        response.set_cookie(COOKIE, urlencode(chosen), httponly=True, samesite="lax", path="/",
                            secure=request.app.state.settings.secure_cookies)
    elif COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path="/")
    return response
