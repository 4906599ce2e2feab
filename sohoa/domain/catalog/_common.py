"""What the lists share: paging, Vietnam calendar days as UTC bounds. Who sees what is
``sohoa.domain.scope`` (``Scope``, ``scoped``), the one definition for users and keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from sohoa.core.clock import vn_day_end, vn_day_start
from sohoa.core.errors import BadRequest
from sohoa.domain.scope import Scope, scoped

__all__ = ["MAX_PAGE_SIZE", "ListPage", "Paging", "Scope", "count_of", "day_bounds", "in_range", "scoped"]

MAX_PAGE_SIZE = 100
MAX_OFFSET = 100_000  # deeper than this is never a person paging a list: filter instead

T = TypeVar("T")


@dataclass(frozen=True)
class Paging:
    """``page`` (1-based) of ``size`` rows; lists answer with the total too, so a screen
    can show "trang 3 / 12" (page numbers suit people on slow lines better than endless
    scrolling, and the lists are filtered to an office's work, not millions of rows)."""

    page: int = 1
    size: int = 20

    def __post_init__(self) -> None:
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise BadRequest(f"size must be between 1 and {MAX_PAGE_SIZE}", code="invalid_paging",
                             detail={"size": self.size})
        if self.page < 1 or self.offset > MAX_OFFSET:
            raise BadRequest(f"page must be 1 or more, and page * size at most {MAX_OFFSET}; filter to narrow "
                             "the list", code="invalid_paging", detail={"page": self.page})

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class ListPage(Generic[T]):
    total: int
    items: list[T]


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """Vietnam calendar days ``first``..``last`` (both inclusive) as UTC instants
    [start, end); 400 when the range is reversed."""
    if first and last and first > last:
        raise BadRequest("the start day is after the end day", code="invalid_date_range",
                         detail={"from": first.isoformat(), "to": last.isoformat()})
    return (vn_day_start(first) if first else None), (vn_day_end(last) if last else None)


def in_range(column: InstrumentedAttribute[Any], first: date | None, last: date | None) -> list[ColumnElement[bool]]:
    start, end = day_bounds(first, last)
    clauses: list[ColumnElement[bool]] = []
    if start is not None:
        clauses.append(column >= start)
    if end is not None:
        clauses.append(column < end)
    return clauses


def count_of(session: Session, query: Select[*tuple[Any, ...]]) -> int:
    """Rows ``query`` would return, without its order and paging."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return int(total or 0)
