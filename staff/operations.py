"""The staff's daily work, as one guarded router: rosters and attendance, waiting lists, approvals,
direct enrolment, access requests, messages, exports and reports, and the household file. Every page is
no-store; records outside one's scope answer 404, actions the role may not take 403 (the domain decides)."""

from __future__ import annotations

from litestar import Router
from portal.staff import approvals, common, enrolment, exports, households, messages, requests, rosters, waiting

from portal.identity.sessions import require_staff

operations_router = Router(
    path="/",
    route_handlers=[*rosters.ROUTES, *waiting.ROUTES, *approvals.ROUTES, *enrolment.ROUTES, *requests.ROUTES,
                    *messages.ROUTES, *exports.ROUTES, *households.ROUTES],
    guards=[require_staff], cache_control=common.NO_STORE, exception_handlers=common.EXCEPTION_HANDLERS,
    before_request=common.ids_in_range,
)
