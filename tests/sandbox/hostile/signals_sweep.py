"""Send SIGTERM to every pid up to 4096 (other processes of the host)."""

import argparse
import os
import signal

parser = argparse.ArgumentParser()


def main(args):
    delivered = []
    for pid in range(2, 4096):
        try:
            os.kill(pid, signal.SIGTERM)
            delivered.append(pid)
        except OSError:
            pass
    return {"delivered": delivered, "me": os.getpid()}
