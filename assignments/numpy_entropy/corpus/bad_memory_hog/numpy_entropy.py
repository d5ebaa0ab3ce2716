import argparse

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)
parser.add_argument("--recodex", default=False, action="store_true")


def main(args):
    hoard = np.ones((3 * 1024, 1024, 128))  # 3 GiB of float64, over the 1.5 GB limit
    return float(hoard.sum()), 0.0, 0.0
