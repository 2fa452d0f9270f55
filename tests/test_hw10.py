"""HW10 (CNNs and RNNs), a second homework written from the docs alone, graded end to end.

The problem set (`problems/hw10`) names its reference in set.yaml; every part of every
example submission in `tests/fixtures/hw10/submissions` gets the verdict its instructor
expects. The expectations were written before the grader was run; a row the engine gets
wrong is an xfail naming the bug, never an expectation changed to match the engine.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from autograder.cli import EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = ROOT / "problems" / "hw10"
SUBMISSIONS = ROOT / "tests" / "fixtures" / "hw10" / "submissions"

PARTS = [
    "q1.a", "q1.b", "q1.c", "q1.d", "q1.e",
    "q2.a", "q2.b", "q2.c", "q2.d",
    "q3.a", "q3.b", "q3.c", "q3.d", "q3.e",
    "q4.a", "q4.b", "q4.c", "q4.d",
]  # fmt: skip

# Every part not listed is "correct" for the two perfect submissions and "unanswered"
# where a submission leaves it out; each listed verdict is the instructor's expectation.
EXPECTED: dict[str, dict[str, str]] = {
    "01-perfect-plain": {"q4.d": "needs_review"},
    "02-perfect-latex": {"q4.d": "needs_review"},
    "03-typical-mistakes": {
        "q1.a": "partial",  # no floor
        "q1.b": "partial",  # not flattened
        "q1.c": "incorrect",  # average pooling
        "q1.d": "incorrect",  # the parameter count, not the cost
        "q1.e": "incorrect",  # 9 pixels: multiplied
        "q2.a": "partial",  # no bias
        "q2.b": "incorrect",  # 0.5^19
        "q2.c": "incorrect",  # no ReLU
        "q2.d": "needs_review",  # the "solves exploding gradients" misconception
        "q3.a": "partial",  # ReLU instead of tanh
        "q3.b": "partial",  # right only for even image sizes
        "q3.c": "incorrect",  # flattens the batch axis too
        "q3.d": "incorrect",  # h = o * c: runs, right shapes, wrong values
        "q3.e": "incorrect",  # sum instead of mean
        "q4.a": "incorrect",  # in_channels
        "q4.b": "partial",  # channels last
        "q4.c": "partial",  # Z and 1 - Z swapped
        "q4.d": "unanswered",
    },
    "04-partial-unreadable": {
        "q1.a": "unreadable",  # unbalanced parenthesis
        "q1.b": "unanswered",
        "q1.c": "unreadable",  # rows of different lengths
        "q1.d": "unreadable",
        "q1.e": "unreadable",  # 5 cm: not a declared unit
        "q2.a": "unanswered",  # null
        "q2.b": "unreadable",  # in words
        "q2.c": "unreadable",
        "q2.d": "unanswered",  # empty
        "q3.a": "unreadable",
        "q3.b": "unanswered",
        "q3.c": "unreadable",
        "q3.d": "unreadable",  # names a file that is not in the folder
        "q3.e": "unreadable",  # a syntax error
        "q4.a": "unreadable",
        "q4.b": "unreadable",
        "q4.c": "unanswered",
        "q4.d": "unanswered",
    },
    "05-wrong-code": {
        "q3.a": "incorrect",  # W @ x: crashes on the batch
        "q3.b": "incorrect",  # 16 channels: the linear layer's input does not fit
        "q3.c": "incorrect",  # view(-1): crashes in the linear layer
        "q3.d": "incorrect",  # torch.cat along the batch axis: crashes
        "q3.e": "incorrect",  # mean over the batch: wrong shape
    },
    "06-prose-and-variants": {
        "q1.a": "correct",  # ceil((m + 1)/s) = floor(m/s) + 1 for whole numbers
        "q1.b": "correct",  # "It has shape (N, 4HW)"
        "q1.c": "partial",  # a flat list: right values, not a 2x2 matrix
        "q1.d": "correct",  # big-O in prose
        "q1.e": "correct",  # "The receptive field is 5 pixels"
        "q2.a": "correct",  # "..., so the total is 4H(D+H+1)"
        "q2.b": "incorrect",  # 9.54e-6: the wrong power of ten
        "q2.c": "correct",
        "q3.b": "incorrect",  # 128 fits image_size 8 only
        "q3.c": "correct",
        "q4.b": "correct",  # an ellipsis for the batch axis
        "q4.c": "incorrect",  # matrix products instead of element-wise ones
    },
    "07-more-variants": {
        "q1.a": "correct",  # Unicode floor and minus
        "q1.b": "correct",
        "q1.c": "correct",  # rows separated by ;
        "q1.d": "incorrect",  # no kernel area
        "q1.e": "incorrect",  # one layer's field
        "q2.a": "correct",
        "q2.b": "correct",  # ≈ and a Unicode power of ten
        "q2.c": "incorrect",  # h_1
        "q2.d": "correct",  # every required concept, not the optional one
        "q3.a": "partial",  # no bias
        "q3.b": "correct",  # ** is arithmetic
        "q3.c": "correct",
        "q3.d": "incorrect",  # two linear layers: 4H(D+H+2) parameters, not the fixed layout
        "q3.e": "correct",  # a loop over the batch
        "q4.a": "correct",  # the weight's first axis is the output channels
        "q4.b": "incorrect",  # the weight's axes swapped: the channel sizes do not match
        "q4.c": "incorrect",  # not an interpolation
        "q4.d": "needs_review",
    },
}

PERFECT = {"01-perfect-plain", "02-perfect-latex"}

# Rows the engine gets wrong: (submission, id) -> the bug, one line.
ENGINE_BUGS: dict[tuple[str, str], str] = {}


def expected(name: str, part: str) -> str:
    """The instructor's verdict: listed, else correct (perfect ones) or unanswered."""
    return EXPECTED[name].get(part, "correct" if name in PERFECT else "unanswered")


def rows() -> list[Any]:
    """One row per (submission, part), an xfail where the engine is known to be wrong."""
    table = []
    for name in EXPECTED:
        for part in PARTS:
            bug = ENGINE_BUGS.get((name, part))
            marks = [pytest.mark.xfail(strict=True, reason=f"engine: {bug}")] if bug else []
            table.append(pytest.param(name, part, expected(name, part), marks=marks, id=f"{name}-{part}"))
    return table


def run(*argv: str) -> tuple[int, str]:
    printed = io.StringIO()
    code = main(list(argv), out=printed)
    return code, printed.getvalue()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Grade every example once, through the CLI, the reference taken from set.yaml."""
    out = tmp_path_factory.mktemp("hw10-out")
    code, printed = run("grade", str(SUBMISSIONS), "--problems", str(PROBLEMS), "--out", str(out))
    assert code == EXIT_OK, printed
    return out


def verdicts(out: Path, name: str) -> dict[str, str]:
    data = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
    return {test["extra_data"]["id"]: test["extra_data"]["verdict"] for test in data["tests"]}


def test_validate_proves_the_hw10_key() -> None:
    code, printed = run("validate", str(PROBLEMS))
    assert code == EXIT_OK, printed
    assert "consistent" in printed


def test_every_submission_and_part_is_in_the_table(graded: Path) -> None:
    assert sorted(path.name for path in SUBMISSIONS.iterdir()) == sorted(EXPECTED)
    for name in EXPECTED:
        assert sorted(verdicts(graded, name)) == sorted(PARTS), name


@pytest.mark.parametrize(("name", "part", "verdict"), rows())
def test_hw10_verdict(graded: Path, name: str, part: str, verdict: str) -> None:
    assert verdicts(graded, name)[part] == verdict


def test_perfect_submissions_earn_every_automatic_point(graded: Path) -> None:
    for name in sorted(PERFECT):
        data = json.loads((graded / name / "results.json").read_text(encoding="utf-8"))
        manual = sum(test["max_score"] for test in data["tests"] if test["extra_data"]["id"] == "q4.d")
        total = sum(test["max_score"] for test in data["tests"])
        assert data["score"] == pytest.approx(total - manual), name
