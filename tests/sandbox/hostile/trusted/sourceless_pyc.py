"""Imports `helper`, shipped (by the test) only as a sourceless `helper.pyc` compiled from
a right helper: code that no source check and no staff member ever sees."""

import argparse

from helper import answer

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)


def main(args):
    return answer(args.n)
