"""The one place that assembles the application."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import HTTPException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from portal import db, shared
from portal.calendars.routes import calendar_router
from portal.identity import codes
from portal.identity.oidc import RelyingParty
from portal.identity.sessions import AccountRedirect, DatabaseStore, account_redirect, session_config
from portal.links import Links
from portal.maintenance import worker as background
from portal.observability.probes import probe_handlers
from portal.observability.requests import observe_requests
from portal.public.account import account_router
from portal.public.api import api_router
from portal.public.booking import booking_router
from portal.public.flyers import flyers_router
from portal.public.oidc import oidc_router
from portal.public.routes import public_router
from portal.public.solidarity import solidarity_router
from portal.settings import Settings, load_settings
from portal.staff.activities import activities_router as staff_activities_router
from portal.staff.audit import audit_router as staff_audit_router
from portal.staff.auth import auth_router as staff_auth_router
from portal.staff.draws import draws_router as staff_draws_router
from portal.staff.hubs import hubs_router as staff_hubs_router
from portal.staff.meetings import meetings_router as staff_meetings_router
from portal.staff.operations import operations_router as staff_operations_router
from portal.staff.partners import partners_router as staff_partners_router
from portal.staff.people import people_router as staff_people_router
from portal.staff.second_factor import second_factor_router as staff_second_factor_router
from portal.staff.solidarity import solidarity_router as staff_solidarity_router
from portal.staff.translations import translations_router as staff_translations_router
from portal.web import (
    STATIC_DIR,
    PageCache,
    add_response_headers,
    error_page,
    language_middleware,
    template_environment,
)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    engine = db.engine_from_url(settings.database_url)
    db.bind(engine)
    redis = shared.connect(settings.redis_url, settings.redis_prefix)
    codes.limit_clients(settings.sign_in_per_client_hour)

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        await db.open_engine(engine)
        db.lock_timings.enable(settings.lock_timings)
        try:
            yield
        finally:
            await shared.disconnect()
            await db.close_engine(engine)

    @asynccontextmanager
    async def mail_worker(app: Litestar) -> AsyncIterator[None]:
        if not settings.run_mail_worker:
            yield
            return
        stop = asyncio.Event()
        task = asyncio.create_task(background.run(settings, stop))
        try:
            yield
        finally:
            stop.set()
            await task

    app = Litestar(
        route_handlers=[
            public_router,
            booking_router,
            flyers_router,
            calendar_router,
            account_router,
            oidc_router,
            solidarity_router,
            staff_auth_router,
            staff_second_factor_router,
            staff_operations_router,
            staff_people_router,
            staff_hubs_router,
            staff_activities_router,
            staff_draws_router,
            staff_meetings_router,
            staff_audit_router,
            staff_solidarity_router,
            staff_partners_router,
            staff_translations_router,
            *probe_handlers,
            api_router,
            create_static_files_router(path="/static", directories=[STATIC_DIR]),
        ],
        plugins=[HTMXPlugin()],
        middleware=[
            DefineMiddleware(observe_requests), DefineMiddleware(language_middleware),
            session_config(settings).middleware,
        ],
        stores={"sessions": redis.session_store() if redis else DatabaseStore()},  # every worker sees them
        before_send=[add_response_headers],
        csrf_config=CSRFConfig(
            secret=settings.secret_key, cookie_secure=settings.secure_cookies, cookie_samesite="lax",
            header_name="x-csrftoken", exclude=["/api/"],  # the open-data API only reads
        ),
        include_in_schema=False,  # the schema documents the open-data API (its router opts in), not the site
        openapi_config=OpenAPIConfig(
            title="Poli per le Famiglie – open data", version="1.0.0", path="/api",
            description="The public catalogue of the family hubs: hubs, areas, services, activities and "
                        "upcoming public meetings with free places. No personal data.",
            render_plugins=[JsonRenderPlugin()],
        ),
        compression_config=CompressionConfig(backend="gzip", gzip_compress_level=6),
        exception_handlers={HTTPException: error_page, AccountRedirect: account_redirect, 500: error_page},
        lifespan=[database, mail_worker],
    )
    app.state.settings = settings
    app.state.links = Links(settings.base_url, settings.secret_key)
    app.state.templates = template_environment(settings)
    app.state.page_cache = PageCache()
    app.state.relying_party = (RelyingParty(settings.oidc, settings.base_url, settings.secret_key)
                               if settings.oidc else None)
    return app
