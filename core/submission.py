"""The shape of a submission: how many files and bytes, which names, which file is main.

`UploadLimits` bounds a submission (file count, total size, a zip's expansion ratio). The
API builds them from its settings, enforces them on upload and sends them in the job
(`worker.contract.EvaluateRequest`), so the worker checks exactly what the API enforced.

The upload refuses a submission these rules reject (a clear 4xx), and the worker checks
them again before it writes anything (a submission stored before a rule existed is then
the student's RUNTIME_ERROR, never a failure of ours):

- every path component fits a file system's name limit (255 bytes of UTF-8, not
  characters: 204 characters can be 404 bytes), and the whole path 1024 bytes;
- no path is both a file and a folder (``a`` and ``a/b.txt``);
- no compiled Python (``*.pyc``, ``*.pyo``, anything under ``__pycache__``): Python would
  run it instead of the visible source; the worker ignores such files outright;
- a ``.py`` file is at most `MAX_SOURCE_BYTES` (parsing costs about 300 bytes of the
  grader's memory per byte of source);
- the main file is the one ``.py`` file with a line starting ``def main(``
  (`main_candidates`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_FILES = 20
"""The course's default limit on the number of files in one submission."""
MAX_BYTES = 20 * 1024 * 1024
"""The course's default limit on a submission's total size (20 MiB)."""
MAX_ZIP_RATIO = 200
"""The default largest expansion of a big zip member (larger: a zip bomb)."""


@dataclass(frozen=True)
class UploadLimits:
    """What one submission may contain (the defaults are the course's)."""

    max_files: int = MAX_FILES
    """Files in the submission (a zip's members, once unpacked)."""
    max_bytes: int = MAX_BYTES
    """Total size of the files, bytes."""
    max_ratio: int = MAX_ZIP_RATIO
    """How much a zip member over 1 MiB may expand (upload only)."""

    @property
    def size_text(self) -> str:
        """The size limit as the pages and every refusal state it (e.g. "20 MiB")."""
        return size_text(self.max_bytes)

    @property
    def too_large(self) -> str:
        """The refusal of files above `max_bytes`."""
        return f"the files are too large: at most {self.size_text} in total"

    @property
    def too_many(self) -> str:
        """The refusal of more than `max_files` files."""
        return f"too many files: at most {self.max_files} per submission"

    def problem(self, files: Mapping[str, bytes]) -> str | None:
        """`too_many` or `too_large` when `files` are over the limits, else None."""
        if len(files) > self.max_files:
            return self.too_many
        if sum(len(data) for data in files.values()) > self.max_bytes:
            return self.too_large
        return None


DEFAULT_LIMITS = UploadLimits()
"""The course's limits (what local grading checks; a job carries the API's own)."""


def size_text(n_bytes: int) -> str:
    """A byte count in MiB, as precise as it needs to be ("20 MiB", "0.5 MiB")."""
    return f"{n_bytes / 2**20:.3g} MiB"


MAIN_LINE = re.compile(rb"^def main\(", re.MULTILINE)
"""A line that makes its `.py` file a main-file candidate."""


def main_candidates(files: Mapping[str, bytes]) -> list[str]:
    """Names of the `.py` files that hold a line starting with `def main(`, sorted."""
    return sorted(
        name for name, data in files.items() if name.endswith(".py") and MAIN_LINE.search(data)
    )


COMPONENT_MAX_BYTES = 255
"""The longest file or folder name (bytes of UTF-8), as on ext4, xfs and tmpfs."""
PATH_MAX_BYTES = 1024
"""The longest relative path (bytes of UTF-8)."""
MAX_SOURCE_BYTES = 256 * 1024
"""The largest `.py` file (256 KiB); the course's solutions are a few KiB."""
BYTECODE_SUFFIXES = (".pyc", ".pyo")
BYTECODE_FOLDER = "__pycache__"


def is_bytecode(name: str) -> bool:
    """True for compiled Python: a `.pyc`/`.pyo` file or anything in a `__pycache__`."""
    return name.lower().endswith(BYTECODE_SUFFIXES) or BYTECODE_FOLDER in name.split("/")


def without_bytecode(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """`files` less any compiled Python (which is never written where the code runs)."""
    return {name: data for name, data in files.items() if not is_bytecode(name)}


def name_problem(name: str) -> str | None:
    """Why `name` (a relative POSIX path) cannot be written, or None."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return f"the file name {name[:60]!r} is not valid UTF-8"
    if len(encoded) > PATH_MAX_BYTES:
        return f"the path {name[:60]!r}... is longer than {PATH_MAX_BYTES} bytes"
    for part in name.split("/"):
        size = len(part.encode("utf-8"))
        if size > COMPONENT_MAX_BYTES:
            return (f"the name {part[:40]!r}... is {size} bytes long in UTF-8; "
                    f"at most {COMPONENT_MAX_BYTES} bytes are allowed")
    return None


def layout_problem(names: Iterable[str]) -> str | None:
    """Why these paths cannot all be written (a long name, a file that is also a folder),
    or None. Compiled Python is not judged here (see `bytecode_problem`)."""
    listed = sorted(set(names))
    files = set(listed)
    for name in listed:
        problem = name_problem(name)
        if problem is not None:
            return problem
        parts = name.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in files:
                return (f"{folder!r} is sent both as a file and as the folder of {name!r}; "
                        "rename one of them")
    return None


def bytecode_problem(names: Iterable[str]) -> str | None:
    """A student message when compiled Python is among `names`, or None."""
    found = sorted(name for name in names if is_bytecode(name))
    if not found:
        return None
    return (f"compiled Python ({', '.join(found[:3])}{', ...' if len(found) > 3 else ''}) "
            "is not accepted: send the .py source files only")


def source_size_problem(files: Mapping[str, bytes]) -> str | None:
    """A student message when a `.py` file is over `MAX_SOURCE_BYTES`, or None."""
    for name in sorted(files):
        if name.endswith(".py") and len(files[name]) > MAX_SOURCE_BYTES:
            return (f"{name} is {len(files[name]) / 1024:.0f} KiB; a .py file may have at "
                    f"most {MAX_SOURCE_BYTES // 1024} KiB")
    return None
