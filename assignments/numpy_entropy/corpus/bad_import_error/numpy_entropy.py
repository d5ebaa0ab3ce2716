import argparse

import scipy_that_does_not_exist

parser = argparse.ArgumentParser()
parser.add_argument("--data_path", default="numpy_entropy_data.txt", type=str)
parser.add_argument("--model_path", default="numpy_entropy_model.txt", type=str)


def main(args):
    return scipy_that_does_not_exist.entropy(args.data_path)
