"""Source checks: forbidden imports, calls and attributes, found by parsing (``ast``).

Because the code is parsed, never grepped, comments, strings and docstrings cannot trigger
a finding. Names are resolved through the file's imports, so ``import torch.autograd as ag;
ag.grad(...)`` and ``from torch.autograd import grad as g; g(...)`` are both
``torch.autograd.grad``. What is checked (rules from `core.manifest.SourceCheckSpec`):

- forbidden imports: ``import M``, ``from M import x``, ``from P import M`` and
  ``importlib.import_module("M")`` / ``__import__("M")`` with a literal name, where M is the
  forbidden module or one of its submodules;
- forbidden calls: a dotted entry (``torch.autograd.grad``) matches any use of that name,
  called or not; a bare entry (``backward``) matches any call ``x.backward(...)`` or of a
  function imported under that name;
- forbidden attributes: any ``x.name`` (read or written) and ``getattr``/``setattr``/
  ``hasattr``/``delattr`` with that literal name.

This is a teaching aid against honest mistakes, not a security boundary (the sandbox is).
It runs on the trusted side, so it is bounded: a file over
`core.submission.MAX_SOURCE_BYTES` is not parsed, the tree is walked without
recursion, and code nested deeper than `MAX_AST_DEPTH` is itself a finding (a 1,500-term
expression is 1,500 levels deep).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from core.manifest import SourceCheckSpec
from core.submission import MAX_SOURCE_BYTES

MAX_AST_DEPTH = 1000
"""The deepest syntax tree the check follows; deeper code is reported, not checked."""

_ATTRIBUTE_BUILTINS = frozenset({"getattr", "setattr", "hasattr", "delattr"})
_IMPORT_FUNCTIONS = frozenset({"importlib.import_module", "__import__"})


@dataclass(frozen=True)
class Finding:
    """One forbidden construct (or a syntax error) in one file."""

    file: str
    """The submission file, as named in the upload."""
    line: int
    """1-based line number (0 when unknown)."""
    what: str
    """The construct, e.g. ``"calling .backward()"``."""
    message: str
    """Student-facing sentence naming file, line, construct and the assignment's reason."""
    syntax_error: bool = False
    """True when the file could not be parsed (then nothing else was checked)."""


def check_files(files: Mapping[str, bytes], spec: SourceCheckSpec) -> list[Finding]:
    """Findings in every ``.py`` file of a submission, sorted by file and line."""
    findings: list[Finding] = []
    for name in sorted(files):
        if name.endswith(".py"):
            findings.extend(check_source(files[name], spec, name))
    return findings


def check_source(
    source: str | bytes, spec: SourceCheckSpec, file: str = "solution.py"
) -> list[Finding]:
    """Findings in one file's source, sorted by line; a syntax error is one finding."""
    if len(source) > MAX_SOURCE_BYTES:
        return [Finding(file, 0, "a file too large to check",
                        f"{file} has more than {MAX_SOURCE_BYTES // 1024} KiB of source, "
                        "more than the source check reads; make it shorter.")]
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as error:
        line = error.lineno or 0
        return [Finding(file, line, "syntax error",
                        f"Syntax error in {file}, line {line}: {error.msg}", True)]
    except (ValueError, RecursionError, MemoryError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        return [Finding(file, 0, "unparsable source",
                        f"{file} cannot be parsed: {reason}", True)]
    # Depth first, in a pass of its own: resolving a name chain costs its length per node.
    deep = next((node for node, depth in _walk(tree) if depth > MAX_AST_DEPTH), None)
    if deep is not None:
        line = getattr(deep, "lineno", 0)
        return [Finding(file, line, "code nested too deeply",
                        f"{file}, line {line}: code nested more than {MAX_AST_DEPTH} "
                        "levels deep (a very long expression?) cannot be checked; "
                        "split it into several statements.")]
    visitor = _Visitor(spec)
    for node, _depth in _walk(tree):
        visit = getattr(visitor, "visit_" + type(node).__name__, None)
        if visit is not None:
            visit(node)
    seen: set[tuple[int, str]] = set()
    findings: list[Finding] = []
    for line, what in sorted(visitor.found):
        if (line, what) in seen:
            continue
        seen.add((line, what))
        reason = f" {spec.message}" if spec.message else ""
        message = f"{file}, line {line}: {what} is not allowed in this assignment.{reason}"
        findings.append(Finding(file, line, what, message))
    return findings


def summary(findings: Sequence[Finding], limit: int = 5) -> str:
    """One student-facing text for a test report: the first `limit` findings, then a count."""
    lines = [finding.message for finding in findings[:limit]]
    if len(findings) > limit:
        lines.append(f"... and {len(findings) - limit} more.")
    return "\n".join(lines)


def _walk(tree: ast.AST) -> Iterator[tuple[ast.AST, int]]:
    """Every node with its depth (the root is 1), in source order, without recursion."""
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        children = list(ast.iter_child_nodes(node))
        stack.extend((child, depth + 1) for child in reversed(children))


def _module_matches(module: str, forbidden: str) -> bool:
    return module == forbidden or module.startswith(forbidden + ".")


class _Visitor:
    """Looks at each node of one module (`_walk` visits them in source order), resolving
    names through its imports, collecting findings."""

    def __init__(self, spec: SourceCheckSpec) -> None:
        self.spec = spec
        self.aliases: dict[str, str] = {}
        self.found: list[tuple[int, str]] = []
        self.dotted_calls = {c for c in spec.forbidden_calls if "." in c}
        self.bare_calls = {c for c in spec.forbidden_calls if "." not in c}

    def add(self, node: ast.AST, what: str) -> None:
        self.found.append((getattr(node, "lineno", 0), what))

    def check_module(self, node: ast.AST, module: str) -> None:
        for forbidden in self.spec.forbidden_imports:
            if _module_matches(module, forbidden):
                self.add(node, f"importing {module}")
                return

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.check_module(node, alias.name)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.aliases[top] = top

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level == 0 and module:
            self.check_module(node, module)
            for alias in node.names:
                if alias.name == "*":
                    continue
                full = f"{module}.{alias.name}"
                self.check_module(node, full)
                self.aliases[alias.asname or alias.name] = full
                self.check_dotted(node, full)

    def resolve(self, node: ast.expr) -> str | None:
        """The dotted name an expression refers to, through import aliases, or None."""
        attributes: list[str] = []
        while isinstance(node, ast.Attribute):  # a loop: chains may be thousands long
            attributes.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        return ".".join([self.aliases.get(node.id, node.id), *reversed(attributes)])

    def check_dotted(self, node: ast.AST, name: str) -> None:
        for forbidden in self.dotted_calls:
            if name == forbidden:
                self.add(node, f"using {forbidden}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in self.spec.forbidden_attributes:
            self.add(node, f"the attribute .{node.attr}")
        name = self.resolve(node)
        if name is not None:
            self.check_dotted(node, name)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.aliases and self.aliases[node.id] != node.id:
            self.check_dotted(node, self.aliases[node.id])

    def visit_Call(self, node: ast.Call) -> None:
        name = self.resolve(node.func)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in self.bare_calls:
            self.add(node, f"calling .{func.attr}()")
        elif isinstance(func, ast.Name) and func.id in self.aliases and name:
            # Only imported functions: a student's own `def backward` is not forbidden.
            if name.rsplit(".", 1)[-1] in self.bare_calls:
                self.add(node, f"calling {name}()")
        literal = _first_literal(node)
        if name in _IMPORT_FUNCTIONS and literal is not None:
            self.check_module(node, literal)
        if name in _ATTRIBUTE_BUILTINS and len(node.args) >= 2:
            second = node.args[1]
            if isinstance(second, ast.Constant) and second.value in self.spec.forbidden_attributes:
                self.add(node, f"the attribute .{second.value}")
            if isinstance(second, ast.Constant) and second.value in self.bare_calls:
                self.add(node, f"calling .{second.value}()")


def _first_literal(node: ast.Call) -> str | None:
    """The call's first argument when it is a string literal."""
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None
