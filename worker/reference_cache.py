"""A disk cache of the reference solution's results, one file per test.

The reference's returned value for a test depends only on the package version (a content
hash of everything in the package, reference and data included), the test, the kind of
device and the torch version, so it is computed once per such key and reused by every
later grading, across restarts. Each entry also keeps the reference's wall time, which sets
the test's time limit.

File layout: `<directory>/<version>/<sha256 of the key>.ref`, holding one JSON header line
(the key spelled out, the wall time, the payload's length and hash) and then the payload
bytes (a `core.values` outcome envelope, never pickle). Writes go to a temporary file in the
same directory and are renamed into place, so a reader sees either nothing or a whole
entry; a damaged entry reads as a miss and is overwritten by the next computation.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

_FORMAT = 1


@dataclass(frozen=True)
class ReferenceKey:
    """What a reference result depends on."""

    version: str
    """The package version (content hash)."""
    test: str
    """The test's name within the package."""
    device: str
    """The kind of device the reference ran on: `cpu` or `cuda`."""
    torch_version: str
    """`torch.__version__` of the worker (numerics may change between releases)."""

    def digest(self) -> str:
        """A file-name-safe hash of the whole key."""
        text = json.dumps([self.version, self.test, self.device, self.torch_version])
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class CachedReference:
    """One cached reference run."""

    payload: bytes
    """The reference's outcome envelope, as `worker.protocol.run_submission` encoded it."""
    wall_s: float
    """Wall seconds the reference run took (the whole sandboxed run)."""


class ReferenceCache:
    """Reference results stored as files under `directory` (created on first write)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: ReferenceKey) -> Path:
        # The version is a hex hash, but never trust a caller's string with a path.
        folder = hashlib.sha256(key.version.encode()).hexdigest()[:32]
        return self.directory / folder / f"{key.digest()}.ref"

    def get(self, key: ReferenceKey) -> CachedReference | None:
        """The cached entry, or None when absent or unreadable."""
        try:
            raw = self._path(key).read_bytes()
        except OSError:
            return None
        header_line, newline, payload = raw.partition(b"\n")
        if not newline:
            return None
        try:
            header = json.loads(header_line)
        except ValueError:
            return None
        expected = {
            "format": _FORMAT,
            "key": [key.version, key.test, key.device, key.torch_version],
            "length": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
        if any(header.get(name) != value for name, value in expected.items()):
            return None
        wall_s = header.get("wall_s")
        if not isinstance(wall_s, int | float) or wall_s < 0:
            return None
        return CachedReference(payload=payload, wall_s=float(wall_s))

    def put(self, key: ReferenceKey, entry: CachedReference) -> None:
        """Store `entry` atomically (write a temporary file, then rename it into place)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {
            "format": _FORMAT,
            "key": [key.version, key.test, key.device, key.torch_version],
            "wall_s": entry.wall_s,
            "length": len(entry.payload),
            "sha256": hashlib.sha256(entry.payload).hexdigest(),
        }
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".ref")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(json.dumps(header).encode() + b"\n" + entry.payload)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def clear(self) -> None:
        """Forget every entry (used by benchmarks and tests)."""
        for path in self.directory.glob("*/*.ref"):
            path.unlink(missing_ok=True)
