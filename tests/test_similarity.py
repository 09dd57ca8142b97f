"""grade similarity: copies found through renaming and reformatting; the template's code is no evidence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from autograder.cli.authoring import similarity
from autograder.grading.course import Assignment
from autograder.authoring.similarity import find_similar, fingerprint
from tests.conftest import write_notebook

GIVEN = '''
import numpy as np

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def truth_table(gate):
    """The gate's output on each of the four inputs, as a list of rows."""
    rows = []
    for x1, x2 in INPUTS:
        rows.append((int(x1), int(x2), int(gate(x1, x2))))
    return rows


def print_table(gate, name):
    print(f"{name}:")
    for x1, x2, y in truth_table(gate):
        print(f"  {x1} {x2} -> {y}")
'''

STUBS = '''
def perceptron(x, w, b):
    raise NotImplementedError


def AND(x1, x2):
    raise NotImplementedError


def XOR(x1, x2):
    raise NotImplementedError
'''

ALICE = '''
def perceptron(x, w, b):
    x = np.asarray(x, dtype=float)
    total = np.sum(x * w, axis=-1) + b
    return (total > 0).astype(int)


def AND(x1, x2):
    return perceptron(np.stack([x1, x2], axis=-1), np.array([0.5, 0.5]), -0.7)


def NAND(x1, x2):
    return perceptron(np.stack([x1, x2], axis=-1), np.array([-0.5, -0.5]), 0.7)


def OR(x1, x2):
    return perceptron(np.stack([x1, x2], axis=-1), np.array([0.5, 0.5]), -0.2)


def XOR(x1, x2):
    s1 = NAND(x1, x2)
    s2 = OR(x1, x2)
    return AND(s1, s2)
'''

# Alice's code with every name changed, comments added, lines re-wrapped and spacing changed.
BOB = '''
def perceptron(inputs, weights, bias):
    # weighted sum, then the step function
    inputs = np.asarray(inputs,dtype=float)
    s = np.sum(inputs*weights,
               axis=-1)+bias
    return (s>0).astype(int)

def AND(a, b):
    return perceptron(np.stack([a, b], axis=-1),
                      np.array([0.5, 0.5]), -0.7)

def NAND(a, b):
    return perceptron(np.stack([a, b], axis=-1), np.array([-0.5, -0.5]), 0.7)   # lecture values

def OR(a, b):
    return perceptron(np.stack([a, b], axis=-1), np.array([0.5, 0.5]), -0.2)

def XOR(a, b):
    first = NAND(a, b)
    second = OR(a, b)
    return AND(first, second)
'''

CAROL = '''
def perceptron(x, w, b):
    x = np.atleast_2d(x)
    result = []
    for row in x:
        value = w[0] * row[0] + w[1] * row[1] + b
        result.append(1 if value > 0 else 0)
    out = np.array(result, dtype=int)
    return out if out.size > 1 else int(out[0])


def AND(x1, x2):
    if x1 == 1 and x2 == 1:
        return 1
    return 0


def XOR(x1, x2):
    either = x1 == 1 or x2 == 1
    both = x1 == 1 and x2 == 1
    return int(either and not both)
'''


@pytest.fixture
def course(tiny_course: Path) -> Path:
    write_notebook(tiny_course / "assignments" / "tiny" / "tiny.ipynb", GIVEN, STUBS)
    return tiny_course


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    folder = tmp_path / "subs"
    folder.mkdir()
    write_notebook(folder / "alice.ipynb", GIVEN, ALICE)
    (folder / "bob.py").write_text(GIVEN + BOB, encoding="utf-8")
    write_notebook(folder / "carol.ipynb", GIVEN, "%matplotlib inline\n" + CAROL)
    write_notebook(folder / "dave.ipynb", GIVEN, STUBS)
    (folder / "erin.ipynb").write_text("{", encoding="utf-8")
    return folder


def score(report, a: str, b: str) -> float:
    pairs = report.pairs.set_index(["a", "b"])
    return float(pairs.loc[(a, b), "score"]) if (a, b) in pairs.index else 0.0


def test_a_renamed_and_reformatted_copy_scores_high_and_others_low(course, subs):
    report = find_similar(subs, Assignment("tiny", course))
    assert score(report, "alice", "bob") > 0.9
    assert score(report, "alice", "carol") < 0.2 and score(report, "bob", "carol") < 0.2
    assert list(report.flagged[["a", "b"]].itertuples(index=False, name=None)) == [("alice", "bob")]
    assert report.compared == 3
    assert report.skipped[0] == "dave: too little code of its own beyond the template to compare"
    assert report.skipped[1].startswith("erin: ") and "not a valid notebook" in report.skipped[1]


def test_regions_name_notebook_cells_and_module_lines(course, subs):
    regions = find_similar(subs, Assignment("tiny", course)).pairs.loc[0, "regions"]
    assert regions == "alice: cell 1 line 18, cell 2 lines 2-23; bob: lines 18-40"


def test_the_templates_code_shared_by_all_does_not_make_everyone_similar(course, subs, tmp_path):
    (subs / "bob.py").unlink()
    (subs / "frank.ipynb").write_text((subs / "carol.ipynb").read_text().replace("either", "one"), encoding="utf-8")
    (subs / "carol.ipynb").unlink()
    with_template = find_similar(subs, Assignment("tiny", course))
    assert score(with_template, "alice", "frank") < 0.2
    no_template = Assignment("other", course)  # an assignment folder without a template: nothing is boilerplate
    without = find_similar(subs, no_template)
    assert score(without, "alice", "frank") > 0.4 and score(without, "alice", "dave") > 0.5


def test_scores_do_not_depend_on_python_hash_seed():
    first = fingerprint(GIVEN + ALICE)
    assert first.hashes == fingerprint(GIVEN + ALICE).hashes
    assert min(first.hashes) == -9172228298569309654


def test_cli_writes_ranked_csv_and_prints_flagged_pairs(course, subs, tmp_path):
    out = tmp_path / "pairs.csv"
    result = CliRunner().invoke(similarity, [str(subs), "-a", "tiny", "-o", str(out), "--threshold", "0.1"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "compared 3 submissions; 3 pairs at or above 0.1"
    assert lines[1] == "skipped dave: too little code of its own beyond the template to compare"
    assert lines[2].startswith("skipped erin: ")
    assert lines[3].startswith("  1.00  alice ~ bob  (alice: cell 1 line 18")
    assert lines[-1] == f"wrote {out}"
    pairs = pd.read_csv(out)
    assert list(pairs.columns) == ["a", "b", "score", "score_a", "score_b", "flagged", "regions"]
    assert list(pairs["score"]) == sorted(pairs["score"], reverse=True)
    assert list(pairs["flagged"]) == [True] * len(pairs)


def test_a_copy_with_one_function_rewritten_matches_around_it(course, tmp_path):
    subs = tmp_path / "modules"
    subs.mkdir()
    (subs / "gus.py").write_text(GIVEN + ALICE, encoding="utf-8")
    rewritten = ALICE.replace(
        "    return perceptron(np.stack([x1, x2], axis=-1), np.array([-0.5, -0.5]), 0.7)\n",
        "    if x1 == 1 and x2 == 1:\n        return 0\n    else:\n        return 1\n")
    (subs / "hal.py").write_text(GIVEN + rewritten, encoding="utf-8")
    pairs = find_similar(subs, Assignment("tiny", course)).pairs
    assert pairs.loc[0, "regions"] == "gus: lines 18-31, 34-41; hal: lines 18-30, 37-44"
