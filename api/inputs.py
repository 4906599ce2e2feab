"""Input every route shares, checked once in front of all of them: no NUL character in the
path, the query string or a JSON body (``sohoa.core.inputs``: PostgreSQL cannot store it).

ASGI middleware, like the CSRF check, so a route added later is covered without doing
anything. A JSON body is read whole here and handed on unchanged (FastAPI reads it whole
anyway to parse it); other bodies (multipart files, tus chunks) stream through untouched and
their text parts are checked where they are parsed (``api/uploads.py``,
``ingest/tus_protocol.py``).
"""

from __future__ import annotations

import json
from urllib.parse import unquote_to_bytes

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response
from sohoa.core.errors import NulCharacter
from sohoa.core.inputs import NUL, has_nul


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _nul_in_url(scope)
        if where is None and _is_json(scope):
            body, receive = await _buffered(receive)
            where = "the JSON body" if _json_has_nul(body) else None
        if where is not None:
            error = NulCharacter(f"{where} contains a NUL character (U+0000)", detail={"field": where})
            await error_response(error.status, error.code, error.message, error.detail)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _nul_in_url(scope: Scope) -> str | None:
    if NUL in scope["path"]:
        return "the path"
    query = scope.get("query_string", b"")
    if b"\x00" in unquote_to_bytes(query):
        return "the query string"
    return None


def _is_json(scope: Scope) -> bool:
    content_type = Headers(scope=scope).get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a ``receive`` that gives the app the same messages again."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return b"".join(chunks), replay


def _json_has_nul(body: bytes) -> bool:
    if b"\\u0000" not in body.lower() and b"\x00" not in body:
        return False  # the usual case: no NUL can be in there, nothing to parse
    try:
        return has_nul(json.loads(body))
    except ValueError:  # not JSON (or a raw NUL byte): FastAPI refuses it as it does any bad body
        return False
