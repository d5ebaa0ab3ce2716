"""Small top-level jobs for the warm runner (picklable by reference): a trivial one for
benchmarks and one that runs a file's `main(args)` the way the course does."""

from __future__ import annotations

import importlib.util
import json
from typing import Any


def trivial() -> bytes:
    """Return at once: measures the runner's own overhead."""
    return b"ok"


def call_main_file(path: str, argv: list[str]) -> bytes:
    """Import `path` as module `submission`, parse `argv` with its module-level `parser`,
    call `main(args)` and return its value as JSON (repr for what JSON cannot hold)."""
    spec = importlib.util.spec_from_file_location("submission", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = module.parser.parse_args(argv)
    value: Any = module.main(args)
    return json.dumps(value, default=repr).encode()
