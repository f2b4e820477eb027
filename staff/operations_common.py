"""What the operations' page groups share besides staff/common.py: reading ids and choices from forms,
a refusal's message for the page, and the family search of a phone booking or an enrolment."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException
from portal.staff import common

from portal.booking.rules import BookingRefused
from portal.i18n import gettext
from portal.operations import households
from portal.operations.scope import Refused

TEMPLATES = "staff/operations"


def template(name: str) -> str:
    return f"{TEMPLATES}/{name}"


def refusal_message(refusal: Exception) -> str:
    """The translated reason of a BookingRefused or a Refused."""
    if isinstance(refusal, Refused):
        return refusal.message
    if isinstance(refusal, BookingRefused):
        try:
            return refusal.message()
        except (KeyError, TypeError, ValueError):
            return gettext(refusal.reason)
    return str(refusal)


def ids(values: Any, name: str) -> list[int]:
    """A list of ids from checkboxes; anything that is not an id is not found."""
    raw = values.getall(name, []) if hasattr(values, "getall") else ([values[name]] if name in values else [])
    if not all(str(value).isascii() and str(value).isdigit() for value in raw):
        raise NotFoundException()
    return [int(value) for value in raw]


def optional_id(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    if not raw.isascii() or not raw.isdigit():
        raise NotFoundException()
    return int(raw)


def checked(values: Any, name: str) -> bool:
    return (values.get(name) or "") in ("1", "on", "yes", "true")


async def search_families(request: Request, query: str) -> list[households.FoundFamily]:
    """An exact search; what it finds, this staff member may pick in this session."""
    found = await households.find(query) if query else []
    common.remember_found(request, [family.id for family in found])
    return found
