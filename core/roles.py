"""Who may give whom which role in a course: the one rule every path that enrols people or
changes a role calls (the roster import, the staff page, the REST routes).

Teachers (and admins, who act as teachers everywhere) change any role. Assistants may only
enrol people as students who are not in the course yet: they change no existing role, and
never make anyone (themselves included) an assistant or a teacher. Students change nothing.
"""

from __future__ import annotations

from core.errors import BadInput, Forbidden

ROLES = ("student", "assistant", "teacher")
"""The roles of a course, least to most powerful."""


class RoleRefused(Forbidden):
    """The caller's role does not allow this role change (HTTP 403, a page that says why)."""


def check_role_change(actor_role: str, old_role: str | None, new_role: str,
                      *, who: str = "this person") -> None:
    """Raise `RoleRefused` unless ``actor_role`` may move ``who`` from ``old_role`` (None:
    not in the course) to ``new_role``; `BadInput` for a role that does not exist.

    Keeping a role (``old_role == new_role``) is always allowed: an unchanged line of a
    roster is no change."""
    if new_role not in ROLES:
        raise BadInput(f"unknown role {new_role!r} (student, assistant, teacher)")
    if old_role == new_role:
        return
    if actor_role == "teacher":
        return
    if actor_role == "assistant" and old_role is None and new_role == "student":
        return
    if actor_role != "assistant":
        raise RoleRefused("only the course's teachers change roles")
    if new_role != "student":
        raise RoleRefused(f"{who}: only the course's teachers may give the role "
                          f"{new_role!r}; an assistant enrols students only")
    raise RoleRefused(f"{who} is already in the course as {old_role}; only the course's "
                      f"teachers change roles")
