"""Calendar feeds over HTTP, each read back by icalendar, vobject and Mozilla's ical.js."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from icalendar import Calendar
from markupsafe import escape

from portal import db, i18n
from portal.booking import service
from portal.catalogue.browse import local_day
from portal.i18n import ROME
from portal.links import Links
from portal.tables import Booking, FeedToken, Meeting
from tests import factories
from tests.feeds_parsers.parsers import with_icaljs, with_vobject
from tests.web.signin import csrf, sign_in

pytestmark = pytest.mark.anyio
HOST = "testserver"
FAMILY_FEED = re.compile(r"http://testserver(/calendari/famiglia/[A-Za-z0-9_-]{43}\.ics)")


def now() -> datetime:
    return datetime.now(timezone.utc)


def italian(message: str, html: bool = False, **variables: object) -> str:
    """A message as the Italian pages and feeds show it (whether or not it is translated yet)."""
    i18n.set_language("it")
    text = i18n.gettext(message, **variables)
    return str(escape(text)) if html else text


@pytest.fixture
async def offer(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("centro", "Polo Centro")
    year = now().astimezone(ROME).year + 1
    workshop = await factories.activity(services["gruppi-genitori"], hub, "Laboratorio; per genitori, e altro",
                                        slug="laboratorio", summary="Un laboratorio per genitori.")
    january = await factories.meeting(workshop, factories.rome(year, 1, 15, 17), place="Sala grande")
    july = await factories.meeting(workshop, factories.rome(year, 7, 15, 17), place="Sala grande")
    words = await factories.activity(services["gruppi-di-parola"], hub, "Gruppo di parola per figli di separati",
                                     slug="parola", access="approval", format="course", audience="children")
    words_meetings = [await factories.meeting(words, now() + timedelta(days=day)) for day in (10, 17)]
    neutro = await factories.activity(services["spazio-neutro"], hub, "Spazio Neutro", slug="neutro",
                                      access="referral")
    referral = await factories.meeting(neutro, now() + timedelta(days=5), private=True)
    born = (now() - timedelta(days=8 * 365)).date()
    family, members = await factories.family("anna@example.it", children=((born.year, born.month),))
    return {"workshop": workshop, "january": january, "july": july, "words": words,
            "words_meetings": words_meetings, "neutro": neutro, "referral": referral, "family": family,
            "members": members, "year": year}


def parsed(content: bytes) -> dict[str, dict]:
    """The same feed as each parser reads it: {parser: {uid: event}} plus the calendar's properties."""
    calendar = Calendar.from_ical(content)
    return {
        "icalendar": {"calendar": calendar, "events": {str(e["UID"]): e for e in calendar.walk("VEVENT")}},
        "vobject": (v := with_vobject(content)) | {"events": {e["uid"]: e for e in v["events"]}},
        "icaljs": (j := with_icaljs(content)) | {"events": {e["uid"]: e for e in j["events"]}},
    }


def starts(readings: dict, uid: str) -> dict[str, tuple[str, str, str]]:
    """(local wall time, zone, UTC) of an event's start, per parser."""
    ical = readings["icalendar"]["events"][uid]["DTSTART"]
    vob = readings["vobject"]["events"][uid]
    js = readings["icaljs"]["events"][uid]["start"]
    return {
        "icalendar": (ical.dt.strftime("%H:%M"), ical.params["TZID"],
                      ical.dt.astimezone(timezone.utc).strftime("%H:%M")),
        "vobject": (vob["start"].strftime("%H:%M"), vob["start_tzid"],
                    vob["start"].astimezone(timezone.utc).strftime("%H:%M")),
        "icaljs": (js["local"][11:16], js["zone"], js["utc"][11:16]),
    }


async def test_a_hub_feed_in_three_parsers(client, offer):
    response = await client.get("/calendari/poli/centro.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    readings = parsed(response.content)
    uid = f"meeting-{offer['january']}@{HOST}"
    assert set(readings["icalendar"]["events"]) == {
        f"meeting-{m}@{HOST}" for m in (offer["january"], offer["july"], *offer["words_meetings"])}
    cal = readings["icalendar"]["calendar"]
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == "Polo Centro – Poli per le Famiglie"
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION" and str(cal["X-PUBLISHED-TTL"]) == "PT1H"
    assert [str(zone["TZID"]) for zone in cal.walk("VTIMEZONE")] == ["Europe/Rome"]
    event = readings["icalendar"]["events"][uid]
    for name in ("DTSTAMP", "LAST-MODIFIED", "SEQUENCE", "STATUS", "SUMMARY", "DESCRIPTION", "LOCATION", "GEO",
                 "CATEGORIES", "URL"):
        assert name in event, name
    js = readings["icaljs"]
    assert js["calendar"]["name"] == js["calendar"]["xWrCalname"] == "Polo Centro – Poli per le Famiglie"
    assert js["calendar"]["refreshInterval"] == {"value": "PT1H", "type": "duration"}
    assert js["calendar"]["timezones"] == ["Europe/Rome"]
    vob = readings["vobject"]
    assert vob["x_wr_calname"] == "Polo Centro – Poli per le Famiglie" and vob["timezones"] == ["Europe/Rome"]
    for reader in ("vobject", "icaljs"):
        found = readings[reader]["events"][uid]
        assert found["summary"] == "Laboratorio; per genitori, e altro"
        assert found["status"] == "CONFIRMED" and found["sequence"] == 0
        assert found["location"] == "Sala grande, Polo Centro, Via Roma 1, 80100 Napoli"
        assert "http://testserver/attivita/laboratorio" in found["description"]
        assert found["url"] == "http://testserver/attivita/laboratorio"
        assert found["categories"] == ["Sostegno alla genitorialità"]
        assert found["geo"] == [40.85, 14.26]
        assert found["alarms"] == []  # reminders are for a family's own bookings


async def test_five_in_the_afternoon_in_january_and_in_july_in_every_parser(client, offer):
    readings = parsed((await client.get("/calendari/attivita/laboratorio.ics")).content)
    january = starts(readings, f"meeting-{offer['january']}@{HOST}")
    july = starts(readings, f"meeting-{offer['july']}@{HOST}")
    assert set(january.values()) == {("17:00", "Europe/Rome", "16:00")}, january
    assert set(july.values()) == {("17:00", "Europe/Rome", "15:00")}, july


async def test_every_public_feed_and_bad_input(client, offer):
    for path in ("/calendari/tutto.ics", "/calendari/poli/centro.ics", "/calendari/aree/genitorialita.ics",
                 "/calendari/attivita/laboratorio.ics"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert Calendar.from_ical(response.content).walk("VEVENT"), path
    area = Calendar.from_ical((await client.get("/calendari/aree/separazione.ics")).content)
    assert {str(e["UID"]) for e in area.walk("VEVENT")} == {f"meeting-{m}@{HOST}" for m in offer["words_meetings"]}
    for path in ("/calendari/poli/nessuno.ics", "/calendari/poli/centro", "/calendari/aree/nessuna.ics",
                 "/calendari/attivita/neutro.ics", "/calendari/attivita/" + "x" * 300 + ".ics",
                 "/calendari/poli/%00.ics", "/calendari/famiglia/abc.ics", "/calendari/famiglia/" + "a" * 43 + ".ics",
                 "/calendari/famiglia/" + "é" * 43 + ".ics", "/calendari/qr/poli/nessuno.svg", "/calendari/qr/x.svg",
                 "/calendari/qr/poli/centro.png", "/calendari/staff/" + "a" * 43 + ".ics",
                 "/calendari/qr/poli/%00.svg", "/calendari/attivita/%00.ics", "/calendari/famiglia/%00.ics",
                 "/calendari/prenotazioni/%00.ics"):
        response = await client.get(path)
        assert response.status_code == 404, path


async def test_private_and_referral_meetings_and_personal_data_never_in_public_feeds(client, offer):
    links = Links("http://testserver", client._transport.app.state.settings.secret_key)
    target = await service.find_target("laboratorio", offer["january"])
    booked = await service.book(offer["family"], target, offer["members"][:1], now(), links)
    await factories.meeting(offer["workshop"], now() + timedelta(days=3), private=True)
    content = (await client.get("/calendari/tutto.ics")).content
    uids = {str(e["UID"]) for e in Calendar.from_ical(content).walk("VEVENT")}
    assert uids == {f"meeting-{m}@{HOST}" for m in (offer["january"], offer["july"], *offer["words_meetings"])}
    text = content.decode()
    for personal in ("Anna", "Rossi", "anna@example.it", "Bimbo", "Adulto", booked.code):
        assert personal not in text


async def test_conditional_requests_head_and_gzip(client, offer):
    first = await client.get("/calendari/poli/centro.ics")
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"') and "public" in first.headers["cache-control"]
    again = await client.get("/calendari/poli/centro.ics", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    listed = await client.get("/calendari/poli/centro.ics", headers={"if-none-match": f'"other", {etag}'})
    assert listed.status_code == 304
    since = await client.get("/calendari/poli/centro.ics", headers={"if-modified-since": last_modified})
    assert since.status_code == 304
    other = await client.get("/calendari/poli/centro.ics", headers={"if-none-match": '"other"'})
    assert other.status_code == 200 and other.content == first.content
    head = await client.head("/calendari/poli/centro.ics")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag
    assert head.headers["content-type"].startswith("text/calendar")
    gzipped = await client.get("/calendari/tutto.ics", headers={"accept-encoding": "gzip"})
    assert gzipped.headers["content-encoding"] == "gzip" and "Accept-Encoding" in gzipped.headers["vary"]
    assert Calendar.from_ical(gzipped.content).walk("VEVENT")  # httpx has unzipped it
    english = await client.get("/calendari/poli/centro.ics?lang=en")
    assert english.headers["etag"] != etag and "Parenting support" in english.text


async def move(meeting_id: int, starts_at: datetime) -> None:
    """What the staff area does when a meeting changes time."""
    local_date, weekday = local_day(starts_at)
    await Meeting.update({Meeting.starts_at: starts_at, Meeting.ends_at: starts_at + timedelta(minutes=90),
                          Meeting.local_date: local_date, Meeting.local_weekday: weekday,
                          Meeting.sequence: Meeting.sequence + 1, Meeting.updated_at: now()}
                         ).where(Meeting.id == meeting_id)
    await db.bump_revision()


async def cancel_meeting(meeting_id: int) -> None:
    await Meeting.update({Meeting.status: "cancelled", Meeting.cancelled_at: now(),
                          Meeting.sequence: Meeting.sequence + 1, Meeting.updated_at: now()}
                         ).where(Meeting.id == meeting_id)
    await db.bump_revision()


async def test_a_meeting_moved_then_cancelled(client, offer):
    uid = f"meeting-{offer['january']}@{HOST}"
    first = await client.get("/calendari/attivita/laboratorio.ics")
    await move(offer["january"], factories.rome(offer["year"], 1, 16, 18))
    moved = await client.get("/calendari/attivita/laboratorio.ics", headers={"if-none-match": first.headers["etag"]})
    assert moved.status_code == 200 and moved.headers["etag"] != first.headers["etag"]
    readings = parsed(moved.content)
    assert set(starts(readings, uid).values()) == {("18:00", "Europe/Rome", "17:00")}
    for reader in ("vobject", "icaljs"):
        assert readings[reader]["events"][uid]["sequence"] == 1
        assert readings[reader]["events"][uid]["status"] == "CONFIRMED"
    await cancel_meeting(offer["january"])
    cancelled = await client.get("/calendari/attivita/laboratorio.ics",
                                 headers={"if-none-match": moved.headers["etag"]})
    assert cancelled.status_code == 200
    readings = parsed(cancelled.content)
    for reader in ("vobject", "icaljs"):
        event = readings[reader]["events"][uid]
        assert event["sequence"] == 2 and event["status"] == "CANCELLED"
        assert event["summary"] == italian("Cancelled: %(title)s", title="Laboratorio; per genitori, e altro")
    assert str(readings["icalendar"]["events"][uid]["STATUS"]) == "CANCELLED"


# -- a family's feed ------------------------------------------------------------------------


async def make_family_feed(client) -> str:
    response = await client.post("/famiglia/calendario", data=csrf(client))
    assert response.status_code == 303 and response.headers["location"].startswith("/famiglia")
    page = await client.get("/famiglia")
    found = FAMILY_FEED.search(page.text)
    assert found, page.text[:3000]
    return found.group(1)


async def test_the_family_feed(client, offer):
    await sign_in(client, "anna@example.it")
    adult, child = offer["members"]
    done = await client.post("/attivita/laboratorio/prenota",
                             data={"incontro": str(offer["january"]), "partecipante": str(adult), **csrf(client)})
    assert done.status_code == 303
    asked = await client.post("/attivita/parola/prenota", data={"partecipante": str(child), **csrf(client)})
    assert asked.status_code == 303
    page = await client.get("/famiglia")
    assert "/calendari/famiglia/" not in page.text and 'action="/famiglia/calendario"' in page.text
    path = await make_family_feed(client)
    page = await client.get("/famiglia")
    assert path not in page.text  # shown once: only its hash is kept
    assert italian("No calendar app has checked your address yet.", html=True) in page.text
    assert await FeedToken.count() == 1 and path.split("/")[-1][:-4] not in str(await FeedToken.select())

    client.cookies.clear()  # a calendar app carries no cookies
    response = await client.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["cache-control"] and "set-cookie" not in response.headers
    readings = parsed(response.content)
    family = offer["family"]
    workshop_uid = f"family-{family}-meeting-{offer['january']}@{HOST}"
    words_uids = {f"family-{family}-meeting-{m}@{HOST}" for m in offer["words_meetings"]}
    assert set(readings["icalendar"]["events"]) == {workshop_uid, *words_uids}
    cal = readings["icalendar"]["calendar"]
    assert str(cal["X-WR-CALNAME"]) == italian("%(site)s – your bookings", site="Poli per le Famiglie")
    for reader in ("vobject", "icaljs"):
        events = readings[reader]["events"]
        workshop = events[workshop_uid]
        assert workshop["summary"] == "Laboratorio; per genitori, e altro" and workshop["status"] == "CONFIRMED"
        assert "http://testserver/attivita/laboratorio" in workshop["description"]
        assert workshop["alarms"] and workshop["alarms"][0]["action"] == "DISPLAY"
        for uid in words_uids:  # separation area, pending approval
            assert events[uid]["summary"] == "Appuntamento – Polo per le Famiglie (non ancora confermata)"
            assert events[uid]["status"] == "TENTATIVE" and events[uid]["categories"] == []
            assert "parola" not in events[uid]["description"] + (events[uid]["url"] or "")
    assert readings["icaljs"]["events"][workshop_uid]["alarms"][0]["trigger"] == "-P1D"
    assert set(starts(readings, workshop_uid).values()) == {("17:00", "Europe/Rome", "16:00")}
    text = response.content.decode()
    for personal in ("Anna", "Rossi", "anna@example.it", "Bimbo", "Adulto", "separati"):
        assert personal not in text

    again = await client.get(path, headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304
    await sign_in(client, "anna@example.it")
    page = await client.get("/famiglia")
    assert italian("Last checked by a calendar app: %(when)s.", when="")[:-1] in page.text  # a trusted msgstr


async def test_cancelling_a_booking_shows_in_the_family_feed(client, offer):
    await sign_in(client, "anna@example.it")
    adult = offer["members"][0]
    done = await client.post("/attivita/laboratorio/prenota",
                             data={"incontro": str(offer["july"]), "partecipante": str(adult), **csrf(client)})
    code = done.headers["location"].rsplit("/", 1)[1]
    path = await make_family_feed(client)
    uid = f"family-{offer['family']}-meeting-{offer['july']}@{HOST}"
    before = parsed((await client.get(path)).content)
    await client.post(f"/famiglia/prenotazioni/{code}/annulla", data=csrf(client))
    after = parsed((await client.get(path)).content)
    for reader in ("vobject", "icaljs"):
        assert after[reader]["events"][uid]["status"] == "CANCELLED"
        assert after[reader]["events"][uid]["sequence"] > before[reader]["events"][uid]["sequence"]
        assert after[reader]["events"][uid]["alarms"] == []
    public = Calendar.from_ical((await client.get("/calendari/attivita/laboratorio.ics")).content)
    assert uid not in {str(e["UID"]) for e in public.walk("VEVENT")}


async def test_referral_services_are_in_no_family_feed(client, offer):
    t = now()
    await Booking.insert(Booking(code="REFERRAL", family=offer["family"], activity=offer["neutro"],
                                 meeting=offer["referral"], status="confirmed", seats=1, joined_at=t, created_at=t,
                                 updated_at=t))
    await Meeting.update({Meeting.private_booking: (await Booking.select(Booking.id).first())["id"]}).where(
        Meeting.id == offer["referral"])
    await sign_in(client, "anna@example.it")
    path = await make_family_feed(client)
    response = await client.get(path)
    assert response.status_code == 200 and Calendar.from_ical(response.content).walk("VEVENT") == []
    assert "Neutro" not in response.text


async def test_rotating_and_turning_off_the_family_feed(client, offer):
    await sign_in(client, "anna@example.it")
    old = await make_family_feed(client)
    assert (await client.get(old)).status_code == 200
    new = await make_family_feed(client)
    assert new != old
    assert (await client.get(old)).status_code == 404
    assert (await client.head(old)).status_code == 404
    assert (await client.get(new)).status_code == 200
    forged = await client.post("/famiglia/calendario/disattiva", data={"_csrf_token": "forged"})
    assert forged.status_code == 403 and (await client.get(new)).status_code == 200
    off = await client.post("/famiglia/calendario/disattiva", data=csrf(client))
    assert off.status_code == 303
    assert (await client.get(new)).status_code == 404
    page = await client.get(off.headers["location"])
    assert 'action="/famiglia/calendario"' in page.text and "/calendari/famiglia/" not in page.text


async def test_feed_controls_need_a_signed_in_family(client, offer):
    await client.get("/")
    response = await client.post("/famiglia/calendario", data=csrf(client))
    assert response.status_code == 303 and response.headers["location"].startswith("/accedi")
    assert await FeedToken.count() == 0


# -- subscribing ----------------------------------------------------------------------------


async def test_subscribe_actions_on_activity_and_hub_pages(client, offer):
    page = await client.get("/attivita/laboratorio")
    feed = "testserver/calendari/attivita/laboratorio.ics"
    assert f'href="webcal://{feed}"' in page.text
    assert "https://calendar.google.com/calendar/r?cid=" + quote(f"webcal://{feed}", safe="") in page.text
    assert f'value="http://{feed}"' in page.text
    assert 'src="/calendari/qr/attivita/laboratorio.svg"' in page.text
    qr = await client.get("/calendari/qr/attivita/laboratorio.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.content.startswith(b"<svg") and b"style=" not in qr.content
    hub = await client.get("/poli/centro")
    assert 'href="webcal://testserver/calendari/poli/centro.ics"' in hub.text
    assert (await client.get("/calendari/qr/poli/centro.svg")).status_code == 200
    assert (await client.get("/calendari/qr/tutto.svg")).status_code == 200
    english = await client.get("/attivita/laboratorio?lang=en")
    assert f'href="webcal://{feed}?lang=en"' in english.text and "How to subscribe" in english.text
    referral = await client.get("/attivita/neutro")
    assert "webcal://" not in referral.text
