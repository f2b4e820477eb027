"""A family deletes its account: bookings cancelled (the waiting lists promoted), personal data erased."""

from __future__ import annotations

from datetime import datetime

from portal import db
from portal.booking import service
from portal.booking.rules import LIVE
from portal.feeds import tokens as feed_tokens
from portal.links import Links
from portal.tables import AccessRequest, Booking, Family, FamilyIdentity, Member, SignInCode, SolidarityOffer


async def erase_family(family_id: int, now: datetime, links: Links) -> None:
    """Bookings stay as anonymous rows for the hubs' counts; nothing identifies the family any more."""
    live = await Booking.select(Booking.code).where((Booking.family == family_id) & Booking.status.is_in(list(LIVE)))
    for booking in live:  # staff-style cancellation: no deadline stands in the way of erasure
        await service.cancel(booking["code"], None, f"family:{family_id}", now, links)
    async with db.write_transaction():
        await AccessRequest.update({AccessRequest.status: "closed", AccessRequest.note: "",
                                    AccessRequest.preferred_times: "", AccessRequest.updated_at: now}).where(
            AccessRequest.family == family_id)
        await SolidarityOffer.update({SolidarityOffer.status: "closed", SolidarityOffer.presentation: "",
                                      SolidarityOffer.other_help: "", SolidarityOffer.updated_at: now}).where(
            SolidarityOffer.family == family_id)
        await Member.delete().where(Member.family == family_id)
        await SignInCode.delete().where(SignInCode.family == family_id)
        await FamilyIdentity.delete().where(FamilyIdentity.family == family_id)
        await feed_tokens.revoke_token("family", family_id, now)
        await Family.update({
            Family.email: None, Family.name: "", Family.surname: "", Family.phone: "", Family.district: "",
            Family.session_epoch: Family.session_epoch + 1, Family.erased_at: now,
        }).where(Family.id == family_id)
