"""An in-memory `PageSource` for page tests: a small course whose evaluations advance one
test per poll, so the live page can be watched going from queued to a result.

Its point arithmetic is deliberately trivial (sum, 80-point line); the real rules are
tested in core/ and the standing query. This fake only drives the pages.
"""

from __future__ import annotations

import csv
import hmac
import io
import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from starlette.requests import Request

from api.db.enums import EvaluationStatus as EvalState
from api.services import uploads
from api.web.manage_views import RosterLineView, RosterPreviewView
from api.web.staff_views import AuditEntry
from api.web.views import (
    Adjustment,
    AssignmentRow,
    AssignmentStats,
    AssignmentView,
    Cell,
    Column,
    CourseLink,
    CourseView,
    GradebookRow,
    GradebookView,
    LimitsLine,
    PointsWhy,
    QueuePanel,
    QueueWait,
    RegradeChange,
    RegradeState,
    RegradeView,
    Standing,
    Status,
    SubmissionLink,
    SubmissionView,
    TestRow,
    Viewer,
)
from core.errors import BadInput, Conflict, Forbidden, NotFound
from core.outcome import explain_points, outcome
from core.queue_wait import estimate
from core.roles import check_role_change
from core.scoring import points_for
from core.standing import FAILED, CourseRules
from core.submission import UploadLimits
from core.verdicts import Verdict
from tests.web.fake_staff import FakeStaffPages

COOKIE = "fake_session"
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@dataclass
class Sub:
    id: int
    user: str
    assignment: int
    at: datetime
    files: list[tuple[str, bytes]]
    polls: int = 0
    override: float | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    accepted: bool = False
    attempt: int = 1


@dataclass
class Asg:
    id: int
    name: str
    title: str
    points: float
    bonus: float
    deadline: datetime


TESTS = ("public_1", "public_2", "public_3", "hidden_1")
THRESHOLD = {3: 0.5}  # mnist_layers: a partial solution gets rounded-down points
LIMITS = UploadLimits()
DATA = {"numpy_entropy_data_1.txt": b"A\nB\nA\n", "numpy_entropy_model_1.txt": b"A\t0.5\n"}


def _text(files: list[tuple[str, bytes]]) -> tuple[tuple[str, str], ...]:
    return tuple((n, d.decode(errors="replace")) for n, d in files)


class FakeSource(FakeStaffPages):
    """A course "Deep Learning" (id 1) with students and a teacher."""

    def __init__(self, now: datetime = T0, students: int = 3) -> None:
        self.now = now
        self.users = {"teach": ("Tereza Teacher", "teacher")}
        self.users.update({f"s{i}": (f"Student {i:03d}", "student") for i in range(1, students)})
        self.users["alice"] = ("Alice Student", "student")
        self.ids = {u: n for n, u in enumerate(sorted(self.users), start=1)}
        self.assignments = [
            Asg(1, "numpy_entropy", "NumPy entropy", 3, 0, now + timedelta(days=3)),
            Asg(2, "pca_first", "PCA first", 2, 0, now - timedelta(days=1)),
            Asg(3, "mnist_layers_activations", "MNIST layers", 2, 1, now + timedelta(days=9)),
        ]
        self.subs: dict[int, Sub] = {}
        self.upload_keys: dict[str, int] = {}
        self.counter = itertools.count(1)
        self.exam: dict[str, tuple[float | None, float]] = {}
        self.extensions: dict[tuple[str, int], datetime] = {}
        self.regrades: dict[int, dict[str, object]] = {}
        self.audit: list[tuple[str, str, str]] = []
        self.passed_extra: dict[str, float] = {}  # points from outside these 3 tasks
        self.cancelled: dict[int, str] = {}
        self.log: list[AuditEntry] = []

    # accounts ----------------------------------------------------------------------
    def viewer(self, request: Request) -> Viewer | None:
        user = request.cookies.get(COOKIE, "")
        if user not in self.users:
            return None
        return Viewer(self.ids[user], self.users[user][0], user, csrf_token=f"csrf-{user}")

    async def login(self, request: Request, username: str,
                    password: str) -> tuple[str, str] | None:
        ok = username in self.users and hmac.compare_digest(password, "secret")
        return (COOKIE, username) if ok else None

    def logout(self, request: Request) -> str:
        return COOKIE

    def _user(self, viewer: Viewer) -> str:
        return viewer.username

    def role(self, viewer: Viewer, course_id: int) -> str | None:
        return self.users[viewer.username][1] if course_id == 1 else None

    def _staff(self, viewer: Viewer, course_id: int) -> None:
        if self.role(viewer, course_id) != "teacher":
            raise Forbidden("staff only")

    def _course(self) -> CourseLink:
        return CourseLink(1, "Deep Learning", "2026/27", "student")

    def my_courses(self, viewer: Viewer) -> list[CourseLink]:
        return [replace(self._course(), role=self.role(viewer, 1) or "student")]

    # grading (trivial, for the pages only) -------------------------------------------
    def _tests(self, sub: Sub, limit: int | None = None) -> tuple[TestRow, ...]:
        text = b"".join(d for _, d in sub.files)
        rows = []
        for i, name in enumerate(TESTS[: limit if limit is not None else len(TESTS)]):
            wrong = b"WRONG" in text and name == "public_2"
            verdict = Verdict.WRONG_ANSWER if wrong else Verdict.OK
            message = (
                "Crossentropy (value 2 of 3) differs: expected 1.07, got 1.17 "
                "(tolerance: relative 1e-2 or absolute 1e-2)." if wrong else ""
            )
            rows.append(TestRow(
                name=name, hidden=name.startswith("hidden"), verdict=verdict.value,
                verdict_short=verdict.short_text, verdict_long=verdict.long_text,
                passed=not wrong, time_s=0.1 + i / 10, time_limit_s=10.0, memory_mib=120.0,
                memory_limit_mib=1536.0, message=message, detail=f"stdout of {name}",
            ))
        return tuple(rows)

    def _state(self, sub: Sub) -> EvalState:
        if sub.polls <= 1:  # the page's first load still sees it queued
            return EvalState.QUEUED
        if sub.polls <= len(TESTS) + 1:
            return EvalState.RUNNING
        return EvalState.DONE

    def _asg(self, assignment_id: int) -> Asg:
        for a in self.assignments:
            if a.id == assignment_id:
                return a
        raise NotFound("assignment")

    def _deadline(self, sub: Sub) -> datetime:
        a = self._asg(sub.assignment)
        return self.extensions.get((sub.user, a.id), a.deadline)

    def _why(self, sub: Sub) -> PointsWhy:
        a = self._asg(sub.assignment)
        done = self._state(sub) is EvalState.DONE
        tests = self._tests(sub)
        score = sum(t.passed for t in tests) / len(tests) if done else None
        late = sub.at > self._deadline(sub)
        cap = 0 if late else int(a.points)
        threshold = THRESHOLD.get(a.id, 1.0)
        points: float | None = None
        if score is not None:
            points = points_for(score, cap, threshold)
        if sub.override is not None:
            points = sub.override
        note = "received after the deadline: no points, still evaluated." if late else (
            "received before the deadline: full points.")
        steps = explain_points(score, cap, threshold) if score is not None else None
        return PointsWhy(
            score, threshold, cap, a.points, note, points, late,
            score is not None and score >= threshold, tuple(sub.adjustments),
            outcome=outcome(score, threshold, all(t.passed for t in tests), late).value
            if score is not None else "",
            exact_points=steps.exact if steps else None,
            whole_points=steps.points if steps else None,
            rounded_down=bool(steps and steps.rounded_down))

    def _queue(self, sub: Sub, state: EvalState) -> QueueWait | None:
        """Everyone's submissions still queued before this one are ahead (20 s each)."""
        if state is EvalState.RUNNING:
            return QueueWait(0, 0, self.now, self.now + timedelta(seconds=15), self.now,
                             "the median of this assignment's last 3 evaluations")
        if state is not EvalState.QUEUED:
            return None
        ahead = [20.0 for s in self.subs.values() if s.id < sub.id and s.polls <= 1]
        e = estimate(ahead, [], 20.0, capacity=1, now=self.now)
        return QueueWait(e.position, e.ahead, e.start_at, e.finish_at, self.now,
                         "the median of this assignment's last 3 evaluations")

    def _previous(self, sub: Sub) -> Sub | None:
        before = [s for s in self.subs.values() if s.user == sub.user
                  and s.assignment == sub.assignment and s.id < sub.id]
        return max(before, key=lambda s: s.id) if before else None

    def _view(self, sub: Sub, staff: bool) -> SubmissionView:
        state = self._state(sub)
        limit = 0 if state is EvalState.QUEUED else max(0, sub.polls - 2)
        tests = self._tests(sub, None if state is EvalState.DONE else limit)
        if not staff:
            tests = tuple(replace(t, detail="", message="" if t.hidden else t.message)
                          for t in tests)
        a = self._asg(sub.assignment)
        previous = self._previous(sub)
        return SubmissionView(
            id=sub.id, course=self._course(), assignment_id=a.id, assignment_name=a.name,
            student_name=self.users[sub.user][0], submitted_at=sub.at, state=state,
            tests=tests, tests_total=len(TESTS), why=self._why(sub), files=_text(sub.files),
            previous_id=previous.id if previous else None,
            previous_files=_text(previous.files) if previous else (),
            queue=self._queue(sub, state),
        )

    # student pages -----------------------------------------------------------------
    def _counted(self, user: str, a: Asg) -> Sub | None:
        subs = [s for s in self.subs.values() if s.user == user and s.assignment == a.id]
        if not subs:
            return None
        return max(subs, key=lambda s: (s.accepted, self._why(s).points or 0, s.at))

    def _row(self, user: str, a: Asg) -> AssignmentRow:
        sub = self._counted(user, a)
        status, points = Status.NOT_SUBMITTED, None
        if sub is not None:
            why = self._why(sub)
            points = why.points
            if self._state(sub) is not EvalState.DONE:
                status = Status.EVALUATING
            elif why.points:
                status = Status.PASSED
            elif why.late and why.score == 1.0:
                status = Status.LATE
            else:
                status = Status.FAILED
        return AssignmentRow(
            id=a.id, name=a.name, title=a.title, points_max=a.points, bonus_max=a.bonus,
            deadline=a.deadline, second_deadline=None, second_points_max=None,
            extension_until=self.extensions.get((user, a.id)), points=points,
            bonus=sum(x.points or 0 for x in (sub.adjustments if sub else []) if x.kind == "bonus"),
            status=status, overridden=bool(sub and sub.override is not None),
            last_submission_id=sub.id if sub else None,
        )

    def _standing(self, user: str) -> Standing:
        rows = [self._row(user, a) for a in self.assignments]
        non_bonus = sum(r.points or 0 for r in rows) + self.passed_extra.get(user, 0)
        bonus = sum(r.bonus for r in rows)
        passed = non_bonus >= 80
        surplus = max(0.0, non_bonus + bonus - 80) if passed else 0.0
        exam, community = self.exam.get(user, (None, 0.0))
        total = None if exam is None else exam + surplus + min(community, 10)
        grade = None
        if total is not None:
            grade = next((g for g, t in ((1, 90), (2, 75), (3, 60)) if total >= t), FAILED)
        return Standing(self.ids[user], non_bonus, bonus, passed, surplus, False, total, grade,
                        exam_points=exam, community=community)

    def course(self, viewer: Viewer, course_id: int, now: datetime) -> CourseView:
        if course_id != 1:
            raise NotFound("course")
        user = viewer.username
        return CourseView(
            course=self._course(), rules=CourseRules(),
            assignments=tuple(self._row(user, a) for a in self.assignments),
            standing=self._standing(user), non_bonus_offered=123, now=now,
        )

    def assignment(self, viewer: Viewer, course_id: int, assignment_id: int,
                   now: datetime) -> AssignmentView:
        if course_id != 1:
            raise NotFound("course")
        a = self._asg(assignment_id)
        mine = sorted((s for s in self.subs.values()
                       if s.user == viewer.username and s.assignment == a.id),
                      key=lambda s: s.at, reverse=True)
        history = tuple(SubmissionLink(s.id, s.at, self._state(s), self._why(s).points,
                                       self._why(s).late, outcome=self._why(s).outcome)
                        for s in mine)
        statement = (f"<p>Implement <code>{a.name}.py</code>: compute the entropy, the "
                     "cross-entropy and the KL divergence.</p>")
        return AssignmentView(
            course=self._course(), row=self._row(viewer.username, a),
            statement_html=statement, template_files=(f"{a.name}.py",),
            attempts_left=10 - len(mine), max_files=LIMITS.max_files,
            max_bytes=LIMITS.max_bytes, history=history, size_text=LIMITS.size_text,
            submit_rule=uploads.MAIN_RULE, limits=(LimitsLine("all tests", 10, 2, 1536),),
            data_files=tuple(DATA),
        )

    def data_file(self, viewer: Viewer, course_id: int, assignment_id: int,
                  name: str) -> bytes:
        self._asg(assignment_id)
        if name not in DATA:
            raise NotFound("file")
        return DATA[name]

    def submission_file(self, viewer: Viewer, submission_id: int, path: str) -> bytes:
        sub = self._sub_for(viewer, submission_id, staff=False)
        for name, data in sub.files:
            if name == path:
                return data
        raise NotFound("file")

    def template_file(self, viewer: Viewer, course_id: int, assignment_id: int,
                      name: str) -> bytes:
        a = self._asg(assignment_id)
        if name != f"{a.name}.py":
            raise NotFound("file")
        return b"def main(args):\n    return 0.0, 0.0, 0.0\n"

    def submit(self, viewer: Viewer, course_id: int, assignment_id: int,
               files: list[tuple[str, bytes]], now: datetime,
               idempotency_key: str | None = None) -> int:
        self._asg(assignment_id)
        if idempotency_key in self.upload_keys:
            return self.upload_keys[idempotency_key]
        collected = uploads.collect_files(files, LIMITS)  # the real checks and messages
        uploads.main_file(collected)
        sub = Sub(next(self.counter), viewer.username, assignment_id, self.now,
                  sorted(collected.items()))
        self.subs[sub.id] = sub
        if idempotency_key is not None:
            self.upload_keys[idempotency_key] = sub.id
        return sub.id

    def _sub_for(self, viewer: Viewer, submission_id: int, staff: bool) -> Sub:
        sub = self.subs.get(submission_id)
        if sub is None:
            raise NotFound("submission")
        if staff:
            self._staff(viewer, 1)
        elif sub.user != viewer.username and self.role(viewer, 1) != "teacher":
            raise Forbidden("not yours")
        return sub

    def submission(self, viewer: Viewer, submission_id: int, staff: bool) -> SubmissionView:
        sub = self._sub_for(viewer, submission_id, staff)
        sub.polls += 1  # each look advances the fake evaluation by one step
        return self._view(sub, staff)

    # staff pages -------------------------------------------------------------------
    def gradebook(self, viewer: Viewer, course_id: int, now: datetime) -> GradebookView:
        self._staff(viewer, course_id)
        students = sorted(u for u, (_, r) in self.users.items() if r == "student")
        rows = []
        for u in students:
            cells = []
            for a in self.assignments:
                sub, row = self._counted(u, a), self._row(u, a)
                cells.append(Cell(row.points, bool(sub and self._why(sub).late),
                                  row.overridden, bool(sub and sub.accepted),
                                  sub.id if sub else None))
            rows.append(GradebookRow(self.ids[u], self.users[u][0], f"uuid-{u}",
                                     tuple(cells), self._standing(u)))
        columns = tuple(Column(a.id, a.name, a.points, a.bonus) for a in self.assignments)
        return GradebookView(self._course(), CourseRules(), columns, tuple(rows), len(rows))

    def gradebook_csv(self, viewer: Viewer, course_id: int, now: datetime) -> str:
        view = self.gradebook(viewer, course_id, now)
        lines = ["name," + ",".join(c.name for c in view.columns) + ",non_bonus"]
        for r in view.rows:
            cells = ",".join("" if c.points is None else f"{c.points:g}" for c in r.cells)
            lines.append(f"{r.name},{cells},{r.standing.non_bonus:g}")
        return "\n".join(lines) + "\n"

    def counted_submission(self, viewer: Viewer, course_id: int, user_id: int,
                           assignment_id: int) -> int:
        self._staff(viewer, course_id)
        user = next((u for u, i in self.ids.items() if i == user_id), "")
        sub = self._counted(user, self._asg(assignment_id))
        if sub is None:
            raise NotFound("no submission")
        return sub.id

    def adjust(self, viewer: Viewer, submission_id: int, kind: str, points: float | None,
               reason: str) -> None:
        sub = self._sub_for(viewer, submission_id, staff=True)
        if kind != "accept" and points is None:
            raise BadInput("Points are required.")
        if kind == "override":
            sub.override = points
        elif kind == "accept":
            sub.accepted = True
        sub.adjustments.append(Adjustment(kind, points, reason, viewer.name, self.now))
        self.audit.append((viewer.username, kind, reason))

    def rerun(self, viewer: Viewer, submission_id: int, reason: str) -> None:
        sub = self._sub_for(viewer, submission_id, staff=True)
        sub.polls, sub.attempt = 0, sub.attempt + 1
        self.audit.append((viewer.username, "rerun", reason))

    def regrade(self, viewer: Viewer, course_id: int, assignment_id: int) -> RegradeView:
        self._staff(viewer, course_id)
        a = self._asg(assignment_id)
        state = self.regrades.setdefault(assignment_id, {"state": "none", "polls": 0})
        subs = [s for s in self.subs.values() if s.assignment == a.id]
        changes: tuple[RegradeChange, ...] = ()
        if state["state"] == "running":
            state["polls"] = int(state["polls"]) + 1  # type: ignore[call-overload]
            if int(state["polls"]) >= 2:  # type: ignore[call-overload]
                state["state"] = "ready"
        if state["state"] == "ready":
            changes = tuple(RegradeChange(self.users[s.user][0], s.id, self._why(s).points,
                                          a.points, "WA", "OK")
                            for s in subs if self._why(s).points != a.points)
        return RegradeView(self._course(), a.id, a.name, 1, RegradeState(str(state["state"])),
                           len(subs) if state["state"] != "running" else 0, len(subs), changes)

    def regrade_start(self, viewer: Viewer, course_id: int, assignment_id: int,
                      reason: str) -> None:
        self._staff(viewer, course_id)
        self.regrades[assignment_id] = {"state": "running", "polls": 0}

    def regrade_finish(self, viewer: Viewer, course_id: int, assignment_id: int,
                       apply: bool, reason: str) -> None:
        view = self.regrade(viewer, course_id, assignment_id)
        if apply:
            for c in view.changes:
                self.subs[c.submission_id].override = c.new_points
        self.regrades[assignment_id]["state"] = "applied" if apply else "discarded"

    def set_exam(self, viewer: Viewer, course_id: int, user_id: int,
                 exam_points: float | None, community: float | None, reason: str) -> None:
        self._staff(viewer, course_id)
        user = next(u for u, i in self.ids.items() if i == user_id)
        old = self.exam.get(user, (None, 0.0))
        self.exam[user] = (old[0] if exam_points is None else exam_points,
                           old[1] if community is None else community)

    def set_extension(self, viewer: Viewer, course_id: int, assignment_id: int,
                      user_id: int, until: datetime, reason: str) -> None:
        self._staff(viewer, course_id)
        user = next(u for u, i in self.ids.items() if i == user_id)
        self.extensions[(user, assignment_id)] = until

    def roster_preview(self, viewer: Viewer, course_id: int, csv_text: str
                       ) -> RosterPreviewView:
        self._staff(viewer, course_id)
        lines = []
        for n, row in enumerate(csv.DictReader(io.StringIO(csv_text.strip())), start=2):
            name, role = row["username"].strip(), (row.get("role") or "student").strip()
            old = self.users[name][1] if name in self.users else None
            check_role_change(self.role(viewer, course_id) or "", old, role, who=name)
            change = "new" if old is None else ("unchanged" if old == role else "role")
            lines.append(RosterLineView(n, name, change, old, role))
        return RosterPreviewView(course_id, csv_text, f"token-{len(self.users)}", tuple(lines))

    def import_roster(self, viewer: Viewer, course_id: int, csv_text: str, token: str) -> str:
        shown = self.roster_preview(viewer, course_id, csv_text)
        if token != shown.token:
            raise Conflict("the roster changed since it was previewed")
        for x in shown.lines:
            display = self.users.get(x.username, (x.username, ""))[0]
            self.users[x.username] = (display, x.role)
            self.ids.setdefault(x.username, len(self.ids) + 1)
        return f"{len(shown.lines)} users added or updated."

    def queue_panel(self, viewer: Viewer, course_id: int, now: datetime) -> QueuePanel:
        self._staff(viewer, course_id)
        return QueuePanel(1, 1, 0, now - timedelta(seconds=42),
                          (("cpu@host", "cpu", now - timedelta(seconds=5)),), now)

    def stats(self, viewer: Viewer, course_id: int, assignment_id: int) -> AssignmentStats:
        self._staff(viewer, course_id)
        a = self._asg(assignment_id)
        return AssignmentStats(
            self._course(), a.id, a.name, 3, 2, 1, (("0", 1), (f"{a.points:g}", 1)),
            (("> 48 h", 1), ("0-24 h", 2)),
            ((Verdict.OK.short_text, 7), (Verdict.WRONG_ANSWER.short_text, 1)),
            (("< 1 s", 8),), (("< 256 MiB", 8),),
        )
