"""Mail to families when a booking changes, written to the outbox in the same transaction."""

from __future__ import annotations

from datetime import datetime

from portal import db, mail, outbox
from portal.booking.queue import waiting_position
from portal.links import Links
from portal.tables import Booking
from portal.taxonomy import SEPARATION_AREA

CANCELLABLE = ("confirmed", "waitlisted", "promoted", "pending", "reminder")


async def booking_changed(booking_id: int, kind: str, now: datetime, links: Links,
                          meeting_id: int | None = None) -> None:
    """Mail the family about its booking; a reminder names the meeting it reminds of."""
    details = await booking_details(booking_id, meeting_id)
    if details is None or not details["email"]:  # an erased family gets no mail
        return
    message = mail.booking_mail(
        kind, details["language"],
        mail.BookingMail(
            code=details["code"], activity_title=details["title"], hub_name=details["hub_name"],
            hub_address=details["hub_address"], hub_phone=details["hub_phone"],
            starts_at=details["starts_at"], place=details["place"], status=details["status"],
            waiting_position=await waiting_position(details),
            neutral=details["area"] == SEPARATION_AREA,
        ),
        links.cancel_booking(details["code"]) if kind in CANCELLABLE else None,
    )
    await outbox.enqueue(details["email"], message, now, outbox.mail_domain(links.base_url))


async def booking_details(booking_id: int, meeting_id: int | None = None) -> dict | None:
    """A booking with what its mail and its calendar event show: the (first) meeting, place and hub."""
    rows = await Booking.raw(
        "SELECT b.id, b.code, b.status, b.seats, b.activity, b.meeting, f.email, f.language,"
        " a.title, a.slug, ar.slug AS area, h.name AS hub_name, h.address AS hub_address, h.phone AS hub_phone,"
        " h.latitude, h.longitude, m.starts_at, m.ends_at, m.place"
        " FROM booking b JOIN family f ON f.id = b.family JOIN activity a ON a.id = b.activity"
        " JOIN service s ON s.id = a.service JOIN area ar ON ar.id = s.area JOIN hub h ON h.id = a.hub"
        " LEFT JOIN meeting m ON m.id = COALESCE({}, b.meeting, (SELECT m2.id FROM meeting m2"
        " WHERE m2.activity = a.id AND m2.status = 'scheduled' ORDER BY m2.starts_at LIMIT 1))"
        " WHERE b.id = {}", meeting_id, booking_id)
    if not rows:
        return None
    row = rows[0]
    for name in ("starts_at", "ends_at"):
        row[name] = db.instant(row[name]) if row[name] else None
    return row
