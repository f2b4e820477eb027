"""Staff second factor: a TOTP authenticator (RFC 6238, pyotp) and ten single-use recovery codes.

A setting says who must use it (`admins`, `all` or `off`); anyone may enrol. A code is checked after
the password, throttled like the password, and works once (the last accepted time step is kept);
recovery codes are kept as keyed hashes. Enrolments, resets, recovery-code uses and failures are
in the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

from portal import audit, db
from portal.db import NotFound
from portal.i18n import gettext
from portal.identity import codes
from portal.identity.staff_access import LOGIN_LIMIT_PER_EMAIL, LOGIN_LIMIT_PER_IP, Staff, authorize
from portal.tables import StaffRecoveryCode, StaffSecondFactor, StaffUser

RECOVERY_CODES = 10
ISSUER = "Poli per le Famiglie"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (l/1, o/0)


class SecondFactorRefused(Exception):
    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def required(role: str, policy: str) -> bool:
    return policy == "all" or (policy == "admins" and role == "admin")


async def is_active(staff_id: int) -> bool:
    return await StaffSecondFactor.exists().where(
        (StaffSecondFactor.staff == staff_id) & StaffSecondFactor.confirmed_at.is_not_null())


# -- enrolment -------------------------------------------------------------------------------


async def enrolment_secret(staff_id: int, now: datetime) -> str:
    """The secret of an enrolment in progress (made on first call); an active authenticator is not replaced."""
    async with db.write_transaction():
        row = await StaffSecondFactor.select().where(StaffSecondFactor.staff == staff_id).first()
        if row and row["confirmed_at"] is not None:
            raise SecondFactorRefused(gettext("The second factor is already active."))
        if row:
            return row["secret"]
        secret = pyotp.random_base32()
        await StaffSecondFactor.insert(StaffSecondFactor(staff=staff_id, secret=secret, last_counter=0, created_at=now))
    return secret


def provisioning_qr(secret: str, account_name: str) -> tuple[str, str]:
    """The otpauth:// address for authenticator apps, and its QR code as an <img src>."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)
    return uri, segno.make(uri, error="m").svg_data_uri(scale=4, border=2, light="#fff")


async def confirm_enrolment(staff_id: int, code: str, now: datetime, *, secret_key: str,
                            client_ip: str | None) -> list[str]:
    """Activate the authenticator with a first code from it; returns the recovery codes, shown once."""
    await _throttle(staff_id, client_ip, now)
    row = await StaffSecondFactor.select().where(StaffSecondFactor.staff == staff_id).first()
    if row is None or row["confirmed_at"] is not None:
        raise SecondFactorRefused(gettext("Start the activation again."))
    counter = _matching_counter(row["secret"], code, now)
    if counter is None:
        await _failed(staff_id, "enrolment", now)
        raise SecondFactorRefused(gettext("This code is not right. Check the time on your phone and try again."))
    recovery = [_recovery_code() for _ in range(RECOVERY_CODES)]
    async with db.write_transaction():
        await StaffSecondFactor.update({StaffSecondFactor.confirmed_at: now, StaffSecondFactor.last_counter: counter}
                                       ).where(StaffSecondFactor.staff == staff_id)
        await StaffRecoveryCode.delete().where(StaffRecoveryCode.staff == staff_id)
        await StaffRecoveryCode.insert(*(StaffRecoveryCode(staff=staff_id, code_hash=_recovery_hash(secret_key, c))
                                         for c in recovery))
        await audit.record(f"staff:{staff_id}", "second_factor_enrolled", "staff_user", staff_id, "", {}, now)
    return recovery


async def reset(admin: Staff, staff_id: int, now: datetime) -> None:
    """An administrator removes a staff member's authenticator (a lost phone): they enrol again."""
    authorize(admin, "manage_staff")
    if not await StaffUser.exists().where(StaffUser.id == staff_id):
        raise NotFound(staff_id)
    async with db.write_transaction():
        await StaffSecondFactor.delete().where(StaffSecondFactor.staff == staff_id)
        await StaffRecoveryCode.delete().where(StaffRecoveryCode.staff == staff_id)
        await StaffUser.update({StaffUser.session_epoch: StaffUser.session_epoch + 1}).where(StaffUser.id == staff_id)
        await audit.record(admin, "second_factor_reset", "staff_user", staff_id, "", {}, now)


# -- signing in --------------------------------------------------------------------------------


async def verify(staff_id: int, code: str, now: datetime, *, secret_key: str, client_ip: str | None) -> None:
    """Accept a code from the authenticator (each once) or an unused recovery code; else SecondFactorRefused."""
    await _throttle(staff_id, client_ip, now)
    code = "".join((code or "").split()).lower()
    row = await StaffSecondFactor.select().where(
        (StaffSecondFactor.staff == staff_id) & StaffSecondFactor.confirmed_at.is_not_null()).first()
    if row is not None:
        counter = _matching_counter(row["secret"], code, now)
        if counter is not None and await _use_counter(staff_id, counter):
            return
        if counter is None and await _use_recovery_code(staff_id, code, now, secret_key):
            return
    await _failed(staff_id, "sign_in", now)
    raise SecondFactorRefused(gettext("This code is not right."))


def _matching_counter(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (the current one, or one step either side), or None."""
    code = "".join((code or "").split())
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        counter = totp.timecode(now) + offset
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


async def _use_counter(staff_id: int, counter: int) -> bool:
    async with db.write_transaction():
        rows = await StaffSecondFactor.raw(
            "UPDATE staff_second_factor SET last_counter = {} WHERE staff = {} AND last_counter < {} RETURNING id",
            counter, staff_id, counter)
    return bool(rows)


async def _use_recovery_code(staff_id: int, code: str, now: datetime, secret_key: str) -> bool:
    async with db.write_transaction():
        rows = await StaffRecoveryCode.raw(
            "UPDATE staff_recovery_code SET used_at = {} WHERE staff = {} AND code_hash = {} AND used_at IS NULL"
            " RETURNING id", now, staff_id, _recovery_hash(secret_key, code.replace("-", "")))
        if rows:
            left = await StaffRecoveryCode.count().where(
                (StaffRecoveryCode.staff == staff_id) & StaffRecoveryCode.used_at.is_null())
            await audit.record(f"staff:{staff_id}", "second_factor_recovery_used", "staff_user", staff_id, "",
                               {"recovery_codes_left": left}, now)
    return bool(rows)


async def recovery_codes_left(staff_id: int) -> int:
    return await StaffRecoveryCode.count().where(
        (StaffRecoveryCode.staff == staff_id) & StaffRecoveryCode.used_at.is_null())


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _recovery_hash(secret_key: str, code: str) -> str:
    return hmac.new(secret_key.encode(), f"recovery\0{code.replace('-', '')}".encode(), hashlib.sha256).hexdigest()


async def _throttle(staff_id: int, client_ip: str | None, now: datetime) -> None:
    for key, limit in ((f"staff-2fa:{staff_id}", LOGIN_LIMIT_PER_EMAIL), (f"staff-2fa-ip:{client_ip}",
                                                                        LOGIN_LIMIT_PER_IP)):
        retry_after = await codes.hit(key, limit, now)
        if retry_after is not None:
            raise SecondFactorRefused(gettext("Too many attempts: try again in a few minutes."), retry_after)


async def _failed(staff_id: int, step: str, now: datetime) -> None:
    async with db.write_transaction():
        await audit.record(f"staff:{staff_id}", "second_factor_failed", "staff_user", staff_id, "", {"step": step}, now)
