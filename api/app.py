"""The FastAPI application: wiring only (state, error handlers, routers, the web page)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import configure_mappers

from api.errors import install_error_handlers
from api.routes import audit, batches, documents, health, keys, records, search
from ingest.register import default_enqueue
from sohoa.core.config import Settings, get_settings
from sohoa.core.db import make_engine, make_session_factory

WEB_DIR = Path(__file__).parent / "web"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment). The database must be
    migrated already (``sohoa run`` does it); the app never changes the schema."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        warm_up()
        yield
        engine.dispose()

    app = FastAPI(
        title="sohoa",
        summary="Số hóa hồ sơ một cửa: OCR, search and reuse of scanned administrative records.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    install_error_handlers(app)
    for module in (batches, documents, search, records, keys, audit, health):
        app.include_router(module.router)
    app.mount("/web", StaticFiles(directory=WEB_DIR), name="web")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")

    return app


def warm_up() -> None:
    """One-time costs paid at start instead of by the first request, whose first OCR job
    would wait for them (~30 ms measured): the ORM's mapper setup and the queue client's
    imports. Nothing here touches the database or Redis."""
    configure_mappers()
    default_enqueue()
