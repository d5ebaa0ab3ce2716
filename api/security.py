"""Credentials: argon2 password hashes, API tokens, signed session cookies, CSRF tokens,
and login throttling.

API tokens are shown once (``ag_<random>``) and stored as their SHA-256: a token has 256 bits
of entropy, so a fast hash is enough and lets a lookup be one indexed equality.
The session cookie is signed (itsdangerous) and carries the user id, a random session id
and a fingerprint of the password hash, so changing the password ends every session.
The CSRF token of a session is an HMAC of its session id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

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

    def dump(self, user_id: int, password_hash: str | None) -> str:
        """A cookie value for a fresh session of ``user_id``."""
        payload = {"u": user_id, "s": secrets.token_urlsafe(16),
                   "p": password_fingerprint(password_hash)}
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
        return bool(token) and hmac.compare_digest(self.csrf_token(session_id), token or "")


class LoginThrottle:
    """Refuses logins after too many recent failures for one username or one client address.

    Kept in process memory (for one process, and tests); the app uses
    `api.services.throttle.DbLoginThrottle`, the same rules shared by every API process.
    """

    def __init__(self, max_failures: int, window_s: int) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def retry_after(self, username: str, client: str, now: float | None = None) -> int:
        """Seconds to wait before another try; 0 when a try is allowed."""
        now = time.monotonic() if now is None else now
        waits = []
        with self._lock:
            for key, limit in ((f"u:{username.lower()}", self.max_failures),
                               (f"c:{client}", self.max_failures * 4)):
                times = self._recent(key, now)
                if len(times) >= limit:
                    waits.append(int(times[0] + self.window_s - now) + 1)
        return max(waits, default=0)

    def failed(self, username: str, client: str, now: float | None = None) -> None:
        """Count a failed login."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(f"u:{username.lower()}", now).append(now)
            self._recent(f"c:{client}", now).append(now)

    def succeeded(self, username: str) -> None:
        """Forget the username's failures after a good login."""
        with self._lock:
            self._failures.pop(f"u:{username.lower()}", None)
