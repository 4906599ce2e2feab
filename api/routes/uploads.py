"""Resumable uploads over tus 1.0 (core, creation, checksum, expiration, termination).

``OPTIONS /api/v1/uploads`` tells what the server supports; ``POST`` creates an upload
(``Upload-Length``, ``Upload-Metadata``: see ``ingest/tus_protocol.py``) and answers its
URL in ``Location``; ``HEAD`` on it gives the stored offset; ``PATCH`` appends a chunk at
that offset (``Upload-Checksum`` optional, ``460`` when it does not match); ``DELETE``
cancels. When the last byte is stored the file is registered in its batch like any upload;
``GET`` on the upload URL (not part of tus) tells what it became. Same roles as the
multipart routes: clerks (and admins); each caller sees only their own uploads.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC
from email.utils import format_datetime

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from api.deps import ClerkKey, ServicesDep
from api.routes.batches import check_may_add
from api.schemas import ErrorInfo, UploadedDocumentPublic, UploadPublic
from api.tus import (
    TUS_OPENAPI,
    UPLOADS_PREFIX,
    Interrupted,
    UploadWriters,
    body_pieces,
    int_header,
    require_tus_version,
    tus_openapi,
)
from ingest import upload_tmp_dir
from ingest.resumable import (
    ChunkWriter,
    Uploader,
    UploadStatus,
    create_upload,
    open_chunk,
    terminate_upload,
    upload_status,
)
from ingest.resumable_finish import UploadResult, finish_upload, upload_result
from ingest.tus_protocol import (
    CHECKSUM_ALGORITHMS,
    TUS_EXTENSIONS,
    TUS_VERSION,
    UploadMeta,
    parse_checksum,
    read_upload_meta,
)
from sohoa.core.errors import BadRequest, UnsupportedType
from sohoa.core.vocab import UploadState
from sohoa.domain.principal import Principal
from sohoa.domain.scope import assigned_agency
from sohoa.services import Services
from sohoa.storage.space import require_space

log = logging.getLogger(__name__)
router = APIRouter(prefix=UPLOADS_PREFIX, tags=["uploads"])

CHUNK_CONTENT_TYPE = "application/offset+octet-stream"
WRITE_BYTES = 1024 * 1024  # body pieces are gathered up to this before a write in the thread pool


def _uploader(who: Principal) -> Uploader:
    """The caller as ingest knows it: ``owner`` (``user:3`` / ``key:5``) keys access and quota."""
    return Uploader(owner=who.ref, key_id=who.key_id, user_id=who.user_id, is_admin=who.is_admin)


def _int_header(request: Request, name: str, *, required: bool) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        if required:
            raise BadRequest(f"the {name} header is required", code="missing_header", detail={"header": name})
        return None
    if not raw.strip().isdigit():
        raise BadRequest(f"{name} must be a non-negative integer", code="invalid_header", detail={"header": name})
    return int(raw)


def _upload_headers(status: UploadStatus) -> dict[str, str]:
    headers = {"Upload-Offset": str(status.offset), "Cache-Control": "no-store"}
    if status.state == UploadState.RECEIVING:
        headers["Upload-Expires"] = format_datetime(status.expires_at.astimezone(UTC), usegmt=True)
    return headers


@router.options("", status_code=204, summary="What this tus server supports (no key needed)",
                response_class=Response)
def discover(services: ServicesDep) -> Response:
    return Response(status_code=204, headers={
        "Tus-Version": TUS_VERSION, "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Max-Size": str(services.settings.max_file_bytes), "Tus-Checksum-Algorithm": CHECKSUM_ALGORITHMS})


@router.post("", status_code=201, summary="Start a resumable upload (tus creation)", openapi_extra=tus_openapi(
    parameters=(int_header("Upload-Length", "The file's size in bytes"),
                {"name": "Upload-Metadata", "in": "header", "required": True, "schema": {
                    "type": "string", "pattern": r"^(.*,)?\s*filename [A-Za-z0-9+/]+={0,2}\s*(,.*)?$"},
                 "description": "tus metadata: `filename` (base64), optional batch_id, agency_code, ..."}),
    responses={"409": {"description": "The batch cannot take it (too_many_files) or the quota is used up"},
               "413": {"description": "Larger than SOHOA_MAX_FILE_BYTES (too_large)"}}),
             response_class=Response, responses={201: {"description": "Created; its URL is in `Location`."}})
async def create(request: Request, key: ClerkKey, services: ServicesDep) -> Response:
    """``Upload-Length`` (at most ``SOHOA_MAX_FILE_BYTES``) and ``Upload-Metadata``
    (``filename``; ``batch_id`` to join a batch, else a new batch with optional
    ``agency_code``, ``procedure_code``, ``note``; optional ``sha256`` of the whole file)."""
    require_tus_version(request)
    if request.headers.get("upload-defer-length") is not None:
        raise BadRequest("send Upload-Length: uploads of unknown length are not supported",
                         code="length_required")
    length = _int_header(request, "upload-length", required=True)
    assert length is not None
    meta = read_upload_meta(request.headers.get("upload-metadata"))
    if meta.batch_id is None:  # a new batch belongs to a scoped caller's agency (sohoa.domain.scope)
        meta = replace(meta, batch=replace(meta.batch, agency_code=assigned_agency(key, meta.batch.agency_code)))
    status = await run_in_threadpool(_start, services, key, length, meta)
    log.info("upload %s created: %r, %d bytes, batch %s", status.id, status.filename, length, status.batch_id)
    return Response(status_code=201, headers={"Location": f"{UPLOADS_PREFIX}/{status.id}", **_upload_headers(status)})


def _start(services: Services, key: Principal, length: int, meta: UploadMeta) -> UploadStatus:
    """The creation's checks and the upload, in one trip to the thread pool: whether the
    caller may join the batch, the disk's space, then the upload itself."""
    if meta.batch_id is not None:
        check_may_add(services.sessions, key, meta.batch_id)
    require_space(services.settings, [services.archive.root, upload_tmp_dir(services.settings)])
    return create_upload(services.settings, services.sessions, _uploader(key), length, meta)


@router.head("/{upload_id}", summary="The stored offset of an upload (tus core)", openapi_extra=TUS_OPENAPI,
             response_class=Response)
async def offset(upload_id: str, request: Request, key: ClerkKey, services: ServicesDep) -> Response:
    require_tus_version(request)
    status = await run_in_threadpool(upload_status, services.sessions, _uploader(key), upload_id)
    headers = {**_upload_headers(status), "Upload-Length": str(status.length)}
    if status.metadata:
        headers["Upload-Metadata"] = status.metadata
    return Response(status_code=200, headers=headers)


@router.patch("/{upload_id}", status_code=204, summary="Append a chunk at the stored offset (tus core, checksum)",
              response_class=Response, openapi_extra=tus_openapi(
                  parameters=(int_header("Upload-Offset", "Where this chunk starts: the stored offset"),),
                  responses={"409": {"description": "Upload-Offset is not the stored offset (offset_mismatch)"},
                             "415": {"description": "Not application/offset+octet-stream (invalid_content_type)"},
                             "423": {"description": "Another request is writing this upload"},
                             "460": {"description": "The chunk does not match Upload-Checksum"}},
                  body={"required": True, "content": {CHUNK_CONTENT_TYPE: {"schema": {"type": "string",
                                                                                     "format": "binary"}}}}))
async def append(upload_id: str, request: Request, key: ClerkKey, services: ServicesDep) -> Response:
    """``Upload-Offset`` must equal the stored offset (else ``409 offset_mismatch``); the
    chunk is stored only whole and matching its ``Upload-Checksum`` (``460``) when one is
    sent; ``Upload-Offset`` in the answer is acknowledged only once the bytes are on disk."""
    require_tus_version(request)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != CHUNK_CONTENT_TYPE:
        raise UnsupportedType(f"send the chunk as Content-Type: {CHUNK_CONTENT_TYPE}", code="invalid_content_type")
    start = _int_header(request, "upload-offset", required=True)
    assert start is not None
    content_length = _int_header(request, "content-length", required=False)
    checksum = parse_checksum(request.headers.get("upload-checksum"))
    settings, sessions = services.settings, services.sessions
    writers: UploadWriters = request.app.state.upload_writers
    async with writers.hold(upload_id) as stop:
        writer = await run_in_threadpool(open_chunk, settings, sessions, _uploader(key), upload_id, start,
                                         content_length, checksum)
        try:
            status = await _receive(request, writer, stop)
        finally:
            await run_in_threadpool(writer.close)
    if status is None:  # the client is gone, or a newer request took over: nobody reads this answer
        return Response(status_code=204)
    if status.state == UploadState.COMPLETE:
        await _finish(services, upload_id)
    return Response(status_code=204, headers=_upload_headers(status))


async def _receive(request: Request, writer: ChunkWriter, stop: asyncio.Event) -> UploadStatus | None:
    """Stream the body into ``writer``; None when the request broke off (what arrived is kept
    or dropped by ``ChunkWriter.abort``)."""
    pending = bytearray()
    try:
        async for piece in body_pieces(request, stop):
            pending += piece
            if len(pending) >= WRITE_BYTES:
                await run_in_threadpool(writer.write, bytes(pending))
                pending.clear()
        if pending:
            await run_in_threadpool(writer.write, bytes(pending))
        return await run_in_threadpool(writer.commit)
    except (ClientDisconnect, Interrupted) as exc:
        if pending and writer.checksum is None:  # kept: what arrived of a chunk without a checksum
            await run_in_threadpool(writer.write, bytes(pending))
        kept = await run_in_threadpool(writer.abort)
        log.info("upload %s: chunk broke off (%s); offset stays %d", writer.upload_id, exc.__class__.__name__, kept)
        return None
    except BaseException:
        await run_in_threadpool(writer.discard)
        raise


async def _finish(services: Services, upload_id: str) -> None:
    await run_in_threadpool(_register_now, services, upload_id)


def _register_now(services: Services, upload_id: str) -> None:
    """Register the complete file now; if that fails (database briefly down...) the bytes
    are safe and ``GET`` or the reconciler registers it later, so the chunk still succeeded."""
    try:
        finish_upload(services.settings, services.sessions, services.archive, upload_id,
                      enqueue=services.queue.enqueue_new)
    except Exception:
        log.exception("upload %s is complete but could not be registered yet; it will be retried", upload_id)


def _outcome(services: Services, caller: Uploader, upload_id: str) -> UploadResult:
    """The upload's state and what its file became, in one trip to the thread pool; a
    complete upload not registered yet is registered first."""
    status = upload_status(services.sessions, caller, upload_id)
    if status.state == UploadState.COMPLETE:
        _register_now(services, upload_id)
        status = upload_status(services.sessions, caller, upload_id)
    return upload_result(services.sessions, status)


@router.delete("/{upload_id}", status_code=204, summary="Cancel an unfinished upload (tus termination)",
               response_class=Response, openapi_extra=TUS_OPENAPI)
async def cancel(upload_id: str, request: Request, key: ClerkKey, services: ServicesDep) -> Response:
    require_tus_version(request)
    await run_in_threadpool(terminate_upload, services.settings, services.sessions, _uploader(key), upload_id)
    return Response(status_code=204)


@router.get("/{upload_id}", response_model=UploadPublic, summary="An upload's progress, then what the file became")
async def result(upload_id: str, key: ClerkKey, services: ServicesDep) -> UploadPublic:
    """Not part of tus: the answer a client reads after the last chunk (``done``: the
    document, a duplicate or a rejected file; ``failed``: why it could not join its batch).
    A ``complete`` upload whose registration did not happen yet is registered now."""
    outcome = await run_in_threadpool(_outcome, services, _uploader(key), upload_id)
    status = outcome.status
    document = None
    if outcome.file is not None:
        f = outcome.file
        document = UploadedDocumentPublic(
            id=f.document_id, filename=f.filename, status=f.status, duplicate=f.duplicate,
            error=ErrorInfo(**f.error.as_dict()) if f.error else None, sha256=f.sha256, size_bytes=f.size_bytes,
            mime_type=f.mime_type, pages_total=f.pages_total)
    error = (ErrorInfo(code=status.error_code, message=status.error_message or "")
             if status.state == UploadState.FAILED and status.error_code else None)
    return UploadPublic(id=status.id, state=status.state, offset=status.offset, length=status.length,
                        filename=status.filename, batch_id=status.batch_id, document=document, error=error,
                        expires_at=status.expires_at if status.state == UploadState.RECEIVING else None)
