"""Which sets of submitted file names can be written to a disk and graded, and which not.

The upload refuses a submission these rules reject (a clear 4xx), and the worker checks
them again before it writes anything (a submission stored before a rule existed is then
the student's RUNTIME_ERROR, never a failure of ours):

- every path component fits a file system's name limit (255 bytes of UTF-8, not
  characters: 204 characters can be 404 bytes), and the whole path 1024 bytes;
- no path is both a file and a folder (``a`` and ``a/b.txt``);
- no compiled Python (``*.pyc``, ``*.pyo``, anything under ``__pycache__``): Python would
  run it instead of the visible source; the worker ignores such files outright;
- a ``.py`` file is at most `MAX_SOURCE_BYTES` (parsing costs about 300 bytes of the
  grader's memory per byte of source).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
