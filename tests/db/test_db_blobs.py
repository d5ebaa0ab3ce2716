"""The content-addressed store keeps one copy of identical files."""

from __future__ import annotations

import hashlib

import db_factories as f
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import Blob, SubmissionFile, load_blob, sha256_hex, store_blob


def blob_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Blob)) or 0


def test_identical_content_is_stored_once(session: Session) -> None:
    first = store_blob(session, b"print(1)\n")
    second = store_blob(session, b"print(1)\n")
    session.flush()
    assert first == second == hashlib.sha256(b"print(1)\n").hexdigest()
    assert blob_count(session) == 1


def test_different_content_gets_different_blobs(session: Session) -> None:
    digests = {store_blob(session, content) for content in (b"a", b"b", b"", b"a")}
    session.flush()
    assert len(digests) == 3
    assert blob_count(session) == 3


def test_dedup_across_submissions_and_flushes(session: Session) -> None:
    c = f.course(session)
    a = f.assignment(session, c)
    same = {"main.py": b"def main(args):\n    return 42\n"}
    subs = [f.submission(session, a, f.user(session), same) for _ in range(3)]
    assert blob_count(session) == 1
    paths = session.scalars(select(SubmissionFile.blob_sha256)).all()
    assert len(paths) == 3 and len(set(paths)) == 1
    assert len({s.id for s in subs}) == 3


def test_blob_round_trip_keeps_bytes_and_size(session: Session) -> None:
    content = bytes(range(256)) * 1000
    digest = store_blob(session, content)
    session.flush()
    session.expunge_all()
    assert load_blob(session, digest) == content
    blob = session.get(Blob, digest)
    assert blob is not None and blob.size == len(content)
    assert load_blob(session, sha256_hex(b"missing")) is None
