"""The solidarity mail a family receives, in its language, through the outbox: offer received, interview
scheduled, offer activated, match proposed. They name no other family: details are in the family area."""

from __future__ import annotations

from datetime import datetime

from portal import i18n
from portal.i18n import N_
from portal.links import Links
from portal.mail import messages as mail
from portal.mail import outbox
from portal.tables import Family, Hub

_WORDING = {
    "received": (N_("Solidarity offer received"),
                 N_("Thank you: we have received your offer of family solidarity."),
                 N_("The hub's staff will contact you to arrange a first interview.")),
    "interview": (N_("Solidarity offer: interview scheduled"),
                  N_("The hub's staff have scheduled an interview about your offer of family solidarity."),
                  N_("If the time does not suit you, please call the hub.")),
    "active": (N_("Solidarity offer active"),
               N_("Your offer of family solidarity is now active: the hub's staff may propose a family to help."),
               N_("You can pause or withdraw your offer at any time in your family area.")),
    "match_volunteer": (N_("Solidarity: a match is proposed"),
                        N_("The hub's staff propose that you help a family."),
                        N_("Read what the staff have shared in your family area; they will contact you.")),
    "match_family": (N_("Solidarity: a volunteer family is proposed"),
                     N_("The hub's staff propose a volunteer family to help you."),
                     N_("Read what the staff have shared in your family area; they will contact you.")),
}


async def notify(kind: str, family_id: int, hub_id: int, now: datetime, links: Links,
                 interview_at: datetime | None = None) -> None:
    """Queue the mail in the caller's transaction. An erased family (no address) gets none."""
    family = await Family.select(Family.email, Family.language).where(Family.id == family_id).first()
    if family is None or not family["email"]:
        return
    hub = await Hub.select(Hub.name, Hub.phone).where(Hub.id == hub_id).first()
    subject, lead, next_steps = _WORDING[kind]
    with mail.using_language(family["language"] or "it"):
        title = i18n.gettext(subject)
        message = mail.render(
            "solidarity", title, lead=i18n.gettext(lead), next_steps=i18n.gettext(next_steps),
            when=i18n.format_datetime(interview_at, mail.DATE_FORMAT) if interview_at else None,
            link=links.url("/famiglia/solidarieta"), hub_name=hub["name"], hub_phone=hub["phone"])
    await outbox.enqueue(family["email"], message, now, outbox.mail_domain(links.base_url))
