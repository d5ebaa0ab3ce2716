"""Allocate and touch memory until something gives."""

import argparse

parser = argparse.ArgumentParser()


def main(args):
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))  # zero-filled: every page touched
