"""Manifests: a full example, defaults, and one error per broken field."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.manifest import (
    Device,
    EnvironmentSpec,
    JudgeKind,
    JudgeSpec,
    Kind,
    Limits,
    ManifestError,
    Metric,
    ModelSpec,
    ReturnKind,
    default_time_limit,
    load_manifest,
    missing_files,
    package_version,
    predictions_match,
    resolve_data,
)

BASE = """
name = "numpy_entropy"
title = "NumPy entropy"
kind = "tests"
points = 2
"""

TEST = """
[[tests]]
name = "1"
hidden = false
args = { data_path = "{data}/d1.txt", recodex = true }
"""

POLICY = BASE + """returns = "policy"
[environment]
name = "CartPole-v1"
episodes = 100
query_time_limit_s = 0.5
[judge]
kind = "threshold"
threshold = 475.0
[[tests]]
name = "seed_42"
hidden = false
environment_seed = 42
"""

MODEL = BASE + """returns = "model"
[model]
inputs = "public/inputs.npy"
labels = "private/labels.npy"
batch_size = 64
""" + TEST

FULL = BASE + """
bonus = 1
threshold = 0.5
device = "any"
template = "numpy_entropy.py"

[limits]
time_limit_s = 15
memory_limit_mib = 2048

[judge]
kind = "value"
rtol = 1e-5
atol = 1e-7

[source_checks]
forbidden_imports = ["torch.autograd"]
forbidden_calls = ["backward"]
message = "compute the gradient by hand"

[[tests]]
name = "1"
hidden = false
weight = 2
args = { data_path = "{data}/d1.txt", model_path = "{data}/m1.txt", sizes = [1, 2] }

[[tests]]
name = "hidden_1"
hidden = true
files = ["private/dh.txt", "public/m1.txt"]
args = { data_path = "{data}/dh.txt", model_path = "{data}/m1.txt" }
rtol = 1e-3
nan_equal = false

[tests.limits]
time_limit_s = 30
cpu_threads = 2
"""

COMPETITION = """
name = "mnist_competition"
title = "MNIST competition"
kind = "competition"
points = 4
bonus = 5

[competition]
predictions = "*.txt"
gold = "private/test_labels.txt"
metric = "accuracy"
threshold = 0.97
"""


def test_full_manifest() -> None:
    m = load_manifest(FULL)
    assert (m.name, m.kind, m.points, m.bonus, m.threshold, m.device) == (
        "numpy_entropy", Kind.TESTS, 2, 1, 0.5, Device.ANY,
    )
    assert m.template == "numpy_entropy.py" and m.statement == "statement.md"
    assert m.limits == Limits(time_limit_s=15.0, memory_limit_mib=2048)
    first, hidden = m.tests
    assert first.weight == 2.0 and first.args["sizes"] == (1, 2)
    assert first.files == ("public/d1.txt", "public/m1.txt")
    assert first.judge.rtol == 1e-5 and first.judge.nan_equal
    assert hidden.judge.rtol == 1e-3 and hidden.judge.atol == 1e-7 and not hidden.judge.nan_equal
    assert hidden.limits.time_limit_s == 30.0 and hidden.limits.memory_limit_mib == 2048
    assert hidden.limits.cpu_threads == 2
    assert resolve_data(hidden.args, "/data/") == {
        "data_path": "/data/dh.txt", "model_path": "/data/m1.txt"
    }
    assert m.source_checks is not None and m.source_checks.forbidden_calls == ("backward",)
    assert m.test("hidden_1") is hidden


def test_defaults() -> None:
    m = load_manifest(BASE + TEST)
    assert m.bonus == 0 and m.threshold == 0.0 and m.device is Device.CPU
    assert m.limits == Limits() and m.limits.memory_limit_mib == 1536
    assert m.tests[0].judge.kind is JudgeKind.VALUE
    assert m.source_checks is None and m.competition is None


THRESHOLD = BASE + """
threshold = 0.5

[judge]
kind = "threshold"
threshold = 475
quantity = "average return over 100 episodes"
""" + TEST + """
[[tests]]
name = "loss"
hidden = true
args = { data_path = "{data}/d2.txt" }
threshold = 0.25
higher_is_better = false
path = ["metrics", 0]

[[tests]]
name = "exact"
hidden = false
judge = "value"
rtol = 0.0
"""


def test_threshold_judge() -> None:
    m = load_manifest(THRESHOLD)
    assert m.threshold == 0.5  # the top-level threshold is the assignment's, untouched
    first, loss, exact = m.tests
    assert first.judge == JudgeSpec(
        kind=JudgeKind.THRESHOLD, threshold=475.0, higher_is_better=True, path=(),
        quantity="average return over 100 episodes",
    )
    assert isinstance(first.judge.threshold, float) and not first.judge.needs_reference
    assert loss.judge.threshold == 0.25 and not loss.judge.higher_is_better
    assert loss.judge.path == ("metrics", 0) and loss.judge.quantity == first.judge.quantity
    assert exact.judge.kind is JudgeKind.VALUE and exact.judge.rtol == 0.0
    assert exact.judge.needs_reference


def test_competition() -> None:
    m = load_manifest(COMPETITION)
    assert m.kind is Kind.COMPETITION and m.tests == () and m.bonus == 5
    c = m.competition
    assert c is not None and c.metric is Metric.ACCURACY and c.higher_is_better
    assert predictions_match(c, "predictions.txt") and not predictions_match(c, "train.py")
    lower = load_manifest(COMPETITION.replace('"accuracy"', '"error_rate"'))
    assert lower.competition is not None and not lower.competition.higher_is_better


@pytest.mark.parametrize(
    ("text", "field", "needle"),
    [
        ("name = ", "assignment.toml", "not valid TOML"),
        (BASE.replace('"numpy_entropy"', '"Numpy Entropy"') + TEST, "name", "lowercase"),
        (BASE.replace('points = 2', '') + TEST, "points", "required"),
        (BASE.replace('points = 2', 'points = -1') + TEST, "points", ">= 0"),
        (BASE.replace('points = 2', 'points = 2.5') + TEST, "points", "integer"),
        (BASE.replace('"tests"', '"quiz"') + TEST, "kind", "tests, competition"),
        (BASE + "threshold = 1.5\n" + TEST, "threshold", "<= 1"),
        (BASE + "device = 'tpu'\n" + TEST, "device", "cpu, gpu, any"),
        (BASE + "colour = 'red'\n" + TEST, "colour", "unknown field"),
        (BASE + "reference = '../x.py'\n" + TEST, "reference", "relative path"),
        (BASE, "tests", "at least one"),
        (BASE + TEST + TEST, "tests[1].name", "used twice"),
        (BASE + TEST.replace("hidden = false", ""), "tests[0].hidden", "required"),
        (BASE + TEST.replace("hidden = false", "public = true"), "tests[0].public", "hidden"),
        (BASE + TEST + "rtol = -1\n", "tests[0].rtol", ">= 0"),
        (BASE + TEST + "judge = 'fuzzy'\n", "tests[0].judge", "value, tokens"),
        (BASE + TEST + "judge = 'metric'\n", "tests[0].judge", "competitions"),
        (BASE + TEST + "judge = 'threshold'\n", "tests[0].threshold",
         'required by judge "threshold"'),
        (BASE + "[judge]\nkind = 'threshold'\n" + TEST, "tests[0].threshold", "or in [judge]"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = '475'\n", "tests[0].threshold",
         "must be a number"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = nan\n", "tests[0].threshold",
         "finite"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = 1\nhigher_is_better = 1\n",
         "tests[0].higher_is_better", "true or false"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = 1\npath = 'avg'\n", "tests[0].path",
         "must be a list of dict keys"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = 1\npath = [-1]\n", "tests[0].path",
         "integers >= 0"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = 1\npath = ['']\n", "tests[0].path",
         "non-empty strings"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = 1\npath = [true]\n", "tests[0].path",
         "[True]"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = 1\npath = [1.5]\n", "tests[0].path",
         "e.g."),
        (BASE + TEST + "judge = 'threshold'\nthreshold = 1\nquantity = 3\n",
         "tests[0].quantity", "string"),
        (BASE + TEST + "judge = 'threshold'\nthreshold = 1\nrtol = 0\n", "tests[0].rtol",
         "not used by the threshold judge"),
        (BASE + "[judge]\nkind = 'threshold'\nthreshold = 1\natol = 1\n" + TEST, "judge.atol",
         "not used by the threshold judge"),
        (BASE + "[judge]\nkind = 'threshold'\nthreshold = 1\n" + TEST + "nan_equal = false\n",
         "tests[0].nan_equal", "not used by the threshold judge"),
        (BASE + TEST + "threshold = 475\n", "tests[0].threshold",
         'belongs to the threshold judge, but the judge here is "value" '
         '(set judge = "threshold")'),
        (BASE + "[judge]\nhigher_is_better = false\n" + TEST, "judge.higher_is_better",
         '(set kind = "threshold")'),
        (BASE + "[judge]\nkind = 'tokens'\npath = []\n" + TEST, "judge.path",
         'the judge here is "tokens"'),
        (BASE + TEST + "weight = -1\n", "tests[0].weight", ">= 0"),
        (BASE + TEST + "[tests.limits]\ntime_limit_s = 0\n", "tests[0].limits.time_limit_s", "> 0"),
        (BASE + TEST + "[tests.limits]\nmemory = 1\n", "tests[0].limits.memory", "unknown"),
        (BASE + TEST + "files = ['data/d1.txt']\n", "tests[0].files", "public/ or private/"),
        (BASE + TEST + "files = ['private/d1.txt']\n", "tests[0].files", "public test"),
        (BASE + TEST + "files = ['public/x.txt']\n", "tests[0].args.data_path", "not among"),
        (BASE + TEST.replace("{data}/d1.txt", "{data}/a/b.txt"), "tests[0].args.data_path",
         "one file name"),
        (BASE + TEST.replace("{data}/d1.txt", "x{data}"), "tests[0].args.data_path", "{data}/FILE"),
        (BASE + TEST.replace("recodex = true", "'bad-name' = 1"), "tests[0].args.bad-name",
         "identifiers"),
        (BASE + TEST.replace("recodex = true", "opt = { a = 1 }"), "tests[0].args.opt", "list"),
        (BASE + "[limits]\ntime_factor = inf\n" + TEST, "limits.time_factor", "finite"),
        (BASE + "[judge]\nkind = 'value'\nrtl = 1\n" + TEST, "judge.rtl", "unknown"),
        (BASE + "[source_checks]\nforbidden_calls = 'x'\n" + TEST,
         "source_checks.forbidden_calls", "list"),
        (BASE + TEST + "[competition]\n", "competition", 'kind = "competition"'),
        (COMPETITION.replace("[competition]", "[other]"), "other", "unknown"),
        (COMPETITION.replace('"private/test_labels.txt"', '"public/l.txt"'),
         "competition.gold", "private/"),
        (COMPETITION.replace('metric = "accuracy"', 'metric = "f1"'),
         "competition.metric", "accuracy, error_rate"),
        (COMPETITION + 'format = "tokens"\n', "competition.format", "labels"),
        (COMPETITION.replace("[competition]", "[competition]\nbonus = 3"),
         "competition.bonus", "disagrees"),
        (COMPETITION + "extra_bonus = 3\n", "competition.extra_threshold", "needed"),
        (BASE + "returns = 'policy'\n" + TEST, "environment", "needs an [environment]"),
        (BASE + "returns = 'score'\n" + TEST, "returns", "values, policy"),
        (BASE + "returns = 'predictions'\n" + TEST, "returns", 'kind = "competition"'),
        (BASE + TEST + "environment_seed = 1\n", "tests[0].environment_seed",
         'exactly when returns = "policy"'),
        (POLICY.replace("environment_seed = 42\n", ""), "tests[0].environment_seed",
         'exactly when returns = "policy"'),
        (POLICY.replace('"CartPole-v1"', '"cartpole"'), "environment.name", "environment id"),
        (POLICY.replace("episodes = 100", "episodes = 0"), "environment.episodes", ">= 1"),
        (BASE + "[environment]\nname = 'CartPole-v1'\n" + TEST, "environment",
         'only returns = "policy"'),
        (BASE + "returns = 'model'\n" + TEST, "model", "needs a [model]"),
        (MODEL.replace("private/labels.npy", "public/labels.npy"), "model.labels", "private/"),
        (MODEL.replace("public/inputs.npy", "public/inputs.txt"), "model.inputs", ".npy"),
        (BASE + "autograd = 'no'\n" + TEST, "autograd", "true or false"),
        (BASE + TEST + "resembles = '1'\n", "tests[0].resembles", "a hidden test may name"),
        (BASE + TEST + TEST.replace('"1"', '"h"').replace("false", "true")
         + "resembles = 'nope'\n", "tests[1].resembles", "one public test"),
    ],
)
def test_errors_name_the_field(text: str, field: str, needle: str) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(text)
    assert info.value.field == field
    assert needle in info.value.message
    assert str(info.value).startswith(field)


def test_return_kinds_and_their_tables() -> None:
    policy = load_manifest(POLICY)
    assert policy.returns is ReturnKind.POLICY and policy.autograd
    assert policy.environment == EnvironmentSpec("CartPole-v1", 100, 0.5)
    assert policy.tests[0].environment_seed == 42 and policy.model is None
    model = load_manifest(MODEL)
    assert model.returns is ReturnKind.MODEL
    assert model.model == ModelSpec("public/inputs.npy", "private/labels.npy", batch_size=64)
    plain = load_manifest(BASE + "autograd = false\n" + TEST)
    assert plain.returns is ReturnKind.VALUES and not plain.autograd
    assert plain.tests[0].environment_seed is None and plain.tests[0].resembles == ""
    assert load_manifest(COMPETITION).returns is ReturnKind.PREDICTIONS
    hidden = load_manifest(BASE + TEST + TEST.replace('"1"', '"h"').replace("false", "true")
                           + "resembles = '1'\n")
    assert hidden.tests[1].resembles == "1"


def test_default_time_limit_is_the_course_rule() -> None:
    limits = Limits()
    assert default_time_limit(limits, 0.5) == 10.0
    assert default_time_limit(limits, 7.5) == 15.0
    assert default_time_limit(Limits(time_limit_s=20, time_factor=3), 10) == 30.0


def test_missing_files() -> None:
    m = load_manifest(FULL)
    present = ["statement.md", "reference.py", "numpy_entropy.py", "public/d1.txt",
               "public/m1.txt"]
    assert missing_files(m, present) == ["private/dh.txt"]
    assert missing_files(m, [*present, "private/dh.txt"]) == []


_files = st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda s: "\0" not in s),
                         st.binary(max_size=16), max_size=5)


@given(_files)
def test_version_is_order_independent_and_content_sensitive(files: dict[str, bytes]) -> None:
    version = package_version(files)
    assert len(version) == 64
    assert package_version(dict(reversed(list(files.items())))) == version
    for path in files:
        changed = {**files, path: files[path] + b"x"}
        assert package_version(changed) != version


def test_version_does_not_confuse_names_and_contents() -> None:
    assert package_version({"a": b"bc"}) != package_version({"ab": b"c"})
    assert package_version({}) != package_version({"a": b""})


def test_competition_bonus_may_live_in_the_competition_table() -> None:
    text = COMPETITION.replace("bonus = 5\n", "")
    text = text.replace("[competition]", "[competition]\nbonus = 3")
    assert load_manifest(text).bonus == 3


_toml_lines = st.lists(
    st.sampled_from([
        'name = "x"', 'title = "T"', 'kind = "tests"', 'kind = "competition"', "points = 1",
        "points = -3", "bonus = 2", "threshold = 0.5", "threshold = 2", "[limits]",
        "time_limit_s = 0", "cpu_threads = 2", "[judge]", 'kind = "tokens"', "rtol = 1e-3",
        "[[tests]]", 'name = "t"', "hidden = true", 'args = { a = "{data}/f.txt" }',
        'files = ["private/f.txt"]', "[competition]", 'gold = "private/g.txt"',
        'predictions = "*.txt"', 'metric = "accuracy"', "threshold = 0.9", "[source_checks]",
        'forbidden_calls = ["backward"]', "= broken", 'kind = "threshold"',
        'judge = "threshold"', "higher_is_better = false", 'path = ["a", 0]', "path = [-1]",
        'quantity = "loss"', "rtol = 0",
    ]),
    max_size=25,
)


@given(_toml_lines)
def test_any_text_gives_a_manifest_or_a_manifest_error(lines: list[str]) -> None:
    try:
        load_manifest("\n".join(lines))
    except ManifestError as error:
        assert error.field and error.message


def test_data_arguments_resolve_in_lists_too() -> None:
    args = {"paths": ("{data}/a.txt", "b.txt", 3), "one": "{data}/c.txt", "n": 2,
            "text": "no {data}/prefix"}
    assert resolve_data(args, "/run/data") == {
        "paths": ("/run/data/a.txt", "b.txt", 3), "one": "/run/data/c.txt", "n": 2,
        "text": "no {data}/prefix"}
