"""Logging in and out: the token exchange, the saved file, and revoking tokens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from client import config
from client.config import Credentials
from client.errors import ApiError, ClientError, NotLoggedIn, ServerUnreachable
from client.http import ApiClient


@dataclass(frozen=True)
class LoggedIn:
    """What a successful login saved, and where."""

    credentials: Credentials
    scopes: str
    path: Path


def log_in(server: str, username: str, password: str, *, staff: bool = False) -> LoggedIn:
    """Exchange the password for a token, save it, and revoke the token it replaces."""
    scopes = ["read", "submit"] + (["staff"] if staff else [])
    with ApiClient(server) as client:
        created = client.create_token(username, password, scopes=scopes)
    credentials = Credentials(
        server=client.server,
        token=created["token"],
        token_id=created["id"],
        username=username,
        expires_at=created.get("expires_at"),
    )
    previous = saved_or_none()
    path = config.save(credentials)
    if previous is not None:
        try:
            revoke(previous)
        except ClientError:
            pass  # the old token expires on its own; the new login stands
    return LoggedIn(credentials, str(created.get("scopes", "")), path)


def saved_or_none() -> Credentials | None:
    """The saved credentials, or None (also when the file is damaged)."""
    try:
        return config.load()
    except ClientError:
        return None


def log_out() -> str | None:
    """Revoke the saved token if the server can be told, and forget it here. None when
    nobody was logged in; else the server and a note on what could not be done."""
    try:
        credentials = config.load()
    except NotLoggedIn:
        return None
    try:
        revoke(credentials)
        note = ""
    except ServerUnreachable as error:
        note = f" here only ({error.message}; the token stays valid until it expires)"
    except ApiError as error:
        if error.status != 401:
            raise
        note = " (the token had already expired or been revoked)"
    config.forget()
    return credentials.server + note


def revoke(credentials: Credentials) -> None:
    """Revoke a saved token on its server (`ClientError` when that fails)."""
    if credentials.token_id is None:
        raise ClientError("the token's id was not saved, so it cannot be revoked")
    with ApiClient(credentials.server, credentials.token) as client:
        client.revoke_token(credentials.token_id)
