"""Expressions shared by the standing's statements: epoch seconds, integer arithmetic that
agrees on both engines, the parameters, and the course's assignments (a CTE)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Double,
    Integer,
    Select,
    bindparam,
    cast,
    func,
    or_,
    select,
)

from api.db.enums import AssignmentKind, SecondPolicy
from api.db.models import Assignment, Course

COURSE = bindparam("course_id", type_=Integer)
NOW_S = bindparam("now_s", type_=BigInteger)
AIDS: BindParameter[list[int]] = bindparam("aids", expanding=True)
UIDS: BindParameter[list[int]] = bindparam("uids", expanding=True)


def epoch_seconds(column: Any, dialect: str) -> ColumnElement[int]:
    """Whole seconds since the epoch, rounded down, of a UTC timestamp column.

    SQLite's ``strftime('%s')`` rounds fractions to milliseconds first (``.9996`` would
    become the next second), so the fraction is cut off the stored text instead.
    """
    if dialect == "postgresql":
        # date_part gives a double (EXTRACT gives a slow numeric); microseconds are far
        # above a double's resolution at today's epoch, so floor() stays exact.
        return cast(func.floor(func.date_part("epoch", column)), BigInteger)
    return cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)


def floor_int(value: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    """``floor`` of a non-negative double as an integer (PostgreSQL's CAST rounds)."""
    if dialect == "postgresql":
        return cast(func.floor(value), Integer)
    return cast(value, Integer)  # truncation == floor for values >= 0


def int_div(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[int]:
    """Integer division of non-negative integers (truncating, hence floor) on both engines."""
    return a.op("/", precedence=8, return_type=BigInteger)(b)


def real_div(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[float]:
    """``a / b`` in double precision, correctly rounded (``a`` exact: an integer < 2**53)."""
    return cast(a, Double).op("/", precedence=8, return_type=Double)(b)


def fenced(statement: Select[Any], dialect: str) -> Select[Any]:
    """Keep PostgreSQL from inlining a subquery whose columns the next step reuses.

    Inlined, each use of a computed column (the epoch seconds, the extension, the
    maximum) repeats its expression for every submission; ``OFFSET 0`` computes it once.
    SQLite computes flattened columns efficiently and keeps the plain subquery.
    """
    return statement.offset(0) if dialect == "postgresql" else statement


def course_assignments(dialect: str, *, only: Any = None) -> Any:
    """The course's assignments (or those with ids in ``only``) with their epoch seconds.

    The whole course's list also says which are published at ``now_s``; the summaries
    (``only``) must not depend on the clock, and get the extra bonus and the course's
    solve score instead.
    """
    where = [Assignment.course_id == COURSE]
    columns: list[Any] = []
    if only is not None:
        where.append(Assignment.id.in_(only))
        solve = select(Course.solve_score).where(Course.id == COURSE).scalar_subquery()
        columns.extend(  # what only the summaries use
            (
                Assignment.extra_threshold,
                Assignment.extra_bonus,
                solve.label("solve_score"),
            )
        )
    else:
        columns.append(
            or_(
                Assignment.visible_from.is_(None),
                epoch_seconds(Assignment.visible_from, dialect) <= NOW_S,
            ).label("published")
        )
    return (
        select(
            *columns,
            Assignment.id.label("aid"),
            Assignment.points,
            Assignment.second_points,
            epoch_seconds(Assignment.first_deadline, dialect).label("first_s"),
            epoch_seconds(Assignment.second_deadline, dialect).label("second_s"),
            (Assignment.second_policy == SecondPolicy.LINEAR.value).label("linear"),
            Assignment.threshold,
            Assignment.bonus_points,
            (Assignment.kind == AssignmentKind.COMPETITION.value).label("is_comp"),
            Assignment.metric_threshold,
            Assignment.higher_is_better,
            Assignment.rank_bonus,
        )
        .where(*where)
        .cte("asg")
    )
