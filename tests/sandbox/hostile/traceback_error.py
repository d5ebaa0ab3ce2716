"""An ordinary bug: the job fails with an exception (the student's fault, not ours)."""

import argparse

parser = argparse.ArgumentParser()


def main(args):
    return {"x": 1}["y"]
