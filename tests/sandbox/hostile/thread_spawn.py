"""Start many threads (processes limit counts threads) and use torch with threads."""

import argparse
import threading
import time

parser = argparse.ArgumentParser()


def main(args):
    started = 0
    error = ""
    threads = []
    try:
        for _ in range(10000):
            t = threading.Thread(target=time.sleep, args=(5,), daemon=True)
            t.start()
            threads.append(t)
            started += 1
    except RuntimeError as e:
        error = str(e)
    return {"started": started, "error": error}
