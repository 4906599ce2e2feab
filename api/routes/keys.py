"""API key management over HTTP (admins): create, list, change expiry, revoke.

Keys are stored hashed (``sohoa.domain.keys``); the secret is in the creation response only.
Revoking keeps the row (the audit log refers to it). The last active admin key cannot be
revoked, nor given an expiry that has already passed (the same as revoking it), so the
service is never left without a key able to manage keys (409 ``last_admin_key``).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import AdminKey, RowId, ServicesDep, SessionDep
from api.schemas_records import KeyCreate, KeyCreatedPublic, KeyPublic, KeyUpdate
from sohoa.core.clock import as_utc, utcnow
from sohoa.core.errors import Conflict, NotFound
from sohoa.core.models import ApiKey
from sohoa.core.vocab import Role
from sohoa.domain import audit
from sohoa.domain.keys import create_key, revoke_key

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


def _aware(value: datetime | None) -> datetime | None:
    """An expiry as UTC (naive = UTC); 400 ``date_out_of_range`` past what UTC can hold."""
    return as_utc(value, field="expires_at") if value is not None else None


def key_public(key: ApiKey) -> KeyPublic:
    expires = _aware(key.expires_at)
    active = key.revoked_at is None and (expires is None or expires > utcnow())
    return KeyPublic(id=key.id, name=key.name, role=key.role, agency=key.agency, prefix=key.prefix,
                     created_at=key.created_at, expires_at=key.expires_at, revoked_at=key.revoked_at,
                     last_used_at=key.last_used_at, active=active)


def _load(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key with id {key_id}", detail={"key_id": key_id})
    return key


@router.get("", response_model=list[KeyPublic], summary="Every key (never the secrets)")
def list_keys(admin: AdminKey, session: SessionDep) -> list[KeyPublic]:
    return [key_public(k) for k in session.scalars(select(ApiKey).order_by(ApiKey.id))]


@router.post("", status_code=201, response_model=KeyCreatedPublic, summary="Create a key (secret shown once)")
def post_key(body: KeyCreate, admin: AdminKey, session: SessionDep) -> KeyCreatedPublic:
    key, secret = create_key(session, role=body.role, name=body.name, agency=body.agency,
                             expires_at=_aware(body.expires_at))
    audit.record(session, admin, "key.create", target_type="api_key", target_id=str(key.id),
                 detail={"role": key.role, "name": key.name})
    session.commit()
    return KeyCreatedPublic(key=key_public(key), secret=secret)


@router.patch("/{key_id}", response_model=KeyPublic, summary="Change a key's expiry",
              responses={409: {"description": "Would leave no active admin key (last_admin_key)"}})
def patch_key(key_id: RowId, body: KeyUpdate, admin: AdminKey, session: SessionDep,
              services: ServicesDep) -> KeyPublic:
    key = _load(session, key_id)
    expires_at = _aware(body.expires_at)
    if expires_at is not None and expires_at <= utcnow():
        _guard_last_admin_key(session, key)
    key.expires_at = expires_at
    audit.record(session, admin, "key.update", target_type="api_key", target_id=str(key.id),
                 detail={"expires_at": key.expires_at.isoformat() if key.expires_at else None})
    session.commit()
    services.keys.forget(key.id)  # at once in this process; in the others within the key-check cache's seconds
    return key_public(key)


@router.delete("/{key_id}", response_model=KeyPublic, summary="Revoke a key (the row is kept)",
               responses={409: {"description": "Would leave no active admin key (last_admin_key)"}})
def delete_key(key_id: RowId, admin: AdminKey, session: SessionDep, services: ServicesDep) -> KeyPublic:
    key = _load(session, key_id)
    _guard_last_admin_key(session, key)
    revoke_key(session, key.id)
    audit.record(session, admin, "key.revoke", target_type="api_key", target_id=str(key.id))
    session.commit()
    services.keys.forget(key.id)  # at once in this process; in the others within the key-check cache's seconds
    return key_public(key)


def _guard_last_admin_key(session: Session, key: ApiKey) -> None:
    """409 ``last_admin_key`` when ending ``key`` (revoking it, or expiring it now) would
    leave no active admin key."""
    if key.role != Role.ADMIN or not key_public(key).active:
        return
    others = [k for k in session.scalars(select(ApiKey).where(
        ApiKey.role == Role.ADMIN, ApiKey.revoked_at.is_(None), ApiKey.id != key.id)) if key_public(k).active]
    if not others:
        raise Conflict("this is the last active admin key; create another first", code="last_admin_key",
                       detail={"key_id": key.id})
