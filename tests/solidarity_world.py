"""A small solidarity world: two hubs, kinds of help, a volunteer family, a family in need, staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from portal.identity import staff_access
from portal.links import Links
from portal.tables import AccessRequest, Family, HelpKind, StaffActivity
from tests import factories

LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")
PASSWORD = "a long staff password"


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class World:
    services: dict
    centro: int
    nord: int
    homework: int
    hosting: int
    volunteer: int
    volunteer_email: str
    helped: int
    request_id: int
    admin: staff_access.Staff
    coordinator: staff_access.Staff
    other_coordinator: staff_access.Staff
    operator: staff_access.Staff


async def staff(email: str, role: str, hubs: tuple[int, ...] = ()) -> staff_access.Staff:
    staff_id = await staff_access.create_staff(email, email.split("@")[0].title(), role, PASSWORD, now(), hubs)
    return await staff_access.load_staff(staff_id)


async def build() -> World:
    services = await factories.taxonomy()
    centro = await factories.hub("centro", "Polo Centro", district="Municipalità 2")
    nord = await factories.hub("nord", "Polo Nord", district="Municipalità 8")
    homework, hosting = [
        (await HelpKind.insert(HelpKind(name=name, active=True, position=position)).returning(HelpKind.id))[0]["id"]
        for position, name in ((1, "Aiuto compiti"), (2, "Accoglienza dopo scuola"))
    ]
    volunteer, _ = await factories.family("volontaria@example.it")
    await Family.update({Family.name: "Lucia", Family.surname: "Volontari", Family.district: "Municipalità 2",
                         Family.phone: "333 111 2222"}).where(Family.id == volunteer)
    helped, _ = await factories.family("aiutata@example.it")
    await Family.update({Family.name: "Samira", Family.surname: "Segreti", Family.phone: "333 999 8888",
                         Family.district: "Municipalità 2"}).where(Family.id == helped)
    path = await factories.activity(services["solidarieta-familiare"], centro, "Percorso famiglie solidali",
                                    access="request", format="course", slug="famiglie-solidali")
    rows = await AccessRequest.insert(AccessRequest(
        code="REQ123", family=helped, activity=path, contact_by="phone", preferred_times="", note="Ho bisogno",
        status="new", created_at=now(), updated_at=now(), confidential_notes="")).returning(AccessRequest.id)
    return World(
        services=services, centro=centro, nord=nord, homework=homework, hosting=hosting, volunteer=volunteer,
        volunteer_email="volontaria@example.it", helped=helped, request_id=rows[0]["id"],
        admin=await staff("admin@example.it", "admin"),
        coordinator=await staff("coord@example.it", "coordinator", (centro,)),
        other_coordinator=await staff("nord@example.it", "coordinator", (nord,)),
        operator=await operator_of(path),
    )


async def operator_of(activity: int) -> staff_access.Staff:
    """An operator assigned to an activity of the Centro hub: the hub is visible, solidarity is not theirs."""
    found = await staff("operatore@example.it", "operator")
    await StaffActivity.insert(StaffActivity(staff=found.id, activity=activity))
    return await staff_access.load_staff(found.id)


def offer_form(world: World, **overrides) -> dict:
    values = {"kinds": [str(world.homework)], "weekdays": ["1", "3"], "time_bands": ["afternoon"],
              "districts": ["Municipalità 2"], "languages": ["it", "ar"], "presentation": "Siamo una famiglia.",
              "hub": str(world.centro), "other_help": "", "hosts_children": "1"}
    values.update(overrides)
    return values


def need_form(world: World, **overrides) -> dict:
    values = {"kind": str(world.homework), "weekdays": ["1"], "time_bands": ["afternoon"],
              "district": "Municipalità 2", "language": "ar", "staff_notes": "riservato"}
    values.update(overrides)
    return values
