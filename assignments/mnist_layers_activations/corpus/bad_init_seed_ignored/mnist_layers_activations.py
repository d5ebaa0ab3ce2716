#!/usr/bin/env python3
import argparse
import os
import sys

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--activation", default="none", choices=["none", "relu", "tanh", "sigmoid"], help="Activation.")
parser.add_argument("--batch_size", default=50, type=int, help="Batch size.")
parser.add_argument("--epochs", default=10, type=int, help="Number of epochs.")
parser.add_argument("--hidden_layer_size", default=100, type=int, help="Size of the hidden layer.")
parser.add_argument("--hidden_layers", default=1, type=int, help="Number of layers.")
parser.add_argument("--recodex", default=False, action="store_true", help="Evaluation in ReCodEx.")
parser.add_argument("--seed", default=42, type=int, help="Random seed.")
parser.add_argument("--threads", default=1, type=int, help="Maximum number of threads to use.")
parser.add_argument("--data_path", default="mnist.npz", type=str, help="The MNIST data; mnist.py lies next to it (the grader sets it).")


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


def build_model(args: argparse.Namespace) -> torch.nn.Sequential:
    """Flatten, the hidden layers with their activation, and the output layer."""
    activations = {"none": None, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid}
    layers: list[torch.nn.Module] = [torch.nn.Flatten()]
    inputs = 28 * 28
    for _ in range(args.hidden_layers):
        layers.append(torch.nn.Linear(inputs, args.hidden_layer_size))
        if activations[args.activation] is not None:
            layers.append(activations[args.activation]())
        inputs = args.hidden_layer_size
    layers.append(torch.nn.Linear(inputs, 10))
    return torch.nn.Sequential(*layers)


def evaluate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Mean cross-entropy loss and accuracy over a whole split."""
    model.eval()
    with torch.no_grad():
        logits = model(images)
        loss = torch.nn.functional.cross_entropy(logits, labels)
        accuracy = (logits.argmax(dim=-1) == labels).float().mean()
    return {"loss": float(loss), "accuracy": float(accuracy)}


def main(args: argparse.Namespace) -> dict[str, float]:
    torch.manual_seed(42)  # "the seed only matters for the data order"
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    mnist = load_mnist(args.data_path)
    train_images, train_labels = tensors(mnist.train)
    dev_images, dev_labels = tensors(mnist.dev)

    model = build_model(args)
    optimizer = torch.optim.Adam(model.parameters())
    generator = torch.Generator().manual_seed(args.seed)

    for epoch in range(args.epochs):
        model.train()
        permutation = torch.randperm(len(train_images), generator=generator)
        for start in range(0, len(permutation), args.batch_size):
            batch = permutation[start:start + args.batch_size]
            loss = torch.nn.functional.cross_entropy(model(train_images[batch]), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        dev = evaluate(model, dev_images, dev_labels)
        print(f"Epoch {epoch + 1}/{args.epochs} dev_loss: {dev['loss']:.4f} dev_accuracy: {dev['accuracy']:.4f}")

    return {"dev_loss": dev["loss"], "dev_accuracy": dev["accuracy"]}


if __name__ == "__main__":
    main(parser.parse_args())
