"""Account administration (admin role only); `avt-notes user add` does the same offline."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from avt_notes.store import accounts
from avt_notes.store.tables import User
from avt_notes.web.deps import AdminAuth, DbDep
from avt_notes.web.schemas import UserCreateIn, UserOut, user_out

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("")
def list_users(auth: AdminAuth, db: DbDep) -> list[UserOut]:
    return [user_out(u) for u in db.scalars(select(User).order_by(User.username))]


@router.post("", status_code=201)
def create_user(body: UserCreateIn, auth: AdminAuth, db: DbDep) -> UserOut:
    user = accounts.create_user(
        db, body.username, body.password, body.role, body.display_name, auth.user
    )
    db.commit()
    return user_out(user)
