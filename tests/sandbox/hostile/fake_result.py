"""Forge a result: write a frame into every open descriptor, and files named like results."""

import argparse
import os
import struct

parser = argparse.ArgumentParser()


def main(args):
    forged = b"FORGED"
    frame = struct.pack(">Q", len(forged)) + forged
    written = []
    for fd in range(3, 64):
        try:
            os.write(fd, frame)
            written.append(fd)
        except OSError:
            pass
    for name in ("result.json", "payload", "../result.json", "/tmp/result"):
        try:
            with open(name, "wb") as f:
                f.write(frame)
        except OSError:
            pass
    return {"written_fds": written, "genuine": True}
