from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.booking import service
from portal.families.erasure import erase_family
from portal.links import Links
from portal.tables import Booking, Family, Member
from tests import factories

pytestmark = pytest.mark.anyio
LINKS = Links("http://testserver", "test-secret-key-test-secret-key-0123456789")


async def test_erasing_cancels_promotes_and_forgets(empty_db):
    services = await factories.taxonomy()
    activity = await factories.activity(services["attivita-culturali"], await factories.hub(), capacity=1,
                                        slug="festa", booking_closes_hours=0, cancellation_hours=24)
    meeting = await factories.meeting(activity, datetime.now(timezone.utc) + timedelta(hours=2))
    target = await service.find_target("festa", meeting)
    leaving, leaving_members = await factories.family("via@example.it")
    staying, staying_members = await factories.family("resta@example.it")
    now = datetime.now(timezone.utc)
    mine = await service.book(leaving, target, leaving_members, now, LINKS)
    theirs = await service.book(staying, target, staying_members, now, LINKS)
    assert theirs.status == "waitlisted"

    await erase_family(leaving, now, LINKS)  # past the family's cancellation deadline: erasure still cancels

    statuses = {row["code"]: row["status"] for row in await Booking.select(Booking.code, Booking.status)}
    assert statuses == {mine.code: "cancelled", theirs.code: "confirmed"}
    family = await Family.select().where(Family.id == leaving).first()
    assert family["email"] is None and family["name"] == family["surname"] == "" and family["erased_at"]
    assert await Member.count().where(Member.family == leaving) == 0
