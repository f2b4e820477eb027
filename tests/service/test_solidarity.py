"""Family solidarity without HTTP: the offer's lifecycle, needs, matching, what each side reads, scope,
mail through the outbox and the report."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from multidict import MultiDict

from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.identity.staff_access import Forbidden
from portal.solidarity import matches, needs, offers, report
from portal.tables import AuditEntry, Outbox, SolidarityOffer
from tests import solidarity_world
from tests.solidarity_world import LINKS, need_form, now, offer_form

pytestmark = pytest.mark.anyio


def form(values: dict) -> MultiDict:
    multi = MultiDict()
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            multi.add(name, item)
    return multi


@pytest.fixture
async def world(empty_db):
    return await solidarity_world.build()


async def subjects(email: str) -> list[str]:
    return [row["subject"] for row in await Outbox.select(Outbox.subject).where(Outbox.to_address == email)]


async def active_offer(world, **overrides) -> int:
    offer = await offers.save_offer(world.volunteer, form(offer_form(world, **overrides)), now(), LINKS)
    await offers.review(world.coordinator, offer.id, form({"status": "interview", "interview_date": "2030-01-10",
                                                           "interview_time": "17:30"}), now(), LINKS)
    await offers.review(world.coordinator, offer.id, form({"status": "active"}), now(), LINKS)
    return offer.id


async def test_offer_lifecycle_with_mail_at_each_step(world):
    offer = await offers.save_offer(world.volunteer, form(offer_form(world)), now(), LINKS)
    assert offer.status == "new" and offer.hub_id == world.centro and offer.weekdays == [1, 3]
    assert offer.kind_ids == [world.homework] and offer.languages == ["it", "ar"] and offer.hosts_children
    assert await subjects(world.volunteer_email) == ["Disponibilità solidale ricevuta"] or \
        len(await subjects(world.volunteer_email)) == 1

    with pytest.raises(FormErrors) as refused:  # an interview needs its date and time
        await offers.review(world.coordinator, offer.id, form({"status": "interview"}), now(), LINKS)
    assert "interview_date" in refused.value.by_field
    await offers.review(world.coordinator, offer.id, form({"status": "interview", "interview_date": "2030-01-10",
                                                           "interview_time": "17:30", "staff_notes": "ok"}),
                        now(), LINKS)
    await offers.review(world.coordinator, offer.id, form({"status": "active"}), now(), LINKS)
    assert len(await subjects(world.volunteer_email)) == 3  # received, interview, activated

    assert (await offers.family_set_status(world.volunteer, "pause", now())).status == "paused"
    assert (await offers.family_set_status(world.volunteer, "resume", now())).status == "active"  # was activated
    edited = await offers.save_offer(world.volunteer, form(offer_form(world, presentation="Nuovo testo")), now(), LINKS)
    assert edited.id == offer.id and edited.presentation == "Nuovo testo" and edited.status == "active"
    moved = await offers.save_offer(world.volunteer, form(offer_form(world, hub=str(world.nord))), now(), LINKS)
    assert moved.status == "new"  # another hub reviews it again
    await offers.family_set_status(world.volunteer, "withdraw", now())
    assert await offers.family_offer(world.volunteer) is None
    assert await AuditEntry.count().where(AuditEntry.record_type == "solidarity_offer") >= 6


async def test_bad_offer_input_changes_nothing(world):
    with pytest.raises(FormErrors) as refused:
        await offers.save_offer(world.volunteer, form(offer_form(
            world, kinds=["999"], weekdays=["9"], time_bands=["night"], districts=["Atlantide"], languages=["xx"],
            presentation="x" * 501, other_help="y" * 201, hub="abc")), now(), LINKS)
    assert set(refused.value.by_field) == {"kinds", "weekdays", "time_bands", "districts", "languages",
                                           "presentation", "other_help", "hub"}
    assert await SolidarityOffer.count() == 0 and await Outbox.count() == 0


async def test_staff_transitions_and_scope(world):
    offer = await offers.save_offer(world.volunteer, form(offer_form(world)), now(), LINKS)
    with pytest.raises(NotFound):
        await offers.offer_in_scope(world.other_coordinator, offer.id)
    with pytest.raises(Forbidden):
        await offers.offer_in_scope(world.operator, offer.id)
    with pytest.raises(Forbidden):
        await offers.queue(world.operator, None, None)
    assert [v.offer.id for v in await offers.queue(world.coordinator, None, None)] == [offer.id]
    assert await offers.queue(world.other_coordinator, None, None) == []
    await offers.review(world.coordinator, offer.id, form({"status": "closed"}), now(), LINKS)
    with pytest.raises(FormErrors):  # closed is final
        await offers.review(world.coordinator, offer.id, form({"status": "active"}), now(), LINKS)


async def test_only_active_offers_are_candidates_and_ranked(world):
    need_id = await needs.create(world.coordinator, None, world.request_id, form(need_form(world)), now())
    offer = await offers.save_offer(world.volunteer, form(offer_form(world)), now(), LINKS)
    assert await matches.candidates(world.coordinator, need_id) == []  # new, not yet active
    with pytest.raises(FormErrors):
        await matches.propose(world.coordinator, need_id, offer.id, form({}), now(), LINKS)
    await offers.review(world.coordinator, offer.id, form({"status": "active"}), now(), LINKS)
    found = await matches.candidates(world.coordinator, need_id)
    assert [c.offer.offer.id for c in found] == [offer.id]
    assert found[0].fit.same_district and found[0].fit.same_language and found[0].fit.shared_days == (1,)


async def test_match_shares_only_what_staff_chose(world):
    offer_id = await active_offer(world)
    need_id = await needs.create(world.coordinator, None, world.request_id, form(need_form(world)), now())
    need = await needs.need_in_scope(world.coordinator, need_id)
    assert need.family_id == world.helped and need.hub_id == world.centro
    before = len(await subjects("aiutata@example.it"))
    match_id = await matches.propose(world.coordinator, need_id, offer_id, form({"start_date": "2030-02-01"}),
                                     now(), LINKS)
    assert len(await subjects("aiutata@example.it")) == before + 1
    assert len(await subjects(world.volunteer_email)) == 4

    seen = await matches.volunteer_matches(world.volunteer)
    assert len(seen) == 1 and "Samira" in seen[0].shared and "Polo Centro" in seen[0].shared
    text = repr(seen)
    for secret in ("Segreti", "333 999 8888", "aiutata@example.it", "Ho bisogno", "riservato"):
        assert secret not in text
    helped = await matches.family_help(world.helped)
    assert len(helped) == 1 and "Lucia" in helped[0].shared and "Volontari" not in repr(helped)
    assert "333 111 2222" not in repr(helped)

    # the volunteer cannot read a match that is not its own; nor can any other family
    other, _ = await solidarity_world.factories.family("altra@example.it")
    with pytest.raises(NotFound):
        await matches.family_match(other, match_id)
    assert (await matches.family_match(world.volunteer, match_id)).shared == seen[0].shared

    await matches.update(world.coordinator, match_id, form({
        "status": "ongoing", "start_date": "2030-02-01", "shared_with_volunteer": "Solo il nome: Samira.",
        "shared_with_family": "", "follow_up_notes": "primo incontro ok"}), now())
    assert (await matches.volunteer_matches(world.volunteer))[0].shared == "Solo il nome: Samira."
    assert "primo incontro" not in repr(await matches.volunteer_matches(world.volunteer))

    with pytest.raises(NotFound):
        await matches.match_in_scope(world.other_coordinator, match_id)
    with pytest.raises(Forbidden):
        await matches.match_in_scope(world.operator, match_id)
    with pytest.raises(FormErrors):  # one match per offer and need
        await matches.propose(world.coordinator, need_id, offer_id, form({}), now(), LINKS)


async def test_needs_by_hand_and_scope(world):
    with pytest.raises(FormErrors) as refused:
        await needs.create(world.coordinator, world.centro, None, form(need_form(world)), now())
    assert "contact_name" in refused.value.by_field
    need_id = await needs.create(world.coordinator, world.centro, None, form(need_form(
        world, contact_name="Mario Bianchi", contact_phone="081 1")), now())
    assert (await needs.need_in_scope(world.coordinator, need_id)).first_name == "Mario"
    with pytest.raises(NotFound):
        await needs.create(world.other_coordinator, world.centro, None, form(need_form(world)), now())
    with pytest.raises(NotFound):
        await needs.create(world.other_coordinator, None, world.request_id, form(need_form(world)), now())
    with pytest.raises(NotFound):
        await needs.need_in_scope(world.other_coordinator, need_id)
    with pytest.raises(Forbidden):
        await needs.need_in_scope(world.operator, need_id)
    # an offer of another hub is never a candidate, nor can it be proposed
    other_family, _ = await solidarity_world.factories.family("nord@example.it")
    other = await offers.save_offer(other_family, form(offer_form(world, hub=str(world.nord))), now(), LINKS)
    await offers.review(world.admin, other.id, form({"status": "active"}), now(), LINKS)
    assert await matches.candidates(world.admin, need_id) == []
    with pytest.raises(NotFound):
        await matches.propose(world.admin, need_id, other.id, form({}), now(), LINKS)


async def test_report_counts_active_offers_and_matches(world):
    offer_id = await active_offer(world)
    need_id = await needs.create(world.coordinator, None, world.request_id, form(need_form(world)), now())
    today = date.today()
    match_id = await matches.propose(world.coordinator, need_id, offer_id, form({"start_date": today.isoformat()}),
                                     now(), LINKS)
    await matches.update(world.coordinator, match_id, form({"status": "ended", "start_date": today.isoformat()}),
                         now())
    found = await report.report(world.coordinator, None, today - timedelta(days=1), today + timedelta(days=1))
    assert found.active_offers == 1 and found.matches_started == 1 and found.matches_ended == 1
    assert found.offers_by_kind_and_district == [("Aiuto compiti", "Municipalità 2", 1)]
    empty = await report.report(world.other_coordinator, None, today, today)
    assert empty.active_offers == 0 and empty.matches_started == 0
    with pytest.raises(Forbidden):
        await report.report(world.operator, None, today, today)


async def test_erasure_closes_the_offer_and_wipes_its_texts(world):
    from portal.families import erasure
    offer = await offers.save_offer(world.volunteer, form(offer_form(world)), now(), LINKS)
    await erasure.erase_family(world.volunteer, now(), LINKS)
    row = await SolidarityOffer.select().where(SolidarityOffer.id == offer.id).first()
    assert row["status"] == "closed" and row["presentation"] == "" and row["other_help"] == ""
