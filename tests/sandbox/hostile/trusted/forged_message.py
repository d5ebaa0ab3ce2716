"""A forged error envelope with a 12 MB message full of lone surrogates and terminal
escapes, written straight to the result pipe (the child's own cap is bypassed)."""

import argparse
import os
import struct

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)


def main(args):
    nasty = b"\\ud800\\u001b]0;owned\\u0007\\u001b]52;c;ZXZpbA==\\u0007\\u009b2J\\u202e"
    message = nasty * (12 * 1024 * 1024 // len(nasty))
    body = (b'{"status":"error","kind":"exception","message":"' + message
            + b'","traceback":"' + nasty + b'"}')
    frame = struct.pack(">Q", len(body)) + body
    view = memoryview(frame)
    while view:
        view = view[os.write(3, view):]
    os._exit(0)
