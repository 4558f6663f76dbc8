"""Accounts and server-side login sessions.

Passwords are hashed with Argon2id (argon2-cffi's defaults, rehashed when they
change). A login session is a row keyed by the SHA-256 of a random token; the
browser holds only the token, so a copy of the database cannot be replayed as
cookies. Sessions end on logout, after the idle timeout, or after an absolute
lifetime, whichever comes first.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from avt_notes.errors import InputError
from avt_notes.store import audit
from avt_notes.store.errors import AuthenticationError, ConflictError
from avt_notes.store.tables import ROLES, LoginSession, User, utcnow

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
MIN_PASSWORD = 8
# A hash to verify against when the user does not exist, so timing does not tell
# (made on first use: hashing at import would slow every start by ~0.3 s).
_DUMMY_HASH: str | None = None
# Refresh last_seen at most this often (one write per request is wasteful).
_TOUCH_EVERY = timedelta(seconds=30)


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not a real password")
    return _DUMMY_HASH


def set_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the Argon2 parameters (tests use cheap ones; production keeps the defaults)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = None


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password must be at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def create_user(
    db: Session,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    created_by: User | None = None,
) -> User:
    """Add an account (the caller commits); audited."""
    if not _USERNAME.match(username):
        raise InputError("username: 2-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise ConflictError(f"user {username!r} already exists") from None
    audit.append(
        db,
        "user_create",
        actor=created_by,
        actor_name="system",
        username=username,
        role=role,
    )
    return user


def check_password(db: Session, user: User, password: str) -> bool:
    """Whether `password` is the user's; upgrades the stored hash when parameters changed."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


@dataclass(frozen=True)
class NewLogin:
    token: str  # goes in the cookie, never stored
    login: LoginSession


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(db: Session, username: str, password: str, user_agent: str = "") -> NewLogin:
    """Check credentials and open a login session; commits, and audits both outcomes."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None or user.disabled:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        audit.append(db, "login_failed", actor_name=username[:64], reason="unknown or disabled")
        db.commit()
        raise AuthenticationError("wrong username or password")
    if not check_password(db, user, password):
        audit.append(db, "login_failed", actor=user, reason="wrong password")
        db.commit()
        raise AuthenticationError("wrong username or password")
    token = secrets.token_urlsafe(32)
    session = LoginSession(
        id=_token_id(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        user_agent=user_agent[:300],
    )
    session.user = user
    db.add(session)
    audit.append(db, "login", actor=user)
    db.commit()
    return NewLogin(token=token, login=session)


def resolve(
    db: Session,
    token: str | None,
    idle: timedelta,
    lifetime: timedelta,
    now: datetime | None = None,
) -> LoginSession:
    """The live login session for a cookie token, touched; else `AuthenticationError`."""
    if not token:
        raise AuthenticationError("not logged in")
    session = db.get(LoginSession, _token_id(token))
    now = now or utcnow()
    if session is None or session.ended_at is not None or session.user.disabled:
        raise AuthenticationError("not logged in (the session ended); log in again")
    if now - session.last_seen_at > idle:
        session.ended_at = now
        db.commit()
        minutes = int(idle.total_seconds() // 60)
        raise AuthenticationError(
            f"your login expired after {minutes} minutes without activity; log in again"
        )
    if now - session.created_at > lifetime:
        session.ended_at = now
        db.commit()
        raise AuthenticationError("your login reached its maximum age; log in again")
    if now - session.last_seen_at > _TOUCH_EVERY:
        session.last_seen_at = now
        db.commit()
    return session


def csrf_matches(session: LoginSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(session.csrf_token, token or "")


def logout(db: Session, session: LoginSession) -> None:
    """End the login session (the caller commits); audited."""
    session.ended_at = utcnow()
    audit.append(db, "logout", actor=session.user)


def end_all_sessions(db: Session, user: User) -> None:
    db.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
