"""Sleep forever (uses no CPU, so only a wall-clock limit stops it)."""

import argparse
import time

parser = argparse.ArgumentParser()


def main(args):
    time.sleep(100000)
