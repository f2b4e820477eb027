"""Reading forms: each field parsed once, a message per field in the user's language; and the rule of a
plausible e-mail address, which the sign-in codes use too.

A `Form` collects every problem before anything is written; `raise_if_any()` turns them into
`FormErrors`, which the handlers show by their fields with a 422.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time
from typing import Any, Iterable, Mapping

from portal.i18n import N_, gettext

MAX_EMAIL_LENGTH = 254
_EMAIL = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tabs and line breaks are fine in long texts
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TRUE = ("1", "on", "yes", "true")


class FormErrors(Exception):
    """Input that cannot be saved: a message per field, in the user's language; nothing was changed."""

    status_code = 422

    def __init__(self, by_field: dict[str, str], status_code: int = 422) -> None:
        super().__init__(by_field)
        self.by_field = by_field
        self.status_code = status_code


def refuse(field: str, message: str, status_code: int = 422, **variables: object) -> FormErrors:
    """One field's error, ready to raise."""
    return FormErrors({field: gettext(message, **variables)}, status_code)


def plausible_email(raw: str | None) -> str | None:
    """The address stripped and lower-cased, or None when it is not a plausible e-mail address."""
    email = (raw or "").strip().lower()
    return email if len(email) <= MAX_EMAIL_LENGTH and _EMAIL.match(email) else None


def slugify(text: str) -> str:
    """'Polo Centro – Chiaia' → 'polo-centro-chiaia'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


class Form:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def error(self, name: str, message: str, **variables: object) -> None:
        self.errors.setdefault(name, gettext(message, **variables))

    def raise_if_any(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)

    def raw(self, name: str) -> str:
        value = self.values.get(name)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        return "" if value is None else str(value)

    def all(self, name: str) -> list[str]:
        getall = getattr(self.values, "getall", None)
        if getall is not None:
            return [str(v) for v in getall(name, [])]
        value = self.values.get(name)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, (list, tuple, set)) else [str(value)]

    def text(self, name: str, max_length: int, missing: str | None = None, multiline: bool = False) -> str:
        """Trimmed text; one line unless `multiline`. `missing` makes it required."""
        value = self.raw(name).replace("\r\n", "\n").strip()
        if not multiline:
            value = " ".join(value.split())
        if not value:
            if missing:
                self.error(name, missing)
        elif len(value) > max_length:
            self.error(name, N_("Write at most %(max)s characters."), max=max_length)
        elif _CONTROL.search(value):
            self.error(name, N_("Remove the special characters."))
        return value

    def email(self, name: str, missing: str | None = None) -> str:
        value = self.text(name, MAX_EMAIL_LENGTH, missing).lower()
        if value and name not in self.errors:
            email = plausible_email(value)
            if email is None:
                self.error(name, N_("Enter an e-mail address such as name@example.it."))
            return email or value
        return value

    def slug(self, name: str, fallback: str, max_length: int) -> str:
        value = self.raw(name).strip().lower() or slugify(fallback)[:max_length].strip("-")
        if not value:
            if fallback.strip():  # without the name or title, its own message says enough
                self.error(name, N_("Enter a web address name with letters, digits and hyphens."))
        elif len(value) > max_length or not _SLUG.match(value):
            self.error(name, N_("Use only lower-case letters, digits and single hyphens, at most %(max)s characters."),
                       max=max_length)
        return value

    def choice(self, name: str, options: Iterable[str], message: str) -> str:
        value = self.raw(name).strip()
        if value not in set(options):
            self.error(name, message)
        return value

    def flag(self, name: str) -> bool:
        return self.raw(name).strip().lower() in TRUE

    def integer(self, name: str, low: int, high: int, missing: str | None = None) -> int | None:
        """A whole number from low to high; empty is None, or an error when `missing` is given."""
        raw = self.raw(name).strip()
        if not raw:
            if missing:
                self.error(name, missing)
            return None
        if not (raw.isascii() and raw.lstrip("-").isdigit()) or not low <= int(raw) <= high:
            self.error(name, N_("Enter a whole number from %(low)s to %(high)s."), low=low, high=high)
            return None
        return int(raw)

    def decimal(self, name: str, low: float, high: float) -> float | None:
        raw = self.raw(name).strip().replace(",", ".")
        if not raw:
            return None
        try:
            value = float(raw)
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or not low <= value <= high:
            self.error(name, N_("Enter a number from %(low)s to %(high)s."), low=low, high=high)
            return None
        return value

    def day(self, name: str, missing: str | None = None) -> date | None:
        raw = self.raw(name).strip()
        if not raw:
            if missing:
                self.error(name, missing)
            return None
        parsed = parse_day(raw)
        if parsed is None:
            self.error(name, N_("Enter a date such as 2026-12-31."))
        return parsed

    def clock(self, name: str, missing: str | None = None) -> time | None:
        raw = self.raw(name).strip().replace(".", ":")
        if not raw:
            if missing:
                self.error(name, missing)
            return None
        try:
            value = datetime.strptime(raw, "%H:%M").time()
        except ValueError:
            self.error(name, N_("Enter a time such as 17:30."))
            return None
        return value

    def ids(self, name: str) -> list[int]:
        """The chosen ids of a checkbox list; anything that is not a number is dropped."""
        return sorted({int(v) for v in self.all(name) if v.isascii() and v.isdigit() and len(v) < 10})


def parse_day(raw: str) -> date | None:
    """2026-12-31, or 31/12/2026 as Italians write it."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw.strip(), pattern).date()
        except ValueError:
            continue
    return None
