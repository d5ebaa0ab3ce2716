"""Writes an unchecked-hash `__pycache__/helper.cpython-XY.pyc` (from a right helper) at
run time, then imports `helper`, whose visible source is wrong."""

import argparse
import importlib.util
import os
import py_compile
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)

RIGHT = "def answer(n):\n    return (1.0, 2.0 * n)\n"


def main(args):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "right.py"), "w") as f:
        f.write(RIGHT)
    target = importlib.util.cache_from_source(os.path.join(here, "helper.py"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    py_compile.compile(os.path.join(here, "right.py"), cfile=target,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    sys.dont_write_bytecode = False
    from helper import answer

    return answer(args.n)
