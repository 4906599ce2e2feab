"""Workers: the OCR processing pipeline run by RQ workers (no web framework here).

Public entry points: ``enqueue_document`` (queue), ``process_document`` (the job),
``run_worker`` (a worker process), ``reconcile_once``/``run_reconciler`` and the indexing
helpers. Submodules are imported lazily so ``import workers`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "enqueue_document": "workers.queue",
    "process_document": "workers.jobs",
    "run_worker": "workers.runner",
    "reconcile_once": "workers.reconciler",
    "run_reconciler": "workers.reconciler",
    "build_indexed_document": "workers.indexing",
    "index_document": "workers.indexing",
    "reindex_all": "workers.indexing",
    "set_context": "workers.context",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
