"""Login, logout, the caller, and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api import schemas
from api.db import ApiToken, User
from api.deps import PrincipalDep, Reader, SessionDep, SettingsDep, current_principal
from api.errors import Unauthorized, errors_of
from api.security import SESSION_COOKIE
from api.services import accounts
from api.settings import Settings
from core.errors import BadInput

router = APIRouter(tags=["accounts"])


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _login(request: Request, username: str, password: str) -> User:
    state = request.app.state
    return await accounts.authenticate(state.sessionmaker, state.throttle, state.password_checks,
                                 username, password, _client(request))


def set_session_cookie(response: Response, value: str, settings: Settings) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when configured, with an expiry."""
    response.set_cookie(SESSION_COOKIE, value, max_age=settings.session_max_age_s,
                        expires=settings.session_max_age_s, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, path="/")


@router.post("/auth/login", response_model=schemas.LoginPublic,
             responses=errors_of(401, 403, 422, 429))
async def login(body: schemas.LoginCreate, request: Request, response: Response,
                settings: SettingsDep) -> schemas.LoginPublic:
    """Start a browser session (signed HttpOnly SameSite=Lax cookie naming a server-side
    session); returns the CSRF token that unsafe requests of this session must send in
    ``X-CSRF-Token``. Refused from another site's page (``Origin``)."""
    user = await _login(request, body.username, body.password)
    session_id = await run_in_threadpool(accounts.start_session, request.app.state.sessionmaker,
                                         user, _client(request), settings.session_max_age_s)
    signer = request.app.state.signer
    set_session_cookie(response, signer.dump(user.id, user.password_hash, session_id), settings)
    return schemas.LoginPublic(user=schemas.UserPublic.model_validate(user),
                               csrf_token=signer.csrf_token(session_id))


@router.post("/auth/logout", response_model=schemas.Message,
             responses=errors_of(400, 401, 403))
def logout(response: Response, principal: PrincipalDep, session: SessionDep,
           settings: SettingsDep) -> schemas.Message:
    """End the browser session (with its CSRF token): every copy of its cookie stops
    working. API tokens are revoked with ``DELETE /auth/tokens/{id}``."""
    if principal.session_id is None:
        raise BadInput("this ends a browser session; revoke a token with "
                       "DELETE /api/v1/auth/tokens/{id}")
    accounts.end_session(session, principal.session_id)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=settings.cookie_secure,
                           httponly=True, samesite="lax")
    return schemas.Message(message="logged out")


@router.get("/me", response_model=schemas.UserPublic, responses=errors_of(401))
def me(principal: PrincipalDep) -> schemas.UserPublic:
    """The caller (students put their ``uuid`` in team comments)."""
    return schemas.UserPublic.model_validate(principal.user)


@router.post("/auth/tokens", response_model=schemas.TokenCreated, status_code=201,
             responses=errors_of(400, 401, 403, 422, 429))
async def create_token(body: schemas.TokenCreate, request: Request, session: SessionDep,
                       settings: SettingsDep) -> schemas.TokenCreated:
    """Create an API token, by username + password in the body (the CLI) or from a session."""
    user: User | None = None
    if body.username is not None and body.password is not None:
        user = await _login(request, body.username, body.password)
    elif request.headers.get("authorization"):
        raise Unauthorized("create tokens with your password or a browser session")

    def create() -> schemas.TokenCreated:
        owner = user or current_principal(request, session).user
        owner = session.merge(owner, load=True)
        row, plain = accounts.create_token(
            session, owner, name=body.name, scopes=list(body.scopes),
            expires_days=body.expires_days, default_days=settings.token_default_days,
            may_staff=accounts.is_staff_anywhere(session, owner))
        return schemas.TokenCreated(**schemas.TokenPublic.model_validate(row).model_dump(),
                                    token=plain)

    return await run_in_threadpool(create)


@router.get("/auth/tokens", response_model=list[schemas.TokenPublic],
            responses=errors_of(401, 403))
def list_tokens(principal: Reader, session: SessionDep) -> list[schemas.TokenPublic]:
    """The caller's tokens (never the secrets)."""
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == principal.user.id)
                           .order_by(ApiToken.id))
    return [schemas.TokenPublic.model_validate(r) for r in rows]


@router.delete("/auth/tokens/{token_id}", response_model=schemas.TokenPublic,
               responses=errors_of(401, 403, 404, 422))
def revoke_token(token_id: int, principal: PrincipalDep,
                 session: SessionDep) -> schemas.TokenPublic:
    """Revoke one of the caller's tokens (a read-only token only itself)."""
    may_manage = principal.session_id is not None or bool({"submit", "staff"} & principal.scopes)
    return schemas.TokenPublic.model_validate(accounts.revoke_token(
        session, principal.user, token_id, may_manage=may_manage,
        own_token_id=principal.token_id))
