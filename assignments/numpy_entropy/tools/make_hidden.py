#!/usr/bin/env python3
"""Generate the hidden tests' data and model files of numpy_entropy (private/).

The public files 3 and 4 of the course are made this way: a vocabulary of random lowercase
strings (5 letters and 100 points for file 3, 8 letters and 200 points for file 4), a
random "true" distribution over it, a data file of points drawn from that distribution
(1,000 or 10,000 lines), and a model file holding a perturbed copy of the distribution that
still covers every point and sums to one (so the KL divergence is small and finite).
The hidden tests follow the same recipe with other seeds, with one deliberate change taken
from the 2022/23 course (whose model 1 sums to 0.9 on purpose): the third hidden model keeps
only 90 % of the mass (`model_mass`), so a solution that renormalises the model fails it,
while every public model happens to sum to one. The output is committed; the
script only documents and reproduces it:

    python assignments/numpy_entropy/tools/make_hidden.py assignments/numpy_entropy/private
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

import numpy as np

# (name, seed, vocabulary size, string length, data points, model mass)
HIDDEN = (
    ("hidden_1", 1138, 100, 5, 1000, 1.0),
    ("hidden_2", 2024, 200, 8, 10000, 1.0),
    ("hidden_3", 31337, 150, 6, 5000, 0.9),
)


def vocabulary(rng: np.random.Generator, size: int, length: int) -> list[str]:
    """`size` distinct random lowercase strings of `length` letters."""
    letters = np.array(list(string.ascii_lowercase))
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(letters, length))] = None
    return list(words)


def make_files(
    seed: int, size: int, length: int, points: int, model_mass: float
) -> tuple[str, str]:
    """Return the text of one data file and its model file."""
    rng = np.random.default_rng(seed)
    words = vocabulary(rng, size, length)
    # Exponential weights give the skewed, all-positive distributions of the course files.
    true = rng.exponential(size=size) ** 1.5
    true /= true.sum()
    data = rng.choice(size, size=points, p=true)
    model = true * rng.lognormal(sigma=0.3, size=size)
    model *= model_mass / model.sum()
    data_text = "".join(words[index] + "\n" for index in data)
    order = rng.permutation(size)
    model_text = "".join(f"{words[index]}\t{float(model[index])!r}\n" for index in order)
    return data_text, model_text


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name, seed, size, length, points, model_mass in HIDDEN:
        data_text, model_text = make_files(seed, size, length, points, model_mass)
        (target / f"numpy_entropy_data_{name}.txt").write_text(data_text)
        (target / f"numpy_entropy_model_{name}.txt").write_text(model_text)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "private")
