"""Private calendar feeds (a family's, a staff member's) are reached by a long random token, stored only
as an HMAC-SHA256 of the secret key: the token can be shown once, when it is made, then only revoked or
replaced by a new one. Also the addresses and QR codes to subscribe with."""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno

from portal import db
from portal.tables import Family, FeedToken, StaffUser

TOKEN_BYTES = 32
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
KINDS = ("family", "staff")
FETCH_RESOLUTION = timedelta(minutes=5)  # last_fetched_at is written at most this often per token


# -- private feed tokens --------------------------------------------------------------------


@dataclass(frozen=True)
class FeedAccess:
    """A verified token: whose feed it opens."""

    token_id: int
    kind: str
    owner: int
    last_fetched_at: datetime | None


@dataclass(frozen=True)
class TokenStatus:
    created_at: datetime
    last_fetched_at: datetime | None


def hash_token(token: str, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), f"feed-token:{token}".encode(), hashlib.sha256).hexdigest()


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown feed kind {kind!r}")


async def create_token(kind: str, owner: int, secret_key: str, now: datetime) -> str:
    """A new token for the family's or staff member's feed, returned once, stored hashed. An owner
    has one live token: any earlier one stops working."""
    _check_kind(kind)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    async with db.write_transaction():
        await FeedToken.update({FeedToken.revoked_at: now}).where(
            (FeedToken.kind == kind) & (FeedToken.owner == owner) & FeedToken.revoked_at.is_null())
        await FeedToken.insert(FeedToken(kind=kind, owner=owner, token_hash=hash_token(token, secret_key),
                                         created_at=now, revoked_at=None, last_fetched_at=None))
    return token


async def rotate_token(kind: str, owner: int, secret_key: str, now: datetime) -> str:
    """Replace the owner's token: calendars subscribed with the old address get 404 from now on."""
    return await create_token(kind, owner, secret_key, now)


async def revoke_token(kind: str, owner: int, now: datetime) -> bool:
    """Turn the owner's private feed off; True if there was one."""
    _check_kind(kind)
    async with db.write_transaction():
        revoked = await FeedToken.update({FeedToken.revoked_at: now}).where(
            (FeedToken.kind == kind) & (FeedToken.owner == owner) & FeedToken.revoked_at.is_null()
        ).returning(FeedToken.id)
    return bool(revoked)


async def verify_token(kind: str, token: str, secret_key: str) -> FeedAccess | None:
    """The live token's owner, or None for a malformed, unknown, revoked token or a gone owner
    (an erased family, a deactivated staff member)."""
    _check_kind(kind)
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    row = await FeedToken.select(FeedToken.id, FeedToken.owner, FeedToken.last_fetched_at).where(
        (FeedToken.token_hash == hash_token(token, secret_key)) & (FeedToken.kind == kind)
        & FeedToken.revoked_at.is_null()).first()
    if row is None or not await _owner_is_live(kind, row["owner"]):
        return None
    fetched = db.instant(row["last_fetched_at"]) if row["last_fetched_at"] else None
    return FeedAccess(row["id"], kind, row["owner"], fetched)


async def _owner_is_live(kind: str, owner: int) -> bool:
    if kind == "family":
        return await Family.exists().where((Family.id == owner) & Family.erased_at.is_null())
    return await StaffUser.exists().where((StaffUser.id == owner) & (StaffUser.active == True))  # noqa: E712


async def record_fetch(access: FeedAccess, now: datetime) -> None:
    """Remember when a calendar app last fetched the feed; written at most every few minutes, so a
    polling app costs a read, not a write."""
    if access.last_fetched_at is not None and now - access.last_fetched_at < FETCH_RESOLUTION:
        return
    async with db.write_transaction():
        await FeedToken.update({FeedToken.last_fetched_at: now}).where(FeedToken.id == access.token_id)


async def token_status(kind: str, owner: int) -> TokenStatus | None:
    """The owner's live token (when it was made and last fetched), or None."""
    _check_kind(kind)
    row = await FeedToken.select(FeedToken.created_at, FeedToken.last_fetched_at).where(
        (FeedToken.kind == kind) & (FeedToken.owner == owner) & FeedToken.revoked_at.is_null()
    ).order_by(FeedToken.id, ascending=False).first()
    if row is None:
        return None
    return TokenStatus(db.instant(row["created_at"]),
                       db.instant(row["last_fetched_at"]) if row["last_fetched_at"] else None)


# -- subscribing ---------------------------------------------------------------------------


def family_feed_path(token: str) -> str:
    return f"/calendari/famiglia/{token}.ics"


def webcal_url(https_url: str) -> str:
    """The same feed for apps that subscribe on a webcal:// link (Apple Calendar, Outlook, Thunderbird)."""
    return "webcal://" + https_url.split("://", 1)[1]


def qr_svg(text: str) -> bytes:
    """A QR code as an SVG document (no inline styles: the CSP forbids them), for screens and printed flyers."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, svgclass=None, light="#fff",
                                    lineclass=None)
    return out.getvalue()


def qr_data_uri(text: str) -> str:
    """The QR code as an <img src> (the CSP allows data: images)."""
    return segno.make(text, error="m").svg_data_uri(scale=4, border=2, svgclass=None, lineclass=None, light="#fff")
