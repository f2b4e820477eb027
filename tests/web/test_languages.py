"""Every language: a page, a mail and a feed title come from that language's catalogue, with its script's
direction, its dates and its plural rule; activity texts staff translated replace the Italian ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from portal import i18n
from portal.booking import notices
from portal.mail import messages as mail
from portal.tables import ActivityTranslation, AuditEntry
from tests import factories
from tests.service.test_mail import BOOKING
from tests.web.staff_signin import staff_member, staff_sign_in

pytestmark = pytest.mark.anyio


def in_language(language: str, message: str, **variables) -> str:
    previous = i18n.current_language()
    i18n.set_language(language)
    try:
        return i18n.gettext(message, **variables)
    finally:
        i18n.set_language(previous)


@pytest.fixture
async def appointments(empty_db):
    services = await factories.taxonomy()
    hub = await factories.hub("vomero", "Polo Vomero")
    activity = await factories.activity(services["mediazione-familiare"], hub, "Colloquio con la pedagogista",
                                        slug="colloquio", capacity=1, seat_unit="family", audience="adults",
                                        summary="Un colloquio individuale.")
    await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(days=2), minutes=45)
    return {"hub": hub, "activity": activity}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
async def test_a_page_in_every_language(client, appointments, language):
    page = await client.get(f"/attivita/colloquio?lang={language}")
    assert page.status_code == 200
    assert f'<html lang="{i18n.html_language(language)}" dir="{i18n.text_direction(language)}">' in page.text
    assert page.headers["content-language"] == i18n.html_language(language)
    choose = in_language(language, "Choose a day")
    assert choose in page.text and (language == "en" or choose != "Choose a day")
    for name in i18n.LANGUAGE_NAMES.values():  # the switcher names each language in itself
        assert name in page.text


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_a_mail_in_every_language(language):
    message = mail.booking_mail("confirmed", language, replace(BOOKING, status="confirmed"), None)
    assert f'<html lang="{i18n.html_language(language)}" dir="{i18n.text_direction(language)}">' in message.html
    assert message.subject == in_language(language, "Booking confirmed: %(activity)s", activity="Massaggio infantile")
    i18n.set_language(language)
    try:
        when = i18n.format_datetime(BOOKING.starts_at, i18n.DAY_YEAR_TIME)
    finally:
        i18n.set_language("it")
    assert when in message.text and when in message.html
    assert '<dd dir="ltr">K7P2QX</dd>' in message.html


@pytest.mark.parametrize("language", i18n.LANGUAGES)
async def test_a_feed_title_in_every_language(client, appointments, language):
    feed = Calendar.from_ical((await client.get(f"/calendari/tutto.ics?lang={language}")).content)
    site = in_language(language, "Poli per le Famiglie")
    assert str(feed["X-WR-CALNAME"]) == in_language(language, "%(site)s – all activities", site=site)


async def test_a_translated_activity_is_read_in_that_language(client, appointments):
    await ActivityTranslation.insert(ActivityTranslation(
        activity=appointments["activity"], language="uk", title="Консультація педагога", summary="Особиста зустріч.",
        description="", updated_at=datetime.now(timezone.utc)))
    ukrainian = (await client.get("/attivita/colloquio?lang=uk")).text
    assert '<h1 data-element="page-name">Консультація педагога</h1>' in ukrainian
    assert "Особиста зустріч." in ukrainian
    assert '<p lang="it">Descrizione.</p>' in ukrainian  # the description was left in Italian, and said so
    assert in_language("uk", "Part of this page is in Italian: the hub has not translated it yet.") in ukrainian

    arabic = (await client.get("/attivita/colloquio?lang=ar")).text
    assert '<h1 data-element="page-name" lang="it" dir="ltr">Colloquio con la pedagogista</h1>' in arabic
    assert "italian-note" in arabic
    italian = (await client.get("/attivita/colloquio?lang=it")).text
    assert "Colloquio con la pedagogista" in italian and "italian-note" not in italian


async def test_cards_and_mails_carry_the_translated_title(client, appointments):
    await ActivityTranslation.insert(ActivityTranslation(
        activity=appointments["activity"], language="uk", title="Консультація педагога", summary="",
        description="", updated_at=datetime.now(timezone.utc)))
    ukrainian = (await client.get("/?lang=uk")).text
    assert '<a href="/attivita/colloquio">Консультація педагога</a>' in ukrainian
    arabic = (await client.get("/?lang=ar")).text  # not translated: the Italian title, marked as such
    assert '<a href="/attivita/colloquio" lang="it" dir="ltr">Colloquio con la pedagogista</a>' in arabic
    olena, _ = await factories.family(email="olena@example.it", language="uk")
    marco, _ = await factories.family(email="marco@example.it", language="it")
    assert (await notices.context_for(olena, appointments["activity"], None)).title == "Консультація педагога"
    assert (await notices.context_for(marco, appointments["activity"], None)).title == "Colloquio con la pedagogista"


async def test_staff_write_a_translation_and_it_is_audited(client, appointments):
    await staff_member("coordinatrice@example.it", "coordinator", hub_ids=(appointments["hub"],))
    await staff_sign_in(client, "coordinatrice@example.it")
    activity = appointments["activity"]
    form = await client.get(f"/staff/attivita/{activity}/traduzioni/ro")
    assert form.status_code == 200 and 'lang="ro" dir="ltr"' in form.text
    token = client.cookies["csrftoken"]

    missing_title = await client.post(f"/staff/attivita/{activity}/traduzioni/ro",
                                      data={"_csrf_token": token, "title": "", "summary": "O discuție."})
    assert missing_title.status_code == 422 and not await ActivityTranslation.count()

    saved = await client.post(f"/staff/attivita/{activity}/traduzioni/ro", data={
        "_csrf_token": token, "title": "Discuție cu pedagogul", "summary": "O discuție individuală.",
        "description": "Pentru părinți."})
    assert saved.status_code == 303
    page = (await client.get("/attivita/colloquio?lang=ro")).text
    assert "Discuție cu pedagogul" in page and "italian-note" not in page
    assert await AuditEntry.exists().where(AuditEntry.action == "activity.translation.save")

    removed = await client.post(f"/staff/attivita/{activity}/traduzioni/ro", data={"_csrf_token": token,
                                                                                  "title": "", "summary": ""})
    assert removed.status_code == 303 and not await ActivityTranslation.count()
    assert (await client.get(f"/staff/attivita/{activity}/traduzioni/it")).status_code == 404
    assert (await client.get(f"/staff/attivita/{activity}/traduzioni/xx")).status_code == 404


async def test_staff_of_another_hub_cannot_translate(client, appointments):
    other_hub = await factories.hub("centro", "Polo Centro")
    await staff_member("altro@example.it", "coordinator", hub_ids=(other_hub,))
    await staff_sign_in(client, "altro@example.it")
    activity = appointments["activity"]
    assert (await client.get(f"/staff/attivita/{activity}/traduzioni/uk")).status_code == 404
    response = await client.post(f"/staff/attivita/{activity}/traduzioni/uk", data={
        "_csrf_token": client.cookies["csrftoken"], "title": "Заголовок"})
    assert response.status_code == 404 and not await ActivityTranslation.count()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
async def test_privacy_notice_in_every_language_or_in_english(client, migrated, language):
    page = await client.get(f"/privacy?lang={language}")
    assert page.status_code == 200
    shown = language if language in ("it", "en") else "en"
    assert f'<div lang="{shown}"' in page.text
    note = in_language(language, "This text is not available in your language yet: here it is in English.")
    assert (note in page.text) == (language not in ("it", "en"))
