"""Every message is in the Italian catalogue, translated; English needs none (the msgids are English)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portal import i18n
from portal.web import age_range

ROOT = Path(__file__).parents[2]
METHOD_MAP = [("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2"), ("**.py", "python")]
OPTIONS = {pattern: {"extensions": "jinja2.ext.i18n"} for pattern in ("**/templates/**.html", "**/templates/**.txt")}


def source_messages() -> set[str]:
    found = set()
    for folder in ("portal", "public", "staff", "calendars"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, METHOD_MAP, OPTIONS, keywords={"_": None, "N_": None, "gettext": None,
                                                           "ngettext": (1, 2)}):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_italian_catalogue_translates_every_message():
    with open(i18n.LOCALE_DIR / "it" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalogue = read_po(po)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = source_messages() - translated
    assert not missing, f"add to it.po (make extract-messages): {sorted(missing)}"


def test_language_choice_order():
    assert i18n.choose_language("en", "it", "it") == "en"
    assert i18n.choose_language(None, "en", "it") == "en"
    assert i18n.choose_language("xx", None, "en-US,en;q=0.8") == "en"
    assert i18n.choose_language(None, None, "fr-FR, de;q=0.5") == "it"
    assert i18n.choose_language(None, None, None) == "it"


def test_age_ranges_read_naturally():
    i18n.set_language("en")
    assert age_range(5, 10) == "5–10 months"
    assert age_range(72, 143) == "6–11 years"
    assert age_range(0, 35) == "0–2 years"
    assert age_range(None, None) == "all ages"
    assert age_range(36, None) == "from 3 years"
    i18n.set_language("it")
    assert age_range(72, 143) == "6–11 anni"
