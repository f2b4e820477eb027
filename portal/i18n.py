"""Languages: Italian by default, English, and the languages of the city's largest communities.

Messages are written in English (the msgids) and translated by Babel catalogues under locale/;
English needs no catalogue, every other language needs every message translated. Plural forms follow
each catalogue's header (Babel's plural rules: Arabic has six); dates and numbers follow the locale.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import NullTranslations, Translations

LANGUAGES = ("it", "en", "uk", "ro", "zh_Hans", "ar")
DEFAULT_LANGUAGE = "it"
# Each language named in itself, for the switcher and the family's profile.
LANGUAGE_NAMES = {"it": "Italiano", "en": "English", "uk": "Українська", "ro": "Română", "zh_Hans": "简体中文",
                  "ar": "العربية"}
RIGHT_TO_LEFT = frozenset({"ar"})
DAY = "EEEE d MMMM"
DAY_TIME = "EEEE d MMMM, HH:mm"
DAY_YEAR_TIME = "EEEE d MMMM y, HH:mm"
# The portal's written-out patterns ("EEEE d MMMM y, HH:mm", "d MMM y, HH:mm"), which follow Italian order.
_WRITTEN_OUT = re.compile(r"(?:(?P<weekday>E{3,4}) )?d (?P<month>M{3,4})(?P<year> y)?(?:, (?P<time>HH:mm(?::ss)?))?")
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
    for tag in _preferred_tags(accept_language or ""):
        found = supported_language(tag)
        if found:
            return found
    return DEFAULT_LANGUAGE


def _preferred_tags(accept_language: str) -> list[str]:
    """The tags of an Accept-Language header, most wanted first (q=0 means "not this one")."""
    weighted = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def supported_language(tag: str) -> str | None:
    """A browser's language tag as one of ours: zh, zh-CN, zh-SG and zh-Hans read simplified Chinese."""
    parts = tag.replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        return None if {"hant", "tw", "hk", "mo"} & set(parts[1:]) else "zh_Hans"
    return parts[0] if parts[0] in LANGUAGES else None


def html_language(language: str) -> str:
    """The BCP 47 tag for lang= and Content-Language: zh_Hans is written zh-Hans."""
    return language.replace("_", "-")


def text_direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def local(moment: datetime) -> datetime:
    return moment.astimezone(ROME)


def format_date(value: date | datetime, format: str = "full") -> str:
    if isinstance(value, datetime):
        value = local(value).date()
    language = _language.get()
    return dates.format_date(value, format=localized_pattern(format, language), locale=language)


def format_time(value: datetime) -> str:
    return dates.format_time(local(value), format="HH:mm", locale=_language.get())


def format_datetime(value: datetime, format: str = DAY_TIME) -> str:
    """A moment in Rome's time, the written-out patterns in the order of the language."""
    language = _language.get()
    return dates.format_datetime(local(value), format=localized_pattern(format, language), locale=language)


def localized_pattern(pattern: str, language: str) -> str:
    """A written-out pattern in the order and punctuation of `language`: "EEEE d MMMM, HH:mm" reads
    "понеділок, 7 грудня, 14:30", "12月7日星期一 14:30", "الاثنين، 7 ديسمبر، 14:30". Numeric and
    named patterns ("d/M", "short") are left to Babel as they are."""
    found = _WRITTEN_OUT.fullmatch(pattern)
    if not found or language not in ("uk", "ro", "zh_Hans", "ar"):
        return pattern
    weekday, month, year, clock = found["weekday"], found["month"], found["year"], found["time"]
    if language == "zh_Hans":
        day = ("y年" if year else "") + "M月d日" + (weekday or "")
        return day + (f" {clock}" if clock else "")
    comma = "، " if language == "ar" else ", "
    day = (f"{weekday}{comma}" if weekday else "") + f"d {month}" + (" y" if year else "")
    return day + (f"{comma}{clock}" if clock else "")


def format_short_day(value: date) -> str:
    """A short weekday, day and month ("lun 7 dic", "Mon 7 Dec", "12月7日周一"), for day pickers."""
    return dates.format_skeleton("MMMEd", value, locale=_language.get())


def weekday_name(iso_weekday: int) -> str:
    return Locale.parse(_language.get()).days["format"]["wide"][iso_weekday - 1]


def format_number(value: float) -> str:
    return numbers.format_decimal(value, locale=_language.get())
