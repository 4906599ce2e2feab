"""HTTP API (FastAPI): upload, status, documents, search, health, and a small web page."""

from __future__ import annotations

from api.app import create_app

__all__ = ["create_app"]
