"""Demo households for `portal demo`: a handful of families at one hub with bookings across services, a
key worker, a note and referrals, so the household file shows something real. Fictitious people."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal import db
from portal.booking import staff as staff_booking
from portal.booking.rules import BookingRefused
from portal.i18n import ROME
from portal.links import Links
from portal.tables import (
    Activity,
    Family,
    HouseholdNote,
    KeyWorker,
    Meeting,
    Member,
    PartnerService,
    Referral,
    StaffUser,
)

PARTNERS = (
    ("Servizio sociale professionale – Municipalità 2", "social_services", "Centro servizi sociali, via Roma 1"),
    ("Consultorio familiare ASL Napoli 1 Centro", "family_counselling", ""),
    ("Istituto comprensivo “Fiorelli”", "school", ""),
    ("UO Neuropsichiatria infantile – ASL Napoli 1 Centro", "child_neuropsychiatry", ""),
    ("Tribunale per i minorenni di Napoli – cancelleria", "court_office", ""),
)
# (e-mail, referent, surname, phone, other adults, children as (first name, years, month))
HOUSEHOLDS = (
    ("famiglia.esposito@example.it", "Carla", "Esposito", "333 123 4567", ("Marco",),
     (("Luca", 7, 3), ("Sofia", 3, 9))),
    ("famiglia.russo@example.it", "Giovanna", "Russo", "", (), (("Matteo", 9, 1),)),
    ("famiglia.benali@example.it", "Ahmed", "Benali", "320 765 4321", ("Fatima",), (("Yasmin", 1, 5),)),
    ("famiglia.deluca@example.it", "Paolo", "De Luca", "", (), (("Giulia", 8, 11),)),
)
NOTE = ("Prima telefonata: la madre chiede informazioni sui gruppi per genitori e sugli spazi per i bambini. "
        "Concordato un colloquio al polo.")


async def load(now: datetime, links: Links) -> int:
    """The demo households at the first hub that runs a referral-only service; returns how many were loaded."""
    author = await StaffUser.select(StaffUser.id).where(StaffUser.role == "admin").order_by(StaffUser.id).first()
    first = await Activity.select(Activity.hub).where(Activity.access == "referral").order_by(Activity.id).first()
    if author is None or first is None or await PartnerService.exists():
        return 0
    hub = first["hub"]
    partner_ids = await _partners(now)
    families = [await _household(row, now) for row in HOUSEHOLDS]
    await _book_across_services(hub, families, now, links)
    today = now.astimezone(ROME).date()
    esposito = families[0]
    async with db.write_transaction():
        await KeyWorker.insert(KeyWorker(family=esposito, hub=hub, staff=author["id"], assigned_at=now))
        await HouseholdNote.insert(HouseholdNote(
            family=esposito, hub=hub, author=author["id"], category="call", contact_on=today - timedelta(days=3),
            body=NOTE, created_at=now, updated_at=now))
        await Referral.insert(*(
            Referral(family=esposito, hub=hub, direction=direction, partner=partner_ids[partner],
                     referred_on=today - timedelta(days=days), reason=reason, consent=True,
                     consent_on=today - timedelta(days=days), recorded_by=author["id"], created_at=now)
            for direction, partner, days, reason in (("in", 0, 20, "parenting"), ("out", 3, 2, "child_development"))))
    return len(families)


async def _partners(now: datetime) -> list[int]:
    rows = await PartnerService.insert(*(
        PartnerService(name=name, kind=kind, contact=contact, active=True, created_at=now)
        for name, kind, contact in PARTNERS)).returning(PartnerService.id)
    return [row["id"] for row in rows]


async def _household(row: tuple, now: datetime) -> int:
    email, name, surname, phone, adults, children = row
    today = now.astimezone(ROME).date()
    rows = await Family.insert(Family(
        email=email, name=name, surname=surname, phone=phone, district="", language="it", privacy_acknowledged_at=now,
        created_at=now)).returning(Family.id)
    family_id = rows[0]["id"]
    members = [Member(family=family_id, kind="adult", first_name=first, created_at=now) for first in (name, *adults)]
    members += [Member(family=family_id, kind="child", first_name=first, birth_year=today.year - years,
                       birth_month=month, created_at=now) for first, years, month in children]
    await Member.insert(*members)
    return family_id


async def _book_across_services(hub: int, families: list[int], now: datetime, links: Links) -> None:
    """Each household books what fits it among the hub's open and approval activities with a meeting ahead;
    the last household is enrolled in a referral-only service, as the staff would after a referral."""
    activities = await Activity.select(Activity.id, Activity.access, Activity.format).where(
        (Activity.hub == hub) & (Activity.published == True)).order_by(Activity.id)  # noqa: E712
    upcoming = await Meeting.select(Meeting.id, Meeting.activity).where(
        Meeting.activity.is_in([a["id"] for a in activities] or [0]) & (Meeting.starts_at > now)
        & (Meeting.private == False)).order_by(Meeting.starts_at)  # noqa: E712
    bookable = [a for a in activities if a["access"] in ("open", "approval")]
    for index, family_id in enumerate(families):
        members = [m["id"] for m in await Member.select(Member.id).where(Member.family == family_id)]
        wanted = bookable[index * 2:] + bookable[:index * 2]  # each household starts somewhere else
        if index == len(families) - 1:
            wanted = [a for a in activities if a["access"] == "referral"][:1] + wanted
        booked = 0
        for activity in wanted:
            if booked == 2:
                break
            booked += await _try_booking(activity, upcoming, family_id, members, now, links)


async def _try_booking(activity: dict, upcoming: list[dict], family_id: int, members: list[int], now: datetime,
                       links: Links) -> int:
    meeting = None
    if activity["format"] == "single" and activity["access"] != "referral":
        meeting = next((m["id"] for m in upcoming if m["activity"] == activity["id"]), None)
        if meeting is None:
            return 0
    target = await staff_booking.staff_target(activity["id"], meeting)
    for chosen in (members, members[:1], members[-1:]):  # everyone, else an adult, else a child
        try:
            await staff_booking.book_for_family(target, family_id, chosen, f"family:{family_id}", now, links)
            return 1
        except BookingRefused:
            continue
    return 0
