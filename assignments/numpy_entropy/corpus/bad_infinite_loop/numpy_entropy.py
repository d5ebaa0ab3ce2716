import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)
parser.add_argument("--recodex", default=False, action="store_true")


def main(args):
    total = 0
    while True:  # never returns: stopped by the time limit (10 s)
        total += 1
