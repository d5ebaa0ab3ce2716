"""An exception whose text holds a lone surrogate (the recorder could not store it) and
terminal escapes: a window title, a clipboard write (OSC 52), a screen clear, a
right-to-left override."""

import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--n", default=1, type=int)


def main(args):
    raise ValueError("\udc80 \x1b]0;owned\x07 \x1b]52;c;ZXZpbA==\x07 \x9b2J \u202e")
