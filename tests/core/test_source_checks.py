"""Source checks: found by parsing, resolved through imports, never in comments/strings."""

from __future__ import annotations

import pytest

from core.manifest import SourceCheckSpec
from core.source_checks import check_files, check_source

NO_AUTOGRAD = SourceCheckSpec(
    forbidden_imports=("torch.autograd",),
    forbidden_calls=("torch.autograd.grad", "backward"),
    forbidden_attributes=("requires_grad_",),
    message="Compute the gradients by hand.",
)


@pytest.mark.parametrize(
    ("source", "line", "what"),
    [
        ("import torch.autograd\n", 1, "importing torch.autograd"),
        ("import torch.autograd.functional as F\n", 1, "importing torch.autograd.functional"),
        ("from torch.autograd import grad\n", 1, "importing torch.autograd"),
        ("from torch import autograd\n", 1, "importing torch.autograd"),
        ("import importlib\nm = importlib.import_module('torch.autograd')\n", 2,
         "importing torch.autograd"),
        ("m = __import__('torch.autograd')\n", 1, "importing torch.autograd"),
        ("import torch\nloss = torch.ones(1)\n\nloss.backward()\n", 4, "calling .backward()"),
        ("import torch\ng = torch.autograd.grad(y, x)\n", 2, "using torch.autograd.grad"),
        ("import torch as t\nf = t.autograd.grad\n", 2, "using torch.autograd.grad"),
        ("import torch\nw = torch.zeros(3)\nw.requires_grad_()\n", 3,
         "the attribute .requires_grad_"),
        ("w = 1\ngetattr(w, 'requires_grad_')()\n", 2, "the attribute .requires_grad_"),
        ("x = 1\ngetattr(x, 'backward')()\n", 2, "calling .backward()"),
        ("from torch.autograd import backward as b\nb(loss)\n", 2,
         "calling torch.autograd.backward()"),
    ],
)
def test_findings(source: str, line: int, what: str) -> None:
    findings = check_source(source, NO_AUTOGRAD, "sgd_manual.py")
    assert any(f.line == line and f.what == what for f in findings), findings
    finding = next(f for f in findings if f.what == what)
    assert finding.message == (
        f"sgd_manual.py, line {line}: {what} is not allowed in this assignment. "
        "Compute the gradients by hand."
    )
    assert not finding.syntax_error


@pytest.mark.parametrize(
    "source",
    [
        "# loss.backward() would be easier, but we may not\nx = 1\n",
        '"""We never call torch.autograd.grad here."""\n',
        "s = 'import torch.autograd'\nt = 'x.requires_grad_()'\n",
        "import torch\nw = torch.zeros(3)\nw.requires_grad = False\n",  # a different attribute
        "def backward(grad):\n    return grad\n\nbackward(1)\n",  # the student's own function
        "import torch.nn\nimport torchvision\nfrom torch import autograd_like\n",
        "from . import autograd\n",  # a relative import of the student's own module
        "import importlib\nname = 'torch.autograd'\nimportlib.import_module(name)\n",
    ],
)
def test_no_false_positives(source: str) -> None:
    assert check_source(source, NO_AUTOGRAD) == []


def test_syntax_error_is_reported_as_such() -> None:
    (finding,) = check_source("x = 1\ndef main(:\n", NO_AUTOGRAD, "a.py")
    assert finding.syntax_error and finding.line == 2
    assert finding.message.startswith("Syntax error in a.py, line 2:")


def test_null_bytes_and_deep_nesting_are_unparsable_not_crashes() -> None:
    (finding,) = check_source(b"x = 1\x00\n", NO_AUTOGRAD)
    assert finding.syntax_error
    (deep,) = check_source("x = " + "(" * 5000 + ")" * 5000 + "\n", NO_AUTOGRAD)
    assert deep.syntax_error


def test_repeated_use_on_one_line_is_one_finding_and_order_is_by_line() -> None:
    source = "import torch\na.backward(); b.backward()\nimport torch.autograd\n"
    findings = check_source(source, NO_AUTOGRAD)
    assert [(f.line, f.what) for f in findings] == [
        (2, "calling .backward()"), (3, "importing torch.autograd")
    ]


def test_check_files_only_python_files_sorted() -> None:
    files = {
        "b.py": b"x.backward()\n",
        "a.py": b"import torch.autograd\n",
        "notes.txt": b"x.backward()\n",
        "model.ipynb": b"{}",
    }
    findings = check_files(files, NO_AUTOGRAD)
    assert [f.file for f in findings] == ["a.py", "b.py"]


def test_empty_spec_finds_nothing() -> None:
    assert check_source("import torch.autograd\nx.backward()\n", SourceCheckSpec()) == []


def test_summary_lists_the_first_findings_then_a_count() -> None:
    from core.source_checks import summary

    source = "".join(f"x{i}.backward()\n" for i in range(7))
    text = summary(check_source(source, NO_AUTOGRAD, "s.py"), limit=2)
    assert text.splitlines() == [
        "s.py, line 1: calling .backward() is not allowed in this assignment. "
        "Compute the gradients by hand.",
        "s.py, line 2: calling .backward() is not allowed in this assignment. "
        "Compute the gradients by hand.",
        "... and 5 more.",
    ]
    assert summary([]) == ""


# --- bounds (issue 13): the check runs on the trusted side ------------------------------


def test_a_1500_term_expression_is_a_finding_not_a_recursion_error() -> None:
    source = "def main(args):\n    return " + "+".join(["1"] * 1500) + "\n"
    findings = check_source(source, SourceCheckSpec(forbidden_calls=("backward",)))
    assert [f.what for f in findings] == ["code nested too deeply"]
    assert "split it" in findings[0].message and not findings[0].syntax_error


def test_a_long_attribute_chain_resolves_without_recursion() -> None:
    chain = "torch" + ".x" * 900 + ".backward()"
    spec = SourceCheckSpec(forbidden_calls=("backward",))
    findings = check_source(f"import torch\n{chain}\n", spec)
    assert [f.what for f in findings] == ["calling .backward()"]


def test_a_source_over_the_size_cap_is_not_parsed() -> None:
    from core.submission import MAX_SOURCE_BYTES

    source = b"x = 1\n" * (MAX_SOURCE_BYTES // 6 + 1)
    findings = check_source(source, SourceCheckSpec(forbidden_calls=("backward",)))
    assert [f.what for f in findings] == ["a file too large to check"]
