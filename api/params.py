"""Query parameter types whose OpenAPI schema says exactly what the app accepts.

Schemathesis (``make fuzz``) holds the spec to its word: a ``format: date`` parameter must
refuse ``0`` (pydantic's lax mode reads a number as a Unix timestamp, so ``?valid_on=0``
was 1970-01-01), and a value the app refuses must not fit the schema. These types make the
two agree: ISO dates and instants only, and the patterns of a purpose and an owner ID that
``read_purpose`` and ``parse_owner_id`` enforce.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

_NUMBER = re.compile(r"\s*[-+]?\d+(\.\d*)?([eE][-+]?\d+)?\s*")


def _iso_only(value: Any) -> Any:
    """A number (or a string of one) is no calendar day or instant here: 422."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("use ISO 8601 (2024-03-05, 2024-03-05T08:30:00+07:00), not a number")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_only)]
IsoDatetime = Annotated[datetime, BeforeValidator(_iso_only)]

# A dossier code (``000.00.14.H56-230415-0012``), or nothing: ``read_purpose`` strips it first.
PURPOSE_PATTERN = r"^\s*(?:[A-Z0-9.]+-\d{6}-\d{4})?\s*$"
# ``parse_owner_id``: spaces and dots anywhere are dropped, then 9 or 12 digits, or 10
# digits with an optional -NNN branch suffix.
_D = r"\d[\s.]*"
OWNER_ID_PATTERN = rf"^[\s.]*(?:(?:{_D}){{9}}|(?:{_D}){{12}}|(?:{_D}){{10}}(?:-[\s.]*(?:{_D}){{3}})?)$"


def owner_id_query(description: str) -> Any:
    """An ``owner_id`` query parameter: its pattern in the spec, the check (400
    ``invalid_owner_id``) in ``parse_owner_id``."""
    return Query(max_length=40, description=description, json_schema_extra={"pattern": OWNER_ID_PATTERN})
