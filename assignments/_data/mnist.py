"""The MNIST loader of the course's references and templates (the course's `mnist.py`).

Self-contained on purpose (standard library and numpy only): it runs inside the sandbox,
where nothing of the service is needed, and each MNIST package ships a byte-identical copy
as `public/mnist.py`, so that a student's script can `from mnist import MNIST` at home too.

Where `mnist.npz` comes from, first found wins:
1. the `data_dir` argument;
2. `$AUTOGRADE_DATA_DIR/mnist.npz`: an installation's full real MNIST (55,000 / 5,000 /
   10,000, the course's own file), which replaces the shipped cut everywhere;
3. `mnist.npz` in the current directory (the course's habit);
4. `mnist.npz` next to this module (the package's public copy), then the repository's
   `assignments/_data/mnist.npz`: the shipped 7,000 / 1,000 / 1,000 cut of the real test set.
Nothing is ever downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

DATA_DIR_ENV = "AUTOGRADE_DATA_DIR"
"""Environment variable naming a directory that holds the full real `mnist.npz`."""

H, W, C = 28, 28, 1
LABELS = 10


def candidate_paths(
    name: str = "mnist.npz", data_dir: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Every place `name` is looked for, in order of preference."""
    places: list[Path] = []
    if data_dir is not None:
        places.append(Path(data_dir) / name)
    if os.environ.get(DATA_DIR_ENV):
        places.append(Path(os.environ[DATA_DIR_ENV]) / name)
    places.append(Path.cwd() / name)
    here = Path(__file__).resolve().parent
    places.append(here / name)
    places.append(here.parent / "assignments" / "_data" / name)
    return places


def locate(name: str = "mnist.npz", data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The first existing candidate; FileNotFoundError lists where it looked."""
    places = candidate_paths(name, data_dir)
    for path in places:
        if path.is_file():
            return path
    raise FileNotFoundError(f"{name} not found; looked in: {', '.join(map(str, places))}")


class MNIST:
    """The course's MNIST: `train`, `dev` and `test` datasets of images and labels."""

    H, W, C, LABELS = H, W, C, LABELS

    class Dataset:
        """One split: `data` is a dict of numpy arrays (`images` [N,28,28,1] uint8, `labels`)."""

        def __init__(
            self, data: dict[str, np.ndarray], shuffle_batches: bool, seed: int = 42
        ) -> None:
            self._data = data
            self._size = len(data["images"])
            self._shuffler = np.random.RandomState(seed) if shuffle_batches else None

        @property
        def data(self) -> dict[str, np.ndarray]:
            """The split's arrays by name."""
            return self._data

        @property
        def size(self) -> int:
            """The number of examples."""
            return self._size

        def batches(self, size: int | None = None):  # noqa: ANN201 - a generator of dicts
            """Minibatches as dicts of arrays, in a (seeded) shuffled order when training."""
            permutation = (
                self._shuffler.permutation(self._size) if self._shuffler else np.arange(self._size)
            )
            while len(permutation):
                batch_size = min(size or np.inf, len(permutation))
                batch_perm, permutation = permutation[:batch_size], permutation[batch_size:]
                yield {key: value[batch_perm] for key, value in self._data.items()}

    def __init__(
        self,
        dataset: str = "mnist",
        data_dir: str | os.PathLike[str] | None = None,
        size: dict[str, int] | None = None,
    ) -> None:
        """Load `<dataset>.npz`; `size` optionally keeps only the first N of a split."""
        path = locate(f"{dataset}.npz", data_dir)
        self.path = path
        with np.load(path, allow_pickle=False) as arrays:
            splits: dict[str, dict[str, np.ndarray]] = {}
            for key in arrays.files:
                split, field = key.split("_", 1)
                splits.setdefault(split, {})[field] = arrays[key]
        for split, data in splits.items():
            if size and split in size:
                data = {key: value[: size[split]] for key, value in data.items()}
            setattr(self, split, self.Dataset(data, shuffle_batches=split == "train"))
