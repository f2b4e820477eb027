"""Languages: Italian by default, English complete.

Messages are written in English (the msgids) and translated by Babel catalogues under locale/;
English needs no catalogue, every other language needs every message translated.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, negotiate_locale, numbers
from babel.support import NullTranslations, Translations

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"
ROME = ZoneInfo("Europe/Rome")
LOCALE_DIR = Path(__file__).parent / "locale"

_language: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)
_catalogues: dict[str, NullTranslations] = {}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def catalogue(language: str) -> NullTranslations:
    if language not in _catalogues:
        _catalogues[language] = Translations.load(str(LOCALE_DIR), [language], domain="messages")
    return _catalogues[language]


def current_language() -> str:
    return _language.get()


def set_language(language: str) -> None:
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def translate(message: str) -> str:
    return catalogue(_language.get()).gettext(message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    return catalogue(_language.get()).ngettext(singular, plural, n)


def gettext(message: str, **variables: object) -> str:
    text = translate(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    return translate_plural(singular, plural, n) % {"num": n, **variables}


_ = gettext


def choose_language(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """?lang= first, then the remembered choice, then the browser's preference, then Italian."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    if accept_language:
        preferred = [part.split(";")[0].strip().replace("-", "_") for part in accept_language.split(",")]
        found = negotiate_locale(preferred, list(LANGUAGES))
        if found:
            return found.split("_")[0]
    return DEFAULT_LANGUAGE


def local(moment: datetime) -> datetime:
    return moment.astimezone(ROME)


def format_date(value: date | datetime, format: str = "full") -> str:
    if isinstance(value, datetime):
        value = local(value).date()
    return dates.format_date(value, format=format, locale=_language.get())


def format_time(value: datetime) -> str:
    return dates.format_time(local(value), format="HH:mm", locale=_language.get())


def format_datetime(value: datetime, format: str = "EEEE d MMMM, HH:mm") -> str:
    return dates.format_datetime(local(value), format=format, locale=_language.get())


def weekday_name(iso_weekday: int) -> str:
    return Locale.parse(_language.get()).days["format"]["wide"][iso_weekday - 1]


def format_number(value: float) -> str:
    return numbers.format_decimal(value, locale=_language.get())
