"""Print the import circles among the modules under a prefix (default ``api.web``).

Every import counts: those inside functions and under ``TYPE_CHECKING`` too (grimp's
graph, the one import-linter checks contracts on). Exit status 1 when there is a circle.

    .venv/bin/python scripts/import_cycles.py [PREFIX ...]
"""

from __future__ import annotations

import sys

import grimp


def circles(graph: grimp.ImportGraph, prefix: str) -> list[list[str]]:
    """Strongly connected components (more than one module) of the graph under ``prefix``."""
    modules = sorted(m for m in graph.modules if m == prefix or m.startswith(prefix + "."))
    edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m) if n in modules)
             for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(m: str) -> None:  # Tarjan
        index[m] = low[m] = len(index)
        stack.append(m)
        for n in edges[m]:
            if n not in index:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in stack:
                low[m] = min(low[m], index[n])
        if low[m] == index[m]:
            part = []
            while True:
                n = stack.pop()
                part.append(n)
                if n == m:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for m in modules:
        if m not in index:
            visit(m)
    return found


def main(prefixes: list[str]) -> int:
    graph = grimp.build_graph(*sorted({p.split(".")[0] for p in prefixes}))
    bad = 0
    for prefix in prefixes:
        for part in circles(graph, prefix):
            bad += 1
            print(f"{prefix}: circle of {len(part)}: " + " ".join(part))
    print(f"{bad} circle(s) under {', '.join(prefixes)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    raise SystemExit(main(sys.argv[1:] or ["api.web"]))
