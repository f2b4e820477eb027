"""What fits a family's children, the age bands they enter, and one card per service, nearest hubs first."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from portal.catalogue import browse, cards, for_family
from portal.catalogue.browse import Filters
from portal.i18n import ROME
from portal.tables import Family
from tests import factories

pytestmark = pytest.mark.anyio
NOW = datetime.now(timezone.utc)


def born(months: int) -> tuple[int, int]:
    today = NOW.astimezone(ROME).date()
    total = today.year * 12 + today.month - 1 - months
    return total // 12, total % 12 + 1


@pytest.fixture
async def city(empty_db):
    services = await factories.taxonomy()
    east = await factories.hub("est", "Polo Est", district="Municipalità 4", latitude=40.864, longitude=14.272)
    west = await factories.hub("ovest", "Polo Ovest", district="Municipalità 9", latitude=40.852, longitude=14.188)
    centre = await factories.hub("centro", "Polo Centro", district="Municipalità 2", latitude=40.850,
                                 longitude=14.258)
    soon = NOW + timedelta(days=5)
    for hub, days in ((east, 6), (west, 2), (centre, 4)):
        spazio = await factories.activity(services["gruppi-genitori"], hub, "Spazio 0–3", age_min_months=0,
                                          age_max_months=35, slug=f"spazio-{hub}")
        await factories.meeting(spazio, NOW + timedelta(days=days))
    school = await factories.activity(services["gruppi-bambini-ragazzi"], west, "Spazio studio", format="course",
                                      audience="children", age_min_months=72, age_max_months=131, slug="studio")
    await factories.meeting(school, soon)
    mediation = await factories.activity(services["mediazione-familiare"], east, "Mediazione", access="request",
                                         audience="adults", age_min_months=0, age_max_months=215, slug="mediazione")
    await factories.meeting(mediation, soon)
    family, _ = await factories.family("due@example.it", children=(born(26), born(70)))
    await Family.update({Family.district: "Municipalità 4"}).where(Family.id == family)
    return {"family": family}


async def test_what_fits_the_children_at_the_home_hub_first(city):
    found = await for_family.suggestions(city["family"], NOW)
    titles = [(s.card.title, s.card.hub_slug) for s in found.suggestions]
    assert titles[0] == ("Spazio 0–3", "est"), "the district's hub first"
    assert [title for title, _ in titles].count("Spazio 0–3") == 1, "once per service"
    assert ("Spazio studio", "ovest") in titles, "entered within three months"
    assert "Mediazione" not in [title for title, _ in titles], "separation services are never suggested"
    assert found.suggestions[0].children == ("Bimbo 0",) and found.suggestions[0].at_home_hub
    assert found.suggestions[0].dates.next_bookable(), "with the dates the family can book"


async def test_a_child_entering_an_age_band_is_named_with_the_month(city):
    found = await for_family.suggestions(city["family"], NOW)
    assert len(found.milestones) == 1
    milestone = found.milestones[0]
    year, month = born(70)
    total = year * 12 + month - 1 + 72
    assert (milestone.child, milestone.months, milestone.month) == ("Bimbo 1", 72, date(total // 12, total % 12 + 1, 1))
    assert not milestone.at_home_hub


async def test_a_family_without_children_gets_no_suggestions(city):
    family, _ = await factories.family("sola@example.it")
    found = await for_family.suggestions(family, NOW)
    assert found.children == () and found.suggestions == ()


async def test_one_card_per_service_its_hubs_nearest_first(city):
    hubs = await browse.hubs()
    everywhere = await cards.search(Filters(), NOW, hubs)
    spazio = [card for card in everywhere.cards if card.card.title == "Spazio 0–3"]
    assert len(spazio) == 1 and len(spazio[0].places) == 3
    assert [place.card.hub_slug for place in spazio[0].places] == ["ovest", "centro", "est"], "soonest first"
    assert everywhere.total == 3  # Spazio 0–3, Spazio studio, Mediazione

    east = await cards.search(Filters(district="Municipalità 4"), NOW, hubs)
    card = next(card for card in east.cards if card.card.title == "Spazio 0–3")
    assert [place.card.hub_slug for place in card.places] == ["est", "centro", "ovest"]
    assert card.places[0].distance_km == pytest.approx(0, abs=0.01) and card.places[2].distance_km > 6

    one_hub = await cards.search(Filters(hub="est"), NOW, hubs)
    assert sorted(card.card.title for card in one_hub.cards) == ["Mediazione", "Spazio 0–3"]
    assert all(len(card.places) == 1 for card in one_hub.cards)


async def test_an_unknown_district_is_explained_by_its_field():
    filters, errors = browse.parse_filters({"district": "Atlantide", "age": "2"}, set(), {"Municipalità 4"})
    assert filters.district is None and filters.age == 2 and "district" in errors.by_field
