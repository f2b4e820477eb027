"""What each mail says, in plain text and HTML, in the family's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from portal import i18n
from portal.mail import messages as mail
from portal.mail.messages import BookingMail, RequestMail

KINDS = ("confirmed", "waitlisted", "promoted", "pending", "cancelled", "reminder")
LINK_KINDS = ("confirmed", "waitlisted", "promoted", "pending", "reminder")
TEMPLATES = Path(mail.__file__).parents[1] / "templates" / "mail"
CANCEL_LINK = "https://poli.example.it/prenotazioni/annulla?token=abc&purpose=cancel"

BOOKING = BookingMail(
    code="K7P2QX", activity_title="Massaggio infantile", hub_name="Polo Centro", hub_address="Via Roma 1, Napoli",
    hub_phone="081 000 0000", starts_at=datetime(2031, 3, 11, 9, 0, tzinfo=timezone.utc), place="Sala grande",
    status="confirmed",
)
SEPARATION = replace(BOOKING, activity_title="Gruppo di parola per figli di genitori separati", neutral=True)


def status_for(kind: str) -> str:
    return {"waitlisted": "waitlisted", "pending": "pending", "cancelled": "cancelled"}.get(kind, "confirmed")


def render(kind: str, booking: BookingMail = BOOKING, language: str = "en", link: str | None = CANCEL_LINK):
    return mail.booking_mail(kind, language, replace(booking, status=status_for(kind)), link)


def everything(message: mail.MailMessage) -> str:
    return "\n".join((message.subject, message.text, message.html))


def test_confirmed_mail_in_english_says_what_when_where_and_whom_to_call():
    message = render("confirmed")

    assert message.subject == "Booking confirmed: Massaggio infantile"
    for part in (message.text, message.html):
        assert "Your booking is confirmed" in part
        assert "Massaggio infantile" in part
        assert "Tuesday 11 March 2031, 10:00" in part  # Europe/Rome time
        assert "Sala grande, Polo Centro, Via Roma 1, Napoli" in part
        assert "K7P2QX" in part
        assert "081 000 0000" in part
    assert '<html lang="en" dir="ltr">' in message.html
    assert "<img" not in message.html and "<script" not in message.html


def test_italian_mail_has_italian_dates_and_language_and_restores_the_callers_language():
    i18n.set_language("en")
    message = render("reminder", language="it")

    assert i18n.current_language() == "en"
    assert '<html lang="it" dir="ltr">' in message.html
    assert "martedì 11 marzo 2031, 10:00" in message.text
    assert "martedì 11 marzo 2031, 10:00" in message.html


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["it", "en"])
def test_separation_area_mail_is_neutral(kind, language):
    message = render(kind, SEPARATION, language)

    assert message.subject == i18n_in(language, mail.NEUTRAL_TITLE)
    assert "Gruppo di parola" not in everything(message)
    assert f"<h1>{message.subject}</h1>" in message.html


def test_neutral_title_in_english():
    assert render("confirmed", SEPARATION).subject == "Appointment – Family Hub"


def test_request_received_is_neutral_for_the_separation_area():
    request = RequestMail(code="R4X9", activity_title="Mediazione familiare", hub_name="Polo Vomero",
                          hub_phone="081 111 1111", neutral=True)
    message = mail.request_received("en", request)

    assert message.subject == "Appointment – Family Hub"
    assert "Mediazione" not in everything(message)
    assert "R4X9" in message.text and "081 111 1111" in message.text
    assert "contact you" in message.text


def test_request_received_names_the_activity_otherwise():
    request = RequestMail(code="R4X9", activity_title="Percorso di solidarietà", hub_name="Polo Vomero",
                          hub_phone="081 111 1111")
    message = mail.request_received("en", request)
    assert message.subject == "Request received: Percorso di solidarietà"
    assert "Percorso di solidarietà" in message.text


@pytest.mark.parametrize("kind", ["pending", "promoted", "reminder", "confirmed"])
def test_a_pending_booking_is_never_called_confirmed(kind):
    message = mail.booking_mail(kind, "en", replace(BOOKING, status="pending"), CANCEL_LINK)

    assert "confirmed" not in everything(message).lower()
    assert "review" in message.text or "staff" in message.text


def test_pending_mail_says_the_request_was_sent_and_the_staff_will_confirm():
    message = render("pending")
    assert message.subject == "Request sent: Massaggio infantile"
    assert "Your request has been sent" in message.text
    assert "The staff will contact you to confirm the place" in message.text


def test_waiting_list_mail_gives_the_position():
    message = mail.booking_mail("waitlisted", "en", replace(BOOKING, status="waitlisted", waiting_position=3), None)
    assert "you are number 3 on the waiting list" in message.text


def test_promoted_mail_says_a_place_became_free():
    assert "A place has become free" in render("promoted").text


@pytest.mark.parametrize("kind", LINK_KINDS)
def test_cancel_link_where_it_belongs(kind):
    message = render(kind)
    label = "Leave the waiting list" if kind == "waitlisted" else "Cancel this booking"

    assert f"{label}:\n{CANCEL_LINK}\n" in message.text
    assert f'<a href="{CANCEL_LINK.replace("&", "&amp;")}">{label}</a>' in message.html
    assert "No sign-in is needed" in message.text


def test_cancelled_mail_has_no_cancel_link():
    message = render("cancelled")
    assert "annulla" not in everything(message)
    assert message.subject == "Booking cancelled: Massaggio infantile"
    assert "081 000 0000" in message.text


def test_no_link_when_none_is_given():
    message = render("confirmed", link=None)
    assert "Cancel this booking" not in everything(message)


def test_html_escapes_what_users_and_staff_wrote():
    booking = replace(BOOKING, activity_title='<b>Genitori & "figli"</b>', place="<script>x</script>")
    message = render("confirmed", booking)

    assert "<b>Genitori" not in message.html and "<script>" not in message.html
    assert "&lt;b&gt;Genitori &amp; &#34;figli&#34;&lt;/b&gt;" in message.html
    assert "&lt;script&gt;x&lt;/script&gt;" in message.html
    assert '<b>Genitori & "figli"</b>' in message.text  # plain text is not escaped
    assert message.subject == 'Booking confirmed: <b>Genitori & "figli"</b>'


def test_subject_is_one_line():
    message = render("confirmed", replace(BOOKING, activity_title="Due\r\nrighe"))
    assert message.subject == "Booking confirmed: Due righe"


def test_mail_without_a_date_or_phone_still_reads_well():
    message = render("confirmed", replace(BOOKING, starts_at=None, hub_phone="", place=""))
    assert "When:" not in message.text
    assert "Where: Polo Centro, Via Roma 1, Napoli" in message.text
    assert "Questions? Contact Polo Centro." in message.text


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        mail.booking_mail("declined-ish", "en", BOOKING, None)


def test_sign_in_code_mail():
    message = mail.sign_in_code("en", "482913", "https://poli.example.it/accedi/link?t=a&b", 15)

    assert message.subject == "Your sign-in code"
    assert "482913" not in message.subject
    assert "482913" in message.text and "<strong>482913</strong>" in message.html
    assert "valid for 15 minutes" in message.text
    assert "https://poli.example.it/accedi/link?t=a&b" in message.text
    assert 'href="https://poli.example.it/accedi/link?t=a&amp;b"' in message.html
    assert "valid for 1 minute." in mail.sign_in_code("en", "1", "l", 1).text


def test_plain_text_templates_use_only_messages_the_html_templates_have():
    """Message extraction reads the .html templates; the .txt ones must not bring messages of their own."""
    def messages(pattern: str) -> set[str]:
        found = set()
        for path in TEMPLATES.glob(pattern):
            for _, message, _, _ in extract_from_file("jinja2", str(path), options={"extensions": "jinja2.ext.i18n"}):
                found.add(message if isinstance(message, str) else message[0])
        return found

    text_messages = messages("*.txt")
    assert text_messages and text_messages <= messages("*.html")


def i18n_in(language: str, message: str) -> str:
    with mail.using_language(language):
        return i18n.gettext(message)
