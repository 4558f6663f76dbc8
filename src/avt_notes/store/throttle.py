"""Throttling of password guessing, on the `limits` library.

Every wrong password (at login or when signing) is a hit on two counters: one
for the account, one for the client address. The limits are tiers, e.g.
``5/minute;10/15 minutes;20/hour``: five wrong passwords cost a wait until the
minute ends, ten a quarter of an hour, twenty an hour's lockout, so the delay
grows with the guessing. A refused attempt is a 429 with ``Retry-After`` and
never reaches the password check (no timing, no hashing cost). The moment a
tier engages is audited once, not every refused request.

The counters must be shared by every server process: they live in the
database by default (`DatabaseStorage`, a `limits` storage over one table)
or in Redis when ``AVT_THROTTLE_STORAGE_URL`` says so.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from avt_notes.errors import ConfigError
from avt_notes.store import audit
from avt_notes.store.errors import TooManyAttemptsError
from avt_notes.store.tables import RateLimitCounter

_TABLE = Table(RateLimitCounter.__tablename__, RateLimitCounter.metadata)


class DatabaseStorage(Storage):
    """Fixed-window counters in the service's own database (SQLite or PostgreSQL).

    One atomic upsert per hit: a counter whose window has ended restarts at
    the hit's amount, so no sweeper is needed for correctness.
    """

    STORAGE_SCHEME = None

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        super().__init__()
        self.sessions = sessions

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self.sessions() as db:
            dialect = db.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            expired = _TABLE.c.expires_at <= now
            statement = (
                insert(_TABLE)
                .values(key=key, count=amount, expires_at=now + expiry)
                .on_conflict_do_update(
                    index_elements=[_TABLE.c.key],
                    set_={
                        "count": case((expired, amount), else_=_TABLE.c.count + amount),
                        "expires_at": case((expired, now + expiry), else_=_TABLE.c.expires_at),
                    },
                )
                .returning(_TABLE.c.count)
            )
            count = int(db.execute(statement).scalar_one())
            db.commit()
            return count

    def _row(self, key: str) -> RateLimitCounter | None:
        with self.sessions() as db:
            row = db.get(RateLimitCounter, key)
            db.commit()
        return row if row is not None and row.expires_at > time.time() else None

    def get(self, key: str) -> int:
        row = self._row(key)
        return row.count if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row.expires_at if row else time.time()

    def check(self) -> bool:
        with self.sessions() as db:
            db.execute(select(1))
            db.commit()
        return True

    def reset(self) -> int | None:
        with self.sessions() as db:
            removed = db.execute(delete(RateLimitCounter)).rowcount  # type: ignore[attr-defined]
            db.commit()
        return int(removed)

    def clear(self, key: str) -> None:
        with self.sessions() as db:
            db.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))
            db.commit()


def make_storage(sessions: sessionmaker[Session], url: str | None) -> Storage:
    """Redis (or any `limits` storage URL) when configured, else the database."""
    if not url:
        return DatabaseStorage(sessions)
    storage = storage_from_string(url)
    if not isinstance(storage, Storage):
        raise ConfigError(f"throttle storage {url!r} is asynchronous; use a synchronous one")
    return storage


@dataclass(frozen=True)
class Subject:
    """Who is guessing: the account name typed and the client address."""

    account: str
    address: str

    def counters(self) -> tuple[tuple[str, str], ...]:
        return (("account", self.account.lower()), ("address", self.address))


class PasswordThrottle:
    """Refuses password checks for a subject over its limits; counts wrong passwords."""

    def __init__(
        self,
        storage: Storage,
        account_limits: str,
        address_limits: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limiter = FixedWindowRateLimiter(storage)
        self.limits: dict[str, list[RateLimitItem]] = {
            "account": parse_many(account_limits),
            "address": parse_many(address_limits),
        }
        self.clock = clock

    def _wait(self, subject: Subject) -> int:
        """Seconds until every exceeded limit's window has ended (0: not throttled)."""
        wait = 0.0
        for kind, value in subject.counters():
            for item in self.limits[kind]:
                if not self.limiter.test(item, "password", kind, value):
                    reset = self.limiter.get_window_stats(item, "password", kind, value).reset_time
                    wait = max(wait, reset - self.clock())
        return math.ceil(wait) if wait > 0 else 0

    def check(self, subject: Subject) -> None:
        """Raise `TooManyAttemptsError` (429) while the subject is throttled."""
        wait = self._wait(subject)
        if wait:
            raise TooManyAttemptsError(
                f"too many wrong passwords; try again in {_readable(wait)}", retry_after=wait
            )

    def failed(self, db: Session, subject: Subject, where: str) -> int:
        """Count a wrong password; returns the wait it now causes (audited when > 0).

        The caller commits `db` (the audit entry goes in its transaction).
        """
        for kind, value in subject.counters():
            for item in self.limits[kind]:
                self.limiter.hit(item, "password", kind, value)
        wait = self._wait(subject)
        if wait:
            audit.append(
                db,
                "password_throttled",
                actor_name=subject.account[:64],
                address=subject.address,
                where=where,
                retry_after=wait,
            )
        return wait

    def succeeded(self, subject: Subject) -> None:
        """A right password clears the account's counters (the address keeps its own)."""
        for item in self.limits["account"]:
            self.limiter.clear(item, "password", "account", subject.account.lower())


def _readable(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"
