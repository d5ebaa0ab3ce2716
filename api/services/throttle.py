"""Login throttling in the database, shared by every API process.

Keyed by (account, address), with delays that grow with each failure, instead of a hard
lock on the account: an outsider guessing a student's password from elsewhere slows only
their own guesses, never the student's login. After ``max_failures`` failures a pair waits
`login_delay_s` (15 s, doubling, at most the window) before its next check; while one
check of a pair is in flight, the pair's next one waits too (a hold), so parallel guesses
are checked one at a time and at most ``max_failures`` of a burst are checked. One address
failing for many accounts (4x ``max_failures``) slows that address, except for accounts
that have logged in from it before (``known_until``: a classroom behind one NAT address
keeps working for the people who use it).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from api.db import utcnow
from api.db.service_models import LoginThrottle

FIRST_DELAY_S = 15
HOLD_S = 30
"""How long a check in flight holds its pair (released at once when the check ends)."""


def login_delay_s(failures: int, free: int, cap_s: int) -> int:
    """Seconds to wait after ``failures`` recent failures: none for the first ``free``,
    then 15 s, doubling with each further failure, at most ``cap_s``."""
    if failures < free:
        return 0
    return int(min(cap_s, FIRST_DELAY_S * 2 ** min(failures - free, 20)))


class DbLoginThrottle:
    """The throttle's state in `LoginThrottle` rows, in its own short transactions."""

    def __init__(self, sessions: sessionmaker[Session], max_failures: int, window_s: int,
                 known_s: int) -> None:
        self.sessions = sessions
        self.max_failures = max_failures
        self.window_s = window_s
        self.known_s = known_s

    @staticmethod
    def keys(username: str, client: str) -> tuple[str, str]:
        """The (account, address) key and the address key."""
        return f"p:{username.strip().lower()[:200]}\n{client[:90]}", f"c:{client[:90]}"

    def _ensure(self, session: Session, keys: tuple[str, ...], now: datetime) -> None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(LoginThrottle).values(
            [{"key": k, "failures": 0, "next_at": now} for k in keys]).on_conflict_do_nothing())

    def begin(self, username: str, client: str) -> int:
        """Take the pair's turn for one check: 0 when the check may run (the hold is taken;
        end it with `failed` or `succeeded`), else the seconds to wait."""
        now = utcnow()
        pair, address = self.keys(username, client)
        with self.sessions() as session:
            self._ensure(session, (pair, address), now)
            rows = {r.key: r for r in session.query(LoginThrottle)
                    .filter(LoginThrottle.key.in_((pair, address)))}
            known = (rows[pair].known_until or now) > now
            if not known and rows[address].next_at > now:
                return _seconds(rows[address].next_at - now)
            taken = cast(CursorResult[Any], session.execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == pair, LoginThrottle.next_at <= now)
                .values(next_at=now + timedelta(seconds=HOLD_S), failures=case(
                    (LoginThrottle.next_at < now - timedelta(seconds=self.window_s), 0),
                    else_=LoginThrottle.failures))
                .execution_options(synchronize_session=False))).rowcount
            session.commit()
            if taken:
                return 0
            session.expire_all()
            held = session.get(LoginThrottle, pair)
            return _seconds(held.next_at - now) if held is not None else 1

    def failed(self, username: str, client: str) -> None:
        """Count a failed check: the pair's and the address's delays grow."""
        now = utcnow()
        with self.sessions() as session:
            for key, free in zip(self.keys(username, client),
                                 (self.max_failures, self.max_failures * 4), strict=True):
                row = session.get(LoginThrottle, key, with_for_update=True)
                if row is None:
                    continue
                stale = row.next_at < now - timedelta(seconds=self.window_s)
                row.failures = 1 if stale else row.failures + 1
                delay = login_delay_s(row.failures, free, self.window_s)
                row.next_at = now + timedelta(seconds=delay)
            session.commit()

    def succeeded(self, username: str, client: str) -> None:
        """A good login: the pair's failures are forgotten and the address becomes known."""
        now = utcnow()
        with self.sessions() as session:
            session.execute(
                update(LoginThrottle).where(LoginThrottle.key == self.keys(username, client)[0])
                .values(failures=0, next_at=now,
                        known_until=now + timedelta(seconds=self.known_s))
                .execution_options(synchronize_session=False))
            session.commit()

    def release(self, username: str, client: str) -> None:
        """End a hold without a verdict (the check itself failed on our side)."""
        with self.sessions() as session:
            session.execute(
                update(LoginThrottle).where(LoginThrottle.key == self.keys(username, client)[0])
                .values(next_at=utcnow()).execution_options(synchronize_session=False))
            session.commit()


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
