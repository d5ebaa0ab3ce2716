"""The course's submission protocol, as it runs inside the sandboxed child.

A submission is a directory of files of which exactly one `.py` holds a line starting with
`def main(`. That file is imported under the module name `submission` (never `__main__`,
so its `if __name__ == "__main__":` block stays silent), its module-level argparse `parser`
parses the defaults, the test's arguments override them (arguments the student added keep
their defaults), and `main(args)` is called. The returned value is converted to plain
Python/numpy and encoded with `core.values.encode` inside an *outcome envelope*:

    {"status": "ok", "value": <value>, "main_s": <seconds spent in main>}
    {"status": "error", "kind": <ErrorKind>, "message": <for the student>,
     "traceback": <the student's frames only>}

The same function runs the reference solution, under the same conditions. The envelope is
decoded on the trusted side with `read_outcome`. Everything here is also importable without
a sandbox, which is how the protocol's pieces are unit-tested.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

from core import values
from core.submission import main_candidates
from core.text import DETAIL_MAX_CHARS, MESSAGE_MAX_CHARS, clean_text
from worker.source_only import SourceOnlyLoader, source_only_imports

MODULE_NAME = "submission"
"""The name the student's main file is imported under (anything but `__main__`)."""


class ErrorKind(StrEnum):
    """Why a run produced no value; every kind is the student's fault (RUNTIME_ERROR; the
    FORBIDDEN kind gives the FORBIDDEN verdict)."""

    NO_MAIN = "no_main"
    SEVERAL_MAINS = "several_mains"
    SYNTAX_ERROR = "syntax_error"
    NO_PARSER = "no_parser"
    IMPORT_FAILED = "import_failed"
    EXCEPTION = "exception"
    EXITED = "exited"
    BAD_VALUE = "bad_value"
    VALUE_LIMIT = "value_limit"
    """The returned value is over the codec's bounds (the trusted side says OUTPUT_LIMIT)."""
    FORBIDDEN = "forbidden"
    """Not RUNTIME_ERROR: the task's run-time rule was broken (worker.autograd_guard)."""


class ProtocolError(Exception):
    """The submission does not follow the protocol; `message` is written for the student."""

    def __init__(self, kind: ErrorKind, message: str, trace: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.trace = trace


@dataclass(frozen=True)
class MainResult:
    """What one run of `main` gave, as decoded on the trusted side."""

    value: Any = None
    """The returned value (plain Python and numpy) when `error` is None."""
    main_s: float = 0.0
    """Wall seconds spent inside the student's `main` (not imports, not our overhead)."""
    error: ErrorKind | None = None
    """Why there is no value, or None."""
    message: str = ""
    """Student-facing explanation of `error`."""
    trace: str = ""
    """The traceback trimmed to the submission's own frames."""


# --- finding and checking the main file (also used on the trusted side, on bytes) ---------


def choose_main_file(files: Mapping[str, bytes]) -> str:
    """The one main file's name, or ProtocolError (none, several) with a student message."""
    candidates = main_candidates(files)
    if not candidates:
        python = sorted(name for name in files if name.endswith(".py"))
        seen = ", ".join(python) if python else "no .py file at all"
        raise ProtocolError(
            ErrorKind.NO_MAIN,
            "No submitted .py file has a line starting with `def main(` "
            f"(submitted Python files: {seen}). Exactly one file must define main(args) "
            "at the top level.",
        )
    if len(candidates) > 1:
        raise ProtocolError(
            ErrorKind.SEVERAL_MAINS,
            f"Several submitted files define `def main(`: {', '.join(candidates)}. "
            "Exactly one file may; rename the main function in the others or leave them out.",
        )
    return candidates[0]


def check_syntax(name: str, source: bytes) -> None:
    """Raise ProtocolError(SYNTAX_ERROR) naming the file, line and problem."""
    try:
        compile(source, name, "exec", dont_inherit=True)
    except SyntaxError as error:
        where = f"{name}, line {error.lineno}" if error.lineno else name
        raise ProtocolError(
            ErrorKind.SYNTAX_ERROR, f"Syntax error in {where}: {error.msg}."
        ) from None
    except (ValueError, RecursionError, MemoryError) as error:
        message = f"{name} cannot be compiled: {error}."
        raise ProtocolError(ErrorKind.SYNTAX_ERROR, message) from None


def read_directory(directory: Path) -> dict[str, bytes]:
    """The `.py` files under `directory`, keyed by their relative path.

    Mount points are not entered: when the Python environment lives under /tmp (a CI
    clone there), the sandbox binds it read-only inside the scratch dir, and its files
    are not the submission's.
    """
    files: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not os.path.ismount(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if name.endswith(".py") and path.is_file():
                files[path.relative_to(directory).as_posix()] = path.read_bytes()
    return dict(sorted(files.items()))


# --- importing and calling ----------------------------------------------------------------


GRADER_ROOT = str(Path(__file__).resolve().parents[1])
"""The grader's checkout (this package, its assignments and virtualenv). In the sandbox the
submission sits in the scratch folder (/tmp), and a checkout under /tmp is visible inside
it at its host path: its frames are never the student's."""
_OURS = tuple(sorted({GRADER_ROOT, sys.prefix, sys.base_prefix}))


def is_submission_file(filename: str, root: str) -> bool:
    """Whether a frame's file is one of the submission's (under ``root``, not ours)."""
    if not (root and filename.startswith(root + os.sep)):
        return False
    return not any(filename.startswith(ours + os.sep) for ours in _OURS
                   if ours.startswith(root + os.sep))


def student_trace(error: BaseException, directory: Path) -> str:
    """The traceback of `error` for the student: only the submission's own frames, with
    paths relative to the submission.

    Our frames (this module, importlib) and library frames (torch, numpy) would only
    confuse, and they reveal the grader's and the host's layout.
    """
    root = str(directory.resolve())
    frames = traceback.StackSummary.from_list(
        [frame for frame in traceback.extract_tb(error.__traceback__)
         if is_submission_file(frame.filename, root)]
    )
    for frame in frames:
        frame.filename = frame.filename[len(root) + 1:]
    lines = ["Traceback (most recent call last, your files only):\n", *frames.format()]
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines).replace(root + os.sep, "")


def import_main_file(path: Path) -> ModuleType:
    """Import the main file as module `submission`, its directory first on sys.path."""
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(
        MODULE_NAME, path, loader=SourceOnlyLoader(MODULE_NAME, str(path))
    )
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd file names
        raise ProtocolError(ErrorKind.IMPORT_FAILED, f"{path.name} cannot be imported.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except SystemExit as error:
        raise ProtocolError(
            ErrorKind.EXITED,
            f"Importing {path.name} called exit({error.code!r}); keep the script's own work "
            'under `if __name__ == "__main__":`.',
        ) from None
    except BaseException as error:  # noqa: BLE001 - any failure of the student's import
        raise ProtocolError(
            ErrorKind.IMPORT_FAILED,
            f"Importing {path.name} failed: {type(error).__name__}: {error}",
            student_trace(error, path.parent),
        ) from None
    return module


def build_args(module: ModuleType, overrides: Mapping[str, Any]) -> argparse.Namespace:
    """Parse the module's `parser` defaults, then set the test's arguments on top."""
    parser = getattr(module, "parser", None)
    if not isinstance(parser, argparse.ArgumentParser):
        found = "missing" if parser is None else f"a {type(parser).__name__}"
        raise ProtocolError(
            ErrorKind.NO_PARSER,
            "The main file needs a module-level `parser = argparse.ArgumentParser()` "
            f"(it is {found}); the grader parses its defaults and sets the test's arguments.",
        )
    try:
        args = parser.parse_args([])
    except SystemExit:
        raise ProtocolError(
            ErrorKind.NO_PARSER,
            "`parser.parse_args([])` failed: every argument needs a default "
            "(required arguments and positionals cannot be given by the grader).",
        ) from None
    for name, value in overrides.items():
        setattr(args, name, value)
    return args


MEMORY_FRACTION_ENV = "AUTOGRADE_CUDA_MEMORY_FRACTION"
"""The share of its GPU one job may allocate (set by the worker when GPUs are packed)."""


def limit_gpu_memory() -> float | None:
    """Cap torch's CUDA allocator at the job's share of the GPU (when torch is loaded, a GPU
    is visible and the worker set a fraction); the fraction applied, or None."""
    torch = sys.modules.get("torch")
    try:
        fraction = float(os.environ.get(MEMORY_FRACTION_ENV, ""))
    except ValueError:
        return None
    if torch is None or not 0 < fraction <= 1 or not torch.cuda.is_available():
        return None
    for device in range(torch.cuda.device_count()):
        torch.cuda.set_per_process_memory_fraction(fraction, device)
    return fraction


def limit_threads(cpu_threads: int) -> None:
    """Give torch (when it is loaded) the thread count the limits allow."""
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(max(1, cpu_threads))


def to_plain(value: Any, depth: int = 0) -> Any:
    """Convert torch tensors and numpy scalars inside `value` to numpy arrays and Python."""
    if depth > 64:
        raise ProtocolError(ErrorKind.BAD_VALUE, "main returned a value nested too deeply.")
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        array = value.detach().cpu().numpy()
        # A 0-d tensor is how torch returns a scalar (`.sum()`); compare it as a number.
        return array.item() if array.ndim == 0 else array
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return type(value)(to_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return {key: to_plain(item, depth + 1) for key, item in value.items()}
    return value


def call_main(module: ModuleType, args: argparse.Namespace, directory: Path) -> tuple[Any, float]:
    """Call `main(args)`; returns (value, seconds) or raises ProtocolError with the trace."""
    main = getattr(module, "main", None)
    if not callable(main):
        raise ProtocolError(ErrorKind.NO_MAIN, "The main file has no callable `main` function.")
    start = time.perf_counter()
    try:
        value = main(args)
    except SystemExit as error:
        raise ProtocolError(
            ErrorKind.EXITED,
            f"main() called exit({error.code!r}) instead of returning its result.",
        ) from None
    except BaseException as error:  # noqa: BLE001 - any failure of the student's code
        raise ProtocolError(
            ErrorKind.EXCEPTION,
            f"main() raised {type(error).__name__}: {error}",
            student_trace(error, directory),
        ) from None
    return value, time.perf_counter() - start


def run_submission(
    directory: Path, overrides: Mapping[str, Any], *, cpu_threads: int = 1
) -> bytes:
    """The whole protocol on `directory`; always returns an encoded outcome envelope."""
    try:
        name = choose_main_file(read_directory(directory))
        path = directory / name
        check_syntax(name, path.read_bytes())
        source_only_imports(path.parent)
        module = import_main_file(path)
        args = build_args(module, overrides)
        limit_threads(cpu_threads)
        limit_gpu_memory()
        value, main_s = call_main(module, args, path.parent)
        plain = to_plain(value)
        try:
            return values.encode({"status": "ok", "value": plain, "main_s": main_s})
        except values.TooLarge as error:
            message = f"main() returned too much: {error}."
            raise ProtocolError(ErrorKind.VALUE_LIMIT, message) from None
        except Exception as error:  # noqa: BLE001 - the codec says what it cannot encode
            raise ProtocolError(
                ErrorKind.BAD_VALUE,
                f"main() returned a value that cannot be compared ({type(value).__name__}): "
                f"{error}",
            ) from None
    except ProtocolError as error:
        return error_envelope(error)


def error_envelope(error: ProtocolError) -> bytes:
    """Encode a ProtocolError as an outcome envelope (also used on the trusted side)."""
    return values.encode(
        {"status": "error", "kind": str(error.kind),
         "message": clean_text(error.message, MESSAGE_MAX_CHARS),
         "traceback": clean_text(error.trace, DETAIL_MAX_CHARS)}
    )


def read_outcome(payload: bytes) -> MainResult:
    """Decode an envelope on the trusted side; ValueError when it is not one."""
    envelope = values.decode(payload)
    if not isinstance(envelope, dict) or envelope.get("status") not in ("ok", "error"):
        raise ValueError("the run returned something that is not an outcome envelope")
    if envelope["status"] == "ok":
        main_s = envelope.get("main_s")
        # main_s comes from the child, so it is only ever displayed, never trusted.
        seconds = float(main_s) if isinstance(main_s, int | float) else 0.0
        return MainResult(value=envelope.get("value"), main_s=seconds)
    kind = envelope.get("kind")
    known = kind in {member.value for member in ErrorKind}
    # The child wrote these: bounded and made printable before anything keeps them.
    return MainResult(
        error=ErrorKind(str(kind)) if known else ErrorKind.EXCEPTION,
        message=clean_text(str(envelope.get("message", "")), MESSAGE_MAX_CHARS),
        trace=clean_text(str(envelope.get("traceback", "")), DETAIL_MAX_CHARS),
    )
