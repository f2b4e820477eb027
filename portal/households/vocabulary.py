"""The fixed lists of the household file: note categories, partner kinds, referral reasons."""

from __future__ import annotations

from portal.i18n import N_, gettext

NOTE_CATEGORIES = {
    "call": N_("Phone call"),
    "interview": N_("Interview"),
    "home_visit": N_("Home visit"),
    "meeting": N_("Meeting"),
    "other": N_("Other"),
}
PARTNER_KINDS = {
    "social_services": N_("Social services of a Municipalità"),
    "family_counselling": N_("Family counselling centre (consultorio familiare)"),
    "school": N_("School"),
    "child_neuropsychiatry": N_("Child neuropsychiatry service"),
    "court_office": N_("Court office"),
}
REFERRAL_REASONS = {
    "parenting": N_("Parenting support"),
    "family_conflict": N_("Family conflict or separation"),
    "supervised_visits": N_("Supervised visits"),
    "home_tutoring": N_("Home educational support"),
    "school": N_("School attendance or learning"),
    "child_development": N_("A child's development or well-being"),
    "solidarity": N_("Family solidarity or foster care"),
    "other": N_("Other"),
}
DIRECTIONS = {"in": N_("Incoming: sent to the hub"), "out": N_("Outgoing: sent by the hub")}


def label(vocabulary: dict[str, str], code: str) -> str:
    return gettext(vocabulary[code]) if code in vocabulary else code


def options(vocabulary: dict[str, str]) -> list[tuple[str, str]]:
    return [(code, gettext(text)) for code, text in vocabulary.items()]
