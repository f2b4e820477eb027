"""The family's profile, household, e-mail change and data export against the real database."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from portal.db import NotFound
from portal.families import accounts as families
from portal.identity import codes as identity
from portal.tables import AccessRequest, Booking, BookingEvent, BookingParticipant, Family, Member, Outbox
from tests import factories

pytestmark = pytest.mark.anyio

NOW = datetime(2031, 3, 3, 8, 0, tzinfo=timezone.utc)  # March 2031 in Rome
SECRET = "test-secret-key-test-secret-key-0123456789"
PROFILE = {"name": "Anna", "surname": "Rossi", "phone": "+39 081 123 4567", "district": "Municipalità 2",
           "language": "en", "privacy": "1"}


async def family(email: str = "anna@example.it", **columns) -> int:
    values = {"email": email, "name": "", "surname": "", "phone": "", "district": "", "language": "it",
              "created_at": NOW}
    values.update(columns)
    rows = await Family.insert(Family(**values)).returning(Family.id)
    return rows[0]["id"]


async def snapshot() -> tuple[list, list]:
    return await Family.select().order_by(Family.id), await Member.select().order_by(Member.id)


# -- profile -------------------------------------------------------------------------------


async def test_first_profile_needs_name_surname_and_the_privacy_acknowledgement(empty_db):
    family_id = await family()
    assert not (await families.profile(family_id)).complete
    before = await snapshot()
    with pytest.raises(families.FormErrors) as refused:
        await families.update_profile(family_id, {"name": " ", "surname": "", "language": "it"}, NOW)
    assert set(refused.value.by_field) == {"name", "surname", "privacy"}
    assert refused.value.status_code == 422
    assert await snapshot() == before
    profile = await families.update_profile(family_id, PROFILE, NOW)
    assert profile.complete and profile.privacy_acknowledged_at == NOW
    assert (profile.name, profile.surname, profile.phone, profile.language) == ("Anna", "Rossi", "+39 081 123 4567",
                                                                                 "en")
    later = await families.update_profile(family_id, {"name": "Anna  Maria", "surname": "Rossi"},
                                          NOW + timedelta(days=1))
    assert later.name == "Anna Maria" and later.privacy_acknowledged_at == NOW and later.language == "it"
    assert later.phone == "" and later.district == ""


@pytest.mark.parametrize("field, value", [
    ("name", "x" * 101), ("surname", "12345"), ("name", "An\x00na"), ("phone", "abc"), ("phone", "12"),
    ("phone", "+39 " + "1" * 20), ("district", "d" * 121), ("language", "de"),
])
async def test_bad_profile_values_are_explained_by_their_field(empty_db, field, value):
    family_id = await family(name="Anna", surname="Rossi", privacy_acknowledged_at=NOW)
    before = await snapshot()
    with pytest.raises(families.FormErrors) as refused:
        await families.update_profile(family_id, {**PROFILE, field: value}, NOW)
    assert list(refused.value.by_field) == [field]
    assert await snapshot() == before


async def test_acknowledge_privacy_keeps_the_first_moment(empty_db):
    family_id = await family()
    await families.acknowledge_privacy(family_id, NOW)
    await families.acknowledge_privacy(family_id, NOW + timedelta(days=3))
    assert (await families.profile(family_id)).privacy_acknowledged_at == NOW


async def test_districts_are_the_hubs(empty_db):
    await factories.hub("a", "Polo A", district="Municipalità 5")
    await factories.hub("b", "Polo B", district="Municipalità 1")
    await factories.hub("c", "Polo C", district="Municipalità 5")
    assert await families.districts() == ["Municipalità 1", "Municipalità 5"]


async def test_an_erased_family_has_no_profile(empty_db):
    family_id = await family(email=None, erased_at=NOW)
    with pytest.raises(NotFound):
        await families.profile(family_id)


# -- household -----------------------------------------------------------------------------


async def test_members_are_added_edited_and_removed(empty_db):
    family_id = await family()
    child = await families.add_member(family_id, {"kind": "child", "first_name": " Luca ", "birth_month": "3",
                                                  "birth_year": "2031"}, NOW)
    adult = await families.add_member(family_id, {"kind": "adult", "first_name": "Marco", "birth_month": "5",
                                                  "birth_year": "1990"}, NOW)
    assert await families.members(family_id) == [
        families.HouseholdMember(adult, "adult", "Marco", None, None),
        families.HouseholdMember(child, "child", "Luca", 2031, 3),
    ]
    await families.update_member(family_id, child, {"kind": "child", "first_name": "Luca Maria",
                                                    "birth_month": "12", "birth_year": "2020"}, NOW)
    assert await families.member(family_id, child) == families.HouseholdMember(child, "child", "Luca Maria",
                                                                                 2020, 12)
    await families.update_member(family_id, child, {"kind": "adult", "first_name": "Luca"}, NOW)
    assert (await families.member(family_id, child)).birth_year is None
    await families.remove_member(family_id, adult)
    assert [member.id for member in await families.members(family_id)] == [child]


@pytest.mark.parametrize("values, fields", [
    ({"kind": "pet", "first_name": "Fido"}, {"kind"}),
    ({"kind": "adult", "first_name": ""}, {"first_name"}),
    ({"kind": "adult", "first_name": "x" * 61}, {"first_name"}),
    ({"kind": "child", "first_name": "Luca"}, {"birth_month", "birth_year"}),
    ({"kind": "child", "first_name": "Luca", "birth_month": "13", "birth_year": "2020"}, {"birth_month"}),
    ({"kind": "child", "first_name": "Luca", "birth_month": "0", "birth_year": "2020"}, {"birth_month"}),
    ({"kind": "child", "first_name": "Luca", "birth_month": "4", "birth_year": "2031"}, {"birth_month"}),
    ({"kind": "child", "first_name": "Luca", "birth_month": "1", "birth_year": "2032"}, {"birth_year"}),
    ({"kind": "child", "first_name": "Luca", "birth_month": "1", "birth_year": "2005"}, {"birth_year"}),
    ({"kind": "child", "first_name": "Luca", "birth_month": "1", "birth_year": "20x0"}, {"birth_year"}),
    ({"kind": "child", "first_name": "Luca", "birth_month": "1", "birth_year": "٢٠٢٠"}, {"birth_year"}),
])
async def test_bad_members_are_explained_by_their_field(empty_db, values, fields):
    family_id = await family()
    with pytest.raises(families.FormErrors) as refused:
        await families.add_member(family_id, values, NOW)
    assert set(refused.value.by_field) == fields
    assert await Member.count() == 0


async def test_children_up_to_25_years_back(empty_db):
    family_id = await family()
    await families.add_member(family_id, {"kind": "child", "first_name": "Sara", "birth_month": "1",
                                          "birth_year": "2006"}, NOW)
    assert await Member.count() == 1


async def test_a_household_has_at_most_twenty_members(empty_db):
    family_id = await family()
    for number in range(families.MAX_MEMBERS):
        await families.add_member(family_id, {"kind": "adult", "first_name": f"Persona {number}"}, NOW)
    with pytest.raises(families.FormErrors):
        await families.add_member(family_id, {"kind": "adult", "first_name": "Una di troppo"}, NOW)
    assert await Member.count() == families.MAX_MEMBERS


async def test_another_familys_member_looks_missing(empty_db):
    mine, theirs = await family("anna@example.it"), await family("bruno@example.it")
    their_child = await families.add_member(theirs, {"kind": "child", "first_name": "Leo", "birth_month": "2",
                                                     "birth_year": "2024"}, NOW)
    before = await snapshot()
    with pytest.raises(NotFound):
        await families.member(mine, their_child)
    with pytest.raises(NotFound):
        await families.update_member(mine, their_child, {"kind": "adult", "first_name": "Mio"}, NOW)
    with pytest.raises(NotFound):
        await families.remove_member(mine, their_child)
    with pytest.raises(NotFound):
        await families.remove_member(mine, 999_999)
    assert await families.members(mine) == []
    assert await snapshot() == before


@pytest.fixture
async def activity(empty_db) -> int:
    services = await factories.taxonomy()
    hub = await factories.hub("centro", "Polo <Centro>")
    return await factories.activity(services["gruppi-genitori"], hub, "Massaggio <b>neonatale</b>")


async def _booking(family_id: int, member_id: int, activity: int, status: str = "confirmed") -> int:
    rows = await Booking.insert(Booking(
        code=f"B{family_id}X{member_id}", family=family_id, activity=activity, status=status, seats=1,
        joined_at=NOW, created_at=NOW, updated_at=NOW,
    )).returning(Booking.id)
    await BookingParticipant.insert(BookingParticipant(booking=rows[0]["id"], member=member_id))
    await BookingEvent.insert(BookingEvent(booking=rows[0]["id"], from_status=None, to_status=status,
                                           actor=f"family:{family_id}", note="", at=NOW))
    return rows[0]["id"]


async def test_a_member_in_a_live_booking_cannot_be_removed(activity):
    family_id = await family()
    child = await families.add_member(family_id, {"kind": "child", "first_name": "Leo", "birth_month": "2",
                                                  "birth_year": "2024"}, NOW)
    booking_id = await _booking(family_id, child, activity, "waitlisted")
    with pytest.raises(families.FormErrors) as refused:
        await families.remove_member(family_id, child)
    assert refused.value.status_code == 409 and "member" in refused.value.by_field
    await Booking.update({Booking.status: "cancelled"}).where(Booking.id == booking_id)
    await families.remove_member(family_id, child)
    assert await Member.count() == 0


# -- e-mail address ------------------------------------------------------------------------


async def _mailed_code(email: str) -> tuple[str, str]:
    row = await Outbox.select(Outbox.text_body).where(Outbox.to_address == email).order_by(
        Outbox.id, ascending=False).first()
    code = re.search(r"\b(\d{6})\b", row["text_body"]).group(1)
    token = re.search(r"/famiglia/email/link/([A-Za-z0-9_-]+)", row["text_body"]).group(1)
    return code, token


async def _ask_change(family_id: int, email: str) -> str:
    return await families.request_email_change(family_id, email, "it", "10.0.0.1", NOW,
                                               base_url="http://testserver", secret_key=SECRET)


async def test_the_e_mail_changes_once_the_new_address_is_proved(empty_db):
    family_id = await family()
    assert await _ask_change(family_id, " Anna.Nuova@Example.it") == "anna.nuova@example.it"
    code, _ = await _mailed_code("anna.nuova@example.it")
    assert await Outbox.count().where(Outbox.to_address == "anna@example.it") == 0
    with pytest.raises(identity.CodeRejected):  # a change-e-mail code does not sign in
        await identity.verify_code("anna.nuova@example.it", code, NOW, secret_key=SECRET)
    assert (await families.profile(family_id)).email == "anna@example.it"
    await families.change_email(family_id, "anna.nuova@example.it", code, NOW, secret_key=SECRET)
    assert (await families.profile(family_id)).email == "anna.nuova@example.it"


async def test_another_familys_code_cannot_change_my_address(empty_db):
    mine, theirs = await family("anna@example.it"), await family("bruno@example.it")
    await _ask_change(theirs, "nuovo@example.it")
    code, _ = await _mailed_code("nuovo@example.it")
    with pytest.raises(identity.CodeRejected):
        await families.change_email(mine, "nuovo@example.it", code, NOW, secret_key=SECRET)
    assert (await families.profile(mine)).email == "anna@example.it"


async def test_the_change_link_works_without_a_session(empty_db):
    family_id = await family()
    await _ask_change(family_id, "nuovo@example.it")
    _, token = await _mailed_code("nuovo@example.it")
    assert await identity.link_is_valid(token, NOW, secret_key=SECRET, purpose="change_email")
    assert await families.change_email_by_link(token, NOW, secret_key=SECRET) == family_id
    assert (await families.profile(family_id)).email == "nuovo@example.it"
    with pytest.raises(identity.CodeRejected):
        await families.change_email_by_link(token, NOW, secret_key=SECRET)


async def test_an_address_in_use_is_refused_only_after_it_is_proved(empty_db):
    mine = await family("anna@example.it")
    await family("bruno@example.it")
    assert await _ask_change(mine, "bruno@example.it") == "bruno@example.it"  # same answer as any address
    code, _ = await _mailed_code("bruno@example.it")
    with pytest.raises(families.EmailInUse) as refused:
        await families.change_email(mine, "bruno@example.it", code, NOW, secret_key=SECRET)
    assert refused.value.status_code == 409
    assert (await families.profile(mine)).email == "anna@example.it"


async def test_the_same_or_a_bad_address_is_refused_at_once(empty_db):
    family_id = await family()
    with pytest.raises(families.FormErrors):
        await _ask_change(family_id, "ANNA@example.it")
    with pytest.raises(identity.InvalidEmail):
        await _ask_change(family_id, "not an address")
    assert await Outbox.count() == 0


# -- data ----------------------------------------------------------------------------------


async def test_export_holds_everything_about_the_family_and_nothing_else(activity):
    family_id = await family(name="Anna", surname="Rossi", privacy_acknowledged_at=NOW)
    other = await family("bruno@example.it", name="Bruno", surname="Bianchi")
    child = await families.add_member(family_id, {"kind": "child", "first_name": "Leo", "birth_month": "2",
                                                  "birth_year": "2024"}, NOW)
    other_child = await families.add_member(other, {"kind": "child", "first_name": "Ugo", "birth_month": "2",
                                                    "birth_year": "2024"}, NOW)
    await _booking(family_id, child, activity)
    await _booking(other, other_child, activity)
    await AccessRequest.insert(AccessRequest(
        code="R1", family=family_id, activity=activity, contact_by="phone", preferred_times="mattina",
        note="Nota breve", created_at=NOW, updated_at=NOW))
    data = await families.export(family_id, NOW)
    text = json.dumps(data)  # plain JSON
    assert data["exported_at"] == NOW.isoformat()
    assert data["family"]["email"] == "anna@example.it" and data["family"]["name"] == "Anna"
    assert data["family"]["privacy_acknowledged_at"] == NOW.isoformat()
    assert [member["first_name"] for member in data["members"]] == ["Leo"]
    [booking] = data["bookings"]
    assert booking["activity_title"] == "Massaggio <b>neonatale</b>" and booking["status"] == "confirmed"
    assert booking["participants"] == [child]
    assert booking["history"][0]["to_status"] == "confirmed"
    [request] = data["access_requests"]
    assert request["note"] == "Nota breve" and request["preferred_times"] == "mattina"
    assert "Bruno" not in text and "Ugo" not in text and "bruno@example.it" not in text
