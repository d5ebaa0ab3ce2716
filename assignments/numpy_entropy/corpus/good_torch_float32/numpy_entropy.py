"""A torch solution in float32 (torch's default dtype): must pass within the tolerance."""
import argparse
import collections

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)
parser.add_argument("--recodex", default=False, action="store_true")


def main(args):
    with open(args.data_path) as file:
        counts = collections.Counter(line.rstrip("\n") for line in file)
    model = {}
    with open(args.model_path) as file:
        for line in file:
            point, prob = line.rstrip("\n").split("\t")
            model[point] = float(prob)
    points = sorted(counts)
    p = torch.tensor([counts[x] for x in points], dtype=torch.float32)
    p = p / p.sum()
    q = torch.tensor([model.get(x, 0.0) for x in points], dtype=torch.float32)
    entropy = -(p * torch.log(p)).sum()
    crossentropy = -(p * torch.log(q)).sum()
    return entropy.item(), crossentropy.item(), (crossentropy - entropy).item()
