"""The shipped digit data: layout, reproducibility, public/private split, and the loader."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ROOT / "assignments"
DATA = ASSIGNMENTS / "_data"
SOURCE = Path("/work/shared/course/data/mnist-t10k")
MNIST_PACKAGES = (
    "pca_first",
    "mnist_layers_activations",
    "sgd_backpropagation",
    "sgd_manual",
    "mnist_training",
)
SHIPPED_SHA256 = "ccb6060ed60f67f09d346a7a01a087a8182561a1abc2f0601c17e59f9e43332f"

needs_source = pytest.mark.skipif(
    not SOURCE.is_dir(), reason=f"the real MNIST test set is not at {SOURCE} on this machine"
)


def load_make_mnist():  # noqa: ANN201 - a module
    """The generator script, imported by path (assignments/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_mnist", DATA / "make_mnist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_mnist_has_the_course_layout() -> None:
    with np.load(DATA / "mnist.npz") as mnist:
        assert sorted(mnist.files) == sorted(
            f"{split}_{field}"
            for split in ("train", "dev", "test")
            for field in ("images", "labels")
        )
        for split, size in (("train", 7000), ("dev", 1000), ("test", 1000)):
            images, labels = mnist[f"{split}_images"], mnist[f"{split}_labels"]
            assert images.shape == (size, 28, 28, 1) and images.dtype == np.uint8
            assert labels.shape == (size,) and labels.dtype == np.uint8
            assert set(np.unique(labels)) == set(range(10))
    assert sha256(DATA / "mnist.npz") == SHIPPED_SHA256


@pytest.mark.parametrize("package", MNIST_PACKAGES)
def test_every_mnist_package_ships_the_same_data_and_loader(package: str) -> None:
    public = ASSIGNMENTS / package / "public"
    assert sha256(public / "mnist.npz") == SHIPPED_SHA256
    assert (public / "mnist.py").read_bytes() == (DATA / "mnist.py").read_bytes()


def test_competition_gold_labels_are_in_no_public_file() -> None:
    package = ASSIGNMENTS / "mnist_competition"
    assert (package / "public" / "mnist.py").read_bytes() == (DATA / "mnist.py").read_bytes()
    with (
        np.load(package / "public" / "mnist_competition.npz") as competition,
        np.load(DATA / "mnist.npz") as mnist,
    ):
        assert "test_labels" not in competition.files
        hidden = competition["test_images"].reshape(1000, -1)
        gold = np.loadtxt(package / "private" / "test_labels.txt", dtype=np.int64)
        assert gold.shape == (1000,)
        # No hidden image appears, with its label, in any public split.
        public = {
            img.tobytes()
            for split in ("train", "dev", "test")
            for img in mnist[f"{split}_images"].reshape(-1, 784)
        }
        assert not any(image.tobytes() in public for image in hidden)


@needs_source
def test_sources_have_the_published_md5() -> None:
    make_mnist = load_make_mnist()
    make_mnist.check_md5(SOURCE)  # raises SystemExit on a mismatch


@needs_source
def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    make_mnist = load_make_mnist()
    for package in (*MNIST_PACKAGES, "mnist_competition"):
        (tmp_path / package).mkdir()
    (tmp_path / "_data").mkdir()
    make_mnist.main(["make_mnist.py", str(SOURCE), str(tmp_path)])
    assert sha256(tmp_path / "_data" / "mnist.npz") == SHIPPED_SHA256
    for package in (*MNIST_PACKAGES, "mnist_competition"):
        assert (tmp_path / package / "public" / "mnist.py").read_bytes() == (
            DATA / "mnist.py"
        ).read_bytes()
    competition = ASSIGNMENTS / "mnist_competition"
    for relative in ("public/mnist_competition.npz", "private/test_labels.txt"):
        assert (tmp_path / "mnist_competition" / relative).read_bytes() == (
            competition / relative
        ).read_bytes()


def _loader():  # noqa: ANN201 - a module
    """The course's loader, `_data/mnist.py` (the master of every package's `public/mnist.py`),
    imported by path."""
    spec = importlib.util.spec_from_file_location("course_mnist", DATA / "mnist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_loader_prefers_the_data_dir_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    datasets = _loader()
    tiny = {
        f"{split}_{field}": np.zeros((3, 28, 28, 1) if field == "images" else (3,), np.uint8)
        for split in ("train", "dev", "test")
        for field in ("images", "labels")
    }
    np.savez(tmp_path / "mnist.npz", **tiny)
    monkeypatch.setenv(datasets.DATA_DIR_ENV, str(tmp_path))
    mnist = datasets.MNIST()
    assert mnist.path == tmp_path / "mnist.npz"
    assert mnist.train.size == 3


def test_loader_falls_back_to_the_shipped_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    datasets = _loader()
    monkeypatch.delenv(datasets.DATA_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    mnist = datasets.MNIST()
    assert mnist.path.resolve() == (DATA / "mnist.npz").resolve()
    assert (mnist.train.size, mnist.dev.size, mnist.test.size) == (7000, 1000, 1000)
    batches = list(mnist.train.batches(3000))
    assert [len(b["labels"]) for b in batches] == [3000, 3000, 1000]


def test_loader_names_every_place_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    datasets = _loader()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="looked in"):
        datasets.MNIST(dataset="no_such_dataset")
