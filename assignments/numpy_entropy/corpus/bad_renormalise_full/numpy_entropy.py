import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)
parser.add_argument("--recodex", default=False, action="store_true")


def main(args):
    with open(args.data_path) as file:
        points, counts = np.unique([line.rstrip("\n") for line in file], return_counts=True)
    model = {}
    with open(args.model_path) as file:
        for line in file:
            point, prob = line.rstrip("\n").split("\t")
            model[point] = float(prob)
    total = sum(model.values())
    model = {point: prob / total for point, prob in model.items()}  # wrong: use the model as given
    p = counts / counts.sum()
    q = np.array([model.get(point, 0.0) for point in points])
    entropy = -np.sum(p * np.log(p))
    if np.any(q == 0):
        return entropy, np.inf, np.inf
    crossentropy = -np.sum(p * np.log(q))
    return entropy, crossentropy, crossentropy - entropy
