"""Password hashing (argon2id through argon2-cffi) and the minimum password policy.

Owns: `hash_password`, `verify_password`, `needs_rehash` (argon2-cffi's
current RFC 9106 parameters: a hash made with older, cheaper ones is
upgraded at the next successful login), `burn_verify` (the same work against
a dummy hash, so that a login for a missing or disabled account takes as long
as one for a real account) and `check_policy`. Does not own: where hashes are
stored (models.py) or who may log in (login.py).
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yamori.errors import IngestError

MIN_LENGTH = 12
# argon2 takes any length, but hashing a megabyte per request is a cheap DoS.
MAX_LENGTH = 1024

_hasher = PasswordHasher()  # stateless: parameters only


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string, salt included) of `password`."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches `stored_hash`; False for a mismatch or a corrupt hash."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when `stored_hash` was made with other parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def burn_verify(password: str) -> None:
    """Spend the time of one verification on a hash no password matches."""
    verify_password(_dummy_hash(), password[:MAX_LENGTH])


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(32))


def check_policy(username: str, password: str) -> None:
    """Refuse (422) a password shorter than MIN_LENGTH, too long, or equal to the username."""
    if len(password) < MIN_LENGTH:
        raise IngestError(f"password must be at least {MIN_LENGTH} characters", 422)
    if len(password) > MAX_LENGTH:
        raise IngestError(f"password must be at most {MAX_LENGTH} characters", 422)
    if password.strip().casefold() == username.strip().casefold():
        raise IngestError("password must not be the username", 422)
