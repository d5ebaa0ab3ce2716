"""Fork until the kernel says no; every child sleeps so they pile up."""

import argparse
import os
import time

parser = argparse.ArgumentParser()


def main(args):
    children = 0
    error = ""
    for _ in range(100000):
        try:
            pid = os.fork()
        except OSError as e:
            error = type(e).__name__
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
    return {"children": children, "error": error}
