"""Resolve a name (DNS exfiltration channel)."""

import argparse
import socket

parser = argparse.ArgumentParser()


def main(args):
    results = {}
    for name in ("example.com", "localhost"):
        try:
            results[name] = str(socket.getaddrinfo(name, 80))
        except OSError as error:
            results[name] = "failed: " + type(error).__name__
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"x", ("8.8.8.8", 53))
        results["udp"] = "sent"
    except OSError as error:
        results["udp"] = "failed: " + type(error).__name__
    return results
