"""Connect to a server the test runs on the host's 127.0.0.1."""

import argparse
import socket

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)


def main(args):
    outcomes = {}
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect((host, args.port))
                s.sendall(b"leak")
            outcomes[host] = "connected"
        except OSError as error:
            outcomes[host] = type(error).__name__
    return outcomes
