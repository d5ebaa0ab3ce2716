"""The role rule: teachers change any role; assistants only enrol new students."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import BadInput
from core.roles import ROLES, RoleRefused, check_role_change

OLD = st.sampled_from((None, *ROLES))


@pytest.mark.parametrize("actor,old,new,allowed", [
    ("teacher", None, "teacher", True),
    ("teacher", "student", "assistant", True),
    ("teacher", "teacher", "student", True),
    ("assistant", None, "student", True),
    ("assistant", "assistant", "assistant", True),  # unchanged line
    ("assistant", "assistant", "teacher", False),  # themselves
    ("assistant", None, "teacher", False),
    ("assistant", None, "assistant", False),
    ("assistant", "student", "teacher", False),
    ("assistant", "teacher", "student", False),  # demoting is a change too
    ("assistant", "student", "assistant", False),
    ("student", None, "student", False),
])
def test_who_may_give_which_role(actor: str, old: str | None, new: str, allowed: bool) -> None:
    if allowed:
        check_role_change(actor, old, new)
    else:
        with pytest.raises(RoleRefused):
            check_role_change(actor, old, new)


def test_the_refusal_names_the_person_and_the_role() -> None:
    with pytest.raises(RoleRefused, match="eve: only the course's teachers may give the role "
                                          "'teacher'"):
        check_role_change("assistant", "assistant", "teacher", who="eve")


def test_unknown_role_is_bad_input() -> None:
    with pytest.raises(BadInput, match="unknown role 'king'"):
        check_role_change("teacher", None, "king")


@given(OLD, st.sampled_from(ROLES))
def test_an_assistant_never_makes_staff_nor_changes_a_role(old: str | None, new: str) -> None:
    try:
        check_role_change("assistant", old, new)
    except RoleRefused:
        return
    assert old == new or (old is None and new == "student")
