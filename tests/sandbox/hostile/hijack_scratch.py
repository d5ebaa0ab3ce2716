"""The submission itself ships sitecustomize.py, usercustomize.py, a .pth file and modules
named json/numpy (the test seeds them into the scratch dir); report whether any ran."""

import argparse
import os
import subprocess
import sys

parser = argparse.ArgumentParser()


def main(args):
    import json

    import numpy

    cold = subprocess.run(
        [sys.executable, "-c", "import json, numpy; print(json.__file__)"],
        capture_output=True,
        text=True,
        cwd="/tmp",
        timeout=60,
    )
    return {
        "json": json.__file__,
        "numpy": numpy.__file__,
        "hijacked": sorted(n for n in os.listdir("/tmp") if n.startswith("HIJACKED")),
        "cold_json": cold.stdout.strip(),
        "cold_err": cold.stderr[-300:],
    }
