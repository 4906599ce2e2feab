"""Account rules without a database: the password policy, hashing, one-time passwords,
usernames, the slow-down, CSRF tokens, principals and the agency scope."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import select

from sohoa.core.errors import BadRequest, Forbidden
from sohoa.core.models import ApiKey, Batch, User
from sohoa.core.vocab import PrincipalKind
from sohoa.domain.accounts import PasswordPolicy, ThrottleRules, csrf_matches, csrf_token, normalize_username
from sohoa.domain.accounts.passwords import MAX_LENGTH, hash_password, one_time_password, verify_password
from sohoa.domain.principal import Principal
from sohoa.domain.scope import Scope, assigned_agency, scoped


@pytest.mark.parametrize(("password", "code"), [
    ("ngắn quá", "password_too_short"),
    (" " * 12, "password_too_short"),
    ("x" * (MAX_LENGTH + 1), "password_too_long"),
    ("mật khẩu của Lan.Nguyen", "password_contains_username"),
])
def test_the_policy_says_what_is_wrong(password: str, code: str) -> None:
    with pytest.raises(BadRequest) as refused:
        PasswordPolicy(min_length=10).check(password, username="lan.nguyen")
    assert refused.value.code == code


def test_a_password_typed_composed_or_decomposed_is_the_same_password() -> None:
    composed = "Chợ Bến Thành 1975"
    stored = hash_password(composed)
    assert stored.startswith("$argon2id$") and composed not in stored
    assert verify_password(stored, unicodedata.normalize("NFD", composed))
    assert not verify_password(stored, "Cho Ben Thanh 1975")
    assert not verify_password("not a hash", composed)
    assert PasswordPolicy(min_length=10).check(unicodedata.normalize("NFD", composed)) == composed


def test_one_time_passwords_are_easy_to_read_and_all_different() -> None:
    passwords = {one_time_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4] and not set(password) & set("01ilo")
        PasswordPolicy(min_length=10).check(password)


def test_usernames_are_one_whatever_the_case_and_the_keyboard() -> None:
    forms = ["Hoà.Thảo", "HÒA.THẢO", unicodedata.normalize("NFD", "hoà.thảo"), " hòa.thảo "]
    assert {normalize_username(f) for f in forms} == {"hòa.thảo"}


def test_the_delay_doubles_with_each_failure_up_to_a_cap() -> None:
    rules = ThrottleRules(max_per_username=5, max_per_address=20, lock=timedelta(minutes=15), delay_seconds=0.5)
    assert [rules.delay_after(n) for n in range(7)] == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    off = ThrottleRules(max_per_username=5, max_per_address=20, lock=timedelta(minutes=15), delay_seconds=0)
    assert off.delay_after(4) == 0.0


def test_the_csrf_token_belongs_to_one_session() -> None:
    token = csrf_token("session-a")
    assert csrf_matches("session-a", token) and csrf_matches("session-a", f" {token} ")
    assert not csrf_matches("session-b", token) and not csrf_matches("session-a", None)
    assert "session-a" not in token and len(token) == 64


def test_a_principal_names_its_kind_and_never_confuses_ids() -> None:
    key = Principal.of_key(ApiKey(id=5, name="portal", role="portal", agency=None, prefix="p", key_hash="h"))
    user = Principal.of_user(User(id=5, username="lan", display_name="Lan", role="clerk", agency="UBND-A",
                                  password_hash="-"), session_id=9)
    assert (key.kind, key.ref, key.key_id, key.user_id) == (PrincipalKind.KEY, "key:5", 5, None)
    assert (user.kind, user.ref, user.user_id, user.key_id, user.session_id) == (PrincipalKind.USER, "user:5", 5,
                                                                                 None, 9)
    assert user.is_creator(user_id=5, key_id=None) and not user.is_creator(user_id=None, key_id=5)
    assert key.is_creator(user_id=None, key_id=5) and not key.is_creator(user_id=5, key_id=None)


def test_the_agency_scope() -> None:
    admin_a = Principal(kind=PrincipalKind.USER, role="admin", agency="UBND-A", name="boss", user_id=1)
    nowhere = Principal(kind=PrincipalKind.KEY, role="clerk", agency=None, name="k", key_id=3)
    clerk_a = Principal(kind=PrincipalKind.KEY, role="clerk", agency="UBND-A", name="a", key_id=2)
    officer_a = Principal(kind=PrincipalKind.USER, role="officer", agency="UBND-A", name="o", user_id=7)
    assert Scope.of(admin_a) == Scope.of(nowhere) == Scope()  # admins and callers without an agency: all
    assert Scope.of(clerk_a) == Scope(agency="UBND-A", key_id=2)
    assert Scope.of(officer_a) == Scope(agency="UBND-A", user_id=7)
    scope = Scope.of(officer_a)
    assert scope.sees("UBND-A") and not scope.sees("UBND-B") and not scope.sees(None)
    assert scope.sees(None, created_by_user_id=7) and not scope.sees(None, created_by_key_id=7)
    assert str(select(Batch).where(scoped(Batch.agency_code, Scope()))).endswith("WHERE true")
    where = str(select(Batch).where(scoped(Batch.agency_code, scope, created_by_user=Batch.created_by_user_id,
                                           created_by_key=Batch.created_by_key_id))).split("WHERE")[1]
    assert where.strip() == "batches.agency_code = :agency_code_1 OR batches.created_by_user_id = :created_by_user_id_1"
    assert assigned_agency(admin_a, " UBND-B ") == "UBND-B" and assigned_agency(nowhere, "") is None
    assert assigned_agency(clerk_a, None) == assigned_agency(clerk_a, "UBND-A") == "UBND-A"
    with pytest.raises(Forbidden) as refused:
        assigned_agency(clerk_a, "UBND-B")
    assert refused.value.code == "agency_mismatch"
