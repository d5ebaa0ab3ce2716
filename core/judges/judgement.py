"""The result of one judge: verdict, score and the student's message."""

from __future__ import annotations

from dataclasses import dataclass

from core.verdicts import Verdict


@dataclass(frozen=True)
class Judgement:
    """What a judge decided about one result."""

    verdict: Verdict
    """OK or WRONG_ANSWER (SYSTEM_ERROR when the reference side is unusable)."""
    score: float
    """Score of the test in [0, 1]."""
    message: str = ""
    """Student-facing explanation ("" when OK)."""
    metric: float | None = None
    """A competition's metric value, when one was computed (on the whole gold set)."""
    detail: str = ""
    """Staff-only information (e.g. why gold data is unusable)."""
    metric_public: float | None = None
    """A competition with a split: the metric on its public part, rounded."""
    metric_private: float | None = None
    """A competition with a split: the metric on its private part."""

    @classmethod
    def ok(cls, metric: float | None = None, message: str = "") -> Judgement:
        """A passed result."""
        return cls(Verdict.OK, 1.0, message, metric)

    @classmethod
    def wrong(cls, message: str, metric: float | None = None) -> Judgement:
        """A wrong answer with its explanation."""
        return cls(Verdict.WRONG_ANSWER, 0.0, message, metric)
