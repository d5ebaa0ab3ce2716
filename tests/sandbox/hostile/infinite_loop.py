"""Spin forever."""

import argparse

parser = argparse.ArgumentParser()


def main(args):
    n = 0
    while True:
        n += 1
