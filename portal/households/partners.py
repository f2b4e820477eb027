"""The partner services of the territorial network (social services of a Municipalità, a consultorio
familiare, a school, child neuropsychiatry, a court's office): the administrator keeps the list; staff
choose from its active entries when they record a referral."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from portal import audit, db
from portal.db import NotFound
from portal.form_fields import Form
from portal.households.vocabulary import PARTNER_KINDS
from portal.i18n import N_
from portal.identity.staff_access import Forbidden, Staff
from portal.tables import PartnerService

NAME_LENGTH = 200
CONTACT_LENGTH = 200


def _admin_only(staff: Staff) -> None:
    if not staff.is_admin:
        raise Forbidden("manage partners")


async def all_partners(staff: Staff) -> list[dict]:
    _admin_only(staff)
    return await PartnerService.select().order_by(PartnerService.active, ascending=False).order_by(PartnerService.name)


async def active() -> list[dict]:
    return await PartnerService.select(PartnerService.id, PartnerService.name, PartnerService.kind).where(
        PartnerService.active == True).order_by(PartnerService.name)  # noqa: E712


def parse(values: Mapping[str, Any]) -> dict:
    form = Form(values)
    name = form.text("name", NAME_LENGTH, N_("Enter the name of the service."))
    kind = form.choice("kind", PARTNER_KINDS, N_("Choose the kind of service."))
    contact = form.text("contact", CONTACT_LENGTH)
    form.raise_if_any()
    return {"name": name, "kind": kind, "contact": contact}


async def add(staff: Staff, values: Mapping[str, Any], now: datetime) -> int:
    _admin_only(staff)
    columns = parse(values)
    async with db.write_transaction():
        rows = await PartnerService.insert(PartnerService(active=True, created_at=now, **columns)).returning(
            PartnerService.id)
        await audit.record(staff, "partner.create", "partner_service", rows[0]["id"], "", columns, now)
    return rows[0]["id"]


async def set_active(staff: Staff, partner_id: int, active_now: bool, now: datetime) -> None:
    """Partners are retired, never deleted: past referrals keep naming them."""
    _admin_only(staff)
    async with db.write_transaction():
        if not await PartnerService.exists().where(PartnerService.id == partner_id):
            raise NotFound(partner_id)
        await PartnerService.update({PartnerService.active: active_now}).where(PartnerService.id == partner_id)
        await audit.record(staff, "partner.activate" if active_now else "partner.retire", "partner_service",
                           partner_id, "", {}, now)
