"""Exit early with sys.exit(3) and with os._exit(0) before returning anything."""

import argparse
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--hard", action="store_true")


def main(args):
    print("bye", flush=True)
    if args.hard:
        os._exit(0)
    sys.exit(3)
