"""Login, logout, the caller, and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from api import schemas
from api.db import ApiToken
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.errors import Unauthorized
from api.security import SESSION_COOKIE
from api.services import accounts

router = APIRouter(tags=["accounts"])


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/auth/login", response_model=schemas.LoginPublic)
def login(body: schemas.LoginCreate, request: Request, response: Response,
          session: SessionDep, settings: SettingsDep) -> schemas.LoginPublic:
    """Start a browser session (signed HttpOnly SameSite=Lax cookie); returns the CSRF token
    that unsafe requests of this session must send in ``X-CSRF-Token``."""
    user = accounts.authenticate(session, request.app.state.throttle, body.username,
                                 body.password, _client(request))
    signer = request.app.state.signer
    cookie = signer.dump(user.id, user.password_hash)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=settings.session_max_age_s,
                        httponly=True, samesite="lax", secure=settings.cookie_secure, path="/")
    data = signer.load(cookie)
    return schemas.LoginPublic(user=schemas.UserPublic.model_validate(user),
                               csrf_token=signer.csrf_token(data.session_id))


@router.post("/auth/logout", response_model=schemas.Message)
def logout(response: Response) -> schemas.Message:
    """End the browser session."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    return schemas.Message(message="logged out")


@router.get("/me", response_model=schemas.UserPublic)
def me(principal: PrincipalDep) -> schemas.UserPublic:
    """The caller (students put their ``uuid`` in team comments)."""
    return schemas.UserPublic.model_validate(principal.user)


@router.post("/auth/tokens", response_model=schemas.TokenCreated, status_code=201)
def create_token(body: schemas.TokenCreate, request: Request, session: SessionDep,
                 settings: SettingsDep) -> schemas.TokenCreated:
    """Create an API token, by username + password in the body (the CLI) or from a session."""
    if body.username is not None and body.password is not None:
        user = accounts.authenticate(session, request.app.state.throttle, body.username,
                                     body.password, _client(request))
    else:
        from api.deps import current_principal

        user = current_principal(request, session).user
        if request.headers.get("authorization"):
            raise Unauthorized("create tokens with your password or a browser session")
    row, plain = accounts.create_token(
        session, user, name=body.name, scopes=list(body.scopes), expires_days=body.expires_days,
        default_days=settings.token_default_days,
        may_staff=accounts.is_staff_anywhere(session, user))
    return schemas.TokenCreated(**schemas.TokenPublic.model_validate(row).model_dump(),
                                token=plain)


@router.get("/auth/tokens", response_model=list[schemas.TokenPublic])
def list_tokens(principal: PrincipalDep, session: SessionDep) -> list[schemas.TokenPublic]:
    """The caller's tokens (never the secrets)."""
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == principal.user.id)
                           .order_by(ApiToken.id))
    return [schemas.TokenPublic.model_validate(r) for r in rows]


@router.delete("/auth/tokens/{token_id}", response_model=schemas.TokenPublic)
def revoke_token(token_id: int, principal: PrincipalDep,
                 session: SessionDep) -> schemas.TokenPublic:
    """Revoke one of the caller's tokens."""
    return schemas.TokenPublic.model_validate(
        accounts.revoke_token(session, principal.user, token_id))
