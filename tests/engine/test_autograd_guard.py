"""The run-time autograd guard (`autograd = false`), in a forked child as in the sandbox.

Each case runs a snippet after `install_guard` in a fresh fork (the guard patches torch
for the whole process, so never in pytest's own) and reports whether it was caught.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import torch._functorch.eager_transforms  # noqa: F401 - imported once, before the forks

SETUP = """
import torch
w = torch.ones(3)
x = torch.arange(3.0)
def loss(w):
    return ((w * x) ** 2).sum()
"""

CAUGHT = {
    "Tensor.backward": "v = w.clone().requires_grad_(); loss(v).backward()",
    "getattr computed name": 'v = w.clone().requires_grad_(); getattr(loss(v), "back" + "ward")()',
    "torch.autograd.grad": "v = w.clone().requires_grad_(); torch.autograd.grad(loss(v), v)",
    "torch.autograd.backward": "v = w.clone().requires_grad_(); torch.autograd.backward(loss(v))",
    "torch.func.grad": "torch.func.grad(loss)(w)",
    "torch.func.vjp": "torch.func.vjp(loss, w)[1](torch.tensor(1.0))",
    "torch.func.jacrev": "torch.func.jacrev(loss)(w)",
    "torch.func.jvp": "torch.func.jvp(loss, (w,), (torch.ones(3),))",
    "torch.func.jacfwd": "torch.func.jacfwd(loss)(w)",
    "torch.func.hessian": "torch.func.hessian(loss)(w)",
    "forward_ad": "import torch.autograd.forward_ad as fwAD\nwith fwAD.dual_level():\n    "
                  "fwAD.make_dual(w, torch.ones(3))",
    "custom Function": textwrap.dedent("""
        class Square(torch.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                return t * t
            @staticmethod
            def backward(ctx, g):
                return g
        Square.apply(w)
    """),
    "caught by the student": textwrap.dedent("""
        try:
            v = w.clone().requires_grad_(); loss(v).backward()
        except BaseException:
            pass
    """),
    "guard replaced": textwrap.dedent("""
        from torch.autograd.variable import Variable
        import torch._C
        Variable._execution_engine = torch._C._ImperativeEngine()
    """),
    "guard removed": textwrap.dedent("""
        from torch.autograd.function import Function
        del Function.apply
    """),
}

ALLOWED = {
    "own backward method": textwrap.dedent("""
        class Layer:
            def backward(self, g):
                return g * 2
        Layer().backward(torch.ones(2))
    """),
    "plain tensor maths": "(w @ x, torch.tanh(w).sum(), torch.softmax(x, 0))",
    "no_grad and requires_grad flags": "with torch.no_grad():\n    w * 2\nw.requires_grad",
    "nn.Linear forward": "torch.nn.Linear(3, 2)(x)",
}


def guarded_run(code: str, tmp_path: Path) -> list[str]:
    """The guard's findings after running `code` in a forked child with the guard on."""
    source = tmp_path / "solution.py"
    source.write_text(SETUP + code + "\n")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - reports through the pipe
        code_out = 0
        try:
            from worker.autograd_guard import install_guard

            guard = install_guard(tmp_path)
            try:
                exec(compile(source.read_text(), str(source), "exec"), {})
            except BaseException:  # noqa: BLE001 - the guard's exception, or a student's
                pass
            guard.check()
            os.write(write_end, json.dumps(guard.uses).encode())
        except BaseException:  # noqa: BLE001
            code_out = 1
        os._exit(code_out)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return list(json.loads(data))


@pytest.mark.parametrize("name", sorted(CAUGHT))
def test_every_route_to_autograd_is_caught(name: str, tmp_path: Path) -> None:
    uses = guarded_run(CAUGHT[name], tmp_path)
    assert uses, f"{name} was not caught"


@pytest.mark.parametrize("name", sorted(ALLOWED))
def test_what_is_not_autograd_is_allowed(name: str, tmp_path: Path) -> None:
    assert guarded_run(ALLOWED[name], tmp_path) == []


def test_the_finding_names_the_submission_file_and_line(tmp_path: Path) -> None:
    uses = guarded_run("v = w.clone().requires_grad_()\nloss(v).backward()", tmp_path)
    assert uses == ["autograd's backward pass (solution.py, line 8)"]  # SETUP is 6 lines
