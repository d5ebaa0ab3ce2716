"""The staff pages of issue 15 over the in-memory fake (`fakes.FakeSource` mixes this in):
the audit log (derived from the fake's adjustments, extensions and cancellations), the
course overview, a student's detail page, the extensions list and the queue's jobs."""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from api.db.enums import EvaluationStatus as EvalState
from api.web.staff_views import (
    AssignmentSummary,
    AuditEntry,
    AuditFilter,
    AuditView,
    CountedLine,
    ExtensionLine,
    ExtensionsView,
    ItemLine,
    JobRow,
    QueueJobs,
    StaffOverview,
    StudentDetail,
)
from api.web.views import SubmissionLink, Viewer
from core.errors import BadInput, Conflict, NotFound
from core.standing import CourseRules

if TYPE_CHECKING:
    from tests.web.fakes import FakeSource

LABELS = {"override": "Override", "bonus": "Bonus points", "accept": "Accepted as counted"}


class FakeStaffPages:
    """Mixed into `FakeSource`."""

    cancelled: dict[int, str]
    log: list[AuditEntry]

    def _log(self: FakeSource, viewer: Viewer, action: str, label: str, user: str,
             assignment: str, change: str, reason: str) -> None:
        self.log.append(AuditEntry(len(self.log) + 1, self.now, action, label, viewer.name,
                                   self.users[user][0] if user else "", assignment, change,
                                   reason))

    def _entries(self: FakeSource) -> list[AuditEntry]:
        rows = []
        for sub in self.subs.values():
            for adj in sub.adjustments:
                change = "" if adj.points is None else f"→ {adj.points:g}"
                rows.append(AuditEntry(
                    0, adj.at, f"adjustment.{adj.kind}", LABELS.get(adj.kind, adj.kind),
                    adj.author, self.users[sub.user][0], self._asg(sub.assignment).name,
                    change, adj.reason, f"/courses/1/staff/submissions/{sub.id}"))
        rows += self.log
        return [replace(e, id=i) for i, e in enumerate(rows, start=1)]

    def audit_log(self: FakeSource, viewer: Viewer, course_id: int, wanted: AuditFilter,
              before: int | None) -> AuditView:
        self._staff(viewer, course_id)
        names = {self.ids[u]: n for u, (n, _) in self.users.items()}
        rows = [e for e in self._entries()
                if (wanted.student is None or e.student == names.get(wanted.student))
                and (wanted.kind == "" or e.action.startswith(wanted.kind + "."))]
        students = tuple((self.ids[u], n) for u, (n, r) in sorted(self.users.items())
                         if r == "student")
        actors = tuple((self.ids[u], n) for u, (n, r) in sorted(self.users.items())
                       if r != "student")
        return AuditView(self._course(), tuple(reversed(rows)), wanted, None, students,
                         tuple((a.id, a.name) for a in self.assignments), actors)

    def staff_overview(self: FakeSource, viewer: Viewer, course_id: int,
                       now: datetime) -> StaffOverview:
        self._staff(viewer, course_id)
        students = [u for u, (_, r) in self.users.items() if r == "student"]
        rows = []
        for a in self.assignments:
            subs = [s for s in self.subs.values() if s.assignment == a.id]
            points = [p for u in students
                      if (p := self._row(u, a).points) is not None and
                      any(s.user == u for s in subs)]
            rows.append(AssignmentSummary(
                a.id, a.name, a.title, a.deadline, None, True, len({s.user for s in subs}),
                len(subs), sum(1 for p in points if p >= a.points),
                statistics.median(points) if points else None, a.points,
                sum(1 for s in subs if self._state(s) in (EvalState.QUEUED, EvalState.RUNNING))))
        return StaffOverview(
            self._course(), CourseRules(), len(students),
            sum(1 for u in students if self._standing(u).passed), tuple(rows),
            tuple(r for r in rows if r.deadline >= now), now)

    def student_detail(self: FakeSource, viewer: Viewer, course_id: int, user_id: int,
                       now: datetime) -> StudentDetail:
        self._staff(viewer, course_id)
        user = next((u for u, i in self.ids.items() if i == user_id), None)
        if user is None or self.users[user][1] != "student":
            raise NotFound("student")
        counted = tuple(CountedLine(
            a.id, a.name, self._row(user, a).points, a.points,
            c.id if (c := self._counted(user, a)) else None, bool(c and self._why(c).late),
            bool(c and c.override is not None), bool(c and c.accepted),
            self.extensions.get((user, a.id))) for a in self.assignments)
        subs = tuple((self._asg(s.assignment).name, SubmissionLink(
            s.id, s.at, self._state(s), self._why(s).points, self._why(s).late))
            for s in self.subs.values() if s.user == user)
        name = self.users[user][0]
        return StudentDetail(
            self._course(), CourseRules(), user_id, name, user, f"uuid-{user}",
            self._standing(user), counted, subs, self.my_items_of(user),
            tuple(x for x in self._extension_lines() if x.user_id == user_id),
            tuple(e for e in self._entries() if e.student == name))

    def my_items_of(self: FakeSource, user: str) -> tuple[ItemLine, ...]:
        return tuple(ItemLine("Override" if a.kind == "override" else "Bonus points",
                              self._asg(s.assignment).name, a.points, a.reason, a.author, a.at)
                     for s in self.subs.values() if s.user == user
                     for a in s.adjustments if a.kind != "accept")

    def my_items(self: FakeSource, viewer: Viewer, course_id: int) -> tuple[ItemLine, ...]:
        return self.my_items_of(viewer.username)

    def _extension_lines(self: FakeSource) -> tuple[ExtensionLine, ...]:
        return tuple(ExtensionLine(
            n, self.ids[u], self.users[u][0], self._asg(aid).name, until,
            int((until - self._asg(aid).deadline).total_seconds()), "", "Tereza Teacher",
            self.now) for n, ((u, aid), until) in enumerate(self.extensions.items(), start=1))

    def extensions_list(self: FakeSource, viewer: Viewer, course_id: int) -> ExtensionsView:
        self._staff(viewer, course_id)
        return ExtensionsView(
            self._course(), CourseRules(),
            tuple((self.ids[u], n) for u, (n, r) in sorted(self.users.items())
                  if r == "student"),
            tuple((a.id, a.name) for a in self.assignments), self._extension_lines())

    def revoke_extension(self: FakeSource, viewer: Viewer, course_id: int, extension_id: int,
                         reason: str) -> None:
        self._staff(viewer, course_id)
        keys = list(self.extensions)
        if not 1 <= extension_id <= len(keys):
            raise NotFound("no such extension")
        user, aid = keys[extension_id - 1]
        del self.extensions[(user, aid)]
        self._log(viewer, "extension.revoke", "Extension revoked", user,
                  self._asg(aid).name, "→ none", reason)

    def queue_jobs(self: FakeSource, viewer: Viewer, course_id: int,
                   now: datetime) -> QueueJobs:
        self._staff(viewer, course_id)
        jobs = tuple(JobRow(
            s.id, s.id, 1, self.users[s.user][0], self._asg(s.assignment).name,
            self._state(s).value, "cpu@host" if self._state(s) is EvalState.RUNNING else "",
            s.at, int((now - s.at).total_seconds()), True)
            for s in self.subs.values()
            if s.id not in self.cancelled
            and self._state(s) in (EvalState.QUEUED, EvalState.RUNNING))
        return QueueJobs(jobs, 0)

    def queue_job(self: FakeSource, viewer: Viewer, course_id: int, evaluation_id: int,
                  now: datetime) -> JobRow:
        found = [j for j in self.queue_jobs(viewer, course_id, now).jobs
                 if j.evaluation_id == evaluation_id]
        if not found:
            raise NotFound("no such job")
        return found[0]

    def cancel_evaluation(self: FakeSource, viewer: Viewer, course_id: int,
                          evaluation_id: int, reason: str) -> None:
        job = self.queue_job(viewer, course_id, evaluation_id, self.now)
        if not reason:
            raise BadInput("reason")
        if evaluation_id in self.cancelled:
            raise Conflict("finished")
        self.cancelled[evaluation_id] = reason
        sub = self.subs[job.submission_id]
        self._log(viewer, "evaluation.cancel", "Evaluation cancelled", sub.user, job.assignment,
                  f"{job.state} → cancelled", reason)

