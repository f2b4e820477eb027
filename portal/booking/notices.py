"""Mail to families when a booking changes, written to the outbox in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from portal import db
from portal.booking import claim
from portal.booking.queue import waiting_position
from portal.links import Links
from portal.mail import messages as mail
from portal.mail import outbox
from portal.tables import Booking
from portal.taxonomy import SEPARATION_AREA

CODE_MARK = "BOOKINGCODEMARK"  # letters only: unchanged by escaping, stands for the code in a cached mail
CANCELLABLE = ("confirmed", "waitlisted", "promoted", "pending", "reminder", "requested")


async def booking_changed(booking_id: int, kind: str, now: datetime, links: Links,
                          meeting_id: int | None = None, message: str = "") -> None:
    """Mail the family about its booking; a reminder names the meeting it reminds of; `message` is
    what the staff wrote with a decision."""
    details = await booking_details(booking_id, meeting_id)
    if details is None:
        return
    await send(MailContext.of(details), kind, details["code"], details["status"], await waiting_position(details),
               now, links, message)


@dataclass(frozen=True)
class MailContext:
    """What a booking's mail says besides its code and status: read before the seats are locked."""

    email: str | None  # None once the family is erased: no mail
    language: str
    title: str
    hub_name: str
    hub_address: str
    hub_phone: str
    starts_at: datetime | None
    place: str
    neutral: bool

    @classmethod
    def of(cls, details: dict) -> MailContext:
        return cls(details["email"], details["language"], details["title"], details["hub_name"],
                   details["hub_address"], details["hub_phone"], details["starts_at"], details["place"] or "",
                   details["area"] == SEPARATION_AREA)


async def send(context: MailContext, kind: str, code: str, status: str, position: int | None, now: datetime,
               links: Links, message: str = "", draw_at: datetime | None = None) -> None:
    if not context.email:
        return
    await outbox.enqueue(context.email, render(context, kind, code, status, position, links, message, draw_at),
                         now, outbox.mail_domain(links.base_url))


def render(context: MailContext, kind: str, code: str, status: str, position: int | str | None, links: Links,
           message: str = "", draw_at: datetime | None = None) -> mail.MailMessage:
    return mail.booking_mail(
        kind, context.language,
        mail.BookingMail(
            code=code, activity_title=context.title, hub_name=context.hub_name, hub_address=context.hub_address,
            hub_phone=context.hub_phone, starts_at=context.starts_at, place=context.place, status=status,
            waiting_position=position, neutral=context.neutral, message=message, draw_at=draw_at,
        ),
        links.cancel_booking(code) if kind in CANCELLABLE else None,
    )


async def render_ahead(booking_id: int, kind: str, status: str, links: Links, message: str = ""
                       ) -> tuple[str, mail.MailMessage] | None:
    """A booking's mail rendered before the transaction that queues it (queue it with `enqueue`), where
    its content does not depend on what the transaction decides. None: the family is erased."""
    details = await booking_details(booking_id)
    if details is None or not details["email"]:
        return None
    return details["email"], render(MailContext.of(details), kind, details["code"], status, None, links, message)


async def enqueue(rendered: tuple[str, mail.MailMessage] | None, now: datetime, links: Links) -> None:
    if rendered is not None:
        await outbox.enqueue(rendered[0], rendered[1], now, outbox.mail_domain(links.base_url))


def prepare(context: MailContext, code: str, holding_status: str, links: Links) -> claim.Mail | None:
    """A new booking's mail in both versions, ready before its seats are locked: the one for a place
    (confirmed, or pending) and the one for the waiting list, its position left to fill in."""
    if not context.email:
        return None
    holding, waiting = _new_booking_mails(replace(context, email=""), holding_status, links)
    marked_link, link = links.cancel_booking(CODE_MARK), links.cancel_booking(code)

    def filled(text: str) -> str:
        return text.replace(marked_link, link).replace(CODE_MARK, code)

    return claim.Mail(
        context.email, outbox.new_message_id(outbox.mail_domain(links.base_url)),
        *(mail.MailMessage(filled(m.subject), filled(m.text), filled(m.html)) for m in (holding, waiting)),
    )


@lru_cache(maxsize=256)
def _new_booking_mails(context: MailContext, holding_status: str, links: Links
                       ) -> tuple[mail.MailMessage, mail.MailMessage]:
    """Rendered once per meeting, language and wording: on a click day every family of a meeting gets
    the same mail but for its code, its cancel link and its place on the list."""
    return (render(context, holding_status, CODE_MARK, holding_status, None, links),
            render(context, "waitlisted", CODE_MARK, "waitlisted", claim.POSITION_MARK, links))


# The activity's title in the family's language where staff translated it, else the Italian one.
TITLE_IN_FAMILY_LANGUAGE = (
    "COALESCE((SELECT NULLIF(t.title, '') FROM activity_translation t WHERE t.activity = a.id"
    " AND t.language = f.language), a.title) AS title"
)


async def context_for(family_id: int, activity_id: int, meeting_id: int | None) -> MailContext:
    return (await context_and_members(family_id, activity_id, meeting_id))[0]


async def context_and_members(family_id: int, activity_id: int, meeting_id: int | None
                              ) -> tuple[MailContext, list[dict]]:
    """What the mail says, and the family's members (id, kind, birth_year, birth_month): one read for
    both, as every booking of a rush needs them (a row per member, each with the mail's columns)."""
    rows = await Booking.raw(
        f"SELECT f.email, f.language, {TITLE_IN_FAMILY_LANGUAGE}, ar.slug AS area, h.name AS hub_name,"
        " h.address AS hub_address, h.phone AS hub_phone, m.starts_at, m.place,"
        " mem.id AS member_id, mem.kind, mem.birth_year, mem.birth_month"
        " FROM family f LEFT JOIN member mem ON mem.family = f.id CROSS JOIN activity a"
        " JOIN service s ON s.id = a.service JOIN area ar ON ar.id = s.area JOIN hub h ON h.id = a.hub"
        " LEFT JOIN meeting m ON m.id = COALESCE({}, (SELECT m2.id FROM meeting m2"
        " WHERE m2.activity = a.id AND m2.status = 'scheduled' ORDER BY m2.starts_at LIMIT 1))"
        " WHERE f.id = {} AND a.id = {} ORDER BY mem.id", meeting_id, family_id, activity_id)
    row = rows[0]
    row["starts_at"] = db.instant(row["starts_at"]) if row["starts_at"] else None
    members = [{"id": r["member_id"], "kind": r["kind"], "birth_year": r["birth_year"], "birth_month": r["birth_month"]}
               for r in rows if r["member_id"] is not None]
    return MailContext.of(row), members


async def booking_details(booking_id: int, meeting_id: int | None = None) -> dict | None:
    """A booking with what its mail and its calendar event show: the (first) meeting, place and hub."""
    rows = await Booking.raw(
        "SELECT b.id, b.code, b.status, b.seats, b.activity, b.meeting, f.email, f.language,"
        f" {TITLE_IN_FAMILY_LANGUAGE}, a.slug, ar.slug AS area, h.name AS hub_name, h.address AS hub_address,"
        " h.phone AS hub_phone, h.latitude, h.longitude, m.starts_at, m.ends_at, m.place"
        " FROM booking b JOIN family f ON f.id = b.family JOIN activity a ON a.id = b.activity"
        " JOIN service s ON s.id = a.service JOIN area ar ON ar.id = s.area JOIN hub h ON h.id = a.hub"
        " LEFT JOIN meeting m ON m.id = COALESCE({}, b.meeting, (SELECT m2.id FROM meeting m2"
        " WHERE m2.activity = a.id AND m2.status = 'scheduled'"
        " AND (m2.private = {} OR m2.private_booking = b.id)"  # never another family's private meeting
        " ORDER BY m2.starts_at LIMIT 1))"
        " WHERE b.id = {}", meeting_id, False, booking_id)
    if not rows:
        return None
    row = rows[0]
    for name in ("starts_at", "ends_at"):
        row[name] = db.instant(row[name]) if row[name] else None
    return row
