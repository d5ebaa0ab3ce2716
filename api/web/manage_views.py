"""View models of the teachers' pages that set a course up: roster import, course settings,
publishing assignments, staff. Plain frozen data; the rules ran before (`core.roles`,
`api.services.roster`, `api.services.courses`)."""

from __future__ import annotations

from dataclasses import dataclass

CHANGE_WORDS = {"new": "new account", "enrol": "enrolled", "role": "role changed",
                "unchanged": "unchanged"}


@dataclass(frozen=True)
class RosterLineView:
    line: int
    username: str
    change: str
    """``new``, ``enrol``, ``role`` or ``unchanged`` (`api.services.roster.RosterLine`)."""
    old_role: str | None
    role: str

    @property
    def change_words(self) -> str:
        return CHANGE_WORDS[self.change]


@dataclass(frozen=True)
class RosterPreviewView:
    course_id: int
    csv_text: str
    token: str
    lines: tuple[RosterLineView, ...]

    def count(self, change: str) -> int:
        return sum(line.change == change for line in self.lines)
