"""Family sign-in by e-mail: a one-time code and the equivalent link prove the address.

Rules (DESIGN §2): codes have 6 digits, last 10 minutes, allow 5 attempts and are single-use;
only keyed hashes (HMAC-SHA256 with the secret key) of the code and of the link's token are stored;
a new request replaces the address's earlier codes. Requests are rate-limited per client address and
per e-mail in counters every process shares (`portal.shared`: Redis or the `throttle` table), and the
answer is the same whether or not a family has the address: a family is created by its first verified
sign-in, not by asking for a code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal import db, shared
from portal.form_fields import plausible_email
from portal.i18n import LANGUAGES, N_, gettext
from portal.mail import messages as mail
from portal.mail import outbox
from portal.observability import metrics
from portal.tables import Family, SignInCode, Throttle, WebSession

CODE_MINUTES = 10
MAX_ATTEMPTS = 5
PURPOSES = ("sign_in", "change_email")
# (hits, window in seconds) per key kind; the windows are fixed, so a burst straddling two
# windows may pass twice the limit, which is fine for these purposes.
CODES_PER_EMAIL = (5, 3600)
# Many households can share one address: a hub's Wi-Fi, a school, and on a registration day a mobile
# carrier's shared public address. settings.sign_in_per_client_hour sets these (limit_clients).
CODES_PER_CLIENT = (300, 3600)
ATTEMPTS_PER_CLIENT = (600, 3600)
KEEP_EXPIRED = timedelta(days=1)


def limit_clients(codes_per_hour: int) -> None:
    """The per-address limits: codes asked for, and twice as many codes or links tried."""
    global CODES_PER_CLIENT, ATTEMPTS_PER_CLIENT
    CODES_PER_CLIENT = (codes_per_hour, 3600)
    ATTEMPTS_PER_CLIENT = (2 * codes_per_hour, 3600)


class SignInError(Exception):
    """A refusal the family can act on: `message` is in the user's language, `field` is where it shows."""

    status_code = 400

    def __init__(self, message: str, field: str = "code") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidEmail(SignInError):
    status_code = 422

    def __init__(self) -> None:
        super().__init__(gettext("Enter a valid e-mail address, such as name@example.com."), "email")


class TooManyRequests(SignInError):
    status_code = 429

    def __init__(self, retry_after: int, field: str) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(gettext("Too many attempts. Please wait %(minutes)s minutes and try again.",
                                 minutes=minutes), field)
        self.retry_after = retry_after


class CodeRejected(SignInError):
    """The code or link does not work (wrong, expired, used, or too many attempts)."""


@dataclass(frozen=True)
class _Outcome:
    family_id: int | None = None
    error: str | None = None  # an N_() message
    attempts_left: int = 0


# -- addresses and hashes ------------------------------------------------------------------


def normalise_email(raw: str) -> str:
    """Strip and lower-case; raise InvalidEmail when it is not a plausible address."""
    email = plausible_email(raw)
    if email is None:
        raise InvalidEmail()
    return email


def _hash(secret_key: str, kind: str, value: str) -> str:
    return hmac.new(secret_key.encode(), f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()


def _code_hash(secret_key: str, email: str, code: str) -> str:
    return _hash(secret_key, "code", f"{email}\0{code}")


def _link_hash(secret_key: str, token: str) -> str:
    return _hash(secret_key, "link", token)


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


# -- throttling ----------------------------------------------------------------------------


hit = shared.hit  # staff sign-in and password checks count their attempts with it too


async def _throttle(key: str, limit: tuple[int, int], now: datetime, field: str) -> None:
    retry_after = await hit(key, limit, now)
    if retry_after is not None:
        raise TooManyRequests(retry_after, field)


def _client_key(kind: str, client_ip: str | None, secret_key: str) -> str:
    """Throttle keys hold no address in clear: a keyed hash of the client's IP or of the e-mail."""
    return f"{kind}:ip:" + _hash(secret_key, "throttle", client_ip or "unknown")


# -- requesting a code ---------------------------------------------------------------------


async def request_code(email: str, purpose: str, language: str, client_ip: str | None, now: datetime, *,
                       base_url: str, secret_key: str, family_id: int | None = None) -> str:
    """Mail a code and its link to `email`; returns the normalised address.

    The same happens whether or not a family has the address. For `change_email`, `family_id` is the
    family asking; the link then leads to the change-e-mail page."""
    if purpose not in PURPOSES or (purpose == "change_email") != (family_id is not None):
        raise ValueError(f"bad purpose {purpose!r} for family {family_id!r}")
    email = normalise_email(email)
    await _throttle(_client_key("code", client_ip, secret_key), CODES_PER_CLIENT, now, "email")
    await _throttle("code:email:" + _hash(secret_key, "throttle", email), CODES_PER_EMAIL, now, "email")
    code, token = new_code(), secrets.token_urlsafe(32)
    path = "/accedi/link/" if purpose == "sign_in" else "/famiglia/email/link/"
    language = await _mail_language(email if purpose == "sign_in" else None, family_id, language)
    message = mail.sign_in_code(language, code, base_url.rstrip("/") + path + token, CODE_MINUTES)
    async with db.write_transaction():
        await SignInCode.delete().where(
            (SignInCode.email == email) & (SignInCode.purpose == purpose) & SignInCode.used_at.is_null())
        await SignInCode.insert(SignInCode(
            email=email, code_hash=_code_hash(secret_key, email, code), link_hash=_link_hash(secret_key, token),
            purpose=purpose, family=family_id, attempts=0, expires_at=now + timedelta(minutes=CODE_MINUTES),
            created_at=now,
        ))
        await outbox.enqueue(email, message, now, outbox.mail_domain(base_url))
    metrics.count_sign_in_code(purpose)
    await purge_expired(now)
    return email


async def _mail_language(email: str | None, family_id: int | None, language: str) -> str:
    """The family's chosen language for messages; for an address without a family, the page's."""
    where = Family.email == email if email else Family.id == family_id
    row = await Family.select(Family.language).where(where).first()
    return row["language"] if row and row["language"] in LANGUAGES else language


async def purge_expired(now: datetime) -> None:
    """Forget codes and throttle windows a day after they stopped mattering, and expired web sessions."""
    async with db.write_transaction():
        await SignInCode.delete().where(SignInCode.expires_at < now - KEEP_EXPIRED)
        await Throttle.delete().where(Throttle.window_start < now - KEEP_EXPIRED)
        await WebSession.delete().where(WebSession.expires_at < now)


# -- verifying -----------------------------------------------------------------------------


async def verify_code(email: str, code: str, now: datetime, *, secret_key: str, client_ip: str | None = None,
                      language: str = "it", purpose: str = "sign_in", family_id: int | None = None) -> int:
    """Check the code mailed to `email`; returns the family id, creating the family on first sign-in.

    Every try counts as one of the code's attempts before it is compared, so no more than
    MAX_ATTEMPTS guesses are ever compared, even concurrently."""
    if purpose not in PURPOSES or (purpose == "change_email") != (family_id is not None):
        raise ValueError(f"bad purpose {purpose!r} for family {family_id!r}")
    code = "".join((code or "").split())
    try:
        email = normalise_email(email)
    except InvalidEmail:
        raise CodeRejected(gettext("This code does not work. Ask for a new one.")) from None
    await _throttle(_client_key("verify", client_ip, secret_key), ATTEMPTS_PER_CLIENT, now, "code")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise CodeRejected(gettext("Enter the 6 digits of the code we sent you."))
    async with db.write_transaction():
        outcome = await _verify_code(email, code, now, secret_key, language, purpose, family_id)
    return _result(outcome)


async def _verify_code(email: str, code: str, now: datetime, secret_key: str, language: str, purpose: str,
                       family_id: int | None) -> _Outcome:
    query = SignInCode.select(SignInCode.id, SignInCode.code_hash).where(
        (SignInCode.email == email) & (SignInCode.purpose == purpose) & SignInCode.used_at.is_null())
    if family_id is not None:
        query = query.where(SignInCode.family == family_id)
    row = await query.order_by(SignInCode.id, ascending=False).first()
    if row is None:
        return _Outcome(error=N_("There is no valid code for this address. Ask for a new one."))
    attempts = await _count_attempt(row["id"], now)
    if attempts is None:
        return _Outcome(error=N_("This code has expired or has been tried too many times. Ask for a new one."))
    if not hmac.compare_digest(row["code_hash"], _code_hash(secret_key, email, code)):
        return _Outcome(error=N_("This code is not right."), attempts_left=MAX_ATTEMPTS - attempts)
    return await _use(row["id"], email, now, language, purpose)


async def verify_link(token: str, now: datetime, *, secret_key: str, client_ip: str | None = None,
                      language: str = "it") -> int:
    """Sign in with the mailed link's token; returns the family id, creating the family on first sign-in."""
    family_id, _ = await _verify_link(token, now, secret_key, client_ip, language, "sign_in")
    return family_id


async def verify_change_link(token: str, now: datetime, *, secret_key: str,
                             client_ip: str | None = None) -> tuple[int, str]:
    """Use a change-e-mail link: returns the family that asked and the address the link proves."""
    return await _verify_link(token, now, secret_key, client_ip, "it", "change_email")


async def _verify_link(token: str, now: datetime, secret_key: str, client_ip: str | None, language: str,
                       purpose: str) -> tuple[int, str]:
    await _throttle(_client_key("verify", client_ip, secret_key), ATTEMPTS_PER_CLIENT, now, "code")
    dead = N_("This link has expired or has already been used. Ask for a new code.")
    async with db.write_transaction():
        row = await _link_row(token, now, secret_key, purpose)
        if row is None or await _count_attempt(row["id"], now) is None:
            outcome = _Outcome(error=dead)
        else:
            outcome = await _use(row["id"], row["email"], now, language, purpose)
    return _result(outcome), row["email"]


async def link_is_valid(token: str, now: datetime, *, secret_key: str, purpose: str = "sign_in") -> bool:
    """Whether the link would work now; reading it changes nothing (mail scanners open links)."""
    return await _link_row(token, now, secret_key, purpose) is not None


async def _link_row(token: str, now: datetime, secret_key: str, purpose: str) -> dict | None:
    if not token or len(token) > 100:
        return None
    return await SignInCode.select(SignInCode.id, SignInCode.email, SignInCode.family).where(
        (SignInCode.link_hash == _link_hash(secret_key, token)) & (SignInCode.purpose == purpose)
        & SignInCode.used_at.is_null() & (SignInCode.expires_at > now) & (SignInCode.attempts < MAX_ATTEMPTS)
    ).first()


async def _count_attempt(code_id: int, now: datetime) -> int | None:
    """Take one attempt of a live code atomically; the attempts so far, or None if it is not live."""
    rows = await SignInCode.raw(
        "UPDATE sign_in_code SET attempts = attempts + 1"
        " WHERE id = {} AND used_at IS NULL AND attempts < {} AND expires_at > {} RETURNING attempts",
        code_id, MAX_ATTEMPTS, now,
    )
    return rows[0]["attempts"] if rows else None


async def _use(code_id: int, email: str, now: datetime, language: str, purpose: str) -> _Outcome:
    """Mark the code used (once only) and find or create the family it proves."""
    rows = await SignInCode.raw(
        "UPDATE sign_in_code SET used_at = {} WHERE id = {} AND used_at IS NULL RETURNING family", now, code_id)
    if not rows:
        return _Outcome(error=N_("This code has already been used. Ask for a new one."))
    if purpose == "change_email":
        return _Outcome(family_id=rows[0]["family"])
    return _Outcome(family_id=await _family_for(email, now, language))


async def _family_for(email: str, now: datetime, language: str) -> int:
    """The family with this address (its last sign-in noted, for the retention of inactive accounts)."""
    rows = await Family.update({Family.last_active_at: now}).where(Family.email == email).returning(Family.id)
    if rows:
        return rows[0]["id"]
    rows = await Family.insert(Family(
        email=email, name="", surname="", phone="", district="", language=language, created_at=now,
        last_active_at=now,
    )).returning(Family.id)
    return rows[0]["id"]


def _result(outcome: _Outcome) -> int:
    if outcome.error is None and outcome.family_id is not None:
        return outcome.family_id
    message = gettext(outcome.error or N_("This code does not work. Ask for a new one."))
    if outcome.attempts_left:
        message += " " + gettext("Attempts left: %(n)s.", n=outcome.attempts_left)
    elif outcome.error == N_("This code is not right."):
        message += " " + gettext("No attempts left: ask for a new code.")
    raise CodeRejected(message)


# -- sessions ------------------------------------------------------------------------------


async def sign_out_everywhere(family_id: int) -> None:
    """End every session of the family: sessions carry the epoch they began in."""
    async with db.write_transaction():
        await Family.update({Family.session_epoch: Family.session_epoch + 1}).where(Family.id == family_id)
