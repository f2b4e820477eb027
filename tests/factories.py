"""Small, explicit test data: the taxonomy, a hub, activities and meetings."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import count

from portal import db
from portal.catalogue.browse import local_day
from portal.i18n import ROME
from portal.tables import Activity, Area, Family, Hub, Meeting, Member, Service
from portal.taxonomy import AREAS, SERVICES

_sequence = count(1)


async def taxonomy() -> dict[str, int]:
    """Insert the areas and services; return service ids by slug."""
    area_ids = {}
    for position, area in enumerate(AREAS):
        rows = await Area.insert(Area(slug=area.slug, position=position)).returning(Area.id)
        area_ids[area.slug] = rows[0]["id"]
    service_ids = {}
    for position, service in enumerate(SERVICES):
        rows = await Service.insert(
            Service(slug=service.slug, area=area_ids[service.area], position=position)
        ).returning(Service.id)
        service_ids[service.slug] = rows[0]["id"]
    return service_ids


async def hub(slug: str = "centro", name: str = "Polo Centro", **fields) -> int:
    values = dict(
        slug=slug, name=name, district="Municipalità 2", neighbourhoods="Centro", address="Via Roma 1",
        postcode="80100", city="Napoli", phone="081 000 0000", email=f"{slug}@example.it",
        opening_hours="Lun–Ven 9–13", description="Un polo di prova.", latitude=40.85, longitude=14.26,
    )
    values.update(fields)
    rows = await Hub.insert(Hub(**values)).returning(Hub.id)
    return rows[0]["id"]


async def activity(service: int, hub: int, title: str | None = None, **fields) -> int:
    number = next(_sequence)
    title = title or f"Attività {number}"
    values = dict(
        slug=f"attivita-{number}", title=title, service=service, hub=hub, summary=f"Sintesi di {title}",
        description="Descrizione.", requirements="Nulla.", outcome="Un percorso.", access="open",
        format="single", seat_unit="participant", audience="families", capacity=10,
        updated_at=datetime.now(timezone.utc),
    )
    values.update(fields)
    rows = await Activity.insert(Activity(**values)).returning(Activity.id)
    await db.bump_revision()
    return rows[0]["id"]


async def meeting(activity: int, starts_at: datetime, minutes: int = 90, **fields) -> int:
    local_date, weekday = local_day(starts_at)
    values = dict(
        activity=activity, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes),
        local_date=local_date, local_weekday=weekday, place="Sala grande",
        updated_at=datetime.now(timezone.utc),
    )
    values.update(fields)
    rows = await Meeting.insert(Meeting(**values)).returning(Meeting.id)
    await db.bump_revision()
    return rows[0]["id"]


def rome(year: int, month: int, day: int, hour: int = 17, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


async def family(email: str | None = None, children: tuple[tuple[int, int], ...] = (), adults: int = 1,
                 language: str = "it") -> tuple[int, list[int]]:
    """A family with its members: `children` as (birth year, birth month). Returns (id, member ids)."""
    number = next(_sequence)
    now = datetime.now(timezone.utc)
    rows = await Family.insert(Family(
        email=email or f"famiglia{number}@example.it", name="Anna", surname=f"Rossi {number}", phone="",
        district="", language=language, privacy_acknowledged_at=now, created_at=now,
    )).returning(Family.id)
    family_id = rows[0]["id"]
    members = [Member(family=family_id, kind="adult", first_name=f"Adulto {i}", created_at=now) for i in range(adults)]
    members += [Member(family=family_id, kind="child", first_name=f"Bimbo {i}", birth_year=year, birth_month=month,
                       created_at=now) for i, (year, month) in enumerate(children)]
    ids = [row["id"] for row in await Member.insert(*members).returning(Member.id)] if members else []
    return family_id, ids
