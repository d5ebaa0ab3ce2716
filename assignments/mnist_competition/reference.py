#!/usr/bin/env python3
"""Reference solution of mnist_competition: a small convolutional network.

Trains on the competition's train split (dev for monitoring), then writes one predicted
label per line for the test images into `mnist_competition.txt`. For a competition the
grader never runs this file: it scores the uploaded predictions against the private gold
labels, and keeps the training source.
"""

import argparse
import os
import sys

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--batch_size", default=50, type=int, help="Batch size.")
parser.add_argument(
    "--data_path", default="mnist_competition.npz", type=str, help="The competition data."
)
parser.add_argument("--epochs", default=8, type=int, help="Number of epochs.")
parser.add_argument("--predictions", default="mnist_competition.txt", type=str, help="Output file.")
parser.add_argument("--seed", default=42, type=int, help="Random seed.")
parser.add_argument("--threads", default=1, type=int, help="Maximum number of threads to use.")


def load_data(data_path: str):
    """The course's loader (mnist.py next to the data) on the competition's npz."""
    folder = os.path.dirname(os.path.abspath(data_path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    from mnist import MNIST

    return MNIST(dataset="mnist_competition", data_dir=folder)


def as_input(images: np.ndarray) -> torch.Tensor:
    """[N, 28, 28, 1] uint8 -> [N, 1, 28, 28] float in [0, 1]."""
    return torch.tensor(images, dtype=torch.float32).permute(0, 3, 1, 2) / 255


def build_model() -> torch.nn.Module:
    """Two conv blocks with max-pooling and dropout, then a dense classifier."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Dropout(0.3),
        torch.nn.Linear(64 * 7 * 7, 128),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.3),
        torch.nn.Linear(128, 10),
    )


def predict(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Labels predicted in evaluation mode, in chunks to bound memory."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(chunk).argmax(dim=-1) for chunk in images.split(500)])


def main(args: argparse.Namespace) -> float:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    data = load_data(args.data_path)
    train_images, train_labels = (
        as_input(data.train.data["images"]),
        torch.tensor(data.train.data["labels"], dtype=torch.int64),
    )
    dev_images, dev_labels = (
        as_input(data.dev.data["images"]),
        torch.tensor(data.dev.data["labels"], dtype=torch.int64),
    )

    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        model.train()
        permutation = torch.randperm(len(train_images), generator=generator)
        for start in range(0, len(permutation), args.batch_size):
            batch = permutation[start : start + args.batch_size]
            loss = torch.nn.functional.cross_entropy(
                model(train_images[batch]), train_labels[batch]
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        dev_accuracy = float((predict(model, dev_images) == dev_labels).float().mean())
        print(f"Epoch {epoch + 1}/{args.epochs} dev accuracy {100 * dev_accuracy:.2f}", flush=True)

    with open(args.predictions, "w", encoding="utf-8") as predictions:
        for label in predict(model, as_input(data.test.data["images"])):
            print(int(label), file=predictions)
    return dev_accuracy


if __name__ == "__main__":
    main(parser.parse_args())
