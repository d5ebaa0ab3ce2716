"""Plant symlinks in the scratch dir pointing out of it, and read through them."""

import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--hidden", required=True)


def main(args):
    results = {}
    for name, target in (
        ("etc", "/etc"),
        ("hidden", args.hidden),
        ("root", "/"),
        ("hostproc", "/proc/1/root"),
    ):
        link = f"/tmp/link_{name}"
        os.symlink(target, link)
        try:
            path = os.path.join(link, "shadow") if name == "etc" else link
            if os.path.isdir(path):
                results[name] = sorted(os.listdir(path))[:50]
            else:
                with open(path, "rb") as f:
                    results[name] = f.read(100).decode("latin-1")
        except OSError as error:
            results[name] = "blocked: " + type(error).__name__
    os.link("/tmp/link_etc", "/tmp/hardlink") if os.path.exists("/tmp/link_etc") else None
    return results
