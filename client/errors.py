"""What can go wrong on the client side, each with a sentence fit to show a user."""

from __future__ import annotations


class ClientError(Exception):
    """A failure the CLI reports as one line (never a traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotLoggedIn(ClientError):
    """No saved credentials: the user must run `autograde login` first."""

    def __init__(self) -> None:
        super().__init__("you are not logged in; run `autograde login` first")


class ServerUnreachable(ClientError):
    """No HTTP answer came back (connection refused, DNS, timeout)."""


class ApiError(ClientError):
    """The server answered with an error status; ``message`` is the API's own message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class LoginExpired(ApiError):
    """401 on a request that carried our saved token: expired, revoked or unknown."""
