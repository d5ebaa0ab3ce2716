"""A plain-Python solution: dictionaries and math.log, infinities as math.inf."""
import argparse
import collections
import math

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)
parser.add_argument("--recodex", default=False, action="store_true")
parser.add_argument("--verbose", default=False, action="store_true")  # a student's own argument


def main(args):
    with open(args.data_path) as file:
        counts = collections.Counter(line.rstrip("\n") for line in file)
    total = sum(counts.values())
    data = {point: count / total for point, count in counts.items()}
    model = {}
    with open(args.model_path) as file:
        for line in file:
            point, prob = line.rstrip("\n").split("\t")
            model[point] = float(prob)
    entropy = -sum(p * math.log(p) for p in data.values())
    if any(model.get(point, 0) <= 0 for point in data):
        crossentropy = kl = math.inf
    else:
        crossentropy = -sum(p * math.log(model[x]) for x, p in data.items())
        kl = sum(p * math.log(p / model[x]) for x, p in data.items())
    if args.verbose:
        print(entropy, crossentropy, kl)
    return entropy, crossentropy, kl


if __name__ == "__main__":
    main(parser.parse_args())
