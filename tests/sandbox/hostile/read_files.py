"""Read host files by absolute path: hidden tests, the reference, other submissions,
the SQLite database, /etc/shadow, the project tree."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("paths", nargs="+")


def main(args):
    found = {}
    for path in args.paths:
        try:
            with open(path, "rb") as f:
                found[path] = f.read(200).decode("latin-1")
        except OSError as error:
            found[path] = "blocked: " + type(error).__name__
    return found
