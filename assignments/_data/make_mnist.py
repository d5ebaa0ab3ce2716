#!/usr/bin/env python3
"""Cut the shipped small MNIST (`mnist.npz`, the course's layout) from the real MNIST test set.

The 60,000-image MNIST training file is not available offline, so the shipped data are the
10,000 real images of `t10k-*-idx?-ubyte.gz`, shuffled by a seeded permutation and split:

    permutation[:7000]      -> train   (public)
    permutation[7000:8000]  -> dev     (public)
    permutation[8000:9000]  -> test    (public, labels included: the course layout)
    permutation[9000:10000] -> mnist_competition's hidden test set: images public
                               (`mnist_competition.npz`), labels private

The last 1,000 labels appear in no public file; that is why the public `test` split has
1,000 images and not 2,000 (every label of a public file is known to every student, so a
competition scored on them could be won with a lookup table).

Each package that trains on the digits gets a copy of `mnist.npz` and of the course's loader
`mnist.py` (this folder's, the master copy) in its `public/` (git stores identical files
once), because a sandbox sees only its own package's public data; `mnist_competition` gets
the loader, `mnist_competition.npz` and its private gold labels.

The output is byte-identical on every run: arrays are written with `numpy.lib.format` into a
deflated zip whose entries carry a fixed timestamp (`numpy.savez_compressed` stamps the
current time). Usage, from the repository root:

    python assignments/_data/make_mnist.py /work/shared/course/data/mnist-t10k assignments
"""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

SEED = 20231002
"""Seed of the permutation (numpy.random.default_rng); changing it changes every figure."""

SPLITS = {"train": (0, 7000), "dev": (7000, 8000), "test": (8000, 9000)}
COMPETITION_TEST = (9000, 10000)

MNIST_PACKAGES = (
    "pca_first",
    "mnist_layers_activations",
    "sgd_backpropagation",
    "sgd_manual",
    "mnist_training",
)
"""Packages whose public data holds a copy of mnist.npz."""

LOADER = Path(__file__).resolve().parent / "mnist.py"
"""The course's MNIST loader; every MNIST package's `public/mnist.py` is a copy of it."""

SOURCE_MD5 = {
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def read_idx(path: Path) -> np.ndarray:
    """Decode a gzipped IDX file (big-endian header: magic, dimensions) into uint8 data."""
    raw = gzip.decompress(path.read_bytes())
    dims = raw[3]
    if raw[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims)
    return data.reshape(shape)


def check_md5(source: Path) -> None:
    """Refuse to cut anything from files that are not the published MNIST test set."""
    for name, expected in SOURCE_MD5.items():
        found = hashlib.md5((source / name).read_bytes()).hexdigest()
        if found != expected:
            raise SystemExit(f"{name}: md5 {found}, expected {expected}")


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A deflated .npz with fixed entry timestamps, so that reruns give the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, buffer.getvalue(), compresslevel=9)


def cut(source: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """(mnist.npz arrays, mnist_competition.npz arrays, the competition's gold labels)."""
    check_md5(source)
    images = read_idx(source / "t10k-images-idx3-ubyte.gz")[..., np.newaxis]
    labels = read_idx(source / "t10k-labels-idx1-ubyte.gz")
    order = np.random.default_rng(SEED).permutation(len(images))
    mnist: dict[str, np.ndarray] = {}
    for split, (start, stop) in SPLITS.items():
        mnist[f"{split}_images"] = images[order[start:stop]]
        mnist[f"{split}_labels"] = labels[order[start:stop]]
    hidden = order[COMPETITION_TEST[0] : COMPETITION_TEST[1]]
    competition = {
        "train_images": mnist["train_images"],
        "train_labels": mnist["train_labels"],
        "dev_images": mnist["dev_images"],
        "dev_labels": mnist["dev_labels"],
        "test_images": images[hidden],
    }
    return mnist, competition, labels[hidden]


def main(argv: list[str]) -> None:
    source, assignments = Path(argv[1]), Path(argv[2])
    mnist, competition, gold = cut(source)
    written = [assignments / "_data" / "mnist.npz"]
    write_npz(written[0], mnist)
    for package in MNIST_PACKAGES:
        if (assignments / package).is_dir():
            (assignments / package / "public").mkdir(exist_ok=True)
            written.append(assignments / package / "public" / "mnist.npz")
            written[-1].write_bytes(written[0].read_bytes())
    for package in (*MNIST_PACKAGES, "mnist_competition"):
        if (assignments / package).is_dir():
            (assignments / package / "public").mkdir(exist_ok=True)
            written.append(assignments / package / "public" / "mnist.py")
            written[-1].write_bytes(LOADER.read_bytes())
    written.append(assignments / "mnist_competition" / "public" / "mnist_competition.npz")
    written.append(assignments / "mnist_competition" / "private" / "test_labels.txt")
    for path in written[-2:]:
        path.parent.mkdir(parents=True, exist_ok=True)
    write_npz(written[-2], competition)
    written[-1].write_text("".join(f"{int(label)}\n" for label in gold))
    for path in written:
        print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path}")


if __name__ == "__main__":
    main(sys.argv)
