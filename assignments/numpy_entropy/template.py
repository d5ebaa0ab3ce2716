#!/usr/bin/env python3
import argparse

import numpy as np

parser = argparse.ArgumentParser()
# These arguments will be set appropriately by the grader; just keep the default values.
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str, help="Data distribution")
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str, help="Model distribution")
parser.add_argument("--recodex", default=False, action="store_true", help="Evaluation in ReCodEx")
# If you add more arguments, the grader keeps their default values.


def main(args: argparse.Namespace) -> tuple[float, float, float]:
    # TODO: Load the data distribution, each line containing a data point (a string).
    with open(args.data_path, "r") as data:
        for line in data:
            line = line.rstrip("\n")
            # TODO: Process the line, counting how often each data point occurs.

    # TODO: Turn the counts into a NumPy array holding the data distribution.

    # TODO: Load the model distribution, each line `point \t probability`.
    with open(args.model_path, "r") as model:
        for line in model:
            line = line.rstrip("\n")
            # TODO: Process the line.

    # TODO: Build a NumPy array with the model distribution, aligned with the data's points.

    # TODO: Compute the entropy H(data distribution), using natural logarithms.
    entropy = ...

    # TODO: Compute the cross-entropy H(data distribution, model distribution) and the
    # KL divergence D_KL(data distribution || model distribution), both with natural
    # logarithms. When a data point has zero or missing model probability, both are
    # `np.inf`.
    crossentropy = ...
    kl_divergence = ...

    # Return the computed values so the grader can check them.
    return entropy, crossentropy, kl_divergence


if __name__ == "__main__":
    main_args = parser.parse_args()
    entropy, crossentropy, kl_divergence = main(main_args)
    print(f"Entropy: {entropy:.2f} nats")
    print(f"Crossentropy: {crossentropy:.2f} nats")
    print(f"KL divergence: {kl_divergence:.2f} nats")
