"""API key roles, apart from the models so the CLI can offer them without importing
SQLAlchemy (``sohoa ingest`` starts ~0.3 s faster)."""

from __future__ import annotations

ROLES = ("admin", "clerk", "officer", "portal")
