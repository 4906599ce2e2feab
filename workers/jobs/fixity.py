"""Fixity: every stored file hashed again and compared with the SHA-256 recorded when it
was written, so silent corruption or a lost file is found while a backup still has it.

``run_fixity`` checks every file (``sohoa fixity --all``) or a share of them, least recently
checked first (``--share``, and the reconciler's nightly run of ``1 / fixity_cycle_days``:
every file within that many days). Each check is a ``FixityCheck`` row; the file's latest
outcome is on its ``StoredFile`` row, which ``/healthz`` counts. A problem (mismatch,
missing, unreadable) is logged and written to the audit log with the file and document.
An archive that is not there at all (volume not mounted) stops the run instead of
reporting every file missing.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa.core.clock import VN_TZ, utcnow, vn_day
from sohoa.core.db import session_scope
from sohoa.core.faults import TransientFault
from sohoa.core.models import FixityCheck, FixityRun, StoredFile
from sohoa.core.vocab import FIXITY_PROBLEMS, FaultCode, FixityOutcome, FixityScope
from sohoa.domain import audit
from sohoa.services import Services

log = logging.getLogger(__name__)

CHUNK = 200


@dataclass
class FixityProblem:
    stored_file_id: int
    document_id: str
    path: str
    outcome: FixityOutcome
    detail: str | None = None


@dataclass
class FixityReport:
    run_id: int
    scope: FixityScope
    checked: int = 0
    problems: list[FixityProblem] = field(default_factory=list)


def share_size(total: int, share: float) -> int:
    return min(total, max(1, math.ceil(total * share))) if total else 0


def run_fixity(services: Services, *, scope: FixityScope, share: float = 1.0,
               stop: threading.Event | None = None,
               progress: Callable[[int, int], None] | None = None) -> FixityReport:
    """Check all stored files, or ``share`` (0-1] of them, least recently checked first."""
    if not services.archive.available():
        raise TransientFault(FaultCode.STORAGE_UNAVAILABLE,
                             f"the archive {services.archive.root} is missing or empty: is its volume mounted?")
    with session_scope(services.sessions) as session:
        total = session.scalar(select(func.count()).select_from(StoredFile)) or 0
        limit = total if scope == FixityScope.ALL else share_size(total, share)
        ids = list(session.scalars(select(StoredFile.id).order_by(
            StoredFile.fixity_checked_at.asc().nulls_first(), StoredFile.id).limit(limit)))
        run = FixityRun(scope=scope, started_at=utcnow(), checked=0, problems=0)
        session.add(run)
        session.flush()
        report = FixityReport(run.id, scope)
    for start in range(0, len(ids), CHUNK):
        if stop is not None and stop.is_set():
            break
        _check_chunk(services, report, ids[start:start + CHUNK])
        if progress is not None:
            progress(min(start + CHUNK, len(ids)), len(ids))
    with session_scope(services.sessions) as session:
        row = session.get(FixityRun, report.run_id)
        assert row is not None
        row.finished_at, row.checked, row.problems = utcnow(), report.checked, len(report.problems)
        audit.record(session, None, "fixity.run", target_type="fixity_run", target_id=str(report.run_id),
                     result_count=report.checked,
                     detail={"scope": scope.value, "problems": len(report.problems)})
    return report


def _check_chunk(services: Services, report: FixityReport, ids: list[int]) -> None:
    with session_scope(services.sessions) as session:
        files = session.scalars(select(StoredFile).where(StoredFile.id.in_(ids)).order_by(StoredFile.id)).all()
        for stored in files:
            result = services.archive.check(stored.path, stored.sha256)
            now = utcnow()
            stored.fixity, stored.fixity_checked_at = result.outcome, now
            session.add(FixityCheck(run_id=report.run_id, stored_file_id=stored.id, path=stored.path,
                                    checked_at=now, outcome=result.outcome, found_sha256=result.found_sha256,
                                    detail=result.detail))
            report.checked += 1
            if result.outcome in FIXITY_PROBLEMS:
                problem = FixityProblem(stored.id, stored.document_id, stored.path, result.outcome,
                                        result.detail)
                report.problems.append(problem)
                _report_problem(session, stored, problem, result.found_sha256)


def _report_problem(session: Session, stored: StoredFile, problem: FixityProblem, found: str | None) -> None:
    log.error("fixity: %s is %s (document %s, %s)", stored.path, problem.outcome, stored.document_id,
              problem.detail or f"expected {stored.sha256}, found {found}")
    audit.record(session, None, f"fixity.{problem.outcome.value}", target_type="stored_file",
                 target_id=str(stored.id),
                 detail={"path": stored.path, "document_id": stored.document_id, "kind": stored.kind,
                         "expected_sha256": stored.sha256, "found_sha256": found, "detail": problem.detail})


def fixity_summary(session: Session) -> dict[str, object]:
    """What ``/healthz`` shows: files whose latest check found a problem, and the last run."""
    counts: dict[str | None, int] = {outcome: count for outcome, count in session.execute(  # noqa: C416 - Rows
        select(StoredFile.fixity, func.count()).where(StoredFile.fixity.in_(list(FIXITY_PROBLEMS)))
        .group_by(StoredFile.fixity))}
    last = session.scalars(select(FixityRun).order_by(FixityRun.started_at.desc(), FixityRun.id.desc())
                           .limit(1)).first()
    return {
        **{outcome.value: int(counts.get(outcome, 0)) for outcome in sorted(FIXITY_PROBLEMS)},
        "never_checked": int(session.scalar(select(func.count()).select_from(StoredFile).where(
            StoredFile.fixity_checked_at.is_(None))) or 0),
        "last_run": None if last is None else {
            "scope": last.scope, "started_at": last.started_at.isoformat(),
            "finished_at": last.finished_at.isoformat() if last.finished_at else None,
            "checked": last.checked, "problems": last.problems},
    }


def fixity_problems(session: Session) -> int:
    """Stored files whose latest check found a mismatch, a missing or an unreadable file."""
    return int(session.scalar(select(func.count()).select_from(StoredFile).where(
        StoredFile.fixity.in_(list(FIXITY_PROBLEMS)))) or 0)


def nightly_due(services: Services, now: datetime | None = None) -> bool:
    """Past ``fixity_hour`` in Vietnam and no share run started yet on this Vietnam day."""
    now = now or utcnow()
    local = now.astimezone(VN_TZ)
    if local.hour < services.settings.fixity_hour:
        return False
    with session_scope(services.sessions) as session:
        last = session.scalar(select(func.max(FixityRun.started_at)).where(FixityRun.scope == FixityScope.SHARE))
    return last is None or vn_day(last) < local.date()
