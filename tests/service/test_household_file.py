"""The household file in the domain: search scoped by hub, the timeline across services, notes (who reads
them, the edit window, kept versions), referrals with consent, key workers, the audit log, the family's
data download, and that nothing of the file leaks into feeds, exports or mail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from portal import audit, db
from portal.booking import service
from portal.db import NotFound
from portal.families import accounts as families
from portal.feeds.staff_feed import staff_feed
from portal.form_fields import FormErrors
from portal.households import file, key_workers, notes, partners, referrals, search
from portal.households.timeline import timeline
from portal.i18n import ROME, set_language
from portal.identity import staff_access
from portal.identity.staff_access import Forbidden
from portal.operations import enrolment, exports
from portal.tables import (
    AccessRequest,
    Attendance,
    Booking,
    BookingParticipant,
    Family,
    HelpKind,
    HouseholdNote,
    HouseholdNoteEdit,
    Match,
    Member,
    Need,
    Outbox,
    Referral,
    SolidarityOffer,
)
from portal.taxonomy import service_name
from tests import operations_world
from tests.operations_world import LINKS, now

pytestmark = pytest.mark.anyio
SECRET = "Colloquio con la madre: riferisce difficoltà"


@pytest.fixture
async def world(empty_db):
    return await operations_world.build()


async def named(family_id: int, surname: str, phone: str = "") -> None:
    await Family.update({Family.surname: surname, Family.phone: phone}).where(Family.id == family_id)


def today() -> str:
    return now().astimezone(ROME).date().isoformat()


def note_form(hub: int, body: str = SECRET, **extra) -> dict:
    return {"hub": str(hub), "category": "interview", "contact_on": today(), "body": body, **extra}


async def partner(world) -> int:
    return await partners.add(world.admin, {"name": "Servizio sociale Municipalità 2", "kind": "social_services"},
                              now())


# -- search --------------------------------------------------------------------------------


async def test_household_file_search_is_scoped_by_hub(world):
    ours, _ = await world.book(world.open_single, world.open_meeting, email="esposito@example.it",
                               children=((2017, 3),))
    theirs, _ = await world.book(world.other_single, world.other_meeting, email="esposito.nord@example.it")
    await named(ours, "Esposito", "+39 081 555 1234")
    await named(theirs, "Esposito")
    found = await search.search(world.coordinator, "esposito")
    assert [r.id for r in found] == [ours] and found[0].hubs == ["Polo Centro"]
    assert found[0].adults == ["Anna Esposito", "Adulto 0"] and "Bimbo 0" not in repr(found)  # never the children
    assert [r.id for r in await search.search(world.other_coordinator, "Esposito")] == [theirs]
    assert {r.id for r in await search.search(world.admin, "ESPOSITO")} == {ours, theirs}
    assert [r.id for r in await search.search(world.coordinator, "esposito@example.it")] == [ours]
    assert await search.search(world.other_coordinator, "esposito@example.it") == []
    assert [r.id for r in await search.search(world.coordinator, "0815551234")] == [ours]
    await Member.update({Member.first_name: "Luca"}).where(Member.kind == "child")
    assert [r.id for r in await search.search(world.coordinator, "luca 2017")] == [ours]
    assert await search.search(world.coordinator, "Luca 2018") == []
    assert "Luca" not in repr(await search.search(world.coordinator, "Esposito"))
    assert await search.search(world.coordinator, "e") is None  # too short to search with
    assert await search.search(world.coordinator, "%") is None  # no wildcards of the user's
    assert await search.search(world.coordinator, "_sposito") == []


async def test_household_file_search_finds_a_household_known_only_by_a_note(world):
    family_id, _ = await world.book(world.other_single, world.other_meeting)
    await named(family_id, "Ferrara")
    assert await search.search(world.coordinator, "Ferrara") == []
    await HouseholdNote.insert(HouseholdNote(family=family_id, hub=world.hub_a, author=world.coordinator.id,
                                             category="call", contact_on=now().date(), body="x",
                                             created_at=now(), updated_at=now()))
    assert [r.id for r in await search.search(world.coordinator, "Ferrara")] == [family_id]
    assert (await search.search(world.coordinator, "Ferrara"))[0].hubs == ["Polo Centro", "Polo Nord"]


# -- scope and the audit log -----------------------------------------------------------------


async def test_household_file_another_hubs_operator_gets_the_same_answer_as_no_household(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    assert (await file.open_file(world.coordinator, family_id, now())).family["id"] == family_id
    assert (await file.open_file(world.operator, family_id, now())).may_write is False
    nord_operator = await operations_world.staff("op.nord@example.it", "operator", (world.hub_b,),
                                                 (world.other_single,))
    for staff in (world.other_coordinator, nord_operator):
        with pytest.raises(NotFound):
            await file.open_file(staff, family_id, now())
        with pytest.raises(NotFound):
            await file.open_file(staff, family_id + 1000, now())
        with pytest.raises(NotFound):
            await notes.add(staff, family_id, note_form(world.hub_b), now())
    opened = {(e["action"], e["actor"]) for e in await audit.entries("family", family_id)}
    assert opened == {("household.open", world.coordinator.actor), ("household.open", world.operator.actor),
                      ("household.open_refused", world.other_coordinator.actor),
                      ("household.open_refused", nord_operator.actor)}
    await Family.update({Family.erased_at: now()}).where(Family.id == family_id)
    with pytest.raises(NotFound):
        await file.open_file(world.admin, family_id, now())


async def test_household_file_every_opening_and_note_read_is_audited(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    first = await notes.add(world.coordinator, family_id, note_form(world.hub_a), now())
    second = await notes.add(world.coordinator, family_id, note_form(world.hub_a, "Seconda nota"), now())
    await file.open_file(world.coordinator, family_id, now())
    await file.open_file(world.admin, family_id, now())
    openings = [e for e in await audit.entries("family", family_id) if e["action"] == "household.open"]
    assert sorted(e["actor"] for e in openings) == sorted([world.coordinator.actor, world.admin.actor])
    reads = [e for e in await audit.entries("household_note") if e["action"] == "household_note.read"]
    assert sorted((e["record_id"], e["actor"]) for e in reads) == sorted(
        (note, staff.actor) for note in (first, second) for staff in (world.coordinator, world.admin))
    assert all(e["details"] == {"family": family_id} for e in reads)


# -- the timeline --------------------------------------------------------------------------


async def test_household_file_timeline_holds_every_kind_of_record(world):
    set_language("it")  # the labels below are read in Italian, whatever an earlier test chose
    family_id, code = await world.book(world.open_single, world.open_meeting, children=((2016, 5),))
    await world.book(world.open_single, world.open_meeting)  # the adult and the child took the two places: waiting
    await world.book(world.open_single, world.open_meeting)  # waiting, second
    family_row = await Family.select().where(Family.id == family_id).first()
    members = [m.id for m in await families.members(family_id)]
    waiting = await service.book(family_id, await service.find_target(await world.slug(world.open_single),
                                                                      world.open_meeting), members, now(), LINKS)
    assert waiting.code == code  # one live booking per family and meeting: a repeat returns it
    second_family, _ = await world.book(world.open_single, world.open_meeting)  # waiting, second
    target = await service.find_target(await world.slug(world.consent_course), None)
    consent = await service.book(family_id, target, members[1:], now(), LINKS)
    await Booking.update({Booking.preliminary_meeting_at: now(), Booking.consent_recorded_at: now()}).where(
        Booking.code == consent.code)
    course = await service.book(family_id, await service.find_target(await world.slug(world.course), None),
                                members[:1], now(), LINKS)
    participant = await BookingParticipant.select().where(BookingParticipant.booking.code == course.code).first()
    await Attendance.insert(Attendance(meeting=world.course_meetings[0], participant=participant["id"], present=True,
                                       marked_by=world.coordinator.id, marked_at=now()))
    await AccessRequest.insert(AccessRequest(code="R1", family=family_id, activity=world.request, contact_by="phone",
                                             created_at=now(), updated_at=now()))
    kind = (await HelpKind.insert(HelpKind(name="Aiuto compiti")).returning(HelpKind.id))[0]["id"]
    offer = (await SolidarityOffer.insert(SolidarityOffer(family=family_id, hub=world.hub_a, created_at=now(),
                                                         updated_at=now())).returning(SolidarityOffer.id))[0]["id"]
    need = (await Need.insert(Need(hub=world.hub_b, kind=kind, family=family_id, created_at=now(),
                                   updated_at=now())).returning(Need.id))[0]["id"]
    await Match.insert(Match(offer=offer, need=need, created_at=now(), updated_at=now()))
    entries = await timeline(family_row, {world.hub_a})
    kinds = sorted(entry.kind for entry in entries)
    assert kinds.count("booking") == 3 and {"access_request", "offer", "need", "match", "mail"} <= set(kinds)
    by_status = {entry.title: entry for entry in entries if entry.kind == "booking"}
    assert by_status["Festa delle famiglie"].status == "confirmed"
    assert by_status["Festa delle famiglie"].history[0]["to_label"] == "Confermata"
    consent_entry = by_status["Gruppo di parola"]
    assert consent_entry.needs_consent and consent_entry.consent_recorded_at is not None
    assert consent_entry.preliminary_meeting_at is not None and consent_entry.status == "pending"
    assert [a["present"] for a in by_status["Ciclo genitori"].attendance] in ([True], [1])
    mails = [entry for entry in entries if entry.kind == "mail"]
    assert len(mails) == await Outbox.count().where(Outbox.to_address == family_row["email"]) and mails
    assert [e.link for e in entries if e.kind == "need"] == [None]  # another hub's page would answer 404
    second_row = await Family.select().where(Family.id == second_family).first()
    [waiting_entry] = [e for e in await timeline(second_row, None) if e.kind == "booking"]
    assert waiting_entry.status == "waitlisted" and waiting_entry.waiting_position == 3  # the first took both seats


async def test_household_file_separation_details_only_for_the_hub_that_runs_them(world):
    family_id, _ = await world.book(world.other_single, world.other_meeting)
    adult = (await families.members(family_id))[0].id
    await enrolment.enrol(world.coordinator, world.referral, family_id, [adult], False, "", now(), LINKS)
    ours = await file.open_file(world.coordinator, family_id, now())
    [spazio] = [e for e in ours.timeline if e.kind == "booking" and e.hub == "Polo Centro"]
    assert spazio.title == "Spazio Neutro" and not spazio.restricted and spazio.history
    theirs = await file.open_file(world.other_coordinator, family_id, now())
    [hidden] = [e for e in theirs.timeline if e.kind == "booking" and e.hub == "Polo Centro"]
    assert hidden.restricted and "Spazio Neutro" not in hidden.title and not hidden.history and hidden.link is None
    assert "Neutro" not in json.dumps([e.title for e in theirs.timeline])


# -- notes ---------------------------------------------------------------------------------


async def test_household_file_notes_are_read_only_by_the_notes_hub(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    await world.book(world.other_single, world.other_meeting)
    await Booking.update({Booking.family: family_id}).where(Booking.activity == world.other_single)
    note_id = await notes.add(world.coordinator, family_id, note_form(world.hub_a), now())
    assert [n.id for n in (await file.open_file(world.coordinator, family_id, now())).notes] == [note_id]
    assert [n.id for n in (await file.open_file(world.operator, family_id, now())).notes] == [note_id]
    assert [n.id for n in (await file.open_file(world.admin, family_id, now())).notes] == [note_id]
    assert (await file.open_file(world.other_coordinator, family_id, now())).notes == []
    with pytest.raises(NotFound):
        await notes.note_page(world.other_coordinator, family_id, note_id, now())
    with pytest.raises(Forbidden):  # operators read the file; they do not write in it
        await notes.add(world.operator, family_id, note_form(world.hub_a), now())
    with pytest.raises(FormErrors) as refused:  # a coordinator writes for their own hub only
        await notes.add(world.other_coordinator, family_id, note_form(world.hub_a), now())
    assert set(refused.value.by_field) == {"hub"}


async def test_household_file_note_input_is_checked_and_nothing_written(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    tomorrow = (now().astimezone(ROME).date() + timedelta(days=1)).isoformat()
    with pytest.raises(FormErrors) as refused:
        await notes.add(world.coordinator, family_id, {
            "hub": str(world.hub_a), "category": "gossip", "contact_on": tomorrow, "body": " ",
            "protects_third_party": "1", "protection_reason": ""}, now())
    assert set(refused.value.by_field) == {"category", "contact_on", "body", "protection_reason"}
    with pytest.raises(FormErrors):
        await notes.add(world.coordinator, family_id, note_form(world.hub_a, "x" * 4001), now())
    assert await HouseholdNote.count() == 0


async def test_household_file_note_edit_window_keeps_every_version(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    colleague = await operations_world.staff("collega@example.it", "coordinator", (world.hub_a,))
    note_id = await notes.add(world.coordinator, family_id, note_form(world.hub_a, "Prima versione"), now())
    await notes.edit(world.coordinator, family_id, note_id, note_form(world.hub_a, "Seconda versione"),
                     now() + timedelta(hours=23))
    with pytest.raises(Forbidden):  # only its author corrects a note
        await notes.edit(colleague, family_id, note_id, note_form(world.hub_a, "Altro"), now())
    with pytest.raises(Forbidden):  # and only for 24 hours
        await notes.edit(world.coordinator, family_id, note_id, note_form(world.hub_a, "Tardi"),
                         now() + timedelta(hours=25))
    page = await notes.note_page(colleague, family_id, note_id, now())
    assert page.note["body"] == "Seconda versione" and [v["body"] for v in page.versions] == ["Prima versione"]
    assert page.versions[0]["editor_name"] == "Coord" and not page.editable
    assert (await notes.note_page(world.coordinator, family_id, note_id, now())).editable
    assert await HouseholdNoteEdit.count() == 1 and await HouseholdNote.count() == 1
    shown = (await file.open_file(world.coordinator, family_id, now())).notes[0]
    assert shown.edits == 1 and shown.editable
    later = (await file.open_file(world.coordinator, family_id, now() + timedelta(hours=25))).notes[0]
    assert not later.editable


# -- referrals, partners, key workers ------------------------------------------------------------


async def test_household_file_referral_records_the_adults_consent(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    partner_id = await partner(world)
    form = {"hub": str(world.hub_a), "direction": "out", "partner": str(partner_id), "referred_on": today(),
            "reason": "school", "consent": "yes", "consent_on": today()}
    recorded = await referrals.record(world.coordinator, family_id, form, now())
    assert recorded.enrol_activity is None
    row = await Referral.select().where(Referral.id == recorded.id).first()
    assert row["consent"] in (True, 1) and row["consent_on"].isoformat() == today() and row["direction"] == "out"
    [shown] = (await file.open_file(world.coordinator, family_id, now())).referrals
    assert shown.consent and shown.partner == "Servizio sociale Municipalità 2" and shown.reason_label
    with pytest.raises(FormErrors) as refused:
        await referrals.record(world.coordinator, family_id, {**form, "consent": "", "consent_on": "",
                                                              "partner": "999", "activity": str(world.other_single)},
                               now())
    assert set(refused.value.by_field) == {"consent", "consent_on", "partner", "activity"}
    assert await Referral.count() == 1


async def test_household_file_incoming_referral_to_a_referral_only_service_leads_to_enrolment(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    partner_id = await partner(world)
    form = {"hub": str(world.hub_a), "direction": "in", "partner": str(partner_id), "referred_on": today(),
            "reason": "supervised_visits", "consent": "yes", "consent_on": today(), "activity": str(world.referral)}
    assert (await referrals.record(world.coordinator, family_id, form, now())).enrol_activity == world.referral
    outgoing = await referrals.record(world.coordinator, family_id, {**form, "direction": "out"}, now())
    assert outgoing.enrol_activity is None


async def test_household_file_partner_list_is_the_administrators(world):
    with pytest.raises(Forbidden):
        await partners.add(world.coordinator, {"name": "Scuola", "kind": "school"}, now())
    with pytest.raises(FormErrors) as refused:
        await partners.add(world.admin, {"name": "", "kind": "bar"}, now())
    assert set(refused.value.by_field) == {"name", "kind"}
    partner_id = await partner(world)
    await partners.set_active(world.admin, partner_id, False, now())
    assert await partners.active() == []
    with pytest.raises(NotFound):
        await partners.set_active(world.admin, partner_id + 99, True, now())


async def test_household_file_key_worker_and_what_the_family_sees(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    educator_id = await staff_access.create_staff("giulia@example.it", "Giulia Bianchi", "operator",
                                                  operations_world.PASSWORD, now(), (world.hub_a,))
    educator = await staff_access.load_staff(educator_id)
    await notes.add(world.coordinator, family_id, note_form(world.hub_a), now())
    with pytest.raises(FormErrors):
        await key_workers.assign(world.coordinator, family_id, {"key_worker": f"{world.hub_b}-{educator.id}"}, now())
    await key_workers.assign(world.coordinator, family_id, {"key_worker": f"{world.hub_a}-{educator.id}"}, now())
    await key_workers.assign(world.coordinator, family_id, {"key_worker": f"{world.hub_a}-{educator.id}"}, now())
    [worker] = (await file.open_file(world.coordinator, family_id, now())).key_workers
    assert worker["staff"] == educator.id
    [place] = await key_workers.followed_by(family_id)
    assert (place.hub, place.phone, place.key_worker) == ("Polo Centro", "081 000 0000", "Giulia")
    assert place.services == [service_name("attivita-culturali")]
    assert SECRET not in str(place) and "Bianchi" not in str(place)


# -- the family's data, and nothing elsewhere ----------------------------------------------------------


async def test_household_file_is_in_the_familys_data_download(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    await notes.add(world.coordinator, family_id, note_form(world.hub_a), now())
    await notes.add(world.coordinator, family_id, note_form(
        world.hub_a, "Segnalazione di una vicina", protects_third_party="1",
        protection_reason="Protegge chi ha segnalato"), now())
    await referrals.record(world.coordinator, family_id, {
        "hub": str(world.hub_a), "direction": "in", "partner": str(await partner(world)), "referred_on": today(),
        "reason": "parenting", "consent": "no", "consent_on": today()}, now())
    data = json.dumps(await families.export(family_id, now()), ensure_ascii=False)
    household = json.loads(data)["household_file"]
    assert [n["text"] for n in household["notes"]] == [SECRET]
    assert household["notes_withheld_to_protect_others"] == 1 and "vicina" not in data
    assert household["referrals"][0]["consent"] is False and household["referrals"][0]["partner"]


async def test_household_file_reaches_no_feed_export_or_mail(world):
    family_id, _ = await world.book(world.open_single, world.open_meeting)
    await notes.add(world.coordinator, family_id, note_form(world.hub_a), now())
    await referrals.record(world.coordinator, family_id, {
        "hub": str(world.hub_a), "direction": "out", "partner": str(await partner(world)), "referred_on": today(),
        "reason": "child_development", "consent": "yes", "consent_on": today()}, now())
    roster = await exports.roster(world.coordinator, world.open_meeting, "csv", now())
    assert SECRET.encode() not in roster.content and "Municipalità 2".encode() not in roster.content
    for mail in await Outbox.select(Outbox.subject, Outbox.text_body, Outbox.html_body):
        assert SECRET not in json.dumps(mail, ensure_ascii=False)
    feed = await staff_feed(world.coordinator, now())
    assert feed.entries and SECRET not in repr(feed) and "Municipalità 2" not in repr(feed)


# -- a fixed number of queries per list ------------------------------------------------------------


class QueryCounter:
    def __init__(self, monkeypatch) -> None:
        self.count = 0
        engine_class = type(db.engine())
        original = engine_class.run_querystring

        async def counted(engine, *args, **kwargs):
            self.count += 1
            return await original(engine, *args, **kwargs)

        monkeypatch.setattr(engine_class, "run_querystring", counted)


async def test_household_file_lists_cost_a_fixed_number_of_queries(world, monkeypatch):
    family_id, _ = await world.book(world.open_single, world.open_meeting, children=((2016, 5),))
    await notes.add(world.coordinator, family_id, note_form(world.hub_a), now())
    counter = QueryCounter(monkeypatch)

    async def cost(action) -> int:
        before = counter.count
        await action()
        return counter.count - before

    small_file = await cost(lambda: file.open_file(world.coordinator, family_id, now()))
    small_search = await cost(lambda: search.search(world.coordinator, "Rossi"))
    for i in range(4):
        await world.book(world.course, None)
        await notes.add(world.coordinator, family_id, note_form(world.hub_a, f"Nota {i}"), now())
    adult, child = [m.id for m in await families.members(family_id)]
    for activity, member in ((world.course, adult), (world.consent_course, child)):
        await service.book(family_id, await service.find_target(await world.slug(activity), None), [member], now(),
                           LINKS)
    assert await cost(lambda: file.open_file(world.coordinator, family_id, now())) == small_file
    assert await cost(lambda: search.search(world.coordinator, "Rossi")) == small_search


async def test_household_file_demo_households_show_a_real_file(empty_db):
    from portal.demo import loader
    from portal.households import demo

    await loader.load_demo(now())
    admin = await operations_world.staff("admin@example.it", "admin")
    assert await demo.load(now(), LINKS) == 4
    assert await demo.load(now(), LINKS) == 0  # once only
    [esposito] = await search.search(admin, "Esposito")
    opened = await file.open_file(admin, esposito.id, now())
    assert opened.notes and len(opened.referrals) == 2 and opened.key_workers and len(opened.children) == 2
    assert sum(1 for entry in opened.timeline if entry.kind == "booking") == 2
    assert await Booking.count() >= 8
