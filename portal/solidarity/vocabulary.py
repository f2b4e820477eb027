"""The fixed choices of solidarity forms (weekdays, time bands, languages, statuses) and how their small
comma-separated lists are stored."""

from __future__ import annotations

from babel import Locale

from portal.form_fields import Form
from portal.i18n import N_, current_language, gettext, weekday_name

WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)
TIME_BANDS = {"morning": N_("Morning"), "afternoon": N_("Afternoon"), "evening": N_("Evening")}
LANGUAGE_CODES = ("it", "en", "fr", "es", "de", "pt", "ro", "uk", "ru", "ar", "zh", "bn", "tl", "ur", "sq")
OFFER_STATUSES = {"new": N_("Received"), "interview": N_("Interview scheduled"), "active": N_("Active"),
                  "paused": N_("Paused"), "closed": N_("Closed")}
NEED_STATUSES = {"open": N_("Open"), "matched": N_("Matched"), "closed": N_("Closed")}
MATCH_STATUSES = {"proposed": N_("Proposed"), "accepted": N_("Accepted by both"), "ongoing": N_("Ongoing"),
                  "ended": N_("Ended")}
DISTRICT_SEPARATOR = "|"


def join(values) -> str:
    return ",".join(str(v) for v in values)


def split(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def split_days(text: str | None) -> list[int]:
    return sorted({int(part) for part in split(text) if part.isdigit() and 1 <= int(part) <= 7})


def read_when(form: Form) -> tuple[list[int], list[str]]:
    """The days of the week and the times of day a form chose: at least one of each, from the lists."""
    days = form.ids("weekdays")
    if not days or any(day not in range(1, 8) for day in days):
        form.error("weekdays", N_("Choose at least one day of the week."))
    bands = sorted(set(form.all("time_bands")))
    if not bands or any(band not in TIME_BANDS for band in bands):
        form.error("time_bands", N_("Choose at least one time of day."))
    return days, bands


def join_districts(values) -> str:
    return DISTRICT_SEPARATOR.join(values)


def split_districts(text: str | None) -> list[str]:
    return [part for part in (text or "").split(DISTRICT_SEPARATOR) if part]


def language_name(code: str) -> str:
    try:
        return Locale.parse(code).get_display_name(current_language()) or code
    except (ValueError, TypeError):
        return code


def language_options() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in LANGUAGE_CODES]


def weekday_options() -> list[tuple[int, str]]:
    return [(day, weekday_name(day)) for day in WEEKDAYS]


def band_options() -> list[tuple[str, str]]:
    return [(band, gettext(label)) for band, label in TIME_BANDS.items()]


def days_text(days) -> str:
    return ", ".join(weekday_name(day) for day in days)


def bands_text(bands) -> str:
    return ", ".join(gettext(TIME_BANDS[band]) for band in bands if band in TIME_BANDS)
