"""The vocabularies: every closed set of values stored in the database or sent over the API.

One ``StrEnum`` per set, written once. Models, API schemas (``Literal`` types and query
parameters), checks and the CLI derive from these; a member compares equal to its string,
so rows written before these enums existed read back unchanged. Imports nothing, so the
CLI can offer the roles without loading SQLAlchemy.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentStatus(StrEnum):
    """A document's processing state: ``queued → processing → indexed``, or ``failed``."""

    QUEUED = "queued"
    PROCESSING = "processing"
    INDEXED = "indexed"
    FAILED = "failed"


FINAL_DOCUMENT_STATUSES = frozenset({DocumentStatus.INDEXED, DocumentStatus.FAILED})


class IndexState(StrEnum):
    """Whether a document's current text is in the search index (the reconciler retries ``pending``)."""

    PENDING = "pending"
    INDEXED = "indexed"
    FAILED = "failed"


class PageStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class TextSource(StrEnum):
    """Where a page's text came from."""

    OCR = "ocr"
    TEXT_LAYER = "text_layer"


class BatchStatus(StrEnum):
    """``processing`` while any document of the batch is queued or processing."""

    PROCESSING = "processing"
    DONE = "done"


class UploadState(StrEnum):
    """A resumable upload's life: bytes arrive while ``receiving``; ``complete`` once every
    byte is stored (it is being registered); then ``done`` (it joined its batch: a document,
    a duplicate or a rejected file, like any upload) or ``failed`` (it could not join: the
    batch is full, or gone). ``expired`` and ``terminated`` uploads lost their bytes."""

    RECEIVING = "receiving"
    COMPLETE = "complete"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"
    TERMINATED = "terminated"


UNFINISHED_UPLOAD_STATES = frozenset({UploadState.RECEIVING, UploadState.COMPLETE})


class ChecksumAlgorithm(StrEnum):
    """Chunk checksums of the tus checksum extension (``Upload-Checksum: sha256 <base64>``)."""

    SHA1 = "sha1"
    SHA256 = "sha256"


class FileKind(StrEnum):
    """What a stored file in the archive is (``stored_files.kind``)."""

    ORIGINAL = "original"
    PAGE_WORDS = "page_words"
    PAGE_PDF = "page_pdf"
    SEARCHABLE_PDF = "searchable_pdf"
    PART_ORIGINAL = "part_original"  # the pages of one part cut from the original (cached on demand)
    PART_PDF = "part_searchable_pdf"  # the pages of one part cut from the searchable PDF
    PAGE_IMAGE = "page_image"  # a page rendered upright for a screen (a cache: rebuilt when missing)


class ImageFormat(StrEnum):
    """Encodings of a rendered page image (``GET /documents/{id}/pages/{n}/image?format=``)."""

    WEBP = "webp"
    JPEG = "jpeg"
    PNG = "png"


class ImageSize(StrEnum):
    """Named widths of a rendered page image (``?size=``)."""

    THUMB = "thumb"
    SCREEN = "screen"


class Role(StrEnum):
    """What a caller may do (see ``api/deps.py``); ``admin`` may do everything."""

    ADMIN = "admin"
    CLERK = "clerk"
    OFFICER = "officer"
    PORTAL = "portal"


ROLES: tuple[str, ...] = tuple(role.value for role in Role)
# People sign in with one of these; ``portal`` is for machines only (API keys).
USER_ROLES: tuple[str, ...] = tuple(role.value for role in Role if role != Role.PORTAL)


class PrincipalKind(StrEnum):
    """Who makes a request: a person signed in with a session, or an API key."""

    USER = "user"
    KEY = "key"


class UserState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class SessionEnd(StrEnum):
    """Why a sign-in session was ended before it expired (``user_sessions.ended_reason``)."""

    SIGNED_OUT = "signed_out"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    USER_DISABLED = "user_disabled"


class SessionExpiry(StrEnum):
    """Which limit ended a session: no request for too long, or too long since sign-in."""

    IDLE = "idle"
    ABSOLUTE = "absolute"


class ThrottleScope(StrEnum):
    """What failed sign-ins are counted against: the username tried, or the client address."""

    USERNAME = "username"
    ADDRESS = "address"


class CookieSecure(StrEnum):
    """When the session cookie carries ``Secure``: ``auto`` when the request came over https,
    ``always`` behind a TLS-terminating proxy that talks plain http to the API."""

    AUTO = "auto"
    ALWAYS = "always"


class KeyState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class RecordKind(StrEnum):
    RESULT = "result"
    DOSSIER_COMPONENT = "dossier_component"


class PartKind(StrEnum):
    """What a part of an uploaded file is: a result (it gets a record) or a dossier component
    (form, application, copy of an ID card), linked to the result it came with."""

    RESULT = "result"
    COMPONENT = "component"


class PartSource(StrEnum):
    """Who drew a part's boundaries: the detector, or an officer (then never re-detected)."""

    DETECTED = "detected"
    OFFICER = "officer"


class BoundaryReason(StrEnum):
    """Why a part starts where it does (stable codes, kept on the part and sent by the API)."""

    FIRST_PAGE = "first_page"
    SEPARATOR_SHEET = "separator_sheet"
    NATIONAL_HEADING = "national_heading"
    ISSUING_BODY = "issuing_body"
    TITLE = "title"
    DOC_NUMBER = "doc_number"
    ISSUE_DATE = "issue_date"
    PAGE_NUMBERING = "page_numbering"
    OFFICER = "officer"


class SeparatorFormat(StrEnum):
    """Barcode formats a separator sheet may carry (zxing-cpp's names). Linear codes cost
    more to look for on every page than a QR code (``workers/ocr/separator.py``)."""

    QR_CODE = "QRCode"
    MICRO_QR_CODE = "MicroQRCode"
    DATA_MATRIX = "DataMatrix"
    AZTEC = "Aztec"
    PDF417 = "PDF417"
    CODE_128 = "Code128"
    CODE_39 = "Code39"
    CODE_93 = "Code93"


class PartAction(StrEnum):
    """An officer's change to a document's parts (kept in ``part_changes``)."""

    MOVE = "move"
    MERGE = "merge"
    SPLIT = "split"


class LegalStatus(StrEnum):
    """A result's legal standing; only ``in_force`` can be valid. ``expired`` means ended by
    a decision, not by its validity period running out (that is ``ValidityReason.PAST_END``)."""

    IN_FORCE = "in_force"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    REPLACED = "replaced"


class ReviewState(StrEnum):
    EXTRACTED = "extracted"
    CONFIRMED = "confirmed"


class ValidityKind(StrEnum):
    """How a result's end is known: never ends, ends on a date, or not known (never guessed)."""

    PERMANENT = "permanent"
    DATED = "dated"
    UNKNOWN = "unknown"


class ValidityReason(StrEnum):
    """Why a record is or is not valid on a day (stable codes, sent to portals)."""

    VALID = "valid"
    NOT_APPROVED = "not_approved"
    NOT_IN_FORCE = "not_in_force"
    NOT_YET_VALID = "not_yet_valid"
    PAST_END = "past_end"
    UNKNOWN_END = "unknown_end"
    UNKNOWN_START = "unknown_start"


class IdType(StrEnum):
    """Kinds of identifier a record's owner is looked up by."""

    CCCD = "cccd"  # 12-digit personal ID
    CMND = "cmnd"  # 9-digit old ID card
    ENTERPRISE = "enterprise"  # enterprise / tax code


class FieldSource(StrEnum):
    """Where a record field's value came from, as the API reports it."""

    EXTRACTED = "extracted"
    OFFICER = "officer"
    UPLOAD = "upload"
    DERIVED = "derived"
    NONE = "none"


class ReviewReason(StrEnum):
    """Why a document is in the review queue."""

    LOW_CONFIDENCE = "low_confidence"  # pages whose OCR confidence is below the threshold
    UNCONFIRMED = "unconfirmed"  # its record was extracted but no officer confirmed it


class DocumentSort(StrEnum):
    """Orders of the document list (``GET /api/v1/documents?sort=``)."""

    UPLOADED_AT = "uploaded_at"
    ISSUE_DATE = "issue_date"
    FILENAME = "filename"


class SearchSort(StrEnum):
    """Orders of search results (``GET /api/v1/search?sort=``)."""

    RELEVANCE = "relevance"  # best match first; deep paging with search_after
    ISSUE_DATE = "issue_date"  # newest issue date first (pages without one last), then relevance; pages only


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class SearchFacet(StrEnum):
    """What search results can be counted by (``GET /api/v1/search?facets=true``)."""

    DOC_TYPE = "doc_type"
    AGENCY_CODE = "agency_code"
    PROCEDURE_CODE = "procedure_code"
    ISSUE_YEAR = "issue_year"
    STATUS = "status"
    NEEDS_REVIEW = "needs_review"


class SearchBackendName(StrEnum):
    SQLITE = "sqlite"
    OPENSEARCH = "opensearch"


class HealthStatus(StrEnum):
    """``degraded``: serving, but something needs an operator (disk low, workers paused,
    fixity problems); answered with 200 so a restart loop does not start. ``error``: 503."""

    OK = "ok"
    DEGRADED = "degraded"
    ERROR = "error"


class FaultCode(StrEnum):
    """Why a job stopped for a transient reason (``sohoa.core.faults``): the document goes
    back to ``queued`` with a retry time, its content is not blamed."""

    DISK_FULL = "disk_full"
    DATABASE_UNAVAILABLE = "database_unavailable"
    REDIS_UNAVAILABLE = "redis_unavailable"
    SEARCH_UNAVAILABLE = "search_unavailable"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    DEPENDENCY_TIMEOUT = "dependency_timeout"
    SERVICE_UNAVAILABLE = "service_unavailable"
    WORKER_SHUTDOWN = "worker_shutdown"


class FailureCode(StrEnum):
    """Reasons a document ends ``failed`` that are not about one page's content (the page
    and file codes come from ``sohoa.core.errors``)."""

    WORKER_DIED = "too_many_attempts"  # the worker died this many times without finishing a page
    PROCESSING_ERROR = "processing_error"  # an unexpected error, the same each retry
    NO_READABLE_PAGES = "no_readable_pages"
    EMPTY_DOCUMENT = "empty_document"
    INDEX_REJECTED = "index_rejected"


class FixityOutcome(StrEnum):
    """One check of a stored file against the SHA-256 recorded when it was written."""

    OK = "ok"
    MISMATCH = "mismatch"
    MISSING = "missing"
    UNREADABLE = "unreadable"


FIXITY_PROBLEMS = frozenset({FixityOutcome.MISMATCH, FixityOutcome.MISSING, FixityOutcome.UNREADABLE})


class FixityScope(StrEnum):
    ALL = "all"
    SHARE = "share"
