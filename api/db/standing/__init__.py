"""The standing of a whole course in SQL (SQLite >= 3.30 and PostgreSQL), by concept:

- `api.db.standing.summary_rows`: the rows of `StandingSummary` (per student and
  assignment: the counting solution's points, bonus, solved flag and deadline window, the
  best on-time ranking metrics), computed from the submissions; `api.db.summary` stores
  them on every write;
- `api.db.standing.course`: the course statement, one ``SELECT`` over those rows that
  gives every student's `core.standing.StudentStanding` (`course_standings`);
- `api.db.standing.ranks`: competition ranks and their bonus;
- `api.db.standing.expressions`: what they share (epoch seconds, integer arithmetic that
  agrees on both engines, the parameters, the course's assignments).

`core.standing` is the specification; this is its property-tested fast twin
(``tests/db/test_standing_property.py`` compares both on random courses). The statements
reproduce the pure rules of `core` exactly:

- instants become whole epoch seconds (`expressions.epoch_seconds`), so every deadline
  comparison and the linear interpolation are integer arithmetic, as in `core.deadlines`;
- points are ``floor(score * max + 1e-6)`` computed in double precision, as in Python;
- counting: ``ROW_NUMBER()`` per student and assignment in the order of
  `core.counting.counting_key` (accepted, points of the assignment's own kind, newest
  second, highest id); the first row gives the points, the bonus, the solved flag
  (`core.counting.is_solved`, with the course's ``solve_score``) and the deadline window
  (`core.deadlines.DeadlineWindow`);
- bonus between the deadlines: ``floor(score * cap + 1e-6)`` with ``cap = CAST(bonus *
  num AS DOUBLE) / den``, the exact factor ``num / den`` of `core.deadlines.bonus_share`
  divided once in double precision, as Python's ``float(Fraction)`` does;
- competitions: ``RANK()`` over the best on-time private metric of results that reach the
  threshold on the whole set, bonus ``rank_bonus * (n - rank + 1) / n`` in integers
  (`core.competition.linear_rank_bonus`).

SQLite needs window functions (3.25), aggregate ``FILTER`` (3.30) and JSON1. Speed: the
course statement reads one summary row per student and assignment, not the submissions;
see ``bench/standings.py`` for the figures at 900,000 submissions.
"""
