"""Credentials: argon2 password hashes, API tokens, signed session cookies and CSRF tokens.

API tokens are shown once (``ag_<random>``) and stored as their SHA-256: a token has 256 bits
of entropy, so a fast hash is enough and lets a lookup be one indexed equality.
The session cookie is signed (itsdangerous) and carries the user id, a random session id
and a fingerprint of the password hash, so changing the password ends every session; the
session id names a `UserSession` row (by its SHA-256), so logout ends the session for
every copy of the cookie. The CSRF token of a session is an HMAC of its session id.
Password checks run in a few threads of their own (`PasswordChecks`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

T = TypeVar("T")
TOKEN_PREFIX = "ag_"
SESSION_COOKIE = "autograde_session"
CSRF_HEADER = "X-CSRF-Token"

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or corrupt hash never matches."""
    if not password_hash:
        _hasher.hash(password)  # same cost as a real check: no user-exists oracle by timing
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh API token, to be shown once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database stores of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_id() -> str:
    """The secret id of a fresh browser session (the database keeps its `token_hash`)."""
    return secrets.token_urlsafe(32)


def password_fingerprint(password_hash: str | None) -> str:
    """A short digest of the password hash, so a password change invalidates sessions."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SessionData:
    """What a session cookie says."""

    user_id: int
    session_id: str
    fingerprint: str


class SessionSigner:
    """Signs and checks session cookies and derives CSRF tokens from one secret."""

    def __init__(self, secret_key: str, max_age_s: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="autograde-session")
        self._secret = secret_key.encode()
        self.max_age_s = max_age_s

    def dump(self, user_id: int, password_hash: str | None, session_id: str) -> str:
        """A cookie value for the session ``session_id`` (see `new_session_id`) of ``user_id``."""
        payload = {"u": user_id, "s": session_id, "p": password_fingerprint(password_hash)}
        return self._serializer.dumps(payload)

    def load(self, cookie: str) -> SessionData | None:
        """The session in ``cookie``, or None when forged, expired or malformed."""
        try:
            data = self._serializer.loads(cookie, max_age=self.max_age_s)
            return SessionData(int(data["u"]), str(data["s"]), str(data["p"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def csrf_token(self, session_id: str) -> str:
        """The CSRF token that forms of this session must send back."""
        return hmac.new(self._secret, b"csrf:" + session_id.encode(), "sha256").hexdigest()

    def check_csrf(self, session_id: str, token: str | None) -> bool:
        """Constant-time comparison of a submitted CSRF token."""
        return bool(token) and hmac.compare_digest(self.csrf_token(session_id).encode(),
                                                   (token or "").encode())


def half_the_cores() -> int:
    """How many argon2 checks run at once: half the CPU cores (at least one), leaving the
    rest to every other request while a burst of logins is checked."""
    return max(1, (os.cpu_count() or 2) // 2)


class PasswordChecks:
    """Runs logins' work in threads of their own: argon2 checks at most `half_the_cores`
    at once, and the throttle's bookkeeping at most ``bookkeepers`` at once.

    A login waits for a free thread on the event loop, holding no database connection and
    no thread of the server's pool, so a burst of logins queues here (using at most
    ``bookkeepers`` pooled connections) while every other request goes on."""

    def __init__(self, workers: int | None = None, bookkeepers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers or half_the_cores(),
                                        thread_name_prefix="argon2")
        self._books = ThreadPoolExecutor(max_workers=bookkeepers,
                                         thread_name_prefix="login-books")

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """`verify_password` in a checker thread."""
        return await asyncio.wrap_future(self._pool.submit(verify_password, password_hash,
                                                           password))

    async def book(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` (short database work of a login) in a bookkeeping thread."""
        return await asyncio.wrap_future(self._books.submit(work, *args))

    def close(self) -> None:
        """Stop the threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._books.shutdown(wait=False, cancel_futures=True)
