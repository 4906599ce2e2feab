"""Job orchestration: the document job RQ runs, the worker process, the reconciler and
indexing. ``process_document`` is re-exported here because queued jobs name it
``workers.jobs.process_document``.
"""

from __future__ import annotations

from workers.jobs.document import process_document

__all__ = ["process_document"]
