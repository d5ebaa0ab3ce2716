"""Team headers: only ``#`` lines made of ids name teammates; a malformed id is refused."""

from __future__ import annotations

import pytest

from api.services.uploads import team_uuids
from core.errors import BadInput

# Fixed ids: parametrized test ids must be the same in every xdist process.
A, B = "3f2c8a4e-9b1d-4c7e-8a6f-0d5e2b7c9a14", "b8e1d6f3-2a4c-4f9b-9e7d-5c3a1f8b2d60"


def test_lines_of_ids_name_the_team_in_order() -> None:
    source = f"# {A}\n#{B.upper()}, {A}\ndef main(args):\n    pass\n".encode()
    assert team_uuids(source, 3) == [A, B]


@pytest.mark.parametrize("line", [
    f"# data: https://example.org/u/{A}/x.txt",
    f"# Team: {A}",  # a label makes it prose, not a team line
    f"x = '{A}'  # {A}",
    "# 2024-12-06 deadline",
    "# 2024-12-06",
    "# deadbeef",
    "# " + "-" * 36,
    "# the-model-is-a-linear-layer-fitted",
])
def test_ids_inside_other_text_are_not_teammates(line: str) -> None:
    assert team_uuids(f"{line}\ndef main(args):\n    pass\n".encode(), 3) == []


@pytest.mark.parametrize("bad", [A[:-1], A.replace("-", "", 1), A[:-1] + "g", A + "0"])
def test_a_malformed_id_on_a_team_line_is_refused_naming_the_line(bad: str) -> None:
    source = f"#!/usr/bin/env python3\n# {B}\n# {bad}\ndef main(args):\n    pass\n".encode()
    with pytest.raises(BadInput, match="line 3 of the main file lists team member ids"):
        team_uuids(source, 3)
