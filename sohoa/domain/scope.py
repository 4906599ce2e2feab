"""Agency scoping: the one definition of what a caller's agency limits, for users and keys alike.

The rules (README "People and accounts" repeats them):

1. Unscoped: a caller without an agency, and every admin (with an agency or not), reaches
   every agency its role allows.
2. Scoped: a clerk or officer, person or key, with an agency (the same code as a batch's or
   a document's ``agency_code``):
   - sees the batches of its agency and the batches it created itself (the same user or
     key); any other batch is "not found" to it (404, as if absent), in the list and by id;
   - lists the documents and the review queue of its agency only;
   - what it uploads belongs to its agency: no ``agency_code`` gets its own, another one is
     refused (403 ``agency_mismatch``).
3. Adding files to a batch: its creator or an admin, among the batches the caller sees.
4. Reads by id (a document, its pages, files, records) and search are not limited by agency:
   results are reused across offices (Decree 45/2020, art. 4; DOMAIN.md, "Reuse before
   review"), and every such read is audited with its purpose.

Build a ``Scope`` with ``Scope.of(principal)``; filter queries with ``scoped(...)`` and test one
loaded row with ``Scope.sees(...)``; never compare agencies by hand in a route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, true

from sohoa.core.errors import Forbidden
from sohoa.domain.principal import Principal


@dataclass(frozen=True)
class Scope:
    """Which agency's rows a caller sees: ``agency`` None = every agency. A scoped caller
    also sees the batches it created itself (``user_id`` or ``key_id``)."""

    agency: str | None = None
    key_id: int | None = None
    user_id: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> Scope:
        if principal.is_admin or not principal.agency:
            return cls()
        return cls(agency=principal.agency, key_id=principal.key_id, user_id=principal.user_id)

    @property
    def everything(self) -> bool:
        return self.agency is None

    def sees(self, agency: str | None, *, created_by_user_id: int | None = None,
             created_by_key_id: int | None = None) -> bool:
        """May this caller see a row of ``agency`` (created by that user or key)?"""
        if self.agency is None or agency == self.agency:
            return True
        return ((self.user_id is not None and created_by_user_id == self.user_id)
                or (self.key_id is not None and created_by_key_id == self.key_id))


def scoped(agency_column: Any, scope: Scope, *, created_by_user: Any = None,
           created_by_key: Any = None) -> ColumnElement[bool]:
    """``Scope.sees`` as a WHERE clause: ``agency_column`` (and the creator columns, for rows
    that have them) limited to what ``scope`` sees."""
    if scope.agency is None:
        return true()
    clauses = [agency_column == scope.agency]
    if created_by_user is not None and scope.user_id is not None:
        clauses.append(created_by_user == scope.user_id)
    if created_by_key is not None and scope.key_id is not None:
        clauses.append(created_by_key == scope.key_id)
    return or_(*clauses)


def assigned_agency(principal: Principal, requested: str | None) -> str | None:
    """The agency of something ``principal`` creates: what it asked for when unscoped,
    its own when scoped (asking for another one is a 403)."""
    requested = (requested or "").strip() or None
    scope = Scope.of(principal)
    if scope.agency is None:
        return requested
    if requested is not None and requested != scope.agency:
        raise Forbidden(f"you act for agency {scope.agency!r} and cannot create anything for {requested!r}",
                        code="agency_mismatch", detail={"agency": scope.agency, "requested": requested})
    return scope.agency
