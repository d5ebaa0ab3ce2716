"""Walk /proc for other processes and their command lines."""

import argparse
import os

parser = argparse.ArgumentParser()


def main(args):
    processes = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    processes[name] = f.read().decode("latin-1")
            except OSError as error:
                processes[name] = type(error).__name__
    return processes
