#!/usr/bin/env python3
import argparse
import os
import sys

import numpy as np
import torch

parser = argparse.ArgumentParser()
# These arguments will be set appropriately by the grader; just keep the default values.
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
# If you add more arguments, the grader keeps their default values.


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

    # Choose `args.examples` random training images; keep this exact call so that the
    # grader's and your sample are the same.
    generator = np.random.RandomState(args.seed)
    indices = generator.choice(mnist.train.size, size=args.examples, replace=False)

    # TODO: Turn mnist.train.data["images"][indices] (uint8, [N, 28, 28, 1]) into a tensor
    # of shape [N, 784] with values in [0, 1].
    data = ...

    # TODO: Compute the mean of every pixel (a vector of 784 numbers).
    mean = ...

    # TODO: Compute the covariance matrix (X - mean)^T (X - mean) / N, [784, 784].
    cov = ...

    # TODO: The total variance is the sum of the variances of all pixels: the trace of cov.
    total_variance = ...

    # TODO: Run `args.iterations` steps of the power iteration, starting from a vector of
    # ones: v = cov @ v; s = the L2 norm of v; v = v / s.
    # After them, s approximates the largest eigenvalue of cov.

    # The fraction of the variance explained by the first principal component.
    explained_variance = s / total_variance

    # Return the total and the explained variance (the latter in percent).
    return float(total_variance), float(100 * explained_variance)


if __name__ == "__main__":
    main_args = parser.parse_args()
    total_variance, explained_variance = main(main_args)
    print(f"Total variance: {total_variance:.2f}")
    print(f"Explained variance: {explained_variance:.2f}%")
