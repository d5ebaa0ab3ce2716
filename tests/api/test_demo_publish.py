"""Publishing a package copies its competition's extra bonus into the assignment (issue 11,
decision 9): the standing awards it from the assignment's columns."""

from __future__ import annotations

from api.db import Assignment, Course, utcnow
from api.services.demo import PackageInfo, publish
from tests.api.helpers import World


def test_publish_copies_the_extra_bonus(world: World) -> None:
    info = PackageInfo(name="contest", title="Contest", kind="competition", points=3, bonus=5,
                       threshold=0.0, device="cpu", version="v1", metric_name="accuracy",
                       metric_threshold=0.9, extra_threshold=0.97, extra_bonus=2)
    tests = PackageInfo(name="plain", title="Plain", kind="tests", points=3, bonus=1,
                        threshold=1.0, device="cpu", version="v1")
    with world.sessions() as s:
        course = s.get(Course, world.ids["course"])
        contest, plain = (publish(s, course, p, utcnow()) for p in (info, tests))
        s.commit()
        row = s.get(Assignment, contest.id)
        assert (row.extra_threshold, row.extra_bonus, row.rank_bonus) == (0.97, 2, 5)
        assert (plain.extra_threshold, plain.extra_bonus, plain.bonus_points) == (None, 0, 1)
