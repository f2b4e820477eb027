"""Every request gets an id (X-Request-ID, kept from the proxy or made here), is counted and timed per
route template, and, in the JSON log, leaves one line: method, route, status, time."""

from __future__ import annotations

import logging
import time

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.observability import logs, metrics

access_log = logging.getLogger("portal.access")


def observe_requests(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        offered = headers.get(b"x-request-id", b"").decode("latin-1")
        token = logs.request_id.set(logs.new_request_id(offered))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableScopeHeaders.from_message(message)["x-request-id"] = logs.request_id.get() or ""
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            method = scope["method"]
            metrics.REQUESTS.labels(method, route, str(status)).inc()
            metrics.LATENCY.labels(method, route).observe(elapsed)
            access_log.info("request", extra={"method": method, "route": route, "status": status,
                                              "duration_ms": round(elapsed * 1000, 1)})
            logs.request_id.reset(token)

    return middleware
