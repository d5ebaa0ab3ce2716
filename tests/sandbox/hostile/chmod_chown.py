"""chmod/chown tricks: make files setuid, give them to root, change system files."""

import argparse
import os
import sys

parser = argparse.ArgumentParser()


def main(args):
    results = {}
    with open("/tmp/mine", "w") as f:
        f.write("x")
    attempts = (
        ("chown_root", lambda: os.chown("/tmp/mine", 0, 0)),
        ("setuid_bit", lambda: os.chmod("/tmp/mine", 0o4755)),
        ("chmod_python", lambda: os.chmod(sys.executable, 0o777)),
        ("chmod_etc", lambda: os.chmod("/etc/passwd", 0o666)),
        ("chown_usr", lambda: os.chown("/usr/bin", 65534, 65534)),
        ("chmod_tmp", lambda: os.chmod("/tmp", 0o777)),
    )
    for name, call in attempts:
        try:
            call()
            results[name] = "ok"
        except OSError as error:
            results[name] = type(error).__name__
    results["mine_mode"] = oct(os.stat("/tmp/mine").st_mode)
    return results
