"""The open-data API: the public catalogue as paginated JSON and as CSV, read-only, with ETags.

Documented by the OpenAPI schema Litestar generates from these handlers (served at /api/openapi.json);
the rest of the site is left out of that schema.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Literal

from litestar import Request, Response, Router, get
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, Parameter
from litestar.serialization import encode_json
from typing_extensions import Annotated

from portal.opendata import catalogue as opendata
from portal.opendata.catalogue import ActivityRecord, AreaRecord, HubRecord, MeetingRecord, Page, ServiceRecord, Window

PageNumber = Annotated[int, Parameter(ge=1, le=100_000, description="Page number, from 1.")]
PageSize = Annotated[int, Parameter(ge=1, le=opendata.MAX_PAGE_SIZE, description="Records per page.")]
CACHE_CONTROL = "public, max-age=60"
NOT_MODIFIED = {304: ResponseSpec(data_container=None, description="Not modified since the ETag sent")}
DatasetName = Literal["hubs", "areas", "services", "activities", "meetings"]


def _with_etag(request: Request, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Response:
    """The body with a strong ETag of its bytes; 304 and no body when the client already has them."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    cache_headers = {"etag": etag, "cache-control": CACHE_CONTROL, **(headers or {})}
    wanted = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in wanted or "*" in wanted:
        return Response(content=b"", status_code=304, headers=cache_headers)
    return Response(content=body, media_type=media_type, headers=cache_headers)


def _json(request: Request, page: Page) -> Response:
    return _with_etag(request, encode_json(page), "application/json")


def _base_url(request: Request) -> str:
    return request.app.state.settings.base_url


@get("/hubs", responses=NOT_MODIFIED, summary="Family hubs and their contacts")
async def list_hubs(request: Request, page: PageNumber = 1, per_page: PageSize = 50) -> Response[Page[HubRecord]]:
    return _json(request, await opendata.hubs(_base_url(request), Window(page, per_page)))


@get("/areas", responses=NOT_MODIFIED, summary="The macro-areas of the services")
async def list_areas(request: Request, page: PageNumber = 1, per_page: PageSize = 50) -> Response[Page[AreaRecord]]:
    return _json(request, await opendata.areas(_base_url(request), Window(page, per_page)))


@get("/services", responses=NOT_MODIFIED, summary="The services offered in each area")
async def list_services(request: Request, page: PageNumber = 1,
                        per_page: PageSize = 50) -> Response[Page[ServiceRecord]]:
    return _json(request, await opendata.services(_base_url(request), Window(page, per_page)))


@get("/activities", responses=NOT_MODIFIED, summary="Published activities of every hub")
async def list_activities(request: Request, page: PageNumber = 1,
                          per_page: PageSize = 50) -> Response[Page[ActivityRecord]]:
    return _json(request, await opendata.activities(_base_url(request), Window(page, per_page)))


@get("/meetings", responses=NOT_MODIFIED, summary="Upcoming public meetings with their free places")
async def list_meetings(request: Request, page: PageNumber = 1,
                        per_page: PageSize = 50) -> Response[Page[MeetingRecord]]:
    now = datetime.now(timezone.utc)
    return _json(request, await opendata.meetings(_base_url(request), Window(page, per_page), now))


@get("/csv/{dataset:str}", responses=NOT_MODIFIED, media_type="text/csv",
     summary="A whole dataset as CSV (UTF-8, comma-separated, header row) for open-data portals")
async def download_csv(request: Request, dataset: FromPath[DatasetName]) -> Response[str]:
    record, _ = opendata.DATASETS[dataset]
    page = await opendata.whole(dataset, _base_url(request), datetime.now(timezone.utc))
    body = opendata.as_csv(record, page).encode()
    disposition = {"content-disposition": f'attachment; filename="poli-famiglie-{dataset}.csv"'}
    return _with_etag(request, body, "text/csv", disposition)


def api_error(request: Request, exc: HTTPException) -> Response:
    """Errors of the API are JSON, as the schema says, not the site's HTML page."""
    return Response({"status_code": exc.status_code, "detail": exc.detail}, status_code=exc.status_code)


api_router = Router(
    path="/api/v1", route_handlers=[list_hubs, list_areas, list_services, list_activities, list_meetings,
                                    download_csv],
    include_in_schema=True, exception_handlers={HTTPException: api_error}, tags=["open data"],
)
