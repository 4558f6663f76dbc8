"""Login, logout and "who am I" (the CSRF token comes from here)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response

from avt_notes.store import accounts
from avt_notes.store.errors import PermissionDeniedError
from avt_notes.store.tables import User
from avt_notes.web.deps import CurrentAuth, DbDep, ServicesDep, cookie_secure
from avt_notes.web.errors import COOKIE_NAME
from avt_notes.web.schemas import LoginIn, MeOut, user_out

router = APIRouter(prefix="/api", tags=["auth"])


def _me(user: User, csrf: str, idle: int) -> MeOut:
    return MeOut(**user_out(user).model_dump(), csrf_token=csrf, idle_minutes=idle)


@router.post("/login")
def login(
    body: LoginIn, request: Request, response: Response, db: DbDep, services: ServicesDep
) -> MeOut:
    """Check the password, open a server-side session, set the cookie."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PermissionDeniedError("login from another site is not allowed")
    new = accounts.login(db, body.username, body.password, request.headers.get("user-agent", ""))
    response.set_cookie(
        COOKIE_NAME,
        new.token,
        max_age=int(services.web.session_max_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=cookie_secure(request, services.web),
    )
    return _me(new.login.user, new.login.csrf_token, services.settings.web.session_idle_minutes)


@router.post("/logout", status_code=204)
def logout(auth: CurrentAuth, db: DbDep, response: Response) -> Response:
    """End the login session on the server and drop the cookie."""
    login = db.merge(auth.login)
    accounts.logout(db, login)
    db.commit()
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/me")
def me(auth: CurrentAuth, services: ServicesDep) -> MeOut:
    return _me(auth.user, auth.login.csrf_token, services.settings.web.session_idle_minutes)
