"""The one interface the page routes call: `PageSource`.

Each method is one named operation of a page (load a view, or perform a staff action).
The real implementation (`api.web.service_pages.ServicePages`, over `api/web/pages/`)
calls the service's and the standing query's functions, the same ones the REST routes
call; tests may pass a fake that
implements this protocol. Methods raise `core.errors` exceptions (NotFound, Forbidden,
BadInput, Conflict); the router turns them into error pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from starlette.requests import Request

from api.web.manage_views import (
    AssignmentSetupView,
    CourseSetupView,
    MembersView,
    RosterPreviewView,
)
from api.web.staff_views import (
    AuditFilter,
    AuditView,
    ExtensionsView,
    ItemLine,
    JobRow,
    QueueJobs,
    StaffOverview,
    StudentDetail,
)
from api.web.views import (
    AssignmentStats,
    AssignmentView,
    CourseLink,
    CourseView,
    GradebookView,
    QueuePanel,
    RegradeView,
    SubmissionView,
    Viewer,
)


class PageSource(Protocol):
    """Everything the web pages read and do."""

    # accounts
    def viewer(self, request: Request) -> Viewer | None: ...
    async def login(
        self, request: Request, username: str, password: str
    ) -> tuple[str, str] | None:
        """Check the password; return the session cookie (name, value), or None
        (`api.errors.TooManyRequests` when the caller must wait)."""
        ...
    def logout(self, request: Request) -> str:
        """End the session; return the name of the cookie to clear."""
        ...

    # student
    def my_courses(self, viewer: Viewer) -> list[CourseLink]: ...
    def role(self, viewer: Viewer, course_id: int) -> str | None: ...
    def course(self, viewer: Viewer, course_id: int, now: datetime) -> CourseView: ...
    def assignment(
        self, viewer: Viewer, course_id: int, assignment_id: int, now: datetime
    ) -> AssignmentView: ...
    def template_file(
        self, viewer: Viewer, course_id: int, assignment_id: int, name: str
    ) -> bytes: ...
    def data_file(
        self, viewer: Viewer, course_id: int, assignment_id: int, name: str
    ) -> bytes:
        """A public data file of the assignment's tests, by its name under public/."""
        ...
    def submission_file(self, viewer: Viewer, submission_id: int, path: str) -> bytes:
        """A submitted file, to its author or the course's staff."""
        ...
    def submit(
        self, viewer: Viewer, course_id: int, assignment_id: int,
        files: list[tuple[str, bytes]], now: datetime, idempotency_key: str | None = None,
    ) -> int:
        """Store a submission; the same ``idempotency_key`` again returns the first one."""
        ...
    def submission(self, viewer: Viewer, submission_id: int, staff: bool) -> SubmissionView: ...

    # staff
    def gradebook(self, viewer: Viewer, course_id: int, now: datetime) -> GradebookView: ...
    def gradebook_csv(self, viewer: Viewer, course_id: int, now: datetime) -> str: ...
    def counted_submission(
        self, viewer: Viewer, course_id: int, user_id: int, assignment_id: int
    ) -> int: ...
    def adjust(
        self, viewer: Viewer, submission_id: int, kind: str, points: float | None, reason: str
    ) -> None: ...
    def rerun(self, viewer: Viewer, submission_id: int, reason: str) -> None: ...
    def regrade(self, viewer: Viewer, course_id: int, assignment_id: int) -> RegradeView: ...
    def regrade_start(
        self, viewer: Viewer, course_id: int, assignment_id: int, reason: str
    ) -> None: ...
    def regrade_finish(
        self, viewer: Viewer, course_id: int, assignment_id: int, apply: bool, reason: str
    ) -> None: ...
    def set_exam(
        self, viewer: Viewer, course_id: int, user_id: int,
        exam_points: float | None, community: float | None, reason: str,
    ) -> None: ...
    def set_extension(
        self, viewer: Viewer, course_id: int, assignment_id: int, user_id: int,
        until: datetime, reason: str,
    ) -> None: ...
    def queue_panel(self, viewer: Viewer, course_id: int, now: datetime) -> QueuePanel:
        """The grading queue as far as one course's jobs go (its staff only)."""
        ...
    def queue_jobs(self, viewer: Viewer, course_id: int, now: datetime) -> QueueJobs: ...
    def queue_job(
        self, viewer: Viewer, course_id: int, evaluation_id: int, now: datetime
    ) -> JobRow: ...
    def cancel_evaluation(
        self, viewer: Viewer, course_id: int, evaluation_id: int, reason: str
    ) -> None: ...
    def audit_log(
        self, viewer: Viewer, course_id: int, wanted: AuditFilter, before: int | None
    ) -> AuditView: ...
    def staff_overview(self, viewer: Viewer, course_id: int, now: datetime) -> StaffOverview: ...
    def student_detail(
        self, viewer: Viewer, course_id: int, user_id: int, now: datetime
    ) -> StudentDetail: ...
    def my_items(self, viewer: Viewer, course_id: int) -> tuple[ItemLine, ...]: ...
    def extensions_list(self, viewer: Viewer, course_id: int) -> ExtensionsView: ...
    def revoke_extension(
        self, viewer: Viewer, course_id: int, extension_id: int, reason: str
    ) -> None: ...
    def stats(self, viewer: Viewer, course_id: int, assignment_id: int) -> AssignmentStats: ...

    # course set-up (teachers; assistants enrol students)
    def roster_preview(
        self, viewer: Viewer, course_id: int, csv_text: str
    ) -> RosterPreviewView: ...
    def import_roster(self, viewer: Viewer, course_id: int, csv_text: str, token: str) -> str:
        """Apply exactly the preview whose token this is; a sentence saying what changed."""
        ...
    def create_course(self, viewer: Viewer, form: Mapping[str, str]) -> int: ...
    def course_setup(self, viewer: Viewer, course_id: int) -> CourseSetupView: ...
    def edit_course(self, viewer: Viewer, course_id: int, form: Mapping[str, str]) -> str: ...
    def publish(self, viewer: Viewer, course_id: int, form: Mapping[str, str]) -> int: ...
    def assignment_setup(
        self, viewer: Viewer, course_id: int, assignment_id: int
    ) -> AssignmentSetupView: ...
    def edit_assignment(
        self, viewer: Viewer, course_id: int, assignment_id: int, form: Mapping[str, str]
    ) -> str: ...
    def set_published(
        self, viewer: Viewer, course_id: int, assignment_id: int, published: bool, reason: str
    ) -> None: ...
    def members(self, viewer: Viewer, course_id: int) -> MembersView: ...
    def set_role(
        self, viewer: Viewer, course_id: int, username: str, role: str | None, reason: str
    ) -> str: ...
