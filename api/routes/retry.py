"""Retrying failed documents (admins): one by id, or every failed one matching a filter.

The same as ``sohoa retry`` (``workers.jobs.retry``): the document goes back to ``queued``,
its failure cleared, failed pages read again, pages already read kept.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictBool
from starlette.concurrency import run_in_threadpool

from api.deps import AdminKey, ServicesDep
from sohoa.core.errors import Conflict, NotFound
from sohoa.core.models import Document
from workers.jobs.retry import RetryFilter, RetryOutcome, retry_documents

router = APIRouter(prefix="/api/v1", tags=["retry"])


class RetryRequest(BaseModel):
    document_ids: list[str] = Field(default_factory=list, max_length=1000)
    batch_id: str | None = Field(None, max_length=64)
    error_code: str | None = Field(None, max_length=64, description="e.g. too_many_attempts")
    all_failed: StrictBool = False


class RetryPublic(BaseModel):
    retried: list[str] = Field(description="Documents queued again.")
    not_failed: list[str] = Field(description="Ids asked for that are not failed (or unknown): left alone.")
    enqueued: bool = Field(description="False when the queue was unreachable; the reconciler catches up.")


def _public(outcome: RetryOutcome) -> RetryPublic:
    return RetryPublic(retried=outcome.retried, not_failed=outcome.not_failed, enqueued=outcome.enqueued)


@router.post("/documents/{document_id}/retry", response_model=RetryPublic, status_code=202,
             responses={404: {"description": "No such document"}, 409: {"description": "The document is not failed"}},
             summary="Queue a failed document again")
async def retry_document(document_id: str, admin: AdminKey, services: ServicesDep) -> RetryPublic:
    outcome = await run_in_threadpool(retry_documents, services, RetryFilter(document_ids=[document_id]),
                                      who=admin, via="api")
    if not outcome.retried:
        with services.sessions() as session:
            doc = session.get(Document, document_id)
        if doc is None:
            raise NotFound(f"no document with id {document_id}", detail={"document_id": document_id})
        raise Conflict(f"document {document_id} is {doc.status}, not failed", code="not_failed",
                       detail={"status": doc.status})
    return _public(outcome)


@router.post("/retry", response_model=RetryPublic, status_code=202,
             responses={400: {"description": "No filter given"}},
             summary="Queue failed documents again: by ids, batch, error code, or all failed")
async def retry_many(body: RetryRequest, admin: AdminKey, services: ServicesDep) -> RetryPublic:
    wanted = RetryFilter(document_ids=body.document_ids, batch_id=body.batch_id, error_code=body.error_code,
                         all_failed=body.all_failed)
    return _public(await run_in_threadpool(retry_documents, services, wanted, who=admin, via="api"))
