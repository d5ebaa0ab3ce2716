"""Look for the worker's secrets in the environment and in /proc."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--host-pid", type=int, required=True)


def main(args):
    seen = {"environ": dict(os.environ)}
    for pid in ("self", "1", str(os.getppid()), str(args.host_pid)):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                seen[pid] = f.read().decode("latin-1")
        except OSError as error:
            seen[pid] = "blocked: " + type(error).__name__
    return seen
