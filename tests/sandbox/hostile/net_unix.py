"""Reach the host through a filesystem UNIX socket and an abstract one."""

import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--path", required=True)
parser.add_argument("--abstract", required=True)


def main(args):
    results = {}
    for name, address in (("path", args.path), ("abstract", "\0" + args.abstract)):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(address)
                s.sendall(b"leak")
            results[name] = "connected"
        except OSError as error:
            results[name] = type(error).__name__
    return results
