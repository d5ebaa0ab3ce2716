"""Login throttling in the database, shared by every API process (same interface as the
in-memory `api.security.LoginThrottle`): after ``max_failures`` failed logins for one
username (or 4x that many from one client address) within ``window_s``, logins wait."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from api.db import utcnow
from api.db.service_models import LoginFailure


class DbLoginThrottle:
    """Counts failures in `LoginFailure` rows, in its own short transactions."""

    def __init__(self, sessions: sessionmaker[Session], max_failures: int, window_s: int) -> None:
        self.sessions = sessions
        self.max_failures = max_failures
        self.window_s = window_s

    @staticmethod
    def _keys(username: str, client: str) -> list[str]:
        return [f"u:{username.strip().lower()}"[:200], f"c:{client}"[:200]]

    def retry_after(self, username: str, client: str, now: float | None = None) -> int:
        """Seconds to wait before another try; 0 when a try is allowed."""
        current = utcnow()
        since = current - timedelta(seconds=self.window_s)
        waits = []
        with self.sessions() as session:
            for key, limit in zip(self._keys(username, client),
                                  (self.max_failures, self.max_failures * 4), strict=True):
                count, oldest = session.execute(
                    select(func.count(), func.min(LoginFailure.at))
                    .where(LoginFailure.key == key, LoginFailure.at > since)).one()
                if count >= limit and oldest is not None:
                    waits.append(int((oldest - since).total_seconds()) + 1)
        return max(waits, default=0)

    def failed(self, username: str, client: str, now: float | None = None) -> None:
        """Count a failed login (and forget failures older than the window)."""
        current = utcnow()
        with self.sessions() as session:
            session.add_all(LoginFailure(key=key, at=current)
                            for key in self._keys(username, client))
            session.execute(delete(LoginFailure).where(
                LoginFailure.at < current - timedelta(seconds=self.window_s)))
            session.commit()

    def succeeded(self, username: str) -> None:
        """Forget the username's failures after a good login."""
        with self.sessions() as session:
            session.execute(delete(LoginFailure).where(
                LoginFailure.key == self._keys(username, "")[0]))
            session.commit()
