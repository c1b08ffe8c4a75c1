"""Password hashing (argon2id) and the minimum password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from collector.auth.passwords import (
    MAX_LENGTH,
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from yamori.errors import IngestError

GOOD = "correct horse battery staple"


def test_hash_is_argon2id_and_salted() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert GOOD not in first


def test_verify_accepts_the_password_and_refuses_others() -> None:
    stored = hash_password(GOOD)
    assert verify_password(stored, GOOD)
    assert not verify_password(stored, GOOD.upper())
    assert not verify_password(stored, "")


def test_verify_refuses_a_corrupt_hash_without_raising() -> None:
    assert not verify_password("not-a-hash", GOOD)
    assert not verify_password("$argon2id$v=19$m=65536,t=3,p=4$broken", GOOD)


def test_verify_refuses_oversized_input() -> None:
    stored = hash_password(GOOD)
    assert not verify_password(stored, GOOD + "x" * MAX_LENGTH)


def test_current_hash_needs_no_rehash() -> None:
    assert not needs_rehash(hash_password(GOOD))


def test_hash_with_weaker_parameters_needs_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(GOOD)
    assert verify_password(weak, GOOD)  # still accepted, so the login can upgrade it
    assert needs_rehash(weak)


def test_corrupt_hash_needs_rehash() -> None:
    assert needs_rehash("garbage")


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_policy_refuses_short_passwords(password: str) -> None:
    with pytest.raises(IngestError, match="at least 12") as caught:
        check_policy("alice", password)
    assert caught.value.status == 422


def test_policy_accepts_twelve_characters() -> None:
    check_policy("alice", "twelve chars")


def test_policy_counts_characters_not_bytes() -> None:
    with pytest.raises(IngestError, match="at least 12"):
        check_policy("alice", "パスワード" * 2)  # 10 characters, 30 bytes
    check_policy("alice", "家守のパスワードは十二文字")


def test_policy_refuses_the_username() -> None:
    with pytest.raises(IngestError, match="username"):
        check_policy("operator.tanaka", "Operator.Tanaka")


def test_policy_refuses_huge_passwords() -> None:
    with pytest.raises(IngestError, match="at most"):
        check_policy("alice", "x" * (MAX_LENGTH + 1))
