"""Double-fork a daemon that outlives the test and keeps running."""

import argparse
import ctypes
import os
import time

parser = argparse.ArgumentParser()
parser.add_argument("--name", required=True)


def main(args):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            ctypes.CDLL(None).prctl(15, args.name.encode(), 0, 0, 0)  # PR_SET_NAME
            for fd in (0, 1, 2):
                os.close(fd)
            while True:
                time.sleep(0.1)
        os._exit(0)
    time.sleep(0.3)
    return "daemon started"
