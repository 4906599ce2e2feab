"""Schemas of people's accounts: signing in, the current session, users managed by admins.

Passwords only ever travel in requests, and one-time passwords in the one response that
creates them; no schema returns a hash.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool
from pydantic.json_schema import SkipJsonSchema

from api.schemas import UtcDatetime
from sohoa.core.vocab import Role

UserRole = Literal[Role.ADMIN, Role.CLERK, Role.OFFICER]  # USER_ROLES: portal is for keys only
Password = Field(min_length=1, max_length=1024)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=128)
    password: str = Password


class MePublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    agency: str | None
    must_change_password: bool = Field(description="True: only PUT /api/v1/session/password (and sign-out) "
                                       "work until a new password is chosen.")


class SessionPublic(BaseModel):
    user: MePublic
    csrf_token: str = Field(description="Send as header X-CSRF-Token with every POST, PUT, PATCH and DELETE "
                            "made with this session's cookie.")
    signed_in_at: UtcDatetime
    idle_expires_at: UtcDatetime = Field(description="The session ends if no request comes before this.")
    expires_at: UtcDatetime = Field(description="The session ends at this time, used or not.")


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Password
    new_password: str = Password


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    agency: str | None
    disabled: bool
    must_change_password: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime
    password_changed_at: UtcDatetime | None
    last_sign_in_at: UtcDatetime | None


# The app's own checks (400 with their codes) in the spec's words: not only white space, no NUL.
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, description="2-64 letters, digits or . _ - @; "
                          "case does not matter.", json_schema_extra={"pattern": r"^\s*\w[\w.@-]{1,63}\s*$"})
    display_name: str = Field(min_length=1, max_length=128, json_schema_extra={"pattern": NOT_BLANK})
    role: UserRole
    agency: str | None = Field(None, max_length=128, description="Agency code the person works for "
                               "(limits a clerk's or officer's batches and lists); null = every agency.")


class UserUpdate(BaseModel):
    """Only the fields sent change; ``agency: null`` makes the user unscoped."""

    model_config = ConfigDict(extra="forbid")
    # Left out = unchanged; null is no value for these (the spec says so: SkipJsonSchema).
    display_name: Annotated[str, Field(min_length=1, max_length=128,
                                       json_schema_extra={"pattern": NOT_BLANK})] | SkipJsonSchema[None] = None
    role: UserRole | SkipJsonSchema[None] = None
    agency: str | None = Field(None, max_length=128)
    disabled: StrictBool | SkipJsonSchema[None] = Field(None, description="true ends the user's sessions at once.")


class OneTimePasswordPublic(BaseModel):
    user: UserPublic
    password: str = Field(description="One-time password, shown only now: the user must change it at the "
                          "first sign-in.")
