"""Booking over HTTP: the stepper, the confirmation, My bookings, cancelling, the .ics file, access."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from portal.tables import AccessRequest, Booking, Outbox
from tests import factories
from tests.web.signin import csrf, sign_in

pytestmark = pytest.mark.anyio


@pytest.fixture
async def offer(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    soon = datetime.now(timezone.utc) + timedelta(days=10)
    course = await factories.activity(services["gruppi-bambini-ragazzi"], hub, "Laboratorio <creativo>",
                                      format="course", audience="children", age_min_months=72,
                                      age_max_months=143, capacity=1, slug="laboratorio")
    for week in range(3):
        await factories.meeting(course, soon + timedelta(weeks=week))
    advice = await factories.activity(services["gruppi-genitori"], hub, "Consulenza", audience="adults",
                                      seat_unit="family", capacity=1, slug="consulenza")
    slot = await factories.meeting(advice, soon)
    mediation = await factories.activity(services["mediazione-familiare"], hub, "Mediazione", access="request",
                                         audience="adults", slug="mediazione")
    born = (soon - timedelta(days=8 * 365)).date()
    family, members = await factories.family("anna@example.it", children=((born.year, born.month),))
    other, other_members = await factories.family("bruno@example.it", children=((born.year, born.month),))
    return {"slot": slot, "family": family, "members": members, "other": other, "other_members": other_members,
            "mediation": mediation}


async def test_booking_asks_to_sign_in_first(client, offer):
    response = await client.get("/attivita/laboratorio/prenota")
    assert response.status_code == 303
    assert response.headers["location"] == "/accedi?next=/attivita/laboratorio/prenota"


async def test_book_a_course_through_the_steps(client, offer):
    await sign_in(client, "anna@example.it")
    step = await client.get("/attivita/laboratorio/prenota")
    assert step.status_code == 200 and 'name="partecipante"' in step.text
    child = offer["members"][1]
    summary = await client.get(f"/attivita/laboratorio/prenota/riepilogo?partecipante={child}")
    assert summary.status_code == 200 and "Laboratorio &lt;creativo&gt;" in summary.text
    done = await client.post("/attivita/laboratorio/prenota", data={"partecipante": str(child), **csrf(client)})
    assert done.status_code == 303
    detail = await client.get(done.headers["location"])
    code = done.headers["location"].rsplit("/", 1)[1]
    assert detail.status_code == 200 and code in detail.text and "/calendari/prenotazioni/" in detail.text
    again = await client.post("/attivita/laboratorio/prenota", data={"partecipante": str(child), **csrf(client)})
    assert again.headers["location"] == done.headers["location"]  # a repeated submit returns the booking
    assert await Booking.count() == 1
    listing = await client.get("/famiglia/prenotazioni")
    assert code in listing.text


async def test_an_adult_cannot_take_a_childrens_place(client, offer):
    await sign_in(client, "anna@example.it")
    adult = offer["members"][0]
    response = await client.get(f"/attivita/laboratorio/prenota/riepilogo?partecipante={adult}")
    assert response.status_code == 422 and 'role="alert"' in response.text
    assert await Booking.count() == 0


async def test_another_familys_member_or_booking_is_not_found(client, offer):
    await sign_in(client, "anna@example.it")
    foreign = offer["other_members"][1]
    response = await client.post("/attivita/laboratorio/prenota", data={"partecipante": str(foreign), **csrf(client)})
    assert response.status_code == 404 and await Booking.count() == 0
    from portal.booking import service
    from portal.links import Links
    target = await service.find_target("laboratorio", None)
    theirs = await service.book(offer["other"], target, [foreign], datetime.now(timezone.utc),
                                Links("http://testserver", "x" * 40))
    assert (await client.get(f"/famiglia/prenotazioni/{theirs.code}")).status_code == 404
    assert (await client.get(f"/calendari/prenotazioni/{theirs.code}.ics")).status_code == 404
    cancel = await client.post(f"/famiglia/prenotazioni/{theirs.code}/annulla", data=csrf(client))
    assert cancel.status_code == 404
    assert (await Booking.select(Booking.status).where(Booking.code == theirs.code).first())["status"] == "confirmed"


async def test_forms_reject_a_missing_or_wrong_csrf_token(client, offer):
    await sign_in(client, "anna@example.it")
    child = offer["members"][1]
    for data in ({"partecipante": str(child)}, {"partecipante": str(child), "_csrf_token": "forged"}):
        response = await client.post("/attivita/laboratorio/prenota", data=data)
        assert response.status_code == 403
    assert await Booking.count() == 0


async def test_choose_a_slot_then_cancel_and_get_the_ics(client, offer):
    await sign_in(client, "anna@example.it")
    slots = await client.get("/attivita/consulenza/prenota")
    assert f"?incontro={offer['slot']}" in slots.text
    adult = offer["members"][0]
    done = await client.post("/attivita/consulenza/prenota",
                             data={"incontro": str(offer["slot"]), "partecipante": str(adult), **csrf(client)})
    code = done.headers["location"].rsplit("/", 1)[1]
    ics = await client.get(f"/calendari/prenotazioni/{code}.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(ics.content).walk("VEVENT")
    assert len(events) == 1 and str(events[0]["SUMMARY"]) == "Consulenza"
    assert events[0].walk("VALARM")
    cancelled = await client.post(f"/famiglia/prenotazioni/{code}/annulla", data=csrf(client))
    assert cancelled.status_code == 303
    assert (await Booking.select(Booking.status).where(Booking.code == code).first())["status"] == "cancelled"


async def test_one_click_cancel_link_needs_a_confirmation_and_no_sign_in(client, offer):
    from portal.booking import service
    from portal.links import Links
    links = Links("http://testserver", client._transport.app.state.settings.secret_key)
    target = await service.find_target("laboratorio", None)
    booking = await service.book(offer["family"], target, offer["members"][1:], datetime.now(timezone.utc), links)
    url = links.cancel_booking(booking.code).removeprefix("http://testserver")
    page = await client.get(url)
    assert page.status_code == 200
    assert (await Booking.select(Booking.status).where(Booking.code == booking.code).first())["status"] == "confirmed"
    forged = await client.get(url[:-4] + "0000")
    assert forged.status_code == 404
    await client.get("/")
    done = await client.post(url, data=csrf(client))
    assert done.status_code == 200
    assert (await Booking.select(Booking.status).where(Booking.code == booking.code).first())["status"] == "cancelled"


async def test_access_request_with_a_short_note(client, offer):
    await sign_in(client, "anna@example.it")
    form = await client.get("/attivita/mediazione/richiesta")
    assert form.status_code == 200 and 'maxlength="200"' in form.text
    too_long = await client.post("/attivita/mediazione/richiesta",
                                 data={"contact_by": "phone", "note": "x" * 201, **csrf(client)})
    assert too_long.status_code == 422 and await AccessRequest.count() == 0
    sent = await client.post("/attivita/mediazione/richiesta",
                             data={"contact_by": "phone", "preferred_times": "mattina", **csrf(client)})
    assert sent.status_code == 303 and await AccessRequest.count() == 1
    assert await Outbox.count().where(Outbox.to_address == "anna@example.it") >= 2  # code + request received


async def test_deleting_the_account_cancels_and_signs_out(client, offer):
    await sign_in(client, "anna@example.it")
    child = offer["members"][1]
    await client.post("/attivita/laboratorio/prenota", data={"partecipante": str(child), **csrf(client)})
    family_page = await client.get("/famiglia")
    assert "Laboratorio &lt;creativo&gt;" in family_page.text
    assert (await client.get("/famiglia/elimina")).status_code == 200
    done = await client.post("/famiglia/elimina", data=csrf(client))
    assert done.status_code == 303
    assert (await Booking.select(Booking.status).first())["status"] == "cancelled"
    assert (await client.get("/famiglia")).status_code in (302, 303)
