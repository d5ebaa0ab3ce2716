"""The baseline: a correct solution (the grader's peak memory and CPU are compared with it)."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)


def main(args):
    return (1.0, 2.0 * args.n)
