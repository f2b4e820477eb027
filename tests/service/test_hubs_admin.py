"""Hubs and activities from the staff area: every field, ages in years or months, scope and roles."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal import audit, db
from portal.admin import activities as activities_admin
from portal.admin import hubs as hubs_admin
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.i18n import ROME
from portal.identity.staff_access import Forbidden
from portal.links import Links
from portal.tables import Activity, Booking, Hub, Service
from tests import factories
from tests.web.staff_signin import loaded_staff as staff

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")


def now() -> datetime:
    return datetime.now(timezone.utc)


HUB_FORM = {"name": "Polo Nord – Scampia", "district": "Municipalità 8", "address": "Via Nord 1", "city": "Napoli",
            "postcode": "80144", "phone": "081 111 2222", "email": "Nord@Example.it", "opening_hours": "Lun 9–13",
            "description": "Un polo.\nSu due righe.", "neighbourhoods": "Scampia", "latitude": "40,9",
            "longitude": "14.23"}


def activity_form(hub_id: int, **changes) -> dict:
    values = {"title": "Massaggio neonatale", "service": "gruppi-genitori", "hub": str(hub_id),
              "summary": "Per genitori e neonati.", "description": "Cinque incontri.", "requirements": "",
              "outcome": "", "access": "open", "format": "course", "seat_unit": "family", "audience": "families",
              "age_min": "5", "age_min_unit": "months", "age_max": "10", "age_max_unit": "months",
              "capacity": "8", "waiting_list": "1", "opens_date": "2026-01-10", "opens_time": "09:00",
              "booking_closes_hours": "12", "cancellation_hours": "48", "published": "1"}
    values.update(changes)
    return values


@pytest.fixture
async def world(empty_db):
    services = await factories.taxonomy()
    hub_a, hub_b = await factories.hub("a", "Polo A"), await factories.hub("b", "Polo B")
    activity_b = await factories.activity(services["attivita-culturali"], hub_b)
    return {"hubs": (hub_a, hub_b), "services": services, "activity_b": activity_b,
            "admin": await staff("admin@example.it"),
            "coordinator": await staff("coord@example.it", "coordinator", (hub_a,))}


async def test_an_admin_creates_a_hub_with_every_field(world):
    revision = await db.current_revision()
    hub_id = await hubs_admin.create_hub(world["admin"], HUB_FORM, now())
    hub = await Hub.select().where(Hub.id == hub_id).first()
    assert hub["slug"] == "polo-nord-scampia" and hub["email"] == "nord@example.it"
    assert hub["latitude"] == 40.9 and hub["longitude"] == 14.23 and hub["description"] == "Un polo.\nSu due righe."
    assert await db.current_revision() > revision
    assert (await audit.entries("hub", hub_id))[0]["action"] == "hub.create"


async def test_bad_hub_input_is_explained_by_field_and_nothing_changes(world):
    with pytest.raises(FormErrors) as refused:
        await hubs_admin.create_hub(world["admin"], {**HUB_FORM, "name": "", "slug": "Not A Slug",
                                                     "latitude": "400", "email": "nope"}, now())
    assert set(refused.value.by_field) == {"name", "slug", "latitude", "email"}
    with pytest.raises(FormErrors) as duplicate:
        await hubs_admin.create_hub(world["admin"], {**HUB_FORM, "slug": "a"}, now())
    assert set(duplicate.value.by_field) == {"slug"}
    assert await Hub.count() == 2


async def test_hub_scope_and_roles(world):
    hub_a, hub_b = world["hubs"]
    coordinator = world["coordinator"]
    with pytest.raises(Forbidden):
        await hubs_admin.create_hub(coordinator, HUB_FORM, now())
    await hubs_admin.update_hub(coordinator, hub_a, {**HUB_FORM, "slug": "a"}, now())
    assert (await Hub.select(Hub.name).where(Hub.id == hub_a).first())["name"] == HUB_FORM["name"]
    with pytest.raises(NotFound):
        await hubs_admin.update_hub(coordinator, hub_b, HUB_FORM, now())
    operator = await staff("op@example.it", "operator", activities=(world["activity_b"],))
    assert (await hubs_admin.hub(operator, hub_b))["id"] == hub_b  # sees the hub of its activity
    with pytest.raises(Forbidden):
        await hubs_admin.update_hub(operator, hub_b, HUB_FORM, now())
    with pytest.raises(NotFound):
        await hubs_admin.hub(operator, hub_a)


async def test_overview_lists_the_scope(world):
    hub_a, hub_b = world["hubs"]
    activity_a = await factories.activity(world["services"]["attivita-culturali"], hub_a, title="Festa")
    await factories.meeting(activity_a, now() + timedelta(days=3))
    mine = await hubs_admin.overview(world["coordinator"], now())
    assert [(h.id, [a.title for a in h.activities]) for h in mine] == [(hub_a, ["Festa"])]
    assert mine[0].activities[0].upcoming_meetings == 1
    assert {h.id for h in await hubs_admin.overview(world["admin"], now())} == {hub_a, hub_b}


async def test_a_coordinator_creates_an_activity_with_ages_in_months_and_an_opening_time(world):
    hub_a, _ = world["hubs"]
    activity_id = await activities_admin.create_activity(world["coordinator"], hub_a, activity_form(hub_a), now())
    row = await Activity.select().where(Activity.id == activity_id).first()
    service = await Service.select(Service.id).where(Service.slug == "gruppi-genitori").first()
    assert row["slug"] == "massaggio-neonatale" and row["service"] == service["id"] and row["hub"] == hub_a
    assert (row["age_min_months"], row["age_max_months"]) == (5, 10)
    assert row["format"] == "course" and row["seat_unit"] == "family" and row["capacity"] == 8
    assert row["booking_closes_hours"] == 12 and row["cancellation_hours"] == 48 and row["published"]
    assert db.instant(row["booking_opens_at"]) == datetime(2026, 1, 10, 9, 0, tzinfo=ROME)
    values = await activities_admin.form_values(row)
    assert (values["age_min"], values["age_min_unit"], values["age_max"], values["age_max_unit"]) == (
        "5", "months", "10", "months")
    assert values["opens_date"] == "2026-01-10" and values["opens_time"] == "09:00"


async def test_ages_in_years_are_stored_in_months(world):
    hub_a, _ = world["hubs"]
    activity_id = await activities_admin.create_activity(world["coordinator"], hub_a, activity_form(
        hub_a, age_min="6", age_min_unit="years", age_max="11", age_max_unit="years", opens_date="", opens_time=""),
        now())
    row = await Activity.select().where(Activity.id == activity_id).first()
    assert (row["age_min_months"], row["age_max_months"]) == (72, 143) and row["booking_opens_at"] is None
    values = await activities_admin.form_values(row)
    assert (values["age_min"], values["age_min_unit"], values["age_max"], values["age_max_unit"]) == (
        "6", "years", "11", "years")


async def test_bad_activity_input_is_explained_by_field(world):
    hub_a, hub_b = world["hubs"]
    with pytest.raises(FormErrors) as refused:
        await activities_admin.create_activity(world["coordinator"], hub_a, activity_form(
            hub_b, title="", service="nope", access="free", age_min="12", age_min_unit="years", age_max="3",
            age_max_unit="years", capacity="0", opens_date="31/02/2026", booking_closes_hours=""), now())
    assert set(refused.value.by_field) == {"title", "service", "hub", "access", "age_max", "capacity", "opens_date",
                                           "booking_closes_hours"}
    assert await Activity.count() == 1


async def test_activity_roles_and_scope(world):
    _, hub_b = world["hubs"]
    with pytest.raises(NotFound):
        await activities_admin.create_activity(world["coordinator"], hub_b, activity_form(hub_b), now())
    with pytest.raises(NotFound):
        await activities_admin.update_activity(world["coordinator"], world["activity_b"], activity_form(hub_b), now(),
                                               LINKS)
    operator = await staff("op@example.it", "operator", activities=(world["activity_b"],))
    with pytest.raises(Forbidden):
        await activities_admin.update_activity(operator, world["activity_b"], activity_form(hub_b), now(), LINKS)
    with pytest.raises(Forbidden):
        await activities_admin.create_activity(operator, hub_b, activity_form(hub_b), now())


async def test_editing_saves_every_field_and_refuses_a_format_change_under_bookings(world):
    hub_a, _ = world["hubs"]
    activity_id = await activities_admin.create_activity(world["coordinator"], hub_a, activity_form(hub_a), now())
    await activities_admin.update_activity(world["coordinator"], activity_id, activity_form(
        hub_a, title="Massaggio", slug="massaggio", published="", waiting_list="", access="approval"), now(), LINKS)
    row = await Activity.select().where(Activity.id == activity_id).first()
    assert row["title"] == "Massaggio" and row["slug"] == "massaggio" and not row["published"]
    assert row["access"] == "approval" and not row["waiting_list"]
    assert (await audit.entries("activity", activity_id))[0]["action"] == "activity.update"
    await factories.meeting(activity_id, now() + timedelta(days=5))
    family, _ = await factories.family(adults=1, children=((2026, 1),))
    await Booking.insert(Booking(code="ABCDEFGH", family=family, activity=activity_id, status="pending", seats=1,
                                 joined_at=now(), created_at=now(), updated_at=now()))
    with pytest.raises(FormErrors) as refused:
        await activities_admin.update_activity(world["coordinator"], activity_id, activity_form(
            hub_a, slug="massaggio", format="single"), now(), LINKS)
    assert set(refused.value.by_field) == {"format"}
