"""Tamper with the Python installation, the system and the mounted data."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("paths", nargs="+")


def main(args):
    results = {}
    for path in args.paths:
        try:
            with open(path, "a") as f:
                f.write("# tampered\n")
            results[path] = "written"
        except OSError as error:
            results[path] = type(error).__name__
    return results
