"""A helper module next to the main file: the grader puts its directory on sys.path."""
import collections


def load_distributions(data_path, model_path):
    with open(data_path) as file:
        counts = collections.Counter(line.rstrip("\n") for line in file)
    model = {}
    with open(model_path) as file:
        for line in file:
            point, prob = line.rstrip("\n").split("\t"
            model[point] = float(prob)
    total = sum(counts.values())
    points = sorted(counts)
    return [counts[x] / total for x in points], [model.get(x, 0.0) for x in points]
