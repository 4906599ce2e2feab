"""One JSON error shape for every failure: ``{"error": {"code", "message", "detail"}}``.

Domain errors carry their own code and status; framework errors (validation, unknown
routes, wrong methods) and unexpected exceptions are mapped here, in one place.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sohoa.core.errors import SohoaError
from sohoa.core.faults import transient_code

log = logging.getLogger(__name__)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
    415: "unsupported_media_type", 422: "unprocessable", 429: "too_many_requests",
}


def error_response(status: int, code: str, message: str, detail: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "detail": detail}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _sohoa_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SohoaError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    return error_response(exc.status, exc.code, exc.message, exc.detail, {**headers, **exc.headers} or None)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
                for e in exc.errors()]
    return error_response(422, "validation_error", "the request is not valid", problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return error_response(exc.status_code, code, message, None, headers or None)


def allowed_methods(request: Request) -> list[str]:
    """Every method the API documents at this path. Starlette's 405 names only those of the
    first route that matched the path, but FastAPI makes one route per method (``GET`` and
    ``POST /api/v1/keys`` are two), so its ``Allow`` left the others out (RFC 9110 15.5.6).
    The OpenAPI document is the one list of them that FastAPI offers publicly."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), path):
            methods |= {m.upper() for m in operations if m.upper() in _METHODS}
    return sorted(methods)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A dependency or resource that is away right now (no space, the database or Redis
    gone...) is a 503 with its stable code (``sohoa.core.faults``), anything else a 500."""
    fault = transient_code(exc)
    if fault is not None:
        log.warning("%s %s: %s (%s)", request.method, request.url.path, fault, exc)
        return error_response(503, fault.value, "a service sohoa depends on is unavailable right now "
                              f"({fault.value}); try again later", None, {"Retry-After": "30"})
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SohoaError, _sohoa_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
