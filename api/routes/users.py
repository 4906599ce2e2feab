"""People's accounts managed by admins: list, create, change, disable, reset a password.

There is no delete: audit events and corrections name users, so an account that must stop
working is disabled (its sessions end at once). New and reset accounts get a one-time
password, returned once. Admins manage every agency's users (an admin is never scoped,
``sohoa.domain.scope``). The last active admin without an agency cannot be disabled,
demoted or given an agency (409 ``last_admin``), whoever asks, themselves included.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from api.deps import AdminKey, RowId, SessionDep
from api.schemas_accounts import OneTimePasswordPublic, UserCreate, UserPublic, UserUpdate
from sohoa.core.clock import utcnow
from sohoa.core.models import User
from sohoa.domain import audit
from sohoa.domain.accounts import create_user, find_user, list_users, reset_password, update_user
from sohoa.domain.principal import Principal

router = APIRouter(prefix="/api/v1/users", tags=["users"])


def user_public(user: User) -> UserPublic:
    return UserPublic(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                      agency=user.agency, disabled=user.disabled, must_change_password=user.must_change_password,
                      created_at=user.created_at, updated_at=user.updated_at,
                      password_changed_at=user.password_changed_at, last_sign_in_at=user.last_sign_in_at)


def _audit(session: Session, admin: Principal, action: str, user: User, **detail: object) -> None:
    audit.record(session, admin, action, target_type="user", target_id=str(user.id),
                 detail={"username": user.username, **detail})


@router.get("", response_model=list[UserPublic], summary="Every user")
def get_users(admin: AdminKey, session: SessionDep) -> list[UserPublic]:
    return [user_public(u) for u in list_users(session)]


@router.post("", status_code=201, response_model=OneTimePasswordPublic,
             summary="Create a user (one-time password shown once)",
             responses={409: {"description": "The username is taken (username_taken)"}})
def post_user(body: UserCreate, admin: AdminKey, session: SessionDep) -> OneTimePasswordPublic:
    user, password = create_user(session, username=body.username, display_name=body.display_name,
                                 role=body.role, agency=body.agency)
    _audit(session, admin, "user.create", user, role=user.role, agency=user.agency)
    session.commit()
    return OneTimePasswordPublic(user=user_public(user), password=password)


@router.get("/{user_id}", response_model=UserPublic, summary="One user")
def get_user(user_id: RowId, admin: AdminKey, session: SessionDep) -> UserPublic:
    return user_public(find_user(session, user_id=user_id))


@router.patch("/{user_id}", response_model=UserPublic, summary="Change display name, role, agency; disable or enable",
              responses={409: {"description": "Would leave no active admin without an agency (last_admin)"}})
def patch_user(user_id: RowId, body: UserUpdate, admin: AdminKey, session: SessionDep) -> UserPublic:
    user = find_user(session, user_id=user_id)
    changed = update_user(session, user, body.model_dump(include=body.model_fields_set), now=utcnow())
    _audit(session, admin, "user.update", user, changed=changed)
    session.commit()
    return user_public(user)


@router.post("/{user_id}/reset-password", response_model=OneTimePasswordPublic,
             summary="Give a user a new one-time password (ends their sessions, lifts a lock)")
def post_reset_password(user_id: RowId, admin: AdminKey, session: SessionDep) -> OneTimePasswordPublic:
    user = find_user(session, user_id=user_id)
    password = reset_password(session, user, now=utcnow())
    _audit(session, admin, "user.password_reset", user)
    session.commit()
    return OneTimePasswordPublic(user=user_public(user), password=password)
