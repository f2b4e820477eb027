"""Every message is in every catalogue, translated; English needs none (the msgids are English)."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portal import i18n
from portal.web import age_range

ROOT = Path(__file__).parents[2]
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2"), ("**.py", "python")]
OPTIONS = {pattern: {"extensions": "jinja2.ext.i18n"} for pattern in ("**/templates/**.html", "**/templates/**.txt")}
TRANSLATED_LANGUAGES = [language for language in i18n.LANGUAGES if language != "en"]


def source_messages() -> set[str]:
    found = set()
    for folder in ("portal", "public", "staff", "calendars"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, METHOD_MAP, OPTIONS, keywords={"_": None, "N_": None, "gettext": None,
                                                           "ngettext": (1, 2)}):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def translated_messages(language: str) -> set[str]:
    with open(i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po)
    return {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }


@pytest.mark.parametrize("language", TRANSLATED_LANGUAGES)
def test_catalogue_translates_every_message(language):
    translated = translated_messages(language)
    missing = source_messages() - translated
    assert not missing, f"add to {language}.po (make extract-messages): {sorted(missing)}"


def test_every_language_has_a_catalogue_with_its_plural_rule():
    for language in TRANSLATED_LANGUAGES:
        assert (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").exists()
    arabic = i18n.catalogue("ar").plural
    assert len({arabic(n) for n in (0, 1, 2, 3, 11, 100)}) == 6  # zero, one, two, few, many, other
    assert i18n.catalogue("uk").plural(2) != i18n.catalogue("uk").plural(5)
    assert i18n.catalogue("zh_Hans").plural(5) == 0


def test_language_choice_order():
    assert i18n.choose_language("en", "it", "it") == "en"
    assert i18n.choose_language(None, "en", "it") == "en"
    assert i18n.choose_language("xx", None, "en-US,en;q=0.8") == "en"
    assert i18n.choose_language(None, None, "fr-FR, de;q=0.5") == "it"
    assert i18n.choose_language(None, None, None) == "it"


@pytest.mark.parametrize(("header", "language"), [
    ("zh-CN,zh;q=0.9", "zh_Hans"), ("zh-Hans", "zh_Hans"), ("zh", "zh_Hans"), ("zh-SG", "zh_Hans"),
    ("zh-TW,en;q=0.5", "en"), ("uk-UA,uk;q=0.9,ru;q=0.8", "uk"), ("ro-RO", "ro"), ("ar-MA,fr;q=0.8", "ar"),
    ("fr;q=0.9, ar;q=0.8", "ar"), ("en;q=0, uk", "uk"), ("ar;q=0.1, ro;q=0.5", "ro"), ("x;q=bad, ro", "ro"),
])
def test_browser_languages_map_to_ours(header, language):
    assert i18n.choose_language(None, None, header) == language


def test_each_language_is_named_in_itself_with_its_direction():
    assert i18n.LANGUAGE_NAMES["uk"] == "Українська" and i18n.LANGUAGE_NAMES["zh_Hans"] == "简体中文"
    assert i18n.LANGUAGE_NAMES["ro"] == "Română" and i18n.LANGUAGE_NAMES["ar"] == "العربية"
    assert i18n.text_direction("ar") == "rtl" and i18n.text_direction("uk") == "ltr"
    assert i18n.html_language("zh_Hans") == "zh-Hans"


@pytest.mark.parametrize(("language", "expected"), [
    ("it", "lunedì 7 dicembre, 14:30"), ("en", "Monday 7 December, 14:30"),
    ("uk", "понеділок, 7 грудня, 14:30"), ("ro", "luni, 7 decembrie, 14:30"),
    ("zh_Hans", "12月7日星期一 14:30"), ("ar", "الاثنين، 7 ديسمبر، 14:30"),
])
def test_dates_are_written_as_each_language_writes_them(language, expected):
    i18n.set_language(language)
    try:
        assert i18n.format_datetime(datetime(2026, 12, 7, 13, 30, tzinfo=timezone.utc)) == expected
    finally:
        i18n.set_language("it")


def test_numbers_follow_the_locale():
    for language, expected in (("it", "1.234,5"), ("en", "1,234.5"), ("uk", "1\xa0234,5"), ("ro", "1.234,5")):
        i18n.set_language(language)
        assert i18n.format_number(1234.5) == expected
    i18n.set_language("it")


def test_age_ranges_read_naturally():
    i18n.set_language("en")
    assert age_range(5, 10) == "5–10 months"
    assert age_range(72, 143) == "6–11 years"
    assert age_range(0, 35) == "0–2 years"
    assert age_range(None, None) == "all ages"
    assert age_range(36, None) == "from 3 years"
    i18n.set_language("it")
    assert age_range(72, 143) == "6–11 anni"


@pytest.mark.parametrize(("language", "expected"), [
    ("it", ("7 dic 2026, 14:30:00", "lun 7 dic 2026, 14:30", "7 dicembre 2026")),
    ("uk", ("7 груд. 2026, 14:30:00", "пн, 7 груд. 2026, 14:30", "7 грудня 2026")),
    ("zh_Hans", ("2026年12月7日 14:30:00", "2026年12月7日周一 14:30", "2026年12月7日")),
    ("ar", ("7 ديسمبر 2026، 14:30:00", "الاثنين، 7 ديسمبر 2026، 14:30", "7 ديسمبر 2026")),
])
def test_written_out_patterns_follow_the_language_and_numeric_ones_stay(language, expected):
    moment = datetime(2026, 12, 7, 13, 30, tzinfo=timezone.utc)
    i18n.set_language(language)
    try:
        shown = (i18n.format_datetime(moment, "d MMM y, HH:mm:ss"), i18n.format_datetime(moment, "EEE d MMM y, HH:mm"),
                 i18n.format_date(moment, "d MMMM y"))
        assert shown == expected
        assert i18n.format_date(moment, "yyyy-MM-dd") == "2026-12-07"
    finally:
        i18n.set_language("it")
