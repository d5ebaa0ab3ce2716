"""The trusted questioners: what the child sends can end a run, never set its figure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core import values
from worker.protocol import ErrorKind, read_outcome
from worker.questioners import ModelQuestioner, PolicyQuestioner, play_policy

READY = values.encode({"status": "ready", "main_s": 0.5})


def answer(action: object) -> bytes:
    return values.encode({"answer": action})


def converse(questioner: PolicyQuestioner | ModelQuestioner, reply: object) -> bytes:
    """Answer every query with `reply(query)` until the questioner is done; its result."""
    query = questioner.answer(READY)
    while query is not None:
        query = questioner.answer(answer(reply(values.decode(query))))
    return questioner.result()


def test_the_figure_is_the_trusted_average_of_the_played_episodes() -> None:
    questioner = PolicyQuestioner("CartPole-v1", 3, 42, 1.0)
    outcome = read_outcome(converse(questioner, lambda batch: [0] * len(batch)))
    assert outcome.error is None
    assert outcome.value == play_policy(lambda observation: 0, "CartPole-v1", 3, 42)
    assert 8 <= outcome.value <= 12  # always pushing left falls within ~10 steps


def test_a_forged_ok_envelope_is_not_a_result() -> None:
    questioner = PolicyQuestioner("CartPole-v1", 3, 42, 1.0)
    forged = values.encode({"status": "ok", "value": 500.0, "main_s": 0.1})
    assert questioner.answer(forged) is None
    outcome = read_outcome(questioner.result())
    assert outcome.value is None and outcome.error is ErrorKind.EXCEPTION


def test_a_forged_ok_envelope_mid_game_is_an_unreadable_answer() -> None:
    questioner = PolicyQuestioner("CartPole-v1", 3, 42, 1.0)
    assert questioner.answer(READY) is not None
    forged = values.encode({"status": "ok", "value": 500.0, "main_s": 0.1})
    assert questioner.answer(forged) is None
    assert read_outcome(questioner.result()).error is ErrorKind.EXCEPTION


def test_the_childs_error_envelope_ends_the_run_as_its_error() -> None:
    questioner = PolicyQuestioner("CartPole-v1", 3, 42, 1.0)
    error = values.encode({"status": "error", "kind": "exception", "message": "boom",
                           "traceback": ""})
    assert questioner.answer(error) is None
    assert read_outcome(questioner.result()).message == "boom"


@pytest.mark.parametrize("action", [2, -1, True, 0.0, "0", [0]])
def test_an_action_outside_the_space_is_the_students_bad_value(action: object) -> None:
    questioner = PolicyQuestioner("CartPole-v1", 3, 42, 1.0)
    assert questioner.answer(READY) is not None
    assert questioner.answer(answer([0, action, 0])) is None
    outcome = read_outcome(questioner.result())
    assert outcome.error is ErrorKind.BAD_VALUE
    assert "actions are the integers 0 to 1" in outcome.message


@pytest.mark.parametrize("actions", [[0, 1], [0, 1, 0, 1], 0, "001"])
def test_one_action_per_running_episode_is_required(actions: object) -> None:
    questioner = PolicyQuestioner("CartPole-v1", 3, 42, 1.0)
    batch = values.decode(questioner.answer(READY) or b"")
    assert batch.shape == (3, 4)  # one observation per episode, all running at first
    assert questioner.answer(answer(actions)) is None
    assert "one action each was expected" in read_outcome(questioner.result()).message


def test_side_by_side_episodes_start_where_sequential_play_would() -> None:
    import gymnasium

    env = gymnasium.make("CartPole-v1")
    starts = [env.reset(seed=42)[0]] + [env.reset()[0] for _ in range(4)]
    questioner = PolicyQuestioner("CartPole-v1", 5, 42, 1.0)
    assert np.array_equal(values.decode(questioner.answer(READY) or b""), np.stack(starts))


def test_garbage_from_the_child_is_unreadable_not_a_crash() -> None:
    questioner = PolicyQuestioner("CartPole-v1", 3, 42, 1.0)
    assert questioner.answer(b"\xff{not json") is None
    assert read_outcome(questioner.result()).error is ErrorKind.EXCEPTION


def test_a_model_is_scored_against_labels_it_never_sees(tmp_path: Path) -> None:
    inputs, labels = tmp_path / "inputs.npy", tmp_path / "labels.npy"
    np.save(inputs, np.arange(10, dtype=np.float32).reshape(5, 2))
    np.save(labels, np.array([0, 1, 0, 1, 1]))
    questioner = ModelQuestioner(inputs, labels, 2, 1.0)
    outcome = read_outcome(converse(questioner, lambda batch: np.zeros(len(batch), np.int64)))
    assert outcome.value == pytest.approx(2 / 5)


def test_a_model_answering_the_wrong_shape_is_told_so(tmp_path: Path) -> None:
    inputs, labels = tmp_path / "inputs.npy", tmp_path / "labels.npy"
    np.save(inputs, np.zeros((4, 2), np.float32))
    np.save(labels, np.zeros(4, np.int64))
    questioner = ModelQuestioner(inputs, labels, 4, 1.0)
    outcome = read_outcome(converse(questioner, lambda batch: np.zeros(3, np.int64)))
    assert outcome.error is ErrorKind.BAD_VALUE
    assert "it must return 4 integer labels" in outcome.message
