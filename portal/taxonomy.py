"""The fixed vocabulary of the hubs: the three areas, the ten services, and the labels of an activity's kind."""

from __future__ import annotations

from dataclasses import dataclass

from portal.i18n import N_, gettext


@dataclass(frozen=True)
class AreaKind:
    slug: str
    name: str
    description: str


@dataclass(frozen=True)
class ServiceKind:
    slug: str
    area: str
    name: str
    access: str  # the usual access mode of this service's activities
    format: str


AREAS = (
    AreaKind(
        "genitorialita",
        N_("Parenting support"),
        N_("Groups for parents, groups for children and adolescents, and educational support at home."),
    ),
    AreaKind(
        "separazione",
        N_("Conflictual or separating couples"),
        N_("Family mediation, supervised visits, and groups for separated parents and for their children."),
    ),
    AreaKind(
        "solidarieta",
        N_("Family solidarity and foster care"),
        N_("Families helping families: solidarity paths, cultural activities, informal foster care."),
    ),
)

SERVICES = (
    ServiceKind("gruppi-genitori", "genitorialita", N_("Parent groups"), "open", "course"),
    ServiceKind("tutoraggio-domiciliare", "genitorialita", N_("Home educational tutoring"), "referral", "single"),
    ServiceKind("gruppi-bambini-ragazzi", "genitorialita", N_("Groups of children and adolescents"), "open", "course"),
    ServiceKind("mediazione-familiare", "separazione", N_("Family mediation"), "request", "single"),
    ServiceKind("spazio-neutro", "separazione", N_("Spazio Neutro (supervised visits)"), "referral", "single"),
    ServiceKind(
        "gruppi-di-parola", "separazione", N_("Speaking groups for children of separated parents"), "approval", "course"
    ),
    ServiceKind("genitori-separati", "separazione", N_("Groups of separated parents"), "approval", "course"),
    ServiceKind("solidarieta-familiare", "solidarieta", N_("Family-solidarity paths"), "request", "course"),
    ServiceKind(
        "attivita-culturali", "solidarieta", N_("Cultural and social activities between families"), "open", "single"
    ),
    ServiceKind("affido-informale", "solidarieta", N_("Informal family foster care"), "request", "course"),
)

AREA_BY_SLUG = {area.slug: area for area in AREAS}
SERVICE_BY_SLUG = {service.slug: service for service in SERVICES}

ACCESS_LABELS = {
    "open": N_("Book directly"),
    "approval": N_("Ask for a place"),
    "request": N_("Request an interview"),
    "referral": N_("Through social services"),
}
FORMAT_LABELS = {"single": N_("Single dates"), "course": N_("Whole cycle")}
AUDIENCE_LABELS = {
    "children": N_("Children"),
    "adults": N_("Parents and adults"),
    "families": N_("Adults and children together"),
}
SEPARATION_AREA = "separazione"


def area_name(slug: str) -> str:
    return gettext(AREA_BY_SLUG[slug].name)


def service_name(slug: str) -> str:
    return gettext(SERVICE_BY_SLUG[slug].name)
