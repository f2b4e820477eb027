"""Web sessions every worker sees (a `Store` on the `web_session` table), rotated at sign-in, and
the signed-in family of a request.

A session id comes only from us: an id the client sends that the store does not hold is never
adopted, and signing in always moves the session to a new id (stack notes §1.3: Litestar's
server-side backend would otherwise keep a planted id). A session is written only when its content
changes, so browsing costs one read per request and no write; anonymous visitors get no session
until they start signing in.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import Empty, Message, ScopeSession

from portal import db
from portal.identity.staff_access import Staff, load_staff
from portal.settings import Settings
from portal.tables import Family, WebSession

SESSION_DAYS = 30
ANONYMOUS_SECONDS = 3600  # a sign-in in progress (the address waiting for its code)
FAMILY = "family"  # session keys
EPOCH = "epoch"

_ROTATE = "portal.session.rotate"  # scope keys
_LOADED = "portal.session.loaded"  # (session id, serialised data) read from the store
_CURRENT = "portal.session.family"
_COOKIE_PARAMETERS = ("path", "domain", "secure", "httponly", "samesite")


# -- the store -----------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _seconds(value: int | timedelta) -> int:
    return int(value.total_seconds()) if isinstance(value, timedelta) else int(value)


class DatabaseStore(Store):
    """Litestar's key/value store on the `web_session` table, shared by every worker process.

    Values are bytes; the Text column holds them in base64."""

    __slots__ = ()

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        expires_at = _utcnow() + timedelta(seconds=_seconds(expires_in)) if expires_in else None
        async with db.write_transaction():
            await WebSession.raw(
                'INSERT INTO web_session ("key", value, expires_at) VALUES ({}, {}, {})'
                ' ON CONFLICT ("key") DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
                key, base64.b64encode(data).decode("ascii"), expires_at,
            )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        row = await self._live(key)
        if row is None:
            return None
        if renew_for and row["expires_at"] is not None:
            async with db.write_transaction():
                await WebSession.update(
                    {WebSession.expires_at: _utcnow() + timedelta(seconds=_seconds(renew_for))}
                ).where(WebSession.key == key)
        return base64.b64decode(row["value"])

    async def delete(self, key: str) -> None:
        async with db.write_transaction():
            await WebSession.delete().where(WebSession.key == key)

    async def delete_all(self) -> None:
        async with db.write_transaction():
            await WebSession.delete(force=True)

    async def exists(self, key: str) -> bool:
        return await self._live(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await self._live(key)
        if row is None or row["expires_at"] is None:
            return None
        return int((db.instant(row["expires_at"]) - _utcnow()).total_seconds())

    async def _live(self, key: str) -> dict | None:
        rows = await WebSession.raw('SELECT value, expires_at FROM web_session WHERE "key" = {}', key)
        row = rows[0] if rows else None
        if row is None or (row["expires_at"] is not None and db.instant(row["expires_at"]) <= _utcnow()):
            return None
        return row


# -- the rotating backend ------------------------------------------------------------------


class RotatingSessionBackend(ServerSideSessionBackend):
    """Server-side sessions that never adopt a client-chosen id and rotate the id on request."""

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        if session_id and session_id != "null" and len(session_id) <= 128:
            data = await self.get(session_id, store=self.config.get_store_from_app(connection.scope["app"]))
            if data is not None:
                connection.scope[_LOADED] = (session_id, data)  # type: ignore[literal-required]
                return self.deserialize_data(data)
        return {}

    def get_session_id(self, connection: ASGIConnection) -> str:
        loaded = connection.scope.get(_LOADED)
        if loaded and not connection.scope.get(_ROTATE):
            return loaded[0]
        return connection.scope.setdefault(_ROTATE + ".id", self.generate_session_id())  # type: ignore[misc]

    async def store_in_message(self, scope_session: ScopeSession, message: Message,
                               connection: ASGIConnection) -> None:
        scope = connection.scope
        store = self.config.get_store_from_app(scope["app"])
        loaded = scope.get(_LOADED)
        had_cookie = bool(connection.cookies.get(self.config.key))
        headers = MutableScopeHeaders.from_message(message)
        cookie_params = {name: getattr(self.config, name) for name in _COOKIE_PARAMETERS
                         if getattr(self.config, name) is not None}
        if scope_session is Empty or not scope_session:
            if loaded:
                await store.delete(loaded[0])
            if had_cookie:
                headers.add("set-cookie", Cookie(key=self.config.key, value="null", expires=0, max_age=0,
                                                 **cookie_params).to_header(header=""))
            return
        data = self.serialize_data(scope_session, scope)
        rotate = bool(scope.get(_ROTATE))
        if loaded and not rotate and data == loaded[1]:
            return  # unchanged: no write, the cookie stands
        if loaded and rotate:
            await store.delete(loaded[0])
        session_id = self.get_session_id(connection)
        lifetime = self.config.max_age if scope_session.get(FAMILY) else ANONYMOUS_SECONDS
        await store.set(session_id, data, expires_in=lifetime)
        headers.add("set-cookie", Cookie(key=self.config.key, value=session_id, max_age=lifetime,
                                         **cookie_params).to_header(header=""))


class RotatingSessionConfig(ServerSideSessionConfig):
    _backend_class = RotatingSessionBackend


def session_config(settings: Settings) -> RotatingSessionConfig:
    return RotatingSessionConfig(
        store="sessions", key="session", max_age=SESSION_DAYS * 24 * 3600, httponly=True, samesite="lax",
        secure=settings.secure_cookies, exclude=["^/static/", "^/healthz", "^/readyz", "^/metrics"],
    )


# -- the signed-in family ------------------------------------------------------------------


@dataclass(frozen=True)
class FamilySession:
    family_id: int
    profile_complete: bool  # name and surname given, privacy notice acknowledged


def rotate(request: Request) -> None:
    """Give this session a new id when the response is sent (the old one is deleted)."""
    request.scope[_ROTATE] = True  # type: ignore[literal-required]


async def sign_in(request: Request, family_id: int) -> None:
    """Start the family's session on a new id, carrying the family's current sign-out epoch."""
    row = await Family.select(Family.session_epoch).where(Family.id == family_id).first()
    rotate(request)
    request.set_session({FAMILY: family_id, EPOCH: row["session_epoch"] if row else -1})
    request.scope.pop(_CURRENT, None)  # type: ignore[misc]


def sign_out(request: Request) -> None:
    request.clear_session()
    request.scope[_CURRENT] = None  # type: ignore[literal-required]


async def current_family(request: Request) -> FamilySession | None:
    """The family signed in on this request, or None. A session from before "sign out everywhere"
    (an older epoch) or of an erased family is ended here."""
    if _CURRENT in request.scope:
        return request.scope[_CURRENT]  # type: ignore[literal-required]
    raw = request.scope.get("session")
    session = raw if isinstance(raw, dict) else {}
    family_id = session.get(FAMILY)
    current = None
    if isinstance(family_id, int):
        rows = await Family.raw("SELECT session_epoch, erased_at, name, surname, privacy_acknowledged_at"
                                " FROM family WHERE id = {}", family_id)
        row = rows[0] if rows else None
        if row and row["erased_at"] is None and row["session_epoch"] == session.get(EPOCH):
            complete = bool(row["name"] and row["surname"] and row["privacy_acknowledged_at"])
            current = FamilySession(family_id, complete)
        else:
            request.clear_session()
    request.scope[_CURRENT] = current  # type: ignore[literal-required]
    return current


async def signed_in_family(request: Request) -> int | None:
    """The id of the family signed in on this request, or None."""
    current = await current_family(request)
    return current.family_id if current else None


# -- guards for other routes ---------------------------------------------------------------


class AccountRedirect(HTTPException):
    """Send the visitor to sign in (or to complete the profile) and back to where they were."""

    status_code = 303

    def __init__(self, location: str) -> None:
        super().__init__(detail="redirect", headers={"location": location})
        self.location = location


def _here(request: ASGIConnection) -> str:
    path = request.url.path
    return path + ("?" + request.url.query if request.url.query else "")


def sign_in_location(request: ASGIConnection) -> str:
    return "/accedi?next=" + quote(_here(request), safe="/")


async def provide_family_id(request: Request) -> int:
    """Dependency: the signed-in family with a complete profile; otherwise off to sign in or to the profile.

    Use as `dependencies={"family_id": Provide(provide_family_id)}` and take `family_id: int`."""
    current = await current_family(request)
    if current is None:
        raise AccountRedirect(sign_in_location(request))
    if not current.profile_complete:
        raise AccountRedirect("/famiglia/profilo?next=" + quote(_here(request), safe="/"))
    return current.family_id


async def require_family(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a signed-in family (any profile state); otherwise off to sign in."""
    if await current_family(connection) is None:  # type: ignore[arg-type]
        raise AccountRedirect(sign_in_location(connection))


def account_redirect(request: Request, exc: AccountRedirect) -> Response:
    """303 for pages; for htmx requests a full-page redirect (htmx would follow a 3xx inside the swap)."""
    if request.headers.get("hx-request"):
        return Response(content=b"", status_code=200, headers={"hx-redirect": exc.location})
    return Response(content=b"", status_code=303, headers={"location": exc.location})


# -- staff -----------------------------------------------------------------------------------

STAFF, STAFF_EPOCH, STAFF_SEEN = "staff", "staff_epoch", "staff_seen"
STAFF_IDLE = timedelta(minutes=30)  # staff sessions end sooner than families'
_CURRENT_STAFF = "_current_staff"


async def staff_sign_in(request: Request, staff: Staff) -> None:
    rotate(request)
    request.set_session({STAFF: staff.id, STAFF_EPOCH: staff.session_epoch, STAFF_SEEN: _utcnow().timestamp()})
    request.scope.pop(_CURRENT_STAFF, None)  # type: ignore[misc]


async def current_staff(request: ASGIConnection) -> Staff | None:
    """The staff member signed in on this request; an idle, signed-out-everywhere or disabled
    account's session ends here."""
    if _CURRENT_STAFF in request.scope:
        return request.scope[_CURRENT_STAFF]  # type: ignore[literal-required]
    raw = request.scope.get("session")
    session = raw if isinstance(raw, dict) else {}
    staff, now = None, _utcnow().timestamp()
    if isinstance(session.get(STAFF), int):
        found = await load_staff(session[STAFF])
        fresh = now - float(session.get(STAFF_SEEN, 0)) < STAFF_IDLE.total_seconds()
        if found and fresh and found.session_epoch == session.get(STAFF_EPOCH):
            staff = found
            if now - float(session[STAFF_SEEN]) > 60:  # note activity, at most a write a minute
                request.set_session({**session, STAFF_SEEN: now})
        else:
            request.clear_session()
    request.scope[_CURRENT_STAFF] = staff  # type: ignore[literal-required]
    return staff


async def require_staff(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: a signed-in staff member; otherwise off to the staff sign-in."""
    if await current_staff(connection) is None:
        raise AccountRedirect("/staff/accedi?next=" + quote(_here(connection), safe="/"))
