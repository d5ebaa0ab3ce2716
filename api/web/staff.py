"""Pages for course staff: gradebook, submissions with actions, regrade, exam points,
extensions, queue panel and statistics (the roster import: `roster.py`). Every action asks
for a reason."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.web import present
from api.web.deps import CurrentViewer, FormViewer, Now, Source
from api.web.errors import PageRoute
from api.web.render import page
from api.web.staff_views import AUDIT_KINDS, AuditFilter
from core.errors import BadInput

router = APIRouter(prefix="/courses/{course_id}/staff", route_class=PageRoute)

Reason = Annotated[str, Form(min_length=1)]
KINDS = {kind for kind, _ in AUDIT_KINDS}


def _number(text: str, what: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"{what} must be a number, not {text!r}.") from None


def _reason(text: str) -> str:
    """The reason the form asks for: required, here on the server too."""
    if not text.strip():
        raise BadInput("Give a reason: it is recorded in the audit log with your name.")
    return text.strip()


def _back(path: str, note: str = "") -> RedirectResponse:
    return RedirectResponse(path + (f"?done={note}" if note else ""), status_code=303)


@router.get("/gradebook")
def gradebook(
    request: Request, course_id: int, viewer: CurrentViewer, source: Source, now: Now,
    q: str = "", sort: str = "name", desc: bool = False, only: str = "",
) -> Response:
    view = present.arrange(source.gradebook(viewer, course_id, now), q, sort, desc, only)
    return page(request, "gradebook.html", view=view, filters=present.FILTERS)


@router.get("/gradebook.csv")
def gradebook_csv(course_id: int, viewer: CurrentViewer, source: Source, now: Now) -> Response:
    return Response(
        source.gradebook_csv(viewer, course_id, now), media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="gradebook-{course_id}.csv"'},
    )


@router.get("/students/{user_id}")
def student(
    request: Request, course_id: int, user_id: int, viewer: CurrentViewer, source: Source,
    now: Now,
) -> Response:
    view = source.student_detail(viewer, course_id, user_id, now)
    return page(request, "staff_student.html", view=view)


@router.get("")
def overview(
    request: Request, course_id: int, viewer: CurrentViewer, source: Source, now: Now
) -> Response:
    return page(request, "course_overview.html",
                view=source.staff_overview(viewer, course_id, now))


def _id_or_none(text: str, what: str) -> int | None:
    value = _number(text, what)
    if value is not None and (value != int(value) or value < 0):
        raise BadInput(f"{what} must be an id.")
    return None if value is None else int(value)


@router.get("/audit")
def audit(
    request: Request, course_id: int, viewer: CurrentViewer, source: Source,
    student: str = "", assignment: str = "", actor: str = "", kind: str = "",
    before: str = "",
) -> Response:
    wanted = AuditFilter(_id_or_none(student, "Student"), _id_or_none(assignment, "Assignment"),
                         _id_or_none(actor, "Actor"), kind if kind in KINDS else "")
    view = source.audit_log(viewer, course_id, wanted, _id_or_none(before, "Page"))
    return page(request, "audit.html", view=view, kinds=AUDIT_KINDS)


@router.get("/students/{user_id}/assignments/{assignment_id}")
def counted(course_id: int, user_id: int, assignment_id: int, viewer: CurrentViewer,
            source: Source) -> Response:
    """A gradebook cell's link: the submission that counts."""
    sid = source.counted_submission(viewer, course_id, user_id, assignment_id)
    return RedirectResponse(f"/courses/{course_id}/staff/submissions/{sid}", status_code=303)


@router.get("/submissions/{submission_id}")
def submission(
    request: Request, course_id: int, submission_id: int,
    viewer: CurrentViewer, source: Source, done: str = "",
) -> Response:
    view = source.submission(viewer, submission_id, staff=True)
    return page(request, "submission.html", view=view, staff=True, done=done)


@router.get("/submissions/{submission_id}/live")
def submission_live(
    request: Request, course_id: int, submission_id: int, viewer: CurrentViewer, source: Source
) -> Response:
    view = source.submission(viewer, submission_id, staff=True)
    return page(request, "_submission_live.html", view=view, staff=True)


@router.post("/submissions/{submission_id}/adjust")
def adjust(
    course_id: int, submission_id: int, viewer: FormViewer, source: Source,
    kind: Annotated[str, Form()], reason: Reason, points: Annotated[str, Form()] = "",
) -> Response:
    if kind not in ("override", "bonus", "accept"):
        raise BadInput(f"Unknown action {kind!r}.")
    source.adjust(viewer, submission_id, kind, _number(points, "Points"), _reason(reason))
    return _back(f"/courses/{course_id}/staff/submissions/{submission_id}", kind)


@router.post("/submissions/{submission_id}/rerun")
def rerun(
    course_id: int, submission_id: int, viewer: FormViewer, source: Source, reason: Reason
) -> Response:
    source.rerun(viewer, submission_id, _reason(reason))
    return _back(f"/courses/{course_id}/staff/submissions/{submission_id}", "rerun")


@router.get("/assignments/{assignment_id}/regrade")
def regrade(
    request: Request, course_id: int, assignment_id: int, viewer: CurrentViewer, source: Source
) -> Response:
    view = source.regrade(viewer, course_id, assignment_id)
    template = "_regrade_live.html" if request.headers.get("HX-Request") else "regrade.html"
    return page(request, template, view=view)


@router.post("/assignments/{assignment_id}/regrade")
def regrade_action(
    course_id: int, assignment_id: int, viewer: FormViewer, source: Source,
    action: Annotated[str, Form()], reason: Reason,
) -> Response:
    if action == "start":
        source.regrade_start(viewer, course_id, assignment_id, _reason(reason))
    elif action in ("apply", "discard"):
        source.regrade_finish(viewer, course_id, assignment_id, apply=action == "apply",
                              reason=_reason(reason))
    else:
        raise BadInput(f"Unknown regrade action {action!r}.")
    return _back(f"/courses/{course_id}/staff/assignments/{assignment_id}/regrade")


@router.get("/exam")
def exam_form(
    request: Request, course_id: int, viewer: CurrentViewer, source: Source, now: Now,
    done: str = "",
) -> Response:
    view = source.gradebook(viewer, course_id, now)
    return page(request, "exam.html", view=view, done=done)


@router.post("/exam")
def exam_save(
    course_id: int, viewer: FormViewer, source: Source,
    user_id: Annotated[int, Form()], reason: Reason,
    exam_points: Annotated[str, Form()] = "", community: Annotated[str, Form()] = "",
) -> Response:
    source.set_exam(
        viewer, course_id, user_id, _number(exam_points, "Exam points"),
        _number(community, "Community points"), _reason(reason),
    )
    return _back(f"/courses/{course_id}/staff/exam", "saved")


@router.get("/extensions")
def extensions_form(
    request: Request, course_id: int, viewer: CurrentViewer, source: Source, now: Now,
    done: str = "",
) -> Response:
    return page(request, "extensions.html", view=source.extensions_list(viewer, course_id),
                done=done)


@router.post("/extensions")
def extension_save(
    course_id: int, viewer: FormViewer, source: Source,
    user_id: Annotated[int, Form()], assignment_id: Annotated[int, Form()],
    until: Annotated[str, Form()], reason: Reason, timezone: Annotated[str, Form()] = "UTC",
) -> Response:
    try:
        when = datetime.fromisoformat(until).replace(tzinfo=ZoneInfo(timezone))
    except (ValueError, KeyError):
        raise BadInput(f"Not a date and time: {until!r}.") from None
    source.set_extension(viewer, course_id, assignment_id, user_id, when, _reason(reason))
    return _back(f"/courses/{course_id}/staff/extensions", "saved")


@router.post("/extensions/{extension_id}/revoke")
def extension_revoke(
    course_id: int, extension_id: int, viewer: FormViewer, source: Source, reason: Reason
) -> Response:
    source.revoke_extension(viewer, course_id, extension_id, _reason(reason))
    return _back(f"/courses/{course_id}/staff/extensions", "revoked")


@router.get("/queue")
def queue(
    request: Request, course_id: int, viewer: CurrentViewer, source: Source, now: Now,
    done: str = "",
) -> Response:
    template = "_queue_live.html" if request.headers.get("HX-Request") else "queue.html"
    return page(request, template, panel=source.queue_panel(viewer, course_id, now),
                jobs=source.queue_jobs(viewer, course_id, now), course_id=course_id, done=done)


@router.get("/queue/{evaluation_id}/cancel")
def cancel_form(
    request: Request, course_id: int, evaluation_id: int, viewer: CurrentViewer,
    source: Source, now: Now,
) -> Response:
    job = source.queue_job(viewer, course_id, evaluation_id, now)
    return page(request, "queue_cancel.html", job=job, course_id=course_id)


@router.post("/queue/{evaluation_id}/cancel")
def cancel(
    course_id: int, evaluation_id: int, viewer: FormViewer, source: Source, reason: Reason
) -> Response:
    source.cancel_evaluation(viewer, course_id, evaluation_id, _reason(reason))
    return _back(f"/courses/{course_id}/staff/queue", "cancelled")


@router.get("/assignments/{assignment_id}/stats")
def stats(
    request: Request, course_id: int, assignment_id: int, viewer: CurrentViewer, source: Source
) -> Response:
    return page(request, "stats.html", view=source.stats(viewer, course_id, assignment_id))
