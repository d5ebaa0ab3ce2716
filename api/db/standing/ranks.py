"""Competition ranks in SQL: the rank bonus of each student who reached a competition's
threshold on time (`core.competition.ranked_bonuses`: ``RANK()`` over the best on-time
private metric, bonus ``rank_bonus * (n - rank + 1) / n`` in integers)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from api.db.standing.expressions import NOW_S, int_div


def competition_ranks(per: Any, asg: Any) -> Any:
    """Rank bonus of each student who reached a competition's threshold on time (the
    summaries keep only such results' ranking metrics, so any best is qualified)."""
    p, a = per.c, asg.c
    best = case((a.higher_is_better, p.best_hi), else_=p.best_lo)
    key = case((a.higher_is_better, p.best_hi), else_=-p.best_lo)
    rank = func.rank().over(partition_by=p.aid, order_by=key.desc())
    count = func.count().over(partition_by=p.aid)
    return (
        select(p.user_id, p.aid, int_div(a.rank_bonus * (count - rank + 1), count).label("rb"))
        .select_from(per.join(asg, asg.c.aid == p.aid))
        .where(a.is_comp, a.rank_bonus > 0, NOW_S > a.first_s, best.is_not(None))
        .cte("ranked")
    )
