"""`autograde grade`: grade a submission locally through the same engine and sandbox.

Registered on the root command by `launch/cli.py`. The command is thin:
it resolves the assignment folder, reads the files, calls `worker.engine.grade_submission`
and prints the report. Exit status 0 whenever grading completed, whatever the verdicts;
1 when grading itself failed (our fault), 2 for a usage problem (bad path, no sandbox).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from core.report import EvaluationReport

EXIT_GRADING_FAILED = 1
EXIT_USAGE = 2
DEFAULT_CACHE_DIR = Path(os.path.expanduser("~/.cache/autograde/references"))


def assignments_root() -> Path:
    """Where assignment packages live: $AUTOGRADE_ASSIGNMENTS, else the repository's."""
    configured = os.environ.get("AUTOGRADE_ASSIGNMENTS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "assignments"


def resolve_assignment(name_or_path: str) -> Path:
    """A folder under the assignments root by name, or a path to a package folder."""
    candidate = Path(name_or_path)
    if (candidate / "assignment.toml").is_file():
        return candidate
    named = assignments_root() / name_or_path
    if "/" not in name_or_path and (named / "assignment.toml").is_file():
        return named
    raise typer.BadParameter(
        f"{name_or_path!r} is neither a folder under {assignments_root()} nor a path to a "
        "folder holding assignment.toml",
        param_hint="ASSIGNMENT",
    )


def read_submission(paths: list[Path]) -> dict[str, bytes]:
    """The submitted files by name: a directory contributes its files (relative paths)."""
    files: dict[str, bytes] = {}
    for path in paths:
        if path.is_dir():
            for item in sorted(path.rglob("*")):
                relative = item.relative_to(path)
                if item.is_file() and not any(
                    part.startswith(".") or part == "__pycache__" for part in relative.parts
                ):
                    files[relative.as_posix()] = item.read_bytes()
        elif path.is_file():
            files[path.name] = path.read_bytes()
        else:
            raise typer.BadParameter(f"{path} does not exist", param_hint="FILE")
    if not files:
        raise typer.BadParameter("no files to grade", param_hint="FILE")
    return files


def format_table(report: EvaluationReport) -> str:
    """The human-readable report: one row per test, then the score."""
    rows = [("test", "verdict", "time", "memory", "message")]
    for test in report.tests:
        name = f"{test.name} (hidden)" if test.hidden else test.name
        message = " ".join(test.message.split())
        rows.append(
            (
                name,
                str(test.verdict),
                f"{test.time_s:.2f} s",
                f"{test.memory_mib:.0f} MiB",
                message[:100] + ("..." if len(message) > 100 else ""),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True))
        + "  " + row[4]
        for row in rows
    ]
    lines.append("")
    lines.append(f"{report.assignment} (version {report.version[:12]}): "
                 f"score {report.score:.4f}")
    if report.metric is not None:
        lines.append(f"metric: {report.metric:.6g}")
    if report.system_error:
        lines.append(f"SYSTEM ERROR (not the submission's fault): {report.system_error}")
    return "\n".join(lines)


def grade(
    assignment: Annotated[str, typer.Argument(help="Folder name under assignments/, or a path.")],
    files: Annotated[list[Path], typer.Argument(help="Submitted files or a directory of them.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    cache_dir: Annotated[
        Path, typer.Option(help="Reference cache directory (kept between runs).")
    ] = DEFAULT_CACHE_DIR,
    allow_unsandboxed: Annotated[
        bool,
        typer.Option(help="Run without the sandbox when none is available (trusted code only)."),
    ] = False,
) -> None:
    """Grade FILE... against ASSIGNMENT's public and hidden tests, through the sandbox."""
    from worker.engine import grade_submission, make_runner
    from worker.reference_cache import ReferenceCache

    if device not in ("cpu", "cuda"):
        raise typer.BadParameter("must be cpu or cuda", param_hint="--device")
    package_dir = resolve_assignment(assignment)
    submission = read_submission(files)
    try:
        runner = make_runner(device=device, allow_unsandboxed=allow_unsandboxed)
    except RuntimeError as error:
        typer.echo(f"autograde grade: {error}", err=True)
        raise typer.Exit(code=EXIT_USAGE) from None
    try:
        report = grade_submission(
            package_dir, submission, device=device, cache=ReferenceCache(cache_dir), runner=runner
        )
    finally:
        runner.close()
    if as_json:
        typer.echo(json.dumps(report.to_cli_json()))
    else:
        typer.echo(format_table(report))
    if report.system_error:
        raise typer.Exit(code=EXIT_GRADING_FAILED)
