"""2**40 rows of nothing: a value no judge can walk (it raised MemoryError -> SYSTEM_ERROR)."""

import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)


def main(args):
    return np.zeros((2**40, 0))
