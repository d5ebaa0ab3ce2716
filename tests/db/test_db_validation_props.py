"""Property: the model layer accepts exactly the valid assignment settings, and whatever it
accepts also passes the database's CHECK constraints."""

from __future__ import annotations

from datetime import timedelta

import db_factories as f
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.db import Assignment, Course, create_all, make_engine
from core.errors import InvalidSetting


@pytest.fixture(scope="module")
def course_engine() -> tuple[Engine, int]:
    """An in-memory database with one course (module scope: hypothesis reruns the test)."""
    engine = make_engine("sqlite://")
    create_all(engine)
    with Session(engine) as setup:
        course_id: int = f.add(setup, Course(slug="props", name="Props")).id
        setup.commit()
    return engine, course_id


settings_strategy = st.fixed_dictionaries(
    {
        "points": st.integers(-3, 10),
        "bonus_points": st.integers(-2, 5),
        "second_points": st.integers(-2, 12),
        "threshold": st.floats(-0.5, 1.5, allow_nan=False),
        "gap_s": st.one_of(st.none(), st.integers(-86400, 86400 * 7)),
        "max_submissions": st.one_of(st.none(), st.integers(-1, 50)),
    }
)


def is_valid(s: dict[str, int | float | None]) -> bool:
    """The rules, restated independently of the implementation."""
    points, second = s["points"], s["second_points"]
    assert isinstance(points, int) and isinstance(second, int)
    gap, limit = s["gap_s"], s["max_submissions"]
    return (
        points >= 0
        and s["bonus_points"] >= 0  # type: ignore[operator]
        and 0 <= s["threshold"] <= 1  # type: ignore[operator]
        and 0 <= second <= points
        and (gap is None or gap > 0)
        and (limit is None or limit > 0)
    )


@settings(max_examples=150, deadline=None)
@given(s=settings_strategy)
def test_accepted_iff_valid_and_stored_rows_pass_checks(
    course_engine: tuple[Engine, int], s: dict[str, int | float | None]
) -> None:
    engine, course_id = course_engine
    gap = s["gap_s"]
    with Session(engine) as session:
        try:
            row = Assignment(
                course_id=course_id,
                name="a",
                package_name="p",
                package_version="v",
                points=s["points"],
                bonus_points=s["bonus_points"],
                second_points=s["second_points"],
                threshold=s["threshold"],
                first_deadline=f.T0,
                second_deadline=None if gap is None else f.T0 + timedelta(seconds=gap),
                max_submissions=s["max_submissions"],
            )
            session.add(row)
            session.flush()  # an IntegrityError here would mean Python and SQL disagree
        except InvalidSetting:
            accepted = False
        else:
            accepted = True
        session.rollback()
    assert accepted == is_valid(s)
