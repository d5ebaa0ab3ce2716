"""Write 1 GB to stdout."""

import argparse
import sys

parser = argparse.ArgumentParser()


def main(args):
    line = "y" * 1023 + "\n"
    for _ in range(1024 * 1024):
        sys.stdout.write(line)
    return "done"
