"""Which result a dossier component (form, application, ID-card copy) came with.

A dossier is the result plus its components, scanned together: the form names the
applicant, who is usually the result's owner or one of its subjects, and an ID-card copy
carries that person's number. So a component goes to the result that shares a personal ID
with it, else a name; failing both, to the nearest result before it (clerks put the result
on top of its dossier), else the nearest after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sohoa.core.vocab import PartKind


@dataclass(frozen=True)
class PartPeople:
    """A part's kind and the people it names (normalized IDs, folded lower-case names)."""

    kind: str
    ids: frozenset[str] = field(default_factory=frozenset)
    names: frozenset[str] = field(default_factory=frozenset)


def link_components(parts: Sequence[PartPeople]) -> dict[int, int]:
    """``{component position: result position}`` for every component when any result exists."""
    results = [i for i, p in enumerate(parts) if p.kind == PartKind.RESULT]
    links: dict[int, int] = {}
    if not results:
        return links
    for i, part in enumerate(parts):
        if part.kind != PartKind.COMPONENT:
            continue
        links[i] = _best_result(i, part, parts, results)
    return links


def _best_result(i: int, part: PartPeople, parts: Sequence[PartPeople], results: list[int]) -> int:
    def nearest(candidates: list[int]) -> int:
        before = [r for r in candidates if r < i]
        return before[-1] if before else min(candidates, key=lambda r: abs(r - i))

    by_id = [r for r in results if part.ids & parts[r].ids]
    if by_id:
        return nearest(by_id)
    by_name = [r for r in results if part.names & parts[r].names]
    return nearest(by_name or results)
