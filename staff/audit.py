"""The audit log for administrators: every entry, newest first, with filters. A thin handler over
portal.admin.audit_log, which decides who may read it (403) and refuses unreadable filters (400)."""

from __future__ import annotations

from litestar import Request, Response, get
from portal.staff import common

from portal.admin import audit_log


@get("/staff/registro")
async def log_page(request: Request) -> Response:
    staff = await common.signed_in(request)
    found = await audit_log.log_page(staff, request.query_params)
    return await common.page(request, "staff/audit.html", status_code=400 if found.errors else 200, log=found,
                             errors=found.errors, values=found.values)


audit_router = common.router([log_page])
