"""Exports (CSV for Italian Excel, XLSX), messages through the outbox, and the participation report."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from portal import audit
from portal.db import NotFound
from portal.form_fields import FormErrors
from portal.i18n import ROME
from portal.identity.staff_access import Forbidden
from portal.operations import exports, messages, reports, rosters, sheets
from portal.tables import Family, Outbox
from tests import operations_world
from tests.operations_world import LINKS, now

pytestmark = pytest.mark.anyio


@pytest.fixture
async def world(empty_db):
    return await operations_world.build()


async def public_typed_family(world) -> int:
    family_id, _ = await world.book(world.open_single, world.open_meeting, adults=1)
    await Family.update({Family.surname: "=cmd|' /C calc'!A0", Family.name: "@SUM(1)", Family.phone: "+39 081 123 4567"}
                        ).where(Family.id == family_id)
    return family_id


def test_csv_cells_are_neutralised_but_phone_numbers_stay():
    assert sheets.safe_text("=cmd") == "'=cmd" and sheets.safe_text("-2+3") == "'-2+3"
    assert sheets.safe_text("@SUM(1)") == "'@SUM(1)" and sheets.safe_text("\tx") == "'\tx"
    assert sheets.safe_text("+39 081 123 4567", phone=True) == "+39 081 123 4567"
    assert sheets.safe_text("+1+cmd", phone=True) == "'+1+cmd"  # not a phone number: neutralised
    assert sheets.safe_text("Àngela") == "Àngela"


async def test_roster_csv_for_italian_excel(world):
    await public_typed_family(world)
    download = await exports.roster(world.coordinator, world.open_meeting, "csv", now())
    data = download.content
    assert data.startswith(b"\xef\xbb\xbf") and not data[3:].lower().startswith(b"sep=")
    text = data[3:].decode("utf-8")
    lines = text.split("\r\n")
    assert lines[-1] == "" and all("\n" not in line for line in lines)  # CRLF only
    assert lines[0].count(";") == 10
    start = (await rosters.meeting_roster(world.coordinator, world.open_meeting)).meeting["starts_at"]
    assert start.astimezone(ROME).strftime("%d/%m/%Y") in lines[1]
    assert "'=cmd|' /C calc'!A0" in text and ";=cmd" not in text
    assert "'@SUM(1)" in text and ";+39 081 123 4567;" in text
    assert download.filename.startswith("elenco_centro_") and download.filename.endswith(".csv")
    [entry] = await audit.entries()
    assert entry["action"] == "export.roster" and entry["actor"] == world.coordinator.actor
    assert entry["details"]["format"] == "csv" and entry["details"]["rows"] == 1


async def test_roster_xlsx_stores_formula_like_text_as_strings(world):
    await public_typed_family(world)
    download = await exports.roster(world.admin, world.open_meeting, "xlsx", now())
    sheet = load_workbook(io.BytesIO(download.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=False))
    surname = next(c for c in rows[0] if c.value == "=cmd|' /C calc'!A0")
    assert surname.data_type == "s" and surname.quotePrefix
    phone = next(c for c in rows[0] if c.value == "+39 081 123 4567")
    assert phone.data_type == "s"
    assert rows[0][0].is_date and rows[0][0].number_format == "DD/MM/YYYY"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)


async def test_attendance_export_has_no_contacts(world):
    await public_typed_family(world)
    await world.book(world.course, None)
    download = await exports.attendance(world.coordinator, world.course, None, "csv", now())
    text = download.content.decode("utf-8-sig")
    assert "@example.it" not in text and "+39" not in text
    assert len(text.split("\r\n")) == 1 + 3 + 1  # header, one participant × three meetings, the end
    single = await exports.attendance(world.coordinator, None, world.open_meeting, "xlsx", now())
    assert single.media_type == sheets.XLSX_TYPE


async def test_exports_are_forbidden_to_operators_and_hidden_from_other_hubs(world):
    with pytest.raises(Forbidden):
        await exports.roster(world.operator, world.open_meeting, "csv", now())
    with pytest.raises(NotFound):
        await exports.roster(world.other_coordinator, world.open_meeting, "csv", now())
    with pytest.raises(NotFound):
        await exports.roster(world.admin, world.open_meeting, "pdf", now())
    assert await audit.entries() == []


async def test_messages_reach_every_booked_family_through_the_outbox(world):
    await world.book(world.open_single, world.open_meeting, adults=1, language="en")
    await world.book(world.open_single, world.open_meeting, adults=1)
    await world.book(world.open_single, world.open_meeting, adults=1)  # full: waiting
    before = await Outbox.count()
    with pytest.raises(FormErrors):
        await messages.send(world.coordinator, None, world.open_meeting, {"subject": "", "body": ""}, now(), LINKS)
    assert await Outbox.count() == before
    sent = await messages.send(world.coordinator, None, world.open_meeting,
                               {"subject": "Cambio sala", "body": "Ci vediamo in sala piccola."}, now(), LINKS)
    assert sent == 2 and await Outbox.count() == before + 2
    mail = await Outbox.select().order_by(Outbox.id, ascending=False).first()
    assert mail["subject"] == "Cambio sala" and "sala piccola" in mail["text_body"]
    with pytest.raises(Forbidden):
        await messages.send(world.operator, None, world.open_meeting, {"subject": "x", "body": "y"}, now(), LINKS)


async def test_messages_for_the_separation_area_have_a_neutral_subject(world):
    await world.book(world.consent_course, None, adults=0, children=((2016, 5),))
    await messages.send(world.coordinator, world.consent_course, None,
                        {"subject": "Gruppo di parola: separazione", "body": "A lunedì."}, now(), LINKS)
    mail = await Outbox.select().order_by(Outbox.id, ascending=False).first()
    assert "separazione" not in mail["subject"].lower() and "parola" not in mail["subject"].lower()


async def test_participation_report_and_the_funders_variant(world):
    await world.book(world.open_single, world.open_meeting, adults=2)
    await world.book(world.open_single, world.open_meeting, adults=1)  # waits
    roster = await rosters.meeting_roster(world.coordinator, world.open_meeting)
    first, second = roster.bookings[0].participants
    await rosters.mark_attendance(world.coordinator, world.open_meeting, first.id, True, now())
    await rosters.mark_attendance(world.coordinator, world.open_meeting, second.id, False, now())
    today = now().astimezone(ROME).date()
    period = reports.parse_period({"dal": today.isoformat(), "al": (today + timedelta(days=30)).isoformat(),
                                   "polo": str(world.hub_a)}, now())
    report = await reports.participation(world.coordinator, period)
    line = next(line for line in report.lines if line.activity == "Festa delle famiglie")
    assert (line.meetings, line.offered, line.taken, line.waiting, line.rate) == (1, 2, 2, 1, 50.0)
    assert report.lines[-1].activity == ""  # the hub's total closes the hub
    funders = await reports.participation(world.coordinator, reports.Period(world.hub_a, period.date_from,
                                                                            period.date_to, True))
    assert funders.people(2) == "<5" and funders.people(12) == 12 and funders.rate(line) == "–"
    csv_text = sheets.to_csv(reports.sheet(funders)).decode("utf-8-sig")
    assert "<5" in csv_text
    with pytest.raises(Forbidden):
        await reports.participation(world.operator, period)
    with pytest.raises(NotFound):
        await reports.participation(world.other_coordinator, period)
    with pytest.raises(FormErrors):
        reports.parse_period({"dal": "2030-02-10", "al": "2030-01-01"}, now())
