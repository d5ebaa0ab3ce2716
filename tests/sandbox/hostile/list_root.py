"""Look around the filesystem for anything interesting."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("dirs", nargs="*", default=["/"])


def main(args):
    listing = {}
    for d in ["/", "/etc", "/dev", "/tmp", *args.dirs]:
        try:
            listing[d] = sorted(os.listdir(d))
        except OSError as error:
            listing[d] = "blocked: " + type(error).__name__
    return listing
