#!/usr/bin/env python3
"""Reference solution of numpy_entropy: entropy, cross-entropy and KL divergence.

Natural logarithms; the model is used as given (never renormalised), and a data point with
zero or missing model probability makes the cross-entropy and the KL divergence infinite.
"""
import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str, help="Data distribution")
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str, help="Model distribution")
parser.add_argument("--recodex", default=False, action="store_true", help="Evaluation in ReCodEx")


def load_data(path: str) -> dict[str, int]:
    """Count how often each data point (one per line) occurs."""
    counts: dict[str, int] = {}
    with open(path, "r", encoding="utf-8-sig") as data:
        for line in data:
            point = line.rstrip("\n")
            counts[point] = counts.get(point, 0) + 1
    return counts


def load_model(path: str) -> dict[str, float]:
    """Read `point<TAB>probability` lines."""
    model: dict[str, float] = {}
    with open(path, "r", encoding="utf-8-sig") as lines:
        for line in lines:
            point, probability = line.rstrip("\n").split("\t")
            model[point] = float(probability)
    return model


def main(args: argparse.Namespace) -> tuple[float, float, float]:
    counts = load_data(args.data_path)
    model = load_model(args.model_path)

    points = sorted(counts)
    data_distribution = np.array([counts[point] for point in points], dtype=np.float64)
    data_distribution /= data_distribution.sum()
    model_distribution = np.array([model.get(point, 0.0) for point in points], dtype=np.float64)

    entropy = -np.sum(data_distribution * np.log(data_distribution))

    # A zero model probability for an observed point means an infinite cross-entropy;
    # np.log(0) would give the right -inf but with a warning, so say it explicitly.
    if np.any(model_distribution <= 0):
        crossentropy = kl_divergence = np.inf
    else:
        crossentropy = -np.sum(data_distribution * np.log(model_distribution))
        # Summed directly rather than as crossentropy - entropy, which loses digits when
        # the two are close.
        kl_divergence = np.sum(data_distribution * (np.log(data_distribution) - np.log(model_distribution)))

    return float(entropy), float(crossentropy), float(kl_divergence)


if __name__ == "__main__":
    main_args = parser.parse_args()
    entropy, crossentropy, kl_divergence = main(main_args)
    print(f"Entropy: {entropy:.2f} nats")
    print(f"Crossentropy: {crossentropy:.2f} nats")
    print(f"KL divergence: {kl_divergence:.2f} nats")
