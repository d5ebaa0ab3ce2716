#!/usr/bin/env python3
# A plain NumPy solution, loading mnist.npz directly instead of through mnist.py.
import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--examples", default=256, type=int, help="MNIST examples to use.")
parser.add_argument("--iterations", default=100, type=int, help="Iterations of the power algorithm.")
parser.add_argument("--recodex", default=False, action="store_true", help="Evaluation in ReCodEx.")
parser.add_argument("--seed", default=42, type=int, help="Random seed.")
parser.add_argument("--threads", default=1, type=int, help="Maximum number of threads to use.")
parser.add_argument("--data_path", default="mnist.npz", type=str, help="The MNIST data.")


def main(args):
    with np.load(args.data_path) as mnist:
        images = mnist["train_images"]
    indices = np.random.RandomState(args.seed).choice(len(images), size=args.examples, replace=False)
    x = images[indices].reshape(args.examples, -1).astype(np.float64) / 255
    centred = x - x.mean(axis=0)
    cov = centred.T @ centred / len(x)
    total_variance = np.trace(cov)
    v = np.ones(len(cov))
    for _ in range(100):  # "100 is plenty"
        v = cov @ v
        s = np.linalg.norm(v)
        v /= s
    return total_variance, 100 * s / total_variance


if __name__ == "__main__":
    print(main(parser.parse_args()))
