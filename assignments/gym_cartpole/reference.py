#!/usr/bin/env python3
"""Reference solution of gym_cartpole: imitate 100 expert decisions, then balance the pole.

The model is a linear layer (4 observations -> 2 action logits) fitted by full-batch Adam on
the course's `gym_cartpole_data.txt` to convergence; a linear policy suffices for CartPole.
The saved model is loaded when it exists (else trained first and saved); `main` returns the
greedy policy, observation -> action. The grader plays gymnasium's CartPole-v1 with it in
its own trusted process (its seeds, its 100 episodes) and judges the average return.
"""
import argparse
import os
from collections.abc import Callable

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="gym_cartpole_data.txt", type=str, help="Training data.")
parser.add_argument("--episodes", default=100, type=int, help="Episodes of the local evaluation.")
parser.add_argument("--epochs", default=3000, type=int, help="Full-batch training epochs.")
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


def evaluate(policy: Callable[[np.ndarray], int], args: argparse.Namespace) -> float:
    """Your own check: the average return over `args.episodes` episodes (the grader plays
    its own episodes with its own seeds and never calls this)."""
    import gymnasium as gym

    env = gym.make("CartPole-v1", render_mode="human" if args.render else None)
    total = 0.0
    for episode in range(args.episodes):
        observation, _ = env.reset(seed=args.seed if episode == 0 else None)
        done = False
        while not done:
            observation, reward, terminated, truncated, _ = env.step(policy(observation))
            total += float(reward)
            done = terminated or truncated
    env.close()
    return total / args.episodes


def main(args: argparse.Namespace) -> Callable[[np.ndarray], int]:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if os.path.exists(args.model):
        # The grader runs main with your submitted model file next to this script.
        model = build_model()
        model.load_state_dict(torch.load(args.model, weights_only=True))
    else:
        # Train and save the model; submit the saved file together with this script.
        model = train(args)
        torch.save(model.state_dict(), args.model)

    def policy(observation: np.ndarray) -> int:
        """The action (0 = push left, 1 = push right) for one observation."""
        with torch.no_grad():
            return int(model(torch.as_tensor(observation, dtype=torch.float32)).argmax())

    # Return the policy itself: the grader plays CartPole-v1 and asks it for every action.
    return policy


if __name__ == "__main__":
    main_args = parser.parse_args()
    trained_policy = main(main_args)
    average = evaluate(trained_policy, main_args)
    print(f"The average return over {main_args.episodes} episodes is {average:.2f}")
