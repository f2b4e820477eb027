"""What a load balancer and a monitoring system ask: is the process alive (`/healthz`), can it serve
(`/readyz`: the database and, when configured, Redis and the SMTP server answer), and its figures
(`/metrics`, only from METRICS_ALLOW addresses or with the METRICS_TOKEN bearer token)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException

from portal import db, shared
from portal.observability import metrics
from portal.settings import Settings

CHECK_TIMEOUT_S = 3


@get("/healthz", cache=False)
async def healthz() -> Response:
    """Alive: the process answers. Whether it can serve is /readyz's question."""
    return Response({"status": "ok"})


@get("/readyz", cache=False)
async def readyz(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    checks = {"database": db.ping()}
    if (redis := shared.redis()) is not None:
        checks["redis"] = redis.ping()
    if settings.smtp_url:
        checks["smtp"] = smtp_answers(settings.smtp_url)
    results = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, CHECK_TIMEOUT_S)
            results[name] = "ok"
        except Exception as error:  # any failure to reach a dependency is the answer itself
            results[name] = type(error).__name__
    ready = all(value == "ok" for value in results.values())
    return Response({"status": "ok" if ready else "unavailable", **results}, status_code=200 if ready else 503)


async def smtp_answers(smtp_url: str) -> None:
    """The SMTP server accepts a connection and greets (220); nothing is sent."""
    parts = urlsplit(smtp_url)
    port = parts.port or (465 if parts.scheme == "smtps" else 587)
    reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=parts.scheme == "smtps" or None)
    try:
        greeting = await reader.readline()
        if not greeting.startswith(b"220"):
            raise ConnectionError("no SMTP greeting")
        writer.write(b"QUIT\r\n")
        await writer.drain()
    finally:
        writer.close()


@get("/metrics", cache=False)
async def metrics_page(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    client = request.client.host if request.client else None
    if not metrics.may_read(client, request.headers.get("authorization"), settings.metrics_allow,
                            settings.metrics_token):
        raise PermissionDeniedException()
    return Response(await metrics.exposition(), media_type=metrics.CONTENT_TYPE_LATEST)


probe_handlers = [healthz, readyz, metrics_page]
