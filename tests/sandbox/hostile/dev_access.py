"""Open device nodes: memory, disks, the kernel log, terminals; make new ones."""

import argparse
import os
import stat

parser = argparse.ArgumentParser()


def main(args):
    results = {}
    for path in (
        "/dev/mem",
        "/dev/kmem",
        "/dev/port",
        "/dev/kmsg",
        "/dev/sda",
        "/dev/vda",
        "/dev/tty",
        "/dev/console",
        "/dev/shm",
        "/dev/null",
        "/dev/urandom",
    ):
        try:
            fd = os.open(path, os.O_RDWR)
            os.close(fd)
            results[path] = "opened"
        except OSError as error:
            results[path] = type(error).__name__
    try:
        os.mknod("/tmp/mem", 0o600 | stat.S_IFCHR, os.makedev(1, 1))
        results["mknod"] = "ok"
    except OSError as error:
        results["mknod"] = type(error).__name__
    return results
