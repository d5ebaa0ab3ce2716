"""A 20 MB exception text (it was stored uncapped in every test: 70 MB per submission)."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)


def main(args):
    raise ValueError("x" * 20_000_000)
