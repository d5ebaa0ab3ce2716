"""The trusted questioners: the environment a returned policy plays, the inputs a returned
model answers. Built inside the run's supervisor (a trusted process, outside the sandbox),
so the episodes, seeds, labels and the figure they produce are never in the child's reach.

`play` is the one home of the episode rule (seeded first reset, average return); the
supervisor drives it through `PolicyQuestioner`, one observation per query, and the
package tests drive it in-process with `play_policy`.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np

from core import values
from worker import protocol


class BadAnswer(Exception):
    """The child's answer is not a valid action or prediction batch (student message)."""


def _starts(name: str, episodes: int, seed: int) -> tuple[list[Any], list[np.ndarray]]:
    """One environment per episode, each at the start the course's sequence gives it: the
    first reset seeded, then one unseeded reset per earlier episode (the same draws as
    playing them one after another, where steps draw no random numbers, as in CartPole)."""
    import gymnasium

    envs, observations = [], []
    for episode in range(episodes):
        env = gymnasium.make(name)
        observation, _ = env.reset(seed=seed)
        for _ in range(episode):
            observation, _ = env.reset()
        envs.append(env)
        observations.append(observation)
    return envs, observations


def _check_action(action: Any, space: Any, name: str) -> None:
    if type(action) is not int or not space.contains(action):
        raise BadAnswer(f"Your policy answered {action!r:.80} to an observation; "
                        f"{name}'s actions are {_describe(space)}.")


def play(name: str, episodes: int, seed: int) -> Generator[np.ndarray, Any, float]:
    """Play `episodes` of gymnasium's `name` side by side: yields the observations of the
    running episodes (stacked), receives one action each, returns the average return.
    One query per time step instead of one per step of each episode keeps the trusted
    side's round trips with the child few."""
    envs, observations = _starts(name, episodes, seed)
    running, total = list(range(episodes)), 0.0
    try:
        while running:
            actions = yield np.stack([observations[k] for k in running])
            if not isinstance(actions, list | tuple) or len(actions) != len(running):
                raise BadAnswer(f"Your policy answered {len(running)} observations with "
                                f"{actions!r:.80}; one action each was expected.")
            still = []
            for k, action in zip(running, actions, strict=True):
                _check_action(action, envs[k].action_space, name)
                observations[k], reward, terminated, truncated, _ = envs[k].step(action)
                total += float(reward)
                if not (terminated or truncated):
                    still.append(k)
            running = still
    finally:
        for env in envs:
            env.close()
    return total / episodes


def _describe(space: Any) -> str:
    n = getattr(space, "n", None)
    return f"the integers 0 to {int(n) - 1}" if n is not None else str(space)


def act(policy: Callable[[np.ndarray], Any], observations: np.ndarray) -> list[Any]:
    """The policy's action for each observation of a batch (the child's side, and ours)."""
    return [protocol.to_plain(policy(observation)) for observation in observations]


def play_policy(policy: Callable[[np.ndarray], Any], name: str, episodes: int,
                seed: int) -> float:
    """Play in this process (trusted code only: the package tests' reference runs)."""
    game = play(name, episodes, seed)
    observations = next(game)
    try:
        while True:
            observations = game.send(act(policy, observations))
    except StopIteration as stop:
        return float(stop.value)


def _error(kind: protocol.ErrorKind, message: str) -> bytes:
    return protocol.error_envelope(protocol.ProtocolError(kind, message))


UNREADABLE = ("The grader could not read your program's answer. Our side always sends "
              "well-formed messages, so something in the run wrote over them.")


class _Questioner:
    """What both questioners share: the child's readiness, its answers, the result."""

    query_time_limit_s: float = 1.0

    def __init__(self) -> None:
        self._started = False
        self._main_s = 0.0
        self._result: bytes | None = None

    def answer(self, frame: bytes) -> bytes | None:
        """The next query for the child's `frame`, or None when the run is decided."""
        try:
            message = values.decode(frame)
        except (ValueError, TypeError) as error:
            return self._end(_error(protocol.ErrorKind.EXCEPTION, f"{UNREADABLE} ({error})"))
        if isinstance(message, dict) and message.get("status") == "error":
            return self._end(frame)  # the child's own error envelope: RUNTIME_ERROR at most
        if not self._started:
            if not (isinstance(message, dict) and message.get("status") == "ready"):
                return self._end(_error(protocol.ErrorKind.EXCEPTION, UNREADABLE))
            self._started = True
            main_s = message.get("main_s")
            self._main_s = float(main_s) if isinstance(main_s, int | float) else 0.0
            return self._first()
        if not (isinstance(message, dict) and set(message) == {"answer"}):
            return self._end(_error(protocol.ErrorKind.EXCEPTION, UNREADABLE))
        try:
            return self._next(message["answer"])
        except BadAnswer as error:
            return self._end(_error(protocol.ErrorKind.BAD_VALUE, str(error)))

    def _end(self, result: bytes) -> bytes | None:
        self._result = result
        return None

    def _done(self, figure: float) -> bytes | None:
        # main_s comes from the child: displayed only, like every envelope's.
        return self._end(values.encode({"status": "ok", "value": figure,
                                        "main_s": self._main_s}))

    def result(self) -> bytes:
        """The outcome envelope: the trusted figure, or the error that ended the run."""
        assert self._result is not None, "the conversation is not over"
        return self._result

    def _first(self) -> bytes | None:
        raise NotImplementedError  # pragma: no cover - both subclasses define it

    def _next(self, answer: Any) -> bytes | None:
        raise NotImplementedError  # pragma: no cover - both subclasses define it


class PolicyQuestioner(_Questioner):
    """Plays the environment, asking the child's policy for the actions of each step of
    the running episodes (one query per time step)."""

    def __init__(self, name: str, episodes: int, seed: int, query_time_limit_s: float) -> None:
        super().__init__()
        self.query_time_limit_s = query_time_limit_s
        self._game = play(name, episodes, seed)

    def _first(self) -> bytes | None:
        return values.encode(next(self._game))

    def _next(self, answer: Any) -> bytes | None:
        try:
            return values.encode(self._game.send(answer))
        except StopIteration as stop:
            return self._done(float(stop.value))


class ModelQuestioner(_Questioner):
    """Sends the inputs batch by batch and scores the predictions against the labels."""

    def __init__(self, inputs: Path, labels: Path, batch_size: int,
                 query_time_limit_s: float) -> None:
        super().__init__()
        self.query_time_limit_s = query_time_limit_s
        self._inputs = np.load(inputs, allow_pickle=False)
        self._labels = np.load(labels, allow_pickle=False)
        self._batch = batch_size
        self._at = 0
        self._correct = 0

    def _first(self) -> bytes | None:
        return values.encode(self._inputs[: self._batch])

    def _next(self, answer: Any) -> bytes | None:
        gold = self._labels[self._at : self._at + self._batch]
        predictions = np.asarray(answer) if isinstance(answer, list | np.ndarray) else None
        if predictions is None or predictions.shape != gold.shape or predictions.dtype.kind \
                not in "iu":
            shape = getattr(predictions, "shape", type(answer).__name__)
            raise BadAnswer(f"Your model answered {shape} for a batch of {len(gold)} inputs; "
                            f"it must return {len(gold)} integer labels.")
        self._correct += int(np.sum(predictions == gold))
        self._at += len(gold)
        if self._at >= len(self._labels):
            return self._done(self._correct / len(self._labels))
        return values.encode(self._inputs[self._at : self._at + self._batch])
