"""The OpenAPI document says what every error looks like: ``{"error": {"code", "message",
"detail"}}`` (``ErrorResponse``) on every operation's error responses.

Filled in once, when the schema is first built, for every route of the app (also routes
added later, by whoever adds them): every operation may answer 422 (validation) and 500;
one with parameters or a body 400; one behind a key 401 and 403; one with a path
parameter 404; and any other 4xx/5xx a route declares gets the same body. FastAPI's own
``HTTPValidationError`` is replaced: our 422 is the one shape too.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api.schemas import ErrorInfo

ERROR_SCHEMA = "ErrorResponse"
ERROR_CONTENT = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}}
DESCRIPTIONS = {
    400: "Bad request (a stable `code`, e.g. invalid_query, invalid_date_range, purpose_required)",
    401: "No valid key (missing_api_key, invalid_api_key, revoked_api_key, expired_api_key)",
    403: "The caller's role may not do this (forbidden)",
    404: "Not found (not_found, or a more specific code)",
    422: "The request is not valid (validation_error) or a file cannot be read",
    500: "Unexpected error (internal_error); it has been logged",
}
_FRAMEWORK_SCHEMAS = ("HTTPValidationError", "ValidationError")


class ErrorResponse(BaseModel):
    """Every error of the API, whatever the route."""

    error: ErrorInfo


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                                 description=app.description, routes=app.routes)
            app.openapi_schema = with_error_shape(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise it


def with_error_shape(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error.pop("$defs", {}))
    components[ERROR_SCHEMA] = error
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            _document_errors(path, operation)
    for name in _FRAMEWORK_SCHEMAS:
        components.pop(name, None)
    return schema


def _document_errors(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    statuses = {422, 500}
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(400)
    if operation.get("security"):
        statuses |= {401, 403}
    if "{" in path:
        statuses.add(404)
    for status in statuses:
        responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
    for status, response in responses.items():
        if status[0] in "45" and _generic(response):
            response["content"] = ERROR_CONTENT
            response.setdefault("description", DESCRIPTIONS.get(int(status), "Error"))


def _generic(response: dict[str, Any]) -> bool:
    """No body of its own (or FastAPI's validation body): the error shape applies. A route
    that declares another body for an error status (``/healthz``' 503) keeps it."""
    content = response.get("content")
    if not content:
        return True
    ref = str(content.get("application/json", {}).get("schema", {}).get("$ref", ""))
    return ref.rsplit("/", 1)[-1] in _FRAMEWORK_SCHEMAS
