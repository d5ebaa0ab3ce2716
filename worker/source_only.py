"""No bytecode: a submission runs from the source staff can read (issue 13).

Python would run ``__pycache__/<name>.cpython-3XX.pyc`` (an unchecked-hash one without even
looking at the source) instead of the visible ``.py``, or a sourceless ``helper.pyc``. The
engine never writes submitted bytecode into a run's scratch dir, and in the child
`source_only_imports` makes the submission's directory importable from `.py` files only.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Compiles a submission's module from its source; never reads or writes a cache.

    Python would otherwise run ``__pycache__/<name>.cpython-3XX.pyc`` (an unchecked-hash one
    without even looking at the source) instead of the visible ``.py``.
    """

    def path_stats(self, path: str) -> Mapping[str, Any]:
        # Without the source's stats SourceLoader.get_code neither reads nor writes bytecode.
        raise OSError("bytecode caches are not used for submitted code")


def _python_roots() -> tuple[str, ...]:
    import site

    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages()}
    return tuple(os.path.realpath(root) + os.sep for root in roots if root)


def source_only_imports(directory: Path) -> None:
    """Imports from `directory` (the submission) find only `.py` files, compiled from
    source: no sourceless `.pyc`, no `__pycache__`, no extension modules; and nothing
    writes bytecode. The Python installation (which may sit below it, bound into the
    scratch dir in a CI clone) keeps its usual finders."""
    sys.dont_write_bytecode = True
    root = os.path.realpath(directory)
    python = _python_roots()
    details = (SourceOnlyLoader, importlib.machinery.SOURCE_SUFFIXES)

    def hook(entry: str) -> importlib.machinery.FileFinder:
        path = os.path.realpath(entry or ".")
        inside = path == root or path.startswith(root + os.sep)
        if not inside or (path + os.sep).startswith(python):
            raise ImportError("not the submission's directory")
        return importlib.machinery.FileFinder(entry, details)

    sys.path_hooks.insert(0, hook)
    sys.path_importer_cache.clear()
