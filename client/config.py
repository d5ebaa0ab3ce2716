"""The saved login: server address and API token in the user's config directory.

The file is ``<config dir>/credentials.json`` where the config dir is
``typer.get_app_dir("autograde")`` (``$XDG_CONFIG_HOME/autograde`` on Linux, honouring
``AUTOGRADE_CONFIG_DIR`` first). It is written with mode 0600 in a 0700 directory because the
token is as good as the password for its scopes until it expires or is revoked.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import typer

from client.errors import ClientError, NotLoggedIn

FILE_NAME = "credentials.json"
DEFAULT_SERVER = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Credentials:
    """What `autograde login` saves."""

    server: str
    """Base URL of the service, e.g. ``https://autograde.example.org``."""
    token: str
    """The plain API token (sent as ``Authorization: Bearer``)."""
    token_id: int | None = None
    """The token's id on the server, so that `logout` can revoke it."""
    username: str = ""
    expires_at: str | None = None


def config_dir() -> Path:
    """Where the client keeps its files."""
    override = os.environ.get("AUTOGRADE_CONFIG_DIR")
    return Path(override) if override else Path(typer.get_app_dir("autograde"))


def credentials_path() -> Path:
    """The credentials file (it may not exist)."""
    return config_dir() / FILE_NAME


def default_server() -> str:
    """The server `login` uses without ``--server``: ``$AUTOGRADE_SERVER`` or localhost."""
    return os.environ.get("AUTOGRADE_SERVER") or DEFAULT_SERVER


def save(credentials: Credentials, path: Path | None = None) -> Path:
    """Write the credentials readable by the user only (0600, directory 0700)."""
    path = path or credentials_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(out.fileno(), 0o600)  # O_CREAT's mode does not apply to an existing file
        json.dump(asdict(credentials), out, indent=2)
        out.write("\n")
    return path


def load(path: Path | None = None) -> Credentials:
    """The saved credentials, or `NotLoggedIn`."""
    path = path or credentials_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotLoggedIn() from None
    except (OSError, ValueError) as error:
        raise ClientError(f"cannot read {path}: {error}; run `autograde login` again") from None
    if not isinstance(data, dict) or not data.get("server") or not data.get("token"):
        raise ClientError(f"{path} is incomplete; run `autograde login` again")
    fields = Credentials.__dataclass_fields__
    return Credentials(**{k: v for k, v in data.items() if k in fields})


def forget(path: Path | None = None) -> bool:
    """Delete the saved credentials; True when there were some."""
    path = path or credentials_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
