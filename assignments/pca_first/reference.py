#!/usr/bin/env python3
"""Reference solution of pca_first: the first principal component by power iteration.

Follows the course exactly: a seeded sample of `examples` training images, pixels in [0, 1],
covariance (X - mean)^T (X - mean) / N, total variance = its trace, `iterations` steps of
v = cov v; s = ||v||; v = v / s from a vector of ones; explained variance = s / total.
Computed in float64 so that it agrees with an independent NumPy computation to 1e-6.
"""

import argparse
import os
import sys

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--examples", default=256, type=int, help="MNIST examples to use.")
parser.add_argument(
    "--iterations", default=100, type=int, help="Iterations of the power algorithm."
)
parser.add_argument("--recodex", default=False, action="store_true", help="Evaluation in ReCodEx.")
parser.add_argument("--seed", default=42, type=int, help="Random seed.")
parser.add_argument("--threads", default=1, type=int, help="Maximum number of threads to use.")
parser.add_argument(
    "--data_path",
    default="mnist.npz",
    type=str,
    help="The MNIST data; mnist.py lies next to it (the grader sets it).",
)


def load_mnist(data_path: str):
    """The course's MNIST loader, shipped as mnist.py next to mnist.npz."""
    folder = os.path.dirname(os.path.abspath(data_path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    from mnist import MNIST

    return MNIST(data_dir=folder)


def main(args: argparse.Namespace) -> tuple[float, float]:
    torch.set_num_threads(args.threads)
    mnist = load_mnist(args.data_path)

    generator = np.random.RandomState(args.seed)
    indices = generator.choice(mnist.train.size, size=args.examples, replace=False)
    data = torch.tensor(mnist.train.data["images"][indices], dtype=torch.float64) / 255
    data = data.reshape(args.examples, -1)

    mean = data.mean(dim=0)
    centred = data - mean
    cov = centred.T @ centred / data.shape[0]
    total_variance = torch.trace(cov)

    v = torch.ones(cov.shape[0], dtype=torch.float64)
    s = torch.tensor(0.0, dtype=torch.float64)
    for _ in range(args.iterations):
        v = cov @ v
        s = torch.linalg.vector_norm(v)
        v = v / s
    explained_variance = s / total_variance

    return float(total_variance), float(100 * explained_variance)


if __name__ == "__main__":
    main_args = parser.parse_args()
    total_variance, explained_variance = main(main_args)
    print(f"Total variance: {total_variance:.2f}")
    print(f"Explained variance: {explained_variance:.2f}%")
