"""Request dependencies: the database session, the logged-in user, roles and CSRF.

Authentication is deny-by-default: `CurrentAuth` resolves the server-side login
session from the cookie (401 if absent, ended or idle too long) and, for every
method that can change state, requires the per-session CSRF token in the
``X-CSRF-Token`` header (403 otherwise). Routes declare who they are for with
`ClinicianAuth` / `AdminAuth`; per-record ownership is checked in the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from avt_notes.config import Settings, WebSettings
from avt_notes.store import Store, accounts
from avt_notes.store.errors import AuthenticationError, PermissionDeniedError
from avt_notes.store.recordings import Limits, Notice
from avt_notes.store.tables import LoginSession, User
from avt_notes.web.errors import COOKIE_NAME

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


@dataclass(frozen=True)
class Services:
    """What the app holds for its routes (on `app.state.services`)."""

    store: Store
    settings: Settings
    web: WebSettings
    limits: Limits
    notice: Notice
    probe: Callable[[Path], float]
    wake_worker: Callable[[], None]
    # Called after each newly stored chunk (session id, seq): the hook for processing
    # while recording. Default: wake the worker when "live" jobs are enabled.
    on_chunk: Callable[[str, int], None]


@dataclass(frozen=True)
class Auth:
    user: User
    login: LoginSession


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


def get_db(services: ServicesDep) -> Iterator[Session]:
    with services.store.sessions() as db:
        yield db


DbDep = Annotated[Session, Depends(get_db)]


def _resolve(request: Request, db: Session, services: Services) -> LoginSession:
    return accounts.resolve(
        db,
        request.cookies.get(COOKIE_NAME),
        idle=timedelta(minutes=services.settings.web.session_idle_minutes),
        lifetime=timedelta(hours=services.web.session_max_hours),
    )


def get_auth(request: Request, db: DbDep, services: ServicesDep) -> Auth:
    """The logged-in user; CSRF-checked for state-changing methods."""
    login = _resolve(request, db, services)
    if request.method not in SAFE_METHODS and not accounts.csrf_matches(
        login, request.headers.get("x-csrf-token")
    ):
        db.commit()
        raise PermissionDeniedError("missing or wrong CSRF token; reload the page and try again")
    db.commit()  # hold no database lock while the route reads its body
    return Auth(user=login.user, login=login)


CurrentAuth = Annotated[Auth, Depends(get_auth)]


def optional_auth(request: Request, db: DbDep, services: ServicesDep) -> Auth | None:
    """For pages: the user if logged in, else None (the page redirects to /login)."""
    try:
        login = _resolve(request, db, services)
    except AuthenticationError:
        return None
    db.commit()
    return Auth(user=login.user, login=login)


PageAuth = Annotated[Auth | None, Depends(optional_auth)]


def require_role(*roles: str) -> Callable[[Auth], Auth]:
    def check(auth: CurrentAuth) -> Auth:
        if auth.user.role not in roles:
            raise PermissionDeniedError(f"this needs the {' or '.join(roles)} role")
        return auth

    return check


ClinicianAuth = Annotated[Auth, Depends(require_role("clinician"))]
AdminAuth = Annotated[Auth, Depends(require_role("admin"))]


def cookie_secure(request: Request, web: WebSettings) -> bool:
    """Secure cookies everywhere except plain-HTTP development on this machine."""
    if web.cookie_secure is not None:
        return web.cookie_secure
    host = request.url.hostname or ""
    return not (host in LOCAL_HOSTS or host.endswith(".localhost"))
