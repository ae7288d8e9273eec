"""Password hashing (argon2id, by argon2-cffi) and the rules a password must meet."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from domain.errors import InvalidInput

MIN_LENGTH = 10
# argon2-cffi's defaults (RFC 9106 "low memory" profile): about 50 ms and 64 MiB here.
_HASHER = PasswordHasher()


def check_strength(password: str) -> None:
    """Raise InvalidInput for a password too short or made of one repeated character."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"a password needs at least {MIN_LENGTH} characters",
            zh=f"密码至少需要 {MIN_LENGTH} 个字符",
        )
    if len(set(password)) < 4:
        raise InvalidInput(
            "a password needs at least 4 different characters", zh="密码至少需要 4 个不同的字符"
        )


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (salted; the text holds its parameters)."""
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; never raises for a wrong one."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)


@functools.cache
def dummy_hash() -> str:
    """A hash of nothing anyone knows: checked for unknown user names, so that
    a wrong name takes as long as a wrong password."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def random_password() -> str:
    """A strong password for a first administrator, printed once."""
    return secrets.token_urlsafe(15)
