"""The OpenAPI document says what every error looks like: ``{"error": {"code", "message",
"detail"}}`` (``ErrorResponse``) on every operation's error responses.

Filled in once, when the schema is first built, for every route of the app (also routes
added later, by whoever adds them): every operation may answer 422 (validation) and 500;
one with parameters or a body 400; one behind a key 401 and 403; one with a path
parameter 404; every one 503 (a dependency away: ``sohoa.core.faults``); and any other
4xx/5xx a route declares gets the same body. FastAPI's own ``HTTPValidationError`` is
replaced: our 422 is the one shape too. Every free-text string (no pattern, format or enum
of its own) says it holds no NUL character, which the app refuses everywhere (400
``nul_character``, ``api/inputs.py``): a client generating requests from the spec, as
Schemathesis does, is told what is accepted.
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
    503: "A dependency is unavailable right now (disk_full, database_unavailable, redis_unavailable, "
         "search_unavailable...): try again later (Retry-After)",
}
NO_NUL = "^[^\\u0000]*$"
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
            _no_null_parameters(operation)
    for name in _FRAMEWORK_SCHEMAS:
        components.pop(name, None)
    _no_nul(schema)
    return schema


def _no_null_parameters(operation: dict[str, Any]) -> None:
    """A query, header or cookie value is text or absent, never JSON null: ``str | None``
    becomes its ``str`` schema (with the outer keywords such as a pattern), so a client
    does not send the word ``null`` (``X-Purpose: null``) where the app wants a code."""
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        branches = schema.get("anyOf")
        if not branches:
            continue
        kept = [b for b in branches if b.get("type") != "null"]
        if len(kept) == 1 and len(kept) < len(branches):
            outer = {k: v for k, v in schema.items() if k != "anyOf"}
            parameter["schema"] = {**kept[0], **outer}


def _no_nul(node: Any) -> None:
    """``pattern: ^[^\\u0000]*$`` on every string schema without a pattern, format or enum."""
    if isinstance(node, dict):
        if node.get("type") == "string" and not {"pattern", "format", "enum", "const"} & node.keys():
            node["pattern"] = NO_NUL
        if node.get("type") == "object" and node.get("additionalProperties") not in (None, False):
            node.setdefault("propertyNames", {"pattern": NO_NUL})  # keys of a JSON object are text too
        for value in node.values():
            _no_nul(value)
    elif isinstance(node, list):
        for value in node:
            _no_nul(value)


def _document_errors(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    statuses = {422, 500, 503}
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
