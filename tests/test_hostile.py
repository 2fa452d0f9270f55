"""Hostile answers cost only their own part, never run, and are dealt with fast.

The time bound is a loose guard (a second per answer), not a benchmark:
bench/ measures speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.result import PartResult
from autograder.submission import parse_answers

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
}
# One part of every automatic kind.
PARTS = ["q1.a", "q2.a", "q2.b", "q3.a.e", "q4.a", "q4.f", "q6.b.ii", "q6.a"]


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
