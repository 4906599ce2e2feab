"""Passwords: the policy, Argon2id hashing (argon2-cffi) and one-time passwords.

Passwords are normalized to NFKC before hashing (NIST SP 800-63B 5.1.1.2): Vietnamese
input methods send the same letter composed or decomposed, and a person must not be locked
out because today's keyboard composes "ệ" differently. They are never logged or returned.

Argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile, 64 MiB per hash): the
library moves its defaults with the RFC, and ``verify`` rehashes old hashes on sign-in. At
most a few hashes run at once per process, so a burst of sign-ins cannot take gigabytes.
"""

from __future__ import annotations

import secrets
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sohoa.core.config import Settings
from sohoa.core.errors import BadRequest

MAX_LENGTH = 256  # hashing is slow on purpose: refuse megabyte "passwords"
_hasher = PasswordHasher()
_running = threading.BoundedSemaphore(4)
# Letters and digits a person reads off a screen and types without confusing (no 0/o, 1/l/i).
_ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def normalize_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


@dataclass(frozen=True)
class PasswordPolicy:
    """What a new password must be; each refusal has its own stable code."""

    min_length: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> PasswordPolicy:
        return cls(min_length=settings.password_min_length)

    def check(self, password: str, *, username: str | None = None) -> str:
        """The normalized password, or ``BadRequest`` saying what is wrong with it."""
        value = normalize_password(password)
        if len(value) < self.min_length:
            raise BadRequest(f"a password needs at least {self.min_length} characters",
                             code="password_too_short", detail={"min_length": self.min_length})
        if len(value) > MAX_LENGTH:
            raise BadRequest(f"a password may have at most {MAX_LENGTH} characters",
                             code="password_too_long", detail={"max_length": MAX_LENGTH})
        if not value.strip():
            raise BadRequest("a password cannot be only spaces", code="password_too_short",
                             detail={"min_length": self.min_length})
        if username and username.casefold() in value.casefold():
            raise BadRequest("a password must not contain the username", code="password_contains_username")
        return value


def hash_password(password: str) -> str:
    with _running:
        return _hasher.hash(normalize_password(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; an unreadable stored hash never matches."""
    candidate = normalize_password(password)
    if len(candidate) > MAX_LENGTH:
        return False
    try:
        with _running:
            return _hasher.verify(password_hash, candidate)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters than the library's current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_verification(password: str) -> None:
    """Verify against a hash of nothing: an unknown username costs as long as a wrong
    password, so the answer's timing does not tell which usernames exist."""
    verify_password(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def one_time_password() -> str:
    """Twelve characters in three groups (``k7pq-m3xz-9fht``, about 59 bits): read out or
    copied by an admin, typed once by a person who must then choose their own."""
    chars = [secrets.choice(_ONE_TIME_ALPHABET) for _ in range(12)]
    return "-".join("".join(chars[i:i + 4]) for i in range(0, 12, 4))
