"""The repository's layout: what the container image and the folders' READMEs promise."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def installed_packages() -> list[str]:
    """The top-level packages `pip install` finds (pyproject's packages.find include)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({pattern.rstrip("*") for pattern in include})


def test_the_compose_image_copies_every_installed_package() -> None:
    copied = set(re.findall(r"^\s*COPY (\w+) \1$", (ROOT / "docker-compose.yml").read_text(),
                            re.MULTILINE))
    assert set(installed_packages()) <= copied, "docker-compose.yml's image lacks a package"


FOLDERS = ("core", "api", "worker", "client", "launch", "assignments", "courses",
           "templates", "bench", "tests", "docs", "scripts")


def test_every_top_level_folder_has_a_readme_stating_its_rule() -> None:
    missing = [name for name in FOLDERS if not (ROOT / name / "README.md").is_file()]
    assert missing == []


def _circles(*names: str) -> dict[str, list[list[str]]]:
    """`scripts/import_cycles.py`'s circles under each name. Every import counts, inside
    functions and under TYPE_CHECKING too (grimp's graph)."""
    import importlib.util

    import grimp

    spec = importlib.util.spec_from_file_location("import_cycles",
                                                  ROOT / "scripts" / "import_cycles.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    graph = grimp.build_graph(*names)
    return {name: script.circles(graph, name) for name in names}


def test_core_worker_client_and_launch_have_no_import_circle() -> None:
    names = ("core", "worker", "client", "launch")
    assert _circles(*names) == {name: [] for name in names}


API_MODEL_PAIRS = [["api.db.assignments", "api.db.courses"]]
"""The import circles api may have: SQLAlchemy models that name each other in their
relationships (under TYPE_CHECKING). Nothing else: the Dispatcher protocol is in
`api.dispatcher` (no `api.queue` <-> `api.services.dispatch`), `api.db.models` finds the
model modules without importing the `api.db` package."""


def test_api_has_no_import_circle_but_the_model_pairs() -> None:
    assert _circles("api") == {"api": API_MODEL_PAIRS}
