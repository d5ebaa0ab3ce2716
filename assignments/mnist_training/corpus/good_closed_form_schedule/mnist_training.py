#!/usr/bin/env python3
# Correct, written differently: no torch scheduler; the learning rate of every batch is
# set from the closed-form schedule (torch's ExponentialLR and CosineAnnealingLR compute it
# recursively, so the rates differ in the last bits).
import math
import argparse
import os
import sys

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--batch_size", default=50, type=int, help="Batch size.")
parser.add_argument(
    "--decay", default=None, choices=["linear", "exponential", "cosine"], help="Decay type"
)
parser.add_argument("--epochs", default=10, type=int, help="Number of epochs.")
parser.add_argument("--hidden_layer", default=200, type=int, help="Size of the hidden layer.")
parser.add_argument("--learning_rate", default=0.01, type=float, help="Initial learning rate.")
parser.add_argument("--learning_rate_final", default=None, type=float, help="Final learning rate.")
parser.add_argument("--momentum", default=None, type=float, help="Nesterov momentum to use in SGD.")
parser.add_argument("--optimizer", default="SGD", choices=["SGD", "Adam"], help="Optimizer to use.")
parser.add_argument("--recodex", default=False, action="store_true", help="Evaluation in ReCodEx.")
parser.add_argument("--seed", default=42, type=int, help="Random seed.")
parser.add_argument("--threads", default=1, type=int, help="Maximum number of threads to use.")
parser.add_argument(
    "--data_path",
    default="mnist.npz",
    type=str,
    help="The MNIST data; mnist.py lies next to it (the grader sets it).",
)


def load_mnist(data_path: str):
    """The course's MNIST loader, shipped as mnist.py next to mnist.npz."""
    folder = os.path.dirname(os.path.abspath(data_path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    from mnist import MNIST

    return MNIST(data_dir=folder)


def tensors(dataset) -> tuple[torch.Tensor, torch.Tensor]:
    """Images as float32 in [0, 1] and labels as int64."""
    images = torch.tensor(dataset.data["images"], dtype=torch.float32) / 255
    return images, torch.tensor(dataset.data["labels"], dtype=torch.int64)


def make_optimizer(args: argparse.Namespace, parameters) -> torch.optim.Optimizer:
    """SGD (optionally with Nesterov momentum) or Adam at the initial learning rate."""
    if args.optimizer == "SGD":
        if args.momentum:
            return torch.optim.SGD(
                parameters, lr=args.learning_rate, momentum=args.momentum, nesterov=True
            )
        return torch.optim.SGD(parameters, lr=args.learning_rate)
    return torch.optim.Adam(parameters, lr=args.learning_rate)


def learning_rate(args: argparse.Namespace, step: int, steps: int) -> float:
    """The rate after `step` of `steps` batches, from the closed-form schedule."""
    start, final, done = args.learning_rate, args.learning_rate_final, step / steps
    if args.decay is None:
        return start
    if args.decay == "linear":
        return start + (final - start) * done
    if args.decay == "exponential":
        return start * (final / start) ** done
    return final + (start - final) * (1 + math.cos(math.pi * done)) / 2


def evaluate(
    model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor
) -> dict[str, float]:
    """Mean cross-entropy loss and accuracy over a whole split."""
    model.eval()
    with torch.no_grad():
        logits = model(images)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        accuracy = (logits.argmax(dim=-1) == labels).float().mean()
    return {"loss": float(loss), "accuracy": float(accuracy)}


def main(args: argparse.Namespace) -> dict[str, float]:
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    mnist = load_mnist(args.data_path)
    train_images, train_labels = tensors(mnist.train)
    dev_images, dev_labels = tensors(mnist.dev)

    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(28 * 28, args.hidden_layer),
        torch.nn.ReLU(),
        torch.nn.Linear(args.hidden_layer, 10),
    )
    batches = (len(train_images) + args.batch_size - 1) // args.batch_size
    optimizer = make_optimizer(args, model.parameters())
    steps, step = args.epochs * batches, 0
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
            step += 1
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(args, step, steps)
        dev = evaluate(model, dev_images, dev_labels)
        print(
            f"Epoch {epoch + 1}/{args.epochs} dev_loss: {dev['loss']:.4f}"
            f" dev_accuracy: {dev['accuracy']:.4f}"
            f" learning_rate: {optimizer.param_groups[0]['lr']:.6f}"
        )

    return {"dev_loss": dev["loss"], "dev_accuracy": dev["accuracy"]}


if __name__ == "__main__":
    main(parser.parse_args())
