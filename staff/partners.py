"""The partner services of the territorial network, kept by the administrator (403 for anyone else)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common

from portal.form_fields import FormErrors
from portal.households import partners
from portal.households.vocabulary import PARTNER_KINDS, options
from portal.i18n import N_

NOTICES = {"aggiunto": N_("The partner service has been added."), "stato": N_("The partner service has been updated.")}


async def _page(request: Request, status_code: int = 200, errors: dict | None = None,
                values: dict | None = None) -> Response:
    staff = await common.signed_in(request)
    return await common.page(request, "staff/households/partners.html", status_code=status_code,
                             partners=await partners.all_partners(staff), kinds=options(PARTNER_KINDS),
                             kind_labels=dict(options(PARTNER_KINDS)), values=values or {}, errors=errors or {},
                             notice=common.notice(request, NOTICES))


@get("/staff/servizi-rete")
async def partners_page(request: Request) -> Response:
    return await _page(request)


@post("/staff/servizi-rete")
async def add_partner(request: Request) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await partners.add(staff, values, common.now())
    except FormErrors as invalid:
        return await _page(request, invalid.status_code, invalid.by_field, common.plain(values))
    return Redirect("/staff/servizi-rete?esito=aggiunto", status_code=303)


@post("/staff/servizi-rete/{partner_id:int}/stato")
async def set_partner_state(request: Request, partner_id: FromPath[int]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    await partners.set_active(staff, partner_id, values.get("active") == "1", common.now())
    return Redirect("/staff/servizi-rete?esito=stato", status_code=303)


partners_router = common.router([partners_page, add_partner, set_partner_state])
