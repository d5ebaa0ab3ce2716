#!/usr/bin/env python3
"""Reference solution of gym_cartpole: imitate 100 expert decisions, then balance the pole.

The model is a linear layer (4 observations -> 2 action logits) fitted by full-batch Adam on
the course's `gym_cartpole_data.txt` to convergence; a linear policy suffices for CartPole.
With `--evaluate` the saved model is loaded (the reference trains it first when no model
file exists) and run for `--episodes` episodes of gymnasium's CartPole-v1, the first reset
seeded with `--seed`; `main` returns the average return (the maximum is 500).
"""

import argparse
import os

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="gym_cartpole_data.txt", type=str, help="Training data.")
parser.add_argument("--episodes", default=100, type=int, help="Evaluation episodes.")
parser.add_argument("--epochs", default=3000, type=int, help="Full-batch training epochs.")
parser.add_argument(
    "--evaluate", default=False, action="store_true", help="Evaluate the given model"
)
parser.add_argument("--model", default="gym_cartpole_model.pt", type=str, help="Output model path.")
parser.add_argument("--recodex", default=False, action="store_true", help="Evaluation in ReCodEx.")
parser.add_argument("--render", default=False, action="store_true", help="Render during evaluation")
parser.add_argument("--seed", default=42, type=int, help="Random seed.")
parser.add_argument("--threads", default=1, type=int, help="Maximum number of threads to use.")


def build_model() -> torch.nn.Module:
    """The policy: observation (4 floats) -> logits of the two actions."""
    return torch.nn.Linear(4, 2)


def train(args: argparse.Namespace) -> torch.nn.Module:
    """Fit the policy to the expert's (observation, action) pairs."""
    data = np.loadtxt(args.data_path, dtype=np.float32)
    observations, actions = torch.tensor(data[:, :4]), torch.tensor(data[:, 4], dtype=torch.int64)
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(args.epochs):
        loss = torch.nn.functional.cross_entropy(model(observations), actions)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def evaluate(model: torch.nn.Module, args: argparse.Namespace) -> float:
    """Average return over `args.episodes` episodes; only the first reset is seeded."""
    import gymnasium as gym

    env = gym.make("CartPole-v1", render_mode="human" if args.render else None)
    total = 0.0
    for episode in range(args.episodes):
        observation, _ = env.reset(seed=args.seed if episode == 0 else None)
        done = False
        while not done:
            with torch.no_grad():
                logits = model(torch.tensor(observation, dtype=torch.float32))
            observation, reward, terminated, truncated, _ = env.step(int(logits.argmax()))
            total += float(reward)
            done = terminated or truncated
    env.close()
    return total / args.episodes


def main(args: argparse.Namespace) -> float | None:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if not args.evaluate or not os.path.exists(args.model):
        model = train(args)
        if not args.evaluate:
            torch.save(model.state_dict(), args.model)
            return None
    else:
        model = build_model()
        model.load_state_dict(torch.load(args.model, weights_only=True))
    return evaluate(model, args)


if __name__ == "__main__":
    main_args = parser.parse_args()
    score = main(main_args)
    if score is not None:
        print(f"The average return over {main_args.episodes} episodes is {score:.2f}")
