"""feature_map: components whose inner product would multiply out to millions of terms are
not expanded; the usual answers are still checked exactly."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from autograder.graders import feature_map
from autograder.result import PartResult

Grade = Callable[[str, str], PartResult]

REFERENCE = "[1, √2 x1, √2 x2, √2 x3, x1^2, x2^2, x3^2, √2 x1 x2, √2 x1 x3, √2 x2 x3]"


def test_the_reference_is_still_correct(grade_hw9: Grade) -> None:
    assert grade_hw9("q6.b.ii", REFERENCE).verdict == "correct"


def test_components_too_large_to_expand_go_to_review_at_once(grade_hw9: Grade) -> None:
    start = time.monotonic()
    result = grade_hw9("q6.b.ii", "[1, (N+D+M+C)^64 x1]")  # (N + D + M + C)^128 in φ(x)ᵀφ(y)
    assert time.monotonic() - start < 2.0
    assert (result.verdict, result.score, result.note) == ("needs_review", 0, "feature_map:too_large")
    assert feature_map.TOO_LARGE in result.feedback


@pytest.mark.parametrize("text", ["[1, (N+D+M+C)^64 x1^3]", "[1, (N+D+M+C+x2)^64 x1^3]"])
def test_a_degree_too_high_is_found_without_expanding(grade_hw9: Grade, text: str) -> None:
    start = time.monotonic()
    result = grade_hw9("q6.b.ii", text)
    assert time.monotonic() - start < 2.0
    assert result.verdict == "incorrect"
    assert "has degree" in result.feedback
