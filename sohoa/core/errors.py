"""Domain errors: a stable machine-readable code and an HTTP status, no web framework.

``api/`` turns any ``SohoaError`` into ``{"error": {"code", "message", "detail"}}``.
"""

from __future__ import annotations

from typing import Any


class SohoaError(Exception):
    code = "internal_error"
    status = 500

    def __init__(self, message: str, *, detail: Any = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.headers = headers or {}  # e.g. Retry-After; sent by api/ with the error
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail}


class BadRequest(SohoaError):
    code, status = "bad_request", 400


class InvalidQuery(BadRequest):
    code = "invalid_query"


class NulCharacter(BadRequest):
    """Text holding U+0000: PostgreSQL cannot store it, and no name or code needs it."""

    code = "nul_character"


class Unauthorized(SohoaError):
    code, status = "unauthorized", 401


class Forbidden(SohoaError):
    code, status = "forbidden", 403


class NotFound(SohoaError):
    code, status = "not_found", 404


class Conflict(SohoaError):
    code, status = "conflict", 409


class Gone(SohoaError):
    code, status = "gone", 410


class PreconditionFailed(SohoaError):
    code, status = "precondition_failed", 412


class Locked(SohoaError):
    code, status = "locked", 423


class ChecksumMismatch(SohoaError):
    """A chunk whose bytes do not match its ``Upload-Checksum`` (tus checksum extension: 460)."""

    code, status = "checksum_mismatch", 460


class TooManyRequests(SohoaError):
    code, status = "too_many_requests", 429


class TooLarge(SohoaError):
    code, status = "file_too_large", 413


class TooManyPages(SohoaError):
    code, status = "too_many_pages", 413


class UnsupportedType(SohoaError):
    code, status = "unsupported_type", 415


class UnprocessableFile(SohoaError):
    """A file of a supported type that cannot be read (corrupt, encrypted, empty...)."""

    code, status = "unprocessable_file", 422


class EncryptedPdf(UnprocessableFile):
    code = "encrypted_pdf"


class CorruptFile(UnprocessableFile):
    code = "corrupt_file"


class ImageTooLarge(UnprocessableFile):
    """Decompression-bomb guard: a page with more pixels than the limit."""

    code = "image_too_large"


class ServiceUnavailable(SohoaError):
    code, status = "service_unavailable", 503


class ConfigError(SohoaError):
    """A setting is missing or invalid (``sohoa.core.settings_check`` lists every problem)."""

    code, status = "invalid_config", 500
