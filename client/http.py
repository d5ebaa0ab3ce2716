"""`ApiClient`: the REST API v1 over httpx, with the API's error body turned into
`ApiError` and transport failures into `ServerUnreachable`.

Courses and assignments are addressed by id in the API; the client also accepts a course's
slug and an assignment's name and resolves them with the listing endpoints.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from client.errors import ApiError, ClientError, LoginExpired, ServerUnreachable

API = "/api/v1"
PENDING = ("queued", "running")
"""Evaluation statuses that are not final."""

Json = Any
Part = tuple[str, bytes]


def _error_message(response: httpx.Response) -> tuple[str, str]:
    """(code, message) from the API's one error body, or from the bare status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error.get("code") or "error"), str(error["message"])
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return "error", body["detail"]
    return "http_error", f"HTTP {response.status_code} {response.reason_phrase}".strip()


class ApiClient:
    """One server, optionally one API token; every method is one API call (or a few)."""

    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.server = server.rstrip("/")
        self.token = token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.server, headers=headers, timeout=timeout_s, transport=transport
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Json:
        """Call ``API + path``; the decoded JSON answer, or a `ClientError`."""
        try:
            response = self._http.request(method, API + path, **kwargs)
        except httpx.TimeoutException:
            raise ServerUnreachable(f"the server at {self.server} did not answer in time") from None
        except httpx.TransportError as error:
            raise ServerUnreachable(f"cannot reach the server at {self.server}: {error}") from None
        if response.is_success:
            try:
                return response.json()
            except ValueError:
                raise ClientError(
                    f"the server at {self.server} sent something that is not "
                    "JSON; is this an autograde server?"
                ) from None
        code, message = _error_message(response)
        if response.status_code == 401 and self.token:
            raise LoginExpired(
                401,
                code,
                f"{message} (your login has expired or was revoked; run `autograde login`)",
            )
        raise ApiError(response.status_code, code, message)

    def request_list(self, path: str) -> list[Json]:
        """GET ``API + path``, an answer that must be a JSON list."""
        answer = self.request("GET", path)
        if not isinstance(answer, list):
            raise ClientError(f"the server answered {path} with something that is not a list")
        return answer

    # accounts -----------------------------------------------------------------------------

    def create_token(
        self, username: str, password: str, *, scopes: list[str], name: str = "cli"
    ) -> Json:
        """Exchange a password for a new API token (``token`` is in the answer, once)."""
        return self.request(
            "POST",
            "/auth/tokens",
            json={"username": username, "password": password, "scopes": scopes, "name": name},
        )

    def revoke_token(self, token_id: int) -> Json:
        """Revoke one of the caller's tokens."""
        return self.request("DELETE", f"/auth/tokens/{token_id}")

    def me(self) -> Json:
        """The caller."""
        return self.request("GET", "/me")

    # courses and assignments --------------------------------------------------------------

    def courses(self) -> list[Json]:
        """The caller's courses, with their role in each."""
        return self.request_list("/courses")

    def course(self, ref: str) -> Json:
        """A course of the caller's by slug or id."""
        courses = self.courses()
        for course in courses:
            if course["slug"] == ref or str(course["id"]) == ref:
                return course
        known = ", ".join(c["slug"] for c in courses) or "none"
        raise ClientError(f"no course {ref!r} among yours (yours: {known})")

    def assignments(self, course_id: int) -> list[Json]:
        """A course's published assignments with the caller's state."""
        return self.request_list(f"/courses/{course_id}/assignments")

    def assignment(self, course_ref: str, ref: str) -> Json:
        """An assignment by course (slug or id) and assignment (name or id)."""
        course = self.course(course_ref)
        assignments = self.assignments(course["id"])
        for assignment in assignments:
            if assignment["name"] == ref or str(assignment["id"]) == ref:
                return assignment
        known = ", ".join(a["name"] for a in assignments) or "none"
        raise ClientError(f"no assignment {ref!r} in {course['slug']} (there: {known})")

    # submissions --------------------------------------------------------------------------

    def submit(self, assignment_id: int, parts: list[Part], *, tries: int = 3) -> Json:
        """Upload a solution's files (or one zip); the new submission.

        The upload carries a fresh ``Idempotency-Key``; when the connection fails before an
        answer came, it is sent again with the same key (``tries`` in all), so an upload the
        server did store is answered with that submission instead of a second one."""
        files = [("files", (name, content, "application/octet-stream")) for name, content in parts]
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        for attempt in range(1, tries + 1):
            try:
                return self.request("POST", f"/assignments/{assignment_id}/submissions",
                                    files=files, headers=headers)
            except ServerUnreachable:
                if attempt == tries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def submission(self, submission_id: int) -> Json:
        """One submission with its current evaluation and test results."""
        return self.request("GET", f"/submissions/{submission_id}")

    def submissions(self, assignment_id: int) -> list[Json]:
        """Submissions of one assignment (the caller's; staff: everyone's)."""
        return self.request_list(f"/assignments/{assignment_id}/submissions")

    def recent_submissions(self, limit: int = 10, course_ref: str | None = None) -> list[Json]:
        """The caller's own latest submissions over their courses (or one course), newest
        first, each with ``assignment_name`` and ``course_slug`` added."""
        me = self.me()
        courses = [self.course(course_ref)] if course_ref else self.courses()
        found: list[Json] = []
        for course in courses:
            for assignment in self.assignments(course["id"]):
                for sub in self.submissions(assignment["id"]):
                    if sub["user_id"] == me["id"]:
                        found.append(
                            {
                                **sub,
                                "assignment_name": assignment["name"],
                                "course_slug": course["slug"],
                            }
                        )
        found.sort(key=lambda s: (s["submitted_at"], s["id"]), reverse=True)
        return found[:limit]

    def wait(
        self,
        submission_id: int,
        *,
        interval_s: float = 2.0,
        timeout_s: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> Json:
        """Poll a submission until its evaluation is final (or ``timeout_s`` passes); the last
        answer either way."""
        deadline = clock() + timeout_s
        while True:
            sub = self.submission(submission_id)
            if not is_pending(sub) or clock() >= deadline:
                return sub
            sleep(interval_s)

    # standings ----------------------------------------------------------------------------

    def standings(self, course_id: int) -> list[Json]:
        """Standings of a course: the caller's own row (students) or everyone's (staff)."""
        return self.request_list(f"/courses/{course_id}/standings")


def is_pending(submission: Json) -> bool:
    """True while the submission's evaluation is queued or running."""
    evaluation = submission.get("evaluation")
    return evaluation is None or evaluation.get("status") in PENDING
