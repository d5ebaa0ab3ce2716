"""Submission limits of one student on one assignment: a window quota and one pending run.

Decisions (the upload path enforces them under a per-student lock, `api.services.submit`):

- **Window quota**: at most ``limit`` submissions within any ``hours`` long window. The
  assignment's own ``window_limit``/``window_hours`` override the course's; no limit on
  either means no window quota (:func:`window_of`).
- **Counted** are the submissions received in the last ``hours`` (strictly after
  ``now - hours``) whose run did not end in our error: a SYSTEM_ERROR (or a run staff
  cancelled) uses no quota. The caller passes the receive times of the counted ones.
- **Reset**: the next submission becomes possible when the oldest counted one leaves the
  window, ``times[used - limit] + hours`` once the quota is used up (:class:`Quota`).
- **One pending evaluation**: while a submission's evaluation is queued or running, the
  same student may not upload another to the assignment. It applies where label probing
  or flooding matters: to every competition and wherever a window quota is in effect
  (:func:`one_pending`); other assignments keep accepting quick resubmissions.
- ``max_submissions`` (a lifetime cap) counts the same way: every submission but those
  whose run ended in our error (or was cancelled).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Window:
    """A window quota: ``limit`` submissions per ``hours``."""

    limit: int
    """Submissions allowed within the window."""
    hours: int
    """The window's length in hours."""


def window_of(
    course_limit: int | None,
    course_hours: int,
    assignment_limit: int | None,
    assignment_hours: int | None,
) -> Window | None:
    """The window in effect: the assignment's settings override the course's."""
    limit = assignment_limit if assignment_limit is not None else course_limit
    if limit is None:
        return None
    hours = assignment_hours if assignment_hours is not None else course_hours
    return Window(limit=limit, hours=hours)


def one_pending(window: Window | None, competition: bool) -> bool:
    """Whether the one-pending-evaluation rule applies to an assignment."""
    return competition or window is not None


@dataclass(frozen=True)
class Quota:
    """How much of a window quota a student has used at some instant."""

    used: int
    """Counted submissions in the window."""
    limit: int
    """Submissions allowed in the window."""
    hours: int
    """The window's length in hours."""
    resets_at: datetime | None
    """When the next submission slot frees (None: nothing counted, nothing to free)."""

    @property
    def full(self) -> bool:
        """No submission is possible before `resets_at`."""
        return self.used >= self.limit

    @property
    def left(self) -> int:
        """Submissions still possible now."""
        return max(self.limit - self.used, 0)


def quota(window: Window, counted_times: Iterable[datetime], now: datetime) -> Quota:
    """The quota at ``now`` from the receive times of the counted submissions."""
    span = timedelta(hours=window.hours)
    times = sorted(t for t in counted_times if t > now - span)
    used = len(times)
    if not times:
        resets_at = None
    elif used >= window.limit:
        resets_at = times[used - window.limit] + span
    else:
        resets_at = times[0] + span
    return Quota(used=used, limit=window.limit, hours=window.hours, resets_at=resets_at)


def retry_after_s(resets_at: datetime, now: datetime) -> int:
    """Whole seconds to wait until ``resets_at`` (at least 1)."""
    return max(1, int((resets_at - now).total_seconds() + 0.999))
