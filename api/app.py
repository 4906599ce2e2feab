"""The FastAPI application: wiring only (services, error handlers, CSRF check, routers, the web page)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.orm import configure_mappers
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from api.access_log import install_access_log_mask
from api.csrf import CsrfMiddleware
from api.errors import install_error_handlers
from api.inputs import RefuseNul
from api.openapi import install_openapi
from api.routes import (
    audit,
    batches,
    documents,
    health,
    keys,
    pages,
    parts,
    records,
    retry,
    review,
    search,
    session,
    uploads,
    users,
)
from api.tus import TusHeaders, UploadWriters
from api.webapp import install_webapp
from ingest import remove_stale_spool, upload_tmp_dir
from sohoa.core.config import Settings
from sohoa.services import Services
from workers.ocr.page_image import PageRenderer


def create_app(settings: Settings) -> FastAPI:
    """Build the app for ``settings``. Its ``Services`` (database pool, archive, search
    backend, queue) are built once when it starts serving and closed when it stops. The
    database must be migrated already (``sohoa run`` does it); the app never changes the schema."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_mappers()  # once here, not in the first request's key check (~12 ms)
        # spool files of a request that died with an earlier API process (the reconciler
        # also removes them, for an API that is never restarted)
        remove_stale_spool(upload_tmp_dir(settings), older_than_seconds=settings.spool_stale_hours * 3600)
        with Services.build(settings) as services:
            app.state.services = services
            app.state.page_renderer = PageRenderer.from_settings(settings)
            yield

    # /docs and /redoc with Swagger UI's and ReDoc's files served from the installed
    # package (fastapi-offline), not a CDN: offices on a closed network read them too.
    app = FastAPIOffline(
        title="sohoa",
        summary="Số hóa hồ sơ một cửa: OCR, search and reuse of scanned administrative records.",
        version="0.1.0",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},  # no call to the public validator
    )
    install_error_handlers(app)
    install_access_log_mask(log_queries=settings.log_queries)
    app.add_middleware(RefuseNul)  # innermost: a refused CSRF never gets its body read
    app.add_middleware(CsrfMiddleware)
    app.add_middleware(TusHeaders)  # outside: CSRF refusals carry Tus-Resumable too
    app.state.upload_writers = UploadWriters()
    # Records first: FastAPI tries the routes one by one, and portals' lookups are the most
    # frequent request (tenth in this list, matching cost 4-12% of a lookup's CPU, measured
    # with bench/records_lookup_profile.py). No two routers share a path, so the order
    # changes no answer; the OpenAPI document lists the paths in this order.
    for module in (records, session, batches, uploads, documents, parts, pages, retry, review, search, users, keys,
                   audit, health):
        app.include_router(module.router)
    install_openapi(app)
    install_webapp(app, settings)
    # Outermost: JSON, the shell and the app's files travel compressed (a slow line's
    # budget); pictures, PDFs and originals are compressed already and go as they are.
    app.add_middleware(GZipMiddleware, minimum_size=600,
                       exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/pdf",
                                              "application/octet-stream", "image/tiff"))
    return app
