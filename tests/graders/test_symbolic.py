"""symbolic: an answer equal to the reference whose exact check would multiply out to
millions of terms goes to review at once; ordinary answers are still compared exactly."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pytest
import sympy

from autograder.equivalence import MAX_EXPANSION_TERMS, compare, expandable, expansion_size
from autograder.graders import symbolic
from autograder.result import PartResult

Grade = Callable[[str, str], PartResult]

a, b, c, d, e, f, g = sympy.symbols("a b c d e f g")
SEVEN = a + b + c + d + e + f + g

# (expression, how many terms sympy.expand may give at most)
SIZES = [
    (a, 1),
    (a + b + c, 3),
    ((a + b + c) ** 64, math.comb(66, 2)),
    ((a + b) * (c + d) * (e + f), 8),
    (1 / (a + b) ** 2, 3),
    ((a + b) ** sympy.Rational(5, 2), 3),
    (sympy.sqrt(a + b), 2),
    (((a + b) ** 8 + c) ** 2, math.comb(2 + 9, 9)),
]


@pytest.mark.parametrize(("expr", "size"), SIZES)
def test_the_expansion_estimate_counts_monomials_without_expanding(expr: sympy.Expr, size: int) -> None:
    assert expansion_size(expr) == size
    assert len(sympy.Add.make_args(sympy.expand(expr))) <= size


def test_the_estimate_is_capped_and_instant() -> None:
    start = time.monotonic()
    assert expansion_size(SEVEN**64 * SEVEN.subs(a, 2 * a) ** 64, cap=1000) == 1000
    assert not expandable(SEVEN**10)
    assert expandable(SEVEN**2, (a + 1) ** 2)
    assert time.monotonic() - start < 1.0


def test_a_huge_expansion_is_not_attempted() -> None:
    start = time.monotonic()
    comparison = compare(SEVEN**40 + (a + 1) ** 2, (2 * SEVEN) ** 40 / 2**40 + (a + 1) ** 2)
    assert comparison.equal is None
    assert comparison.method == "too_large"
    assert time.monotonic() - start < 1.0
    assert expansion_size(SEVEN**40) > MAX_EXPANSION_TERMS


# q6.b.i answers numerically equal to the reference, (qᵀk + 1)², that multiply out to millions of terms.
HUGE_BUT_EQUAL = [
    "(q^T k+1)^2 + (N+D+M+C+x1+x2+x3)^40 - (2N+2D+2M+2C+2x1+2x2+2x3)^40/2^40",
    "(q^T k+1)^2 + (q^T k + N + D + M + C + x1 + x2 + x3)^30 - (2 q^T k + 2N + 2D + 2M + 2C + 2x1 + 2x2 + 2x3)^30/2^30",
    "(q^T k+1)^2 + ((N+D+M)^2)^30 - (N^2+2ND+2NM+D^2+2DM+M^2)^30",
    "(q^Tk+1)(q^Tk+1)(x1+x2+x3+N+D+M+C)^20 (x1+x2+x3+N+D+M+C)^20 / (2x1+2x2+2x3+2N+2D+2M+2C)^40 * 2^40",
]


@pytest.mark.parametrize("text", HUGE_BUT_EQUAL)
def test_an_answer_too_large_to_expand_goes_to_review_within_its_deadline(grade_hw9: Grade, text: str) -> None:
    start = time.monotonic()
    result = grade_hw9("q6.b.i", text)
    assert time.monotonic() - start < 2.0
    assert (result.verdict, result.score, result.note) == ("needs_review", 0, "symbolic:too_large"), result.feedback
    assert symbolic.TOO_LARGE in result.feedback


def test_a_huge_answer_that_is_numerically_different_is_still_incorrect(grade_hw9: Grade) -> None:
    result = grade_hw9("q6.b.i", "(q^T k+1)^2 + (N+D+M+C+x1+x2+x3)^40")
    assert result.verdict == "incorrect"


@pytest.mark.parametrize("text", ["(q^T k + 1)^2", "(q^T k)^2 + 2 q^T k + 1", "(1 + q·k)(q·k + 1)"])
def test_ordinary_answers_are_still_compared_exactly(grade_hw9: Grade, text: str) -> None:
    assert grade_hw9("q6.b.i", text).verdict == "correct"
