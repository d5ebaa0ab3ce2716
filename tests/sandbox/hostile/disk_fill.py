"""Fill the scratch dir with one big file, then with many files."""

import argparse
import os

parser = argparse.ArgumentParser()


def main(args):
    results = {}
    block = b"x" * (1 << 20)
    written = 0
    try:
        with open("/tmp/big", "wb") as f:
            while written < (1 << 33):
                f.write(block)
                written += len(block)
    except OSError as error:
        results["big"] = f"{type(error).__name__} {error.errno} after {written >> 20} MiB"
    os.remove("/tmp/big")
    count = 0
    try:
        while count < 1_000_000:
            with open(f"/tmp/f{count}", "wb") as f:
                f.write(block)
            count += 1
    except OSError as error:
        results["many"] = f"{type(error).__name__} {error.errno} after {count} files"
    return results
