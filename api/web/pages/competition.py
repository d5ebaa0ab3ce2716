"""A competition on the assignment page: the anonymous leaderboard
(`api.services.leaderboard`) and the public part's share of the test set."""

from __future__ import annotations

from core.manifest import Manifest


def public_share(manifest: Manifest | None) -> str:
    """The public part's share of a competition's test set, for the pages (``"30 %"``)."""
    if manifest is None or manifest.competition is None:
        return ""
    return f"{100 * manifest.competition.public_fraction:.3g} %"
