"""What ``main()`` returns and how the trusted side turns it into the judged figure.

A manifest's top-level ``returns`` names the return kind:

- ``values``: ``main()`` returns plain values (numbers, tuples, dicts, arrays); the trusted
  side compares them with the reference's or a threshold. The default.
- ``policy``: ``main()`` returns a policy, a callable from an observation to an action. The
  trusted process runs the ``[environment]`` (its seeds, its episode count) and asks the
  sandboxed child only for actions, within a per-query and the
  test's total time limit; the judged figure (the average return) is computed on the
  trusted side, never reported by the child. The episodes run side by side: one query
  holds the observations of one time step of every running episode.
- ``predictions``: a competition's predictions file, scored against private gold labels
  (``kind = "competition"``; no code runs).
- ``model``: ``main()`` returns a model, a callable from a batch of inputs to a batch of
  predictions. The trusted process sends the ``[model]`` table's inputs batch by batch and
  scores the predictions against labels the child never sees.

Also here: the manual-gradient rule (``autograd = false``) and a hidden test's
``resembles``, which names the public test a student can run to see the same mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from core.manifest_fields import Fields, check_path

_ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*-v[0-9]+$")


class ReturnKind(StrEnum):
    """What ``main()`` returns (the manifest's ``returns``)."""

    VALUES = "values"
    POLICY = "policy"
    PREDICTIONS = "predictions"
    MODEL = "model"


class ModelMetric(StrEnum):
    """How a model's predictions are scored against the labels."""

    ACCURACY = "accuracy"


@dataclass(frozen=True)
class EnvironmentSpec:
    """The environment a policy plays in the trusted process (``[environment]``)."""

    name: str
    """A gymnasium environment id, e.g. ``"CartPole-v1"`` (the worker knows which it runs)."""
    episodes: int = 100
    """Episodes per test; the judged figure is the average return over them."""
    query_time_limit_s: float = 1.0
    """Longest wait for one query's answer: the actions of one time step of every running
    episode (the test's time limit bounds the whole run)."""


@dataclass(frozen=True)
class ModelSpec:
    """The inputs a model answers and how its predictions are scored (``[model]``)."""

    inputs: str
    """Package-relative ``.npy`` file of inputs (first axis: examples), never mounted."""
    labels: str
    """Package-relative ``.npy`` file of integer labels, under ``private/``, never mounted."""
    metric: ModelMetric = ModelMetric.ACCURACY
    """The figure computed from predictions and labels."""
    batch_size: int = 256
    """Examples per query."""
    query_time_limit_s: float = 10.0
    """Longest wait for one batch's predictions."""


def parse_environment(top: Fields, returns: ReturnKind) -> EnvironmentSpec | None:
    """The ``[environment]`` table: required exactly when ``returns = "policy"``."""
    if "environment" not in top.data:
        if returns is ReturnKind.POLICY:
            top.fail("environment", 'returns = "policy" needs an [environment] table')
        return None
    if returns is not ReturnKind.POLICY:
        top.fail("environment", 'only returns = "policy" may have an [environment] table')
    table = top.table("environment")
    table.allow("name", "episodes", "query_time_limit_s")
    name = table.string("name")
    if not _ENV_NAME.match(name):
        table.fail("name", f'{name!r} must be an environment id such as "CartPole-v1"')
    return EnvironmentSpec(
        name=name,
        episodes=table.integer("episodes", 100, minimum=1),
        query_time_limit_s=table.number("query_time_limit_s", 1.0, positive=True),
    )


def parse_model(top: Fields, returns: ReturnKind) -> ModelSpec | None:
    """The ``[model]`` table: required exactly when ``returns = "model"``."""
    if "model" not in top.data:
        if returns is ReturnKind.MODEL:
            top.fail("model", 'returns = "model" needs a [model] table')
        return None
    if returns is not ReturnKind.MODEL:
        top.fail("model", 'only returns = "model" may have a [model] table')
    table = top.table("model")
    table.allow("inputs", "labels", "metric", "batch_size", "query_time_limit_s")
    labels = check_path(table.string("labels"), "model.labels")
    if not labels.startswith("private/"):
        table.fail("labels", "must be under private/ (labels never enter a sandbox)")
    inputs = check_path(table.string("inputs"), "model.inputs")
    for key, path in (("inputs", inputs), ("labels", labels)):
        if not path.endswith(".npy"):
            table.fail(key, f"{path!r} must be a .npy file")
    return ModelSpec(
        inputs=inputs,
        labels=labels,
        metric=table.choice("metric", ModelMetric, ModelMetric.ACCURACY),
        batch_size=table.integer("batch_size", 256, minimum=1),
        query_time_limit_s=table.number("query_time_limit_s", 10.0, positive=True),
    )


def parse_autograd(top: Fields) -> bool:
    """The top-level ``autograd`` (default true): false forbids every use of autograd at
    run time (manual-gradient tasks); a finding is the whole submission's FORBIDDEN."""
    return top.boolean("autograd", True)
