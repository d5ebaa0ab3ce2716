"""What `autograde submit` uploads: files as they are, one .zip as it is, or a directory
packed into an in-memory zip (the API accepts folders only inside a zip)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from client.errors import ClientError

SKIPPED = frozenset({"__pycache__", ".git", ".ipynb_checkpoints", ".venv"})
"""Directory entries never worth uploading."""


def _skipped(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return any(p in SKIPPED or p.startswith(".") for p in parts) or path.suffix == ".pyc"


def zip_directory(root: Path) -> bytes:
    """The directory's regular files (no hidden ones, no caches, no links) as a zip."""
    out = io.BytesIO()
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file() or _skipped(path, root):
                continue
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16  # a plain file, not "special"
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
            count += 1
    if count == 0:
        raise ClientError(f"the directory {root} has no files to submit")
    return out.getvalue()


def upload_parts(paths: list[Path]) -> list[tuple[str, bytes]]:
    """(name, content) parts for the upload: several files, one .zip, or one directory."""
    if not paths:
        raise ClientError("name the files to submit (or one directory, or one .zip)")
    for path in paths:
        if not path.exists():
            raise ClientError(f"no such file or directory: {path}")
    if any(p.is_dir() for p in paths):
        if len(paths) != 1:
            raise ClientError("give either files, or one directory, or one .zip; not a mix")
        root = paths[0]
        return [(f"{root.resolve().name or 'submission'}.zip", zip_directory(root))]
    names = [p.name for p in paths]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ClientError(f"two files share the name {twice[0]!r}; the upload keeps no folders")
    try:
        return [(p.name, p.read_bytes()) for p in paths]
    except OSError as error:
        raise ClientError(f"cannot read {error.filename}: {error.strerror}") from None
