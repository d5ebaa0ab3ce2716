"""The `autograde` command-line client of the REST API v1 (students and staff).

`ApiClient` speaks HTTP (httpx) and knows the API's paths and error body; `config` keeps the
server address and API token in the user's config directory; `render` turns API answers
into text; `commands` holds the thin typer commands that `launch.cli` registers.

Nothing here imports the server side: the client talks to the service only over HTTP.
"""

from client.config import Credentials
from client.errors import (
    ApiError,
    ClientError,
    LoginExpired,
    NotLoggedIn,
    ServerUnreachable,
)
from client.http import ApiClient

__all__ = [
    "ApiClient",
    "ApiError",
    "ClientError",
    "Credentials",
    "LoginExpired",
    "NotLoggedIn",
    "ServerUnreachable",
]
