"""The mail a family receives, in plain text and HTML, in the family's language.

Each render function takes the language and plain data and returns a `MailMessage`; the outbox stores
and sends it. What each kind of booking mail says (subject, lead, what happens next) is in the tables
below; the templates under templates/mail/ lay it out with the shared labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from portal import i18n
from portal.i18n import N_

# DESIGN §5: services of the separation area never show their title in subjects or messages.
NEUTRAL_TITLE = N_("Appointment – Family Hub")
DATE_FORMAT = i18n.DAY_YEAR_TIME
SUBJECT_LENGTH = 200  # Outbox.subject

BookingMailKind = Literal["confirmed", "waitlisted", "promoted", "pending", "cancelled", "declined", "reminder",
                          "requested", "not_drawn"]


@dataclass(frozen=True)
class MailMessage:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class BookingMail:
    """What a booking mail shows. `starts_at` is the first meeting (for a reminder: the meeting reminded of)."""

    code: str
    activity_title: str
    hub_name: str
    hub_address: str
    hub_phone: str
    starts_at: datetime | None
    place: str
    status: str  # pending | confirmed | waitlisted | declined | cancelled
    waiting_position: int | str | None = None  # a mark, where the mail is rendered before the position is known
    neutral: bool = False  # a service of the separation area
    message: str = ""  # a few words from the staff (an approval or a decline), shown as written
    draw_at: datetime | None = None  # a request for a draw: when the places are drawn


@dataclass(frozen=True)
class RequestMail:
    code: str
    activity_title: str
    hub_name: str
    hub_phone: str
    neutral: bool = False


@dataclass(frozen=True)
class _Wording:
    subject: str  # %(activity)s is the activity's title
    lead: str
    next_steps: str


_CONFIRMED = _Wording(
    N_("Booking confirmed: %(activity)s"),
    N_("Your booking is confirmed: your place is kept for you."),
    N_("If you cannot come, please cancel the booking so that another family can take the place."),
)
_PENDING = _Wording(
    N_("Request sent: %(activity)s"),
    N_("Your request has been sent: the place is held for you while the hub's staff review it."),
    N_("The staff will contact you to confirm the place or to tell you what is needed. "
       "Until then your place is not yet final."),
)
_WORDING: dict[str, _Wording] = {
    "confirmed": _CONFIRMED,
    "pending": _PENDING,
    "waitlisted": _Wording(
        N_("Waiting list: %(activity)s"),
        N_("The activity is full: you are on the waiting list."),
        N_("If a place becomes free, your booking moves up in the order of joining and we will write to you. "
           "You do not need to do anything else."),
    ),
    "promoted": _Wording(
        _CONFIRMED.subject,
        N_("A place has become free and your booking has moved up from the waiting list: "
           "your place is now kept for you."),
        _CONFIRMED.next_steps,
    ),
    "cancelled": _Wording(
        N_("Booking cancelled: %(activity)s"),
        N_("Your booking has been cancelled."),
        N_("If you did not ask for this, or you think it is a mistake, please call the hub."),
    ),
    "declined": _Wording(
        N_("Request not accepted: %(activity)s"),
        N_("The hub's staff could not accept your request for a place."),
        N_("For information or other activities that may suit your family, please call the hub."),
    ),
    "reminder": _Wording(
        N_("Reminder: %(activity)s"),
        N_("A reminder of your next meeting."),
        _CONFIRMED.next_steps,
    ),
    "requested": _Wording(
        N_("Request received: %(activity)s"),
        N_("Your request has been received: the places are given by a public draw."),
        N_("Every request sent while the requests are open counts the same, whenever it arrived. "
           "We will write to you with the result of the draw."),
    ),
    "not_drawn": _Wording(
        N_("Result of the draw: %(activity)s"),
        N_("The draw did not give your request a place, and this activity has no waiting list."),
        N_("For information or other activities that may suit your family, please call the hub."),
    ),
}
# A pending booking (an approval activity) is never called confirmed, whatever the mail's kind.
_PENDING_WORDING: dict[str, _Wording] = {
    "confirmed": _PENDING,
    "promoted": _Wording(
        _PENDING.subject,
        N_("A place has become free and your booking has moved up from the waiting list: "
           "the place is held for you while the hub's staff review your request."),
        _PENDING.next_steps,
    ),
    "reminder": _Wording(_WORDING["reminder"].subject, _WORDING["reminder"].lead, _PENDING.next_steps),
}
_LINK_KINDS = {"confirmed", "waitlisted", "promoted", "pending", "reminder", "requested"}


@contextmanager
def using_language(language: str) -> Iterator[None]:
    """Render in `language`, then give the caller back the language it had."""
    previous = i18n.current_language()
    i18n.set_language(language)
    try:
        yield
    finally:
        i18n.set_language(previous)


def sign_in_code(language: str, code: str, link: str, minutes_valid: int) -> MailMessage:
    with using_language(language):
        subject = i18n.gettext("Your sign-in code")
        return render("sign_in_code", subject, code=code, link=link, minutes_valid=minutes_valid)


def booking_mail(kind: BookingMailKind, language: str, booking: BookingMail, cancel_link: str | None) -> MailMessage:
    """Confirmed, waiting list, promoted, pending ("request sent"), cancelled, or a reminder.

    The wording follows the booking's status too: a booking promoted into `pending` (an approval
    activity) says the request was sent, never that the place is confirmed."""
    wording = _wording(kind, booking.status)
    with using_language(language):
        title = _title(wording.subject, booking.activity_title, booking.neutral)
        lead = i18n.gettext(wording.lead)
        if kind == "waitlisted" and booking.waiting_position:
            lead = i18n.gettext("The activity is full: you are number %(position)s on the waiting list.",
                                position=booking.waiting_position)
        if kind == "requested" and booking.draw_at:
            lead = i18n.gettext("Your request has been received: the places are drawn on %(when)s.",
                                when=_when(booking.draw_at))
        return render(
            "booking", title, booking=booking, lead=lead, next_steps=i18n.gettext(wording.next_steps),
            when=_when(booking.starts_at), cancel_link=cancel_link if kind in _LINK_KINDS else None,
        )


def staff_message(language: str, subject: str, body: str, hub_name: str, hub_phone: str,
                  neutral: bool) -> MailMessage:
    """A message the staff write to the families of a meeting or an activity. For the separation area
    the subject is the neutral title, whatever the staff typed (DESIGN §5)."""
    with using_language(language):
        title = i18n.gettext(NEUTRAL_TITLE) if neutral else subject
        title = " ".join(title.split())[:SUBJECT_LENGTH]
        return render("staff_message", title, body=body, hub_name=hub_name, hub_phone=hub_phone)


def request_received(language: str, request: RequestMail) -> MailMessage:
    with using_language(language):
        title = _title(N_("Request received: %(activity)s"), request.activity_title, request.neutral)
        return render("request_received", title, request=request)


def _wording(kind: str, status: str) -> _Wording:
    if kind not in _WORDING:
        raise ValueError(f"no booking mail of kind {kind!r}")
    return _PENDING_WORDING.get(kind, _WORDING[kind]) if status == "pending" else _WORDING[kind]


def _title(subject: str, activity_title: str, neutral: bool) -> str:
    """The subject, also the heading inside the message: neutral for the separation area."""
    title = i18n.gettext(NEUTRAL_TITLE) if neutral else i18n.gettext(subject, activity=activity_title)
    return " ".join(title.split())[:SUBJECT_LENGTH]  # one line: a header never holds a line break


def _when(starts_at: datetime | None) -> str | None:
    return i18n.format_datetime(starts_at, DATE_FORMAT) if starts_at else None


def render(name: str, title: str, **context: object) -> MailMessage:
    """A mail from its pair of templates under templates/mail/ (plain text and HTML), in the current language."""
    language = i18n.current_language()
    context = dict(context, title=title, language=i18n.html_language(language),
                   direction=i18n.text_direction(language))
    text = _environment().get_template(f"mail/{name}.txt").render(context)
    html = _environment().get_template(f"mail/{name}.html").render(context)
    return MailMessage(subject=title, text=text, html=html)


@cache
def _environment() -> Environment:
    """Like the web's, but plain-text templates are not HTML-escaped."""
    env = Environment(
        loader=PackageLoader("portal", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # templates are read once per process
    )
    env.install_gettext_callables(i18n.translate, i18n.translate_plural, newstyle=True)
    return env


# -- what staff changed: a meeting cancelled, places reduced --------------------------------------

_STAFF_NOTICES: dict[str, _Wording] = {
    "meeting_cancelled": _Wording(
        N_("Meeting cancelled: %(activity)s"),
        N_("The hub has cancelled this meeting, and your booking for it is cancelled too."),
        N_("You do not need to do anything. We are sorry for the inconvenience."),
    ),
    "date_cancelled": _Wording(
        N_("Date cancelled: %(activity)s"),
        N_("The hub has cancelled this date of the cycle. Your enrolment stays: the other dates do not change."),
        N_("You do not need to do anything. We are sorry for the inconvenience."),
    ),
    "place_withdrawn": _Wording(
        N_("Booking cancelled: %(activity)s"),
        N_("The hub has had to reduce the places, and your booking has been cancelled."),
        N_("We are sorry for the inconvenience. For other dates or activities, please call the hub."),
    ),
    "back_to_waiting_list": _Wording(
        N_("Waiting list: %(activity)s"),
        N_("The hub has had to reduce the places: your booking has gone back to the top of the waiting list."),
        N_("If a place becomes free, your booking is the first to move up and we will write to you. "
           "You do not need to do anything else."),
    ),
}
StaffNoticeKind = Literal["meeting_cancelled", "date_cancelled", "place_withdrawn", "back_to_waiting_list"]


def meeting_cancelled(language: str, booking: BookingMail, message: str, enrolment_kept: bool) -> MailMessage:
    """A meeting was cancelled: the booking of a single meeting is cancelled with it; for a course
    only that date is, and the enrolment stays. `booking.starts_at` is the cancelled meeting."""
    return staff_notice("date_cancelled" if enrolment_kept else "meeting_cancelled", language, booking, message)


def staff_notice(kind: StaffNoticeKind, language: str, booking: BookingMail, message: str) -> MailMessage:
    """A change staff made to the family's booking, with the staff's own message (may be empty)."""
    wording = _STAFF_NOTICES[kind]
    with using_language(language):
        title = _title(wording.subject, booking.activity_title, booking.neutral)
        lead = i18n.gettext(wording.lead)
        if kind == "back_to_waiting_list" and booking.waiting_position:
            lead = i18n.gettext("The hub has had to reduce the places: your booking has gone back to the "
                                "waiting list, as number %(position)s.", position=booking.waiting_position)
        return render("staff_notice", title, booking=booking, lead=lead, message=message.strip(),
                       next_steps=i18n.gettext(wording.next_steps), when=_when(booking.starts_at))


def account_inactive(language: str, months: int, days: int, link: str) -> MailMessage:
    """The warning before an inactive family's account is erased (retention)."""
    with using_language(language):
        return render("account_inactive", i18n.gettext("Your account will be deleted"), months=months, days=days,
                      link=link)
