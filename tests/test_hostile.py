"""Hostile answers cost only their own part, never run, and are dealt with fast.

The time bound is a loose guard (a second per answer), not a benchmark:
bench/ measures speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder import bounded
from autograder.api import AnswerKey
from autograder.grading import grade_part
from autograder.result import PartResult
from autograder.session import PART_TIMEOUT
from autograder.submission import Answer, parse_answers

Grade = Callable[[str, str], PartResult]

HOSTILE_TEXTS = {
    "import": "__import__('os').system('touch /tmp/ag-hostile')",
    "tower": "9^9^9^9",
    "power": "(d+1)^99999999",
    "long": "d+" * 50_000 + "d",
    "nested": "(" * 10_000 + "d" + ")" * 10_000,
    "lambda": "lambda: 0",
    "dunder": "().__class__.__bases__[0].__subclasses__()",
    "bigint": "9" * 5_000,
    "control": "d\x00\x1b[31m",
    # numerically (q^T k + 1)^2, but 10^7 terms when multiplied out: sympy went past 1.9 GB on it
    "equal_but_huge": "(q^T k+1)^2 + (N+D+M+C+x1+x2+x3)^40 - (2N+2D+2M+2C+2x1+2x2+2x3)^40/2^40",
}
# One part of every automatic kind.
PARTS = ["q1.a", "q2.a", "q2.b", "q3.a.e", "q4.a", "q4.f", "q6.b.i", "q6.b.ii", "q6.a"]


@pytest.mark.parametrize("answer_id", PARTS)
@pytest.mark.parametrize("name", sorted(HOSTILE_TEXTS))
def test_hostile_answer_costs_its_part_within_a_second(grade_hw9: Grade, answer_id: str, name: str) -> None:
    start = time.monotonic()
    result = grade_hw9(answer_id, HOSTILE_TEXTS[name])
    elapsed = time.monotonic() - start
    assert elapsed < 1.0, f"{answer_id} took {elapsed:.2f} s on {name}"
    assert result.score == 0
    assert result.verdict in {"unreadable", "incorrect", "needs_review"}
    assert not Path("/tmp/ag-hostile").exists()


def test_an_answer_equal_to_the_key_too_large_to_expand_goes_to_review_in_time(hw9_key: AnswerKey) -> None:
    # In the forked, memory-limited child the math kinds are graded in, as `grade` does.
    part = hw9_key.problems.part("q6.b.i")
    answer = Answer(HOSTILE_TEXTS["equal_but_huge"])
    start = time.monotonic()
    finished = bounded.call(grade_part, part, answer, hw9_key.readings[part.id], timeout=PART_TIMEOUT)
    assert time.monotonic() - start < PART_TIMEOUT
    assert finished.status == "ok", finished.detail
    assert finished.value is not None
    assert (finished.value.verdict, finished.value.score) == ("needs_review", 0)
    assert "too large to expand" in finished.value.feedback


@pytest.mark.parametrize(
    "raw",
    [
        b"- just\n- a list\n",
        b"\xff\xfe\x00garbage",
        b"q1: {a: " + b"[" * 5_000 + b"}",
        "".join(" " * i + "a:\n" for i in range(2_000)).encode(),
        b"a: &a [*a]\n",
    ],
)
def test_hostile_answer_files_never_raise(raw: bytes) -> None:
    start = time.monotonic()
    _, messages = parse_answers(raw)
    assert time.monotonic() - start < 1.0
    assert messages, "a broken file always says what is wrong"
