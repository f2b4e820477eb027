"""A small world for the staff operations' tests: two hubs, their activities and meetings, and staff of
every role (an administrator, a coordinator per hub, an operator assigned to one activity)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.booking import service
from portal.identity import staff_access
from portal.identity.staff_access import Staff
from portal.links import Links
from portal.tables import Activity, StaffActivity
from tests import factories

LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")
PASSWORD = "a long staff password"


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class World:
    hub_a: int
    hub_b: int
    open_single: int  # hub A, capacity 2, one meeting
    open_meeting: int
    course: int  # hub A, capacity 3, three meetings
    course_meetings: list[int]
    consent_course: int  # hub A, approval, both parents' consent
    referral: int  # hub A, Spazio Neutro
    request: int  # hub A, family mediation
    other_single: int  # hub B
    other_meeting: int
    admin: Staff
    coordinator: Staff  # hub A
    other_coordinator: Staff  # hub B
    operator: Staff  # assigned to open_single only

    async def slug(self, activity_id: int) -> str:
        return (await Activity.select(Activity.slug).where(Activity.id == activity_id).first())["slug"]

    async def book(self, activity_id: int, meeting_id: int | None, adults: int = 1, **family) -> tuple[int, str]:
        """A family books online, as families do; returns (family id, booking code)."""
        family_id, members = await factories.family(adults=adults, **family)
        target = await service.find_target(await self.slug(activity_id), meeting_id)
        result = await service.book(family_id, target, members, now(), LINKS)
        return family_id, result.code


async def staff(email: str, role: str, hub_ids: tuple[int, ...] = (), activity_ids: tuple[int, ...] = ()) -> Staff:
    staff_id = await staff_access.create_staff(email, email.split("@")[0].title(), role, PASSWORD, now(), hub_ids)
    if activity_ids:
        await StaffActivity.insert(*(StaffActivity(staff=staff_id, activity=a) for a in activity_ids))
    return await staff_access.load_staff(staff_id)


async def build() -> World:
    services = await factories.taxonomy()
    hub_a = await factories.hub("centro", "Polo Centro")
    hub_b = await factories.hub("nord", "Polo Nord")
    soon = now() + timedelta(days=7)
    open_single = await factories.activity(services["attivita-culturali"], hub_a, "Festa delle famiglie", capacity=2)
    open_meeting = await factories.meeting(open_single, soon)
    course = await factories.activity(services["gruppi-genitori"], hub_a, "Ciclo genitori", format="course",
                                      audience="adults", capacity=3)
    course_meetings = [await factories.meeting(course, soon + timedelta(days=7 * i)) for i in range(3)]
    consent_course = await factories.activity(
        services["gruppi-di-parola"], hub_a, "Gruppo di parola", format="course", access="approval",
        audience="children", capacity=2, both_parents_consent=True)
    for i in range(2):
        await factories.meeting(consent_course, soon + timedelta(days=7 * i))
    referral = await factories.activity(services["spazio-neutro"], hub_a, "Spazio Neutro", access="referral",
                                        seat_unit="family", capacity=5)
    request = await factories.activity(services["mediazione-familiare"], hub_a, "Mediazione familiare",
                                       access="request", seat_unit="family", audience="adults", capacity=5)
    other_single = await factories.activity(services["attivita-culturali"], hub_b, "Festa al Nord", capacity=5)
    other_meeting = await factories.meeting(other_single, soon)
    return World(
        hub_a, hub_b, open_single, open_meeting, course, course_meetings, consent_course, referral, request,
        other_single, other_meeting,
        admin=await staff("admin@example.it", "admin"),
        coordinator=await staff("coord@example.it", "coordinator", (hub_a,)),
        other_coordinator=await staff("nord@example.it", "coordinator", (hub_b,)),
        operator=await staff("operatore@example.it", "operator", (hub_a,), (open_single,)),
    )
