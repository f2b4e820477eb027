"""What a flyer says: built from the public catalogue only (no private or referral-only meetings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal import db, i18n
from portal.catalogue import browse as catalogue
from portal.catalogue.texts import Text, activity_texts
from portal.feeds.tokens import qr_data_uri
from portal.i18n import N_
from portal.tables import Meeting

MEETINGS_SHOWN = 8
HOW_TO_BOOK = {
    "open": N_("Book online at the address of the QR code, or call the hub."),
    "approval": N_("Ask for a place online at the address of the QR code, or call the hub: the staff will confirm it."),
    "request": N_("Ask for a first interview online at the address of the QR code, or call the hub."),
    "referral": N_("The way in is through social services: ask the hub for information."),
    "hub": N_("Book online at the address of the QR code, or call the hub during its opening hours."),
}


@dataclass(frozen=True)
class FlyerMeeting:
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str


@dataclass(frozen=True)
class Flyer:
    kind: str  # hub | activity
    slug: str
    title: Text
    summary: Text
    hub: dict
    meetings: list[FlyerMeeting]
    how_to_book: str
    page_url: str
    calendar_url: str

    @property
    def page_qr(self) -> str:
        return qr_data_uri(self.page_url)

    @property
    def calendar_qr(self) -> str:
        return qr_data_uri(self.calendar_url)


def _in_language(url: str) -> str:
    """Where a QR code leads: the page in the flyer's language."""
    language = i18n.current_language()
    return url if language == i18n.DEFAULT_LANGUAGE else f"{url}?lang={language}"


async def activity_flyer(slug: str, base_url: str, now: datetime) -> Flyer:
    page = await catalogue.activity_page(slug, now)
    card = page.card
    texts = await activity_texts(slug, card.title, card.summary, page.description)
    meetings = [] if card.access == "referral" else [
        FlyerMeeting(card.title, meeting.starts_at, meeting.ends_at, meeting.place)
        for meeting in page.meetings[:MEETINGS_SHOWN]]
    return Flyer(
        kind="activity", slug=slug, title=texts.title, summary=texts.summary, hub=page.hub, meetings=meetings,
        how_to_book=HOW_TO_BOOK[card.access], page_url=_in_language(f"{base_url}/attivita/{slug}"),
        calendar_url=_in_language(f"{base_url}/calendari/attivita/{slug}.ics"),
    )


async def hub_flyer(slug: str, base_url: str, now: datetime) -> Flyer:
    hub = await catalogue.hub_by_slug(slug)
    # The next meeting of each activity, so that a day of appointment slots does not fill the flyer.
    rows = await Meeting.raw(
        "SELECT * FROM (SELECT a.title, m.starts_at, m.ends_at, m.place,"
        " ROW_NUMBER() OVER (PARTITION BY m.activity ORDER BY m.starts_at, m.id) AS rn"
        " FROM meeting m JOIN activity a ON a.id = m.activity"
        " WHERE a.hub = {} AND a.published = {} AND a.access <> 'referral' AND m.private = {}"
        " AND m.status = 'scheduled' AND m.starts_at >= {}) next_meeting WHERE rn = 1"
        " ORDER BY starts_at LIMIT {}",
        hub["id"], True, False, now, MEETINGS_SHOWN)
    meetings = [FlyerMeeting(row["title"], db.instant(row["starts_at"]), db.instant(row["ends_at"]), row["place"])
                for row in rows]
    return Flyer(
        kind="hub", slug=slug, title=Text(hub["name"], i18n.DEFAULT_LANGUAGE),
        summary=Text(hub["description"], i18n.DEFAULT_LANGUAGE), hub=hub, meetings=meetings,
        how_to_book=HOW_TO_BOOK["hub"], page_url=_in_language(f"{base_url}/poli/{slug}"),
        calendar_url=_in_language(f"{base_url}/calendari/poli/{slug}.ics"),
    )
