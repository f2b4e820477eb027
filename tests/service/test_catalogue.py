"""Catalogue search and every filter, against the real database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.catalogue import browse as catalogue
from portal.catalogue.browse import Filters
from tests import factories
from tests.factories import rome

pytestmark = pytest.mark.anyio

NOW = rome(2031, 3, 3, 9)  # a Monday


@pytest.fixture
async def world(empty_db) -> dict[str, int]:
    services = await factories.taxonomy()
    centro = await factories.hub("centro", "Polo Centro")
    vomero = await factories.hub("vomero", "Polo Vomero")
    ids = {}
    ids["massage"] = await factories.activity(
        services["gruppi-genitori"], centro, "Massaggio infantile", format="course", capacity=10, seats_taken=3,
        age_min_months=1, age_max_months=9)
    for week in range(5):  # Tuesdays from next week
        await factories.meeting(ids["massage"], rome(2031, 3, 11, 10) + timedelta(weeks=week))
    ids["speaking"] = await factories.activity(
        services["gruppi-di-parola"], vomero, "Gruppo di parola", access="approval", format="course",
        audience="children", capacity=8, seats_taken=8, age_min_months=72, age_max_months=143)
    await factories.meeting(ids["speaking"], rome(2031, 3, 12, 17))
    ids["party"] = await factories.activity(
        services["attivita-culturali"], vomero, "Festa delle famiglie", capacity=100)
    await factories.meeting(ids["party"], rome(2031, 3, 15, 16))  # Saturday
    ids["advice"] = await factories.activity(
        services["gruppi-genitori"], centro, "Consulenza pedagogica", audience="adults", seat_unit="family",
        capacity=1)
    await factories.meeting(ids["advice"], rome(2031, 3, 4, 9), seats_taken=1)  # Tuesday, taken
    await factories.meeting(ids["advice"], rome(2031, 3, 5, 9))  # Wednesday, free
    ids["neutral"] = await factories.activity(
        services["spazio-neutro"], vomero, "Spazio Neutro", access="referral", audience="families")
    ids["past"] = await factories.activity(services["gruppi-genitori"], centro, "Serata passata", audience="adults")
    await factories.meeting(ids["past"], rome(2031, 2, 20, 18))
    ids["started"] = await factories.activity(
        services["gruppi-bambini-ragazzi"], centro, "Laboratorio iniziato", format="course", audience="children",
        age_min_months=144, age_max_months=215)
    await factories.meeting(ids["started"], rome(2031, 2, 24, 17))
    await factories.meeting(ids["started"], rome(2031, 3, 10, 17))
    ids["draft"] = await factories.activity(services["gruppi-genitori"], centro, "Bozza", published=False)
    await factories.meeting(ids["draft"], rome(2031, 3, 10, 17))
    return ids


async def titles(**filters) -> set[str]:
    results = await catalogue.search(Filters(**filters), NOW)
    return {card.title for card in results.cards}


PUBLISHED = {"Massaggio infantile", "Gruppo di parola", "Festa delle famiglie", "Consulenza pedagogica",
             "Spazio Neutro", "Serata passata", "Laboratorio iniziato"}


async def test_without_filters_every_published_activity_is_listed(world):
    assert await titles() == PUBLISHED


async def test_area_and_service_and_hub(world):
    assert await titles(area="separazione") == {"Gruppo di parola", "Spazio Neutro"}
    assert await titles(service="gruppi-genitori") == {"Massaggio infantile", "Consulenza pedagogica", "Serata passata"}
    assert await titles(hub="vomero") == {"Gruppo di parola", "Festa delle famiglie", "Spazio Neutro"}
    assert await titles(hub="vomero", area="solidarieta") == {"Festa delle famiglie"}


async def test_age_matches_the_range_and_all_ages_family_activities(world):
    assert await titles(age=0) == {"Massaggio infantile", "Festa delle famiglie", "Spazio Neutro"}
    assert await titles(age=8) == {"Gruppo di parola", "Festa delle famiglie", "Spazio Neutro"}
    assert await titles(age=12) == {"Laboratorio iniziato", "Festa delle famiglie", "Spazio Neutro"}


async def test_weekday_and_dates_look_at_upcoming_meetings(world):
    assert await titles(day=6) == {"Festa delle famiglie"}
    assert await titles(day=2) == {"Massaggio infantile", "Consulenza pedagogica"}
    assert await titles(date_from=date(2031, 3, 15), date_to=date(2031, 3, 15)) == {"Festa delle famiglie"}
    from_12th = {"Massaggio infantile", "Gruppo di parola", "Festa delle famiglie"}
    assert await titles(date_from=date(2031, 3, 12)) == from_12th
    assert await titles(date_to=date(2031, 3, 4)) == {"Consulenza pedagogica"}


async def test_text_search_ignores_case_and_wildcards(world):
    assert await titles(q="PAROLA") == {"Gruppo di parola"}
    assert await titles(q="vomero") == {"Gruppo di parola", "Festa delle famiglie", "Spazio Neutro"}
    assert await titles(q="100%") == set()
    assert await titles(q="_") == set()


async def test_available_means_bookable_with_free_seats(world):
    # full course, referral, past-only and already-started course are excluded
    assert await titles(available=True) == {"Massaggio infantile", "Festa delle famiglie", "Consulenza pedagogica"}
    # the free consultation slot is on Wednesday; on Tuesday it is taken
    assert await titles(available=True, day=2) == {"Massaggio infantile"}
    assert await titles(available=True, day=3) == {"Consulenza pedagogica"}


async def test_cards_show_next_meeting_and_free_places(world):
    results = await catalogue.search(Filters(), NOW)
    cards = {card.title: card for card in results.cards}
    assert cards["Massaggio infantile"].free_seats == 7
    assert cards["Massaggio infantile"].availability == "free"
    assert cards["Massaggio infantile"].next_meeting.starts_at == rome(2031, 3, 11, 10)
    assert cards["Gruppo di parola"].availability == "waiting"
    assert cards["Consulenza pedagogica"].next_meeting.starts_at == rome(2031, 3, 4, 9)
    assert cards["Consulenza pedagogica"].availability == "waiting"
    assert cards["Spazio Neutro"].availability == "referral"
    assert cards["Serata passata"].availability == "none"
    # soonest first, activities without upcoming meetings last
    assert [card.title for card in results.cards][:2] == ["Consulenza pedagogica", "Laboratorio iniziato"]
    assert results.cards[-1].next_meeting is None


async def test_pages(world, monkeypatch):
    monkeypatch.setattr(catalogue, "PAGE_SIZE", 3)
    first = await catalogue.search(Filters(), NOW)
    third = await catalogue.search(Filters(page=3), NOW)
    beyond = await catalogue.search(Filters(page=9), NOW)
    assert (first.total, first.pages, len(first.cards), len(third.cards)) == (7, 3, 3, 1)
    assert beyond.page == 3 and beyond.cards == third.cards
    seen = [c.title for p in (1, 2, 3) for c in (await catalogue.search(Filters(page=p), NOW)).cards]
    assert sorted(seen) == sorted(PUBLISHED)


async def test_activity_page_lists_upcoming_meetings_and_hides_drafts(world):
    slugs = {card.title: card.slug for card in (await catalogue.search(Filters(), NOW)).cards}
    page = await catalogue.activity_page(slugs["Consulenza pedagogica"], NOW)
    assert [m.free_seats for m in page.meetings] == [0, 1]
    assert page.hub["slug"] == "centro"
    events = catalogue.json_ld(page, "https://poli.example.it")
    assert events[0]["@type"] == "Event" and events[0]["startDate"] == "2031-03-04T09:00:00+01:00"
    with pytest.raises(catalogue.NotFound):
        await catalogue.activity_page("bozza-inesistente", NOW)


async def test_private_and_cancelled_meetings_are_not_upcoming(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub()
    activity = await factories.activity(services["spazio-neutro"], hub, "Incontri", access="referral")
    await factories.meeting(activity, rome(2031, 3, 10), private=True)
    await factories.meeting(activity, rome(2031, 3, 11), status="cancelled")
    results = await catalogue.search(Filters(), NOW)
    assert results.cards[0].next_meeting is None
    assert await titles(day=1) == set() and await titles(day=2) == set()


async def test_dates_are_rome_dates(empty_db):
    """A meeting at 00:30 in Rome belongs to that Rome date and weekday, not to the UTC day before."""
    services = await factories.taxonomy()
    activity = await factories.activity(services["attivita-culturali"], await factories.hub(), "Notte bianca")
    await factories.meeting(activity, rome(2031, 7, 5, 0, 30))  # Saturday 00:30 = Friday 22:30 UTC
    assert await titles(day=6, date_from=date(2031, 7, 5), date_to=date(2031, 7, 5)) == {"Notte bianca"}
    assert await titles(day=5) == set()
