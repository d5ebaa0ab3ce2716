"""Visible source that is wrong, plus (added by the test) a `__pycache__` entry compiled
from a right one with an unchecked hash, which Python would run instead of the source."""

import argparse

from helper import answer

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)


def main(args):
    return answer(args.n)
