"""What the family pages of the account share: the clock, the request's form and client, notices."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from portal.i18n import N_, gettext

FamilyId = NamedDependency[int]  # the signed-in family with a complete profile (see provide_family_id)
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


def now() -> datetime:
    return datetime.now(timezone.utc)


def settings(request: Request) -> Any:
    return request.app.state.settings


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def form_values(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: form.get(name) for name in form if name != "_csrf_token"}


def notice(request: Request) -> str | None:
    """The message of a page's `?esito=` (what was just done), in the user's language."""
    key = request.query_params.get("esito")
    return gettext(NOTICES[key]) if key in NOTICES else None
