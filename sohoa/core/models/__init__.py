"""Database schema: the source of truth for batches, documents, pages and their state.

Redis only carries job messages; everything a restart must not lose lives here. One module
per group of tables, all on one ``Base`` (so ``Base.metadata``, which Alembic compares with
the migrations, holds every table once this package is imported):

- ``base``: ``Base``, the UTC timestamp type, ``new_id``, ``table_of`` (a model's Core table);
- ``intake``: batches, their items, resumable uploads;
- ``documents``: documents and their pages;
- ``parts``: the paper documents inside a file and officers' changes to them;
- ``stored_files``: the archive's files and their fixity checks;
- ``accounts``: API keys, users, sessions, failed sign-ins;
- ``audit``: the audit log;
- ``records``: extracted fields, records, the people they name, corrections.

Import the names from here (``from sohoa.core.models import Document``): which module
declares a table is a detail of this package.
"""

from sohoa.core.models.accounts import ApiKey, SignInFailure, User, UserSession
from sohoa.core.models.audit import AuditEvent
from sohoa.core.models.base import Base, UtcDateTime, new_id, table_of
from sohoa.core.models.documents import Document, Page
from sohoa.core.models.intake import Batch, BatchItem, Upload
from sohoa.core.models.parts import Part, PartChange
from sohoa.core.models.records import ExtractedFieldRow, Record, RecordCorrection, RecordSubject
from sohoa.core.models.stored_files import FixityCheck, FixityRun, StoredFile

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "Batch",
    "BatchItem",
    "Document",
    "ExtractedFieldRow",
    "FixityCheck",
    "FixityRun",
    "Page",
    "Part",
    "PartChange",
    "Record",
    "RecordCorrection",
    "RecordSubject",
    "SignInFailure",
    "StoredFile",
    "Upload",
    "User",
    "UserSession",
    "UtcDateTime",
    "new_id",
    "table_of",
]
