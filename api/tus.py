"""HTTP plumbing of the tus routes (``api/routes/uploads.py``): protocol headers on every
response, one writer per upload, and a request body that a newer request can interrupt.

A line that drops mid-chunk often leaves the server holding a dead connection for minutes
(no FIN ever arrives). The client reconnects at once and sends the chunk again; rather than
answering ``423`` until the old connection times out, the new request asks the old one to
stop (it drops its unverified chunk, releasing the upload) and takes over, as tusd does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest.tus_protocol import TUS_VERSION
from sohoa.core.errors import Locked, PreconditionFailed

UPLOADS_PREFIX = "/api/v1/uploads"
TAKEOVER_SECONDS = 10.0  # how long a new request waits for the one it interrupts to let go


class TusHeaders:
    """ASGI middleware: ``Tus-Resumable`` on every response under ``/api/v1/uploads``
    (errors included, which the single error handler renders), ``Tus-Version`` on a 412."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(UPLOADS_PREFIX):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"tus-resumable", TUS_VERSION.encode())]
                if message["status"] == 412:
                    headers.append((b"tus-version", TUS_VERSION.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# What the spec says of every tus request but OPTIONS: the version header, and 412 without it.
TUS_OPENAPI: dict[str, Any] = {
    "parameters": [{"name": "Tus-Resumable", "in": "header", "required": True,
                    "schema": {"type": "string", "enum": [TUS_VERSION]}, "description": "The tus version spoken"}],
    "responses": {"412": {"description": "No or another `Tus-Resumable` version (unsupported_tus_version)"}},
}


def tus_openapi(*, parameters: tuple[dict[str, Any], ...] = (), responses: dict[str, Any] | None = None,
                body: dict[str, Any] | None = None) -> dict[str, Any]:
    """``TUS_OPENAPI`` with an operation's own headers, answers and body."""
    extra: dict[str, Any] = {"parameters": [*TUS_OPENAPI["parameters"], *parameters],
                             "responses": {**TUS_OPENAPI["responses"], **(responses or {})}}
    if body is not None:
        extra["requestBody"] = body
    return extra


def int_header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 0}}


def require_tus_version(request: Request) -> None:
    """Every tus request but OPTIONS names the protocol version it speaks."""
    sent = request.headers.get("tus-resumable")
    if sent != TUS_VERSION:
        raise PreconditionFailed(f"send `Tus-Resumable: {TUS_VERSION}` (this server speaks tus {TUS_VERSION})",
                                 code="unsupported_tus_version", detail={"supported": [TUS_VERSION]})


class Interrupted(Exception):
    """A newer request for the same upload took over."""


class UploadWriters:
    """Which request writes which upload, in this process (one per app, on ``app.state``)."""

    def __init__(self) -> None:
        self._active: dict[str, tuple[asyncio.Event, asyncio.Event]] = {}

    @asynccontextmanager
    async def hold(self, upload_id: str) -> AsyncIterator[asyncio.Event]:
        """Exclusive right to write ``upload_id``; yields the event that asks us to stop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TAKEOVER_SECONDS
        while upload_id in self._active:
            stop, released = self._active[upload_id]
            stop.set()
            try:
                await asyncio.wait_for(released.wait(), timeout=max(deadline - loop.time(), 0.01))
            except TimeoutError:
                raise Locked("another request is still writing this upload; try again in a moment",
                             code="upload_locked") from None
        stop, released = asyncio.Event(), asyncio.Event()
        self._active[upload_id] = (stop, released)
        try:
            yield stop
        finally:
            del self._active[upload_id]
            released.set()


async def body_pieces(request: Request, stop: asyncio.Event) -> AsyncIterator[bytes]:
    """The request body as it arrives; raises ``Interrupted`` as soon as ``stop`` is set,
    even while no byte is coming (``ClientDisconnect`` when the client goes away)."""
    stream = request.stream().__aiter__()
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while True:
            piece = asyncio.ensure_future(stream.__anext__())
            done, _ = await asyncio.wait({piece, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if piece not in done:
                piece.cancel()
                raise Interrupted
            try:
                data = piece.result()
            except StopAsyncIteration:
                return
            yield data
    finally:
        stopper.cancel()
