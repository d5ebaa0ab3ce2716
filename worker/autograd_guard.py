"""Autograd forbidden at run time, for manual-gradient tasks (``autograd = false``).

Installed inside the sandboxed child before the submission is imported. It wraps the few
places every use of PyTorch's automatic differentiation passes through, whatever name or
string reached them (``getattr(loss, "back" + "ward")()``, precompiled code):

- the reverse-mode engine (``Variable._execution_engine.run_backward``): ``Tensor.backward``,
  ``torch.autograd.backward``/``grad``, ``torch.func.grad``/``vjp``/``jacrev`` all end there;
- functorch's grad and jvp levels (``torch.func.grad``, ``jvp``, ``jacfwd``, ``hessian``);
- forward-mode dual levels (``torch.autograd.forward_ad``);
- ``torch.autograd.Function.apply`` (a custom Function is autograd too).

A use is recorded (with the submission's file and line) and raises `AutogradForbidden`, a
BaseException that an ``except Exception`` in the student's code does not swallow; the job
then reports FORBIDDEN even if the student caught it. Putting the originals back is caught
as well (`Guard.check`). A student's own method called ``backward`` is plain Python and
touches none of this, so it is fine. This is the task's rule, not the security boundary
(the sandbox is).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core import values
from worker import protocol

MESSAGE = ("This assignment asks for gradients computed by hand: automatic differentiation "
           "(.backward(), torch.autograd, torch.func, custom autograd Functions) may not be "
           "used, however it is reached.")


class AutogradForbidden(BaseException):  # noqa: N818 - the student reads this name
    """Raised at a forbidden use of autograd (a BaseException: not swallowed by accident)."""


class Guard:
    """The installed wrappers and what they caught."""

    def __init__(self, directory: Path | None) -> None:
        self.root = str(directory.resolve()) if directory is not None else ""
        self.uses: list[str] = []
        self.installed: list[tuple[Any, str, Any]] = []

    def trip(self, what: str) -> AutogradForbidden:
        """Record a use of `what` (where the submission made it) and return the exception."""
        where = ""
        for frame in reversed(traceback.extract_stack()):
            if protocol.is_submission_file(frame.filename, self.root):
                relative = frame.filename[len(self.root):].lstrip("/")
                where = f" ({relative}, line {frame.lineno})"
                break
        self.uses.append(f"{what}{where}")
        return AutogradForbidden(f"{what} is not allowed in this assignment")

    @property
    def used(self) -> bool:
        """True when autograd was used or a wrapper was taken away."""
        self.check()
        return bool(self.uses)

    def check(self) -> None:
        """Record a wrapper the submission replaced or removed."""
        for owner, name, wrapper in self.installed:
            if owner.__dict__.get(name) is not wrapper:
                what = f"replacing {getattr(owner, '__name__', owner)}.{name}"
                if not any(use.startswith(what) for use in self.uses):
                    self.uses.append(what)


def _engine_proxy(guard: Guard, engine: Any) -> Any:
    class Engine:
        """Delegates to torch's engine, except running a backward pass."""

        def run_backward(self, *args: Any, **kwargs: Any) -> Any:
            raise guard.trip("autograd's backward pass")

        def __getattr__(self, name: str) -> Any:
            if name == "run_backward":  # pragma: no cover - defined above
                raise AttributeError(name)
            return getattr(engine, name)

    return Engine()


def _refuse(guard: Guard, what: str) -> Callable[..., Any]:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise guard.trip(what)

    return refused


def _patch(guard: Guard, owner: Any, name: str, wrapper: Any) -> None:
    setattr(owner, name, wrapper)
    guard.installed.append((owner, name, wrapper))


def install_guard(directory: Path | None = None) -> Guard:
    """Wrap autograd's entry points in this process (the child; torch imported here)."""
    import torch
    import torch._functorch.eager_transforms as transforms
    import torch.autograd.forward_ad as forward_ad
    from torch.autograd.function import Function
    from torch.autograd.variable import Variable

    guard = Guard(directory)
    _patch(guard, Variable, "_execution_engine",
           _engine_proxy(guard, Variable._execution_engine))
    for name in ("grad_increment_nesting", "jvp_increment_nesting"):
        _patch(guard, transforms, name, _refuse(guard, f"torch.func ({name})"))
    for name in ("enter_dual_level", "make_dual"):
        _patch(guard, forward_ad, name, _refuse(guard, f"forward-mode autograd ({name})"))

    @classmethod  # type: ignore[misc]
    def apply(cls: Any, *args: Any, **kwargs: Any) -> Any:
        raise guard.trip(f"the custom autograd Function {cls.__name__}")

    _patch(guard, Function, "apply", apply)
    # A fresh engine would bypass the proxy: building one is a use too.
    _patch(guard, torch._C, "_ImperativeEngine", _refuse(guard, "a new autograd engine"))
    return guard


def forbidden_envelope(guard: Guard) -> bytes:
    """The outcome envelope of a run that used autograd (FORBIDDEN for the student)."""
    first = guard.uses[0]
    more = f" (and {len(guard.uses) - 1} more)" if len(guard.uses) > 1 else ""
    return values.encode({"status": "error", "kind": str(protocol.ErrorKind.FORBIDDEN),
                          "message": f"{MESSAGE} Used: {first}{more}.", "traceback": ""})
