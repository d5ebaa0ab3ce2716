import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)
parser.add_argument("--recodex", default=False, action="store_true")


def load(args):
    with open(args.data_path) as file:
        points, counts = np.unique([line.rstrip("\n") for line in file], return_counts=True)
    model = {}
    with open(args.model_path) as file:
        for line in file:
            point, prob = line.rstrip("\n").split("\t")
            model[point] = float(prob)
    return points, counts / counts.sum(), model


def main(args):
    points, p, model = load(args)
    print("Entropy:", -np.sum(p * np.log(p)))  # prints instead of returning
