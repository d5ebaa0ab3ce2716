"""The content-addressed file store: identical bytes are stored once."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from api.db.submissions import Blob


def sha256_hex(content: bytes) -> str:
    """The lowercase hex SHA-256 of ``content`` (the blob's key)."""
    return hashlib.sha256(content).hexdigest()


def store_blob(session: Session, content: bytes) -> str:
    """Store ``content`` unless an identical blob exists; return its SHA-256.

    Added to the session, not committed: the blob lands with the caller's transaction.
    Two transactions that race to add the same new blob conflict on the primary key; the
    loser retries and finds the winner's row.
    """
    digest = sha256_hex(content)
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(content), content=content))
    return digest


def load_blob(session: Session, sha256: str) -> bytes | None:
    """The content stored under ``sha256``, or None when there is none."""
    blob = session.get(Blob, sha256)
    return None if blob is None else blob.content
