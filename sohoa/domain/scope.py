"""Agency scoping: the one definition of what a caller's agency limits, for users and keys alike.

The rules (README "People and accounts" repeats them):

1. A caller without an agency is unscoped: it reaches every agency its role allows.
2. A caller with an agency (a users' or keys' ``agency``, the same code as a batch's
   ``agency_code``) is scoped to it, whatever its role, admins included:
   - it sees, and changes, only batches whose ``agency_code`` is its agency; another
     agency's batch, or one without an agency, is "not found" to it (404, as if absent);
   - what it creates belongs to its agency: an upload without ``agency_code`` gets the
     caller's, another agency's code is refused (403 ``agency_mismatch``);
   - a scoped admin manages only the users and keys of its agency, creates them in its
     agency only, and reads only audit events of its agency.
3. Reads of documents, records and search are not limited by agency: results are reused
   across offices (Decree 45/2020, art. 4), and every such read is audited with its purpose.

Apply rule 2 with ``agency_condition`` in queries and ``visible`` / ``assigned_agency`` on
single objects; never compare agencies by hand in a route.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from sohoa.core.errors import Forbidden
from sohoa.domain.principal import Principal


def visible(principal: Principal, agency: str | None) -> bool:
    """May ``principal`` see an object of ``agency`` (rule 2: its own agency only)?"""
    return principal.agency is None or (agency is not None and agency == principal.agency)


def agency_condition(principal: Principal, column: Any) -> ColumnElement[bool] | None:
    """A WHERE clause limiting ``column`` (an agency code column) to what ``principal``
    sees, or None when it sees everything: ``query.where(cond)`` when not None."""
    if principal.agency is None:
        return None
    condition: ColumnElement[bool] = column == principal.agency
    return condition


def assigned_agency(principal: Principal, requested: str | None) -> str | None:
    """The agency of something ``principal`` creates: what it asked for when unscoped,
    its own when scoped (asking for another one is a 403)."""
    requested = (requested or "").strip() or None
    if principal.agency is None:
        return requested
    if requested is not None and requested != principal.agency:
        raise Forbidden(f"you act for agency {principal.agency!r} and cannot create anything for {requested!r}",
                        code="agency_mismatch", detail={"agency": principal.agency, "requested": requested})
    return principal.agency
