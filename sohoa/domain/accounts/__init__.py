"""Accounts for people: passwords, users, sign-in sessions and the lockout of failed sign-ins.

Machines keep using API keys (``sohoa.domain.keys``); both become a ``Principal``
(``sohoa.domain.principal``) whose agency limits the same things (``sohoa.domain.scope``).
"""

from sohoa.domain.accounts.passwords import PasswordPolicy, one_time_password
from sohoa.domain.accounts.sessions import (
    CSRF_HEADER,
    SESSION_COOKIE,
    SessionRules,
    csrf_matches,
    csrf_token,
    end_session,
    resolve,
    sign_out,
)
from sohoa.domain.accounts.signin import (
    Client,
    InvalidCredentials,
    SignedIn,
    WrongCurrentPassword,
    change_password,
    sign_in,
)
from sohoa.domain.accounts.throttle import AccountLocked, ThrottleRules
from sohoa.domain.accounts.users import (
    create_user,
    find_user,
    has_admin_user,
    list_users,
    normalize_username,
    reset_password,
    update_user,
)

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AccountLocked",
    "Client",
    "InvalidCredentials",
    "PasswordPolicy",
    "SessionRules",
    "SignedIn",
    "ThrottleRules",
    "WrongCurrentPassword",
    "change_password",
    "create_user",
    "csrf_matches",
    "csrf_token",
    "end_session",
    "find_user",
    "has_admin_user",
    "list_users",
    "normalize_username",
    "one_time_password",
    "reset_password",
    "resolve",
    "sign_in",
    "sign_out",
    "update_user",
]
