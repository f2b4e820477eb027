"""What the staff area's page groups share: the signed-in staff member, the clock, the form, notices
after a redirect, and the one mapping of domain refusals: out of scope → 404, not for this role → 403."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from litestar import Request, Response, Router
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException, PermissionDeniedException

from portal.db import NotFound
from portal.i18n import gettext
from portal.identity import sessions
from portal.identity.staff_access import Forbidden, Staff
from portal.web import error_page, render

NO_STORE = CacheControlHeader(no_store=True)


def now() -> datetime:
    return datetime.now(timezone.utc)


async def signed_in(request: Request) -> Staff:
    """The staff member of a guarded route (require_staff has let them in)."""
    staff = await sessions.current_staff(request)
    assert staff is not None, "staff routes are guarded by require_staff"
    return staff


FOUND_FAMILIES = "found_families"  # session key: the families this staff member found or created lately
FOUND_LIMIT = 50


def found_families(request: Request) -> list[int]:
    """The families this staff member's searches found (or they created) in this session, newest first."""
    found = request.session.get(FOUND_FAMILIES) if isinstance(request.session, dict) else None
    return [value for value in found if isinstance(value, int)] if isinstance(found, list) else []


def remember_found(request: Request, family_ids: list[int]) -> None:
    """Let this session pick these families next (households.family checks the rest against the hubs)."""
    earlier = found_families(request)
    kept = [*family_ids, *(value for value in earlier if value not in family_ids)][:FOUND_LIMIT]
    if kept != earlier:
        request.set_session({**request.session, FOUND_FAMILIES: kept})


async def form_values(request: Request) -> Any:
    """The posted form, a multi-dict (checkbox lists keep every value); the domain ignores the CSRF token."""
    return await request.form()


LIST_FIELDS = {"hubs", "activities", "weekdays"}  # shown again as lists even with one value


def plain(values: Any) -> dict[str, Any]:
    """The posted values to show again in a form: single values, and lists for the checkbox lists."""
    shown: dict[str, Any] = {}
    for name in values:
        if name == "_csrf_token":
            continue
        many = values.getall(name) if hasattr(values, "getall") else [values[name]]
        shown[name] = many if len(many) > 1 or name in LIST_FIELDS else many[0]
    return shown



def notice(request: Request, notices: dict[str, str]) -> str | None:
    key = request.query_params.get("esito")
    return gettext(notices[key]) if key in notices else None


async def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A staff page, with the signed-in staff member for the layout."""
    return render(request, template, status_code=status_code, staff=await signed_in(request), **context)


MAX_ID = 2**31 - 1  # the tables' integer ids: a larger number in a path is no record (and no 500)


def ids_in_range(request: Request) -> None:
    """before_request of the staff routers: an id path parameter out of range is simply not found."""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise NotFoundException()


def not_found(request: Request, _: Exception) -> Response:
    return error_page(request, NotFoundException())


def forbidden(request: Request, _: Exception) -> Response:
    return error_page(request, PermissionDeniedException())


EXCEPTION_HANDLERS = {NotFound: not_found, Forbidden: forbidden}


def router(route_handlers: list) -> Router:
    """A router of staff pages: signed-in staff only, never cached, refusals mapped to 404/403."""
    return Router(path="/", route_handlers=route_handlers, guards=[sessions.require_staff], cache_control=NO_STORE,
                  exception_handlers=EXCEPTION_HANDLERS, before_request=ids_in_range)
