"""The HW9 rubric as a table: answer → verdict and the message its author gets.

Every notation in the submission contract and every typical mistake in
hw9-problems.md appears here, graded through the real specs and reference.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autograder.api import AnswerKey
from autograder.graders import complexity
from autograder.result import PartResult

Grade = Callable[[str, str], PartResult]

CORRECT = [
    # q1.a: ‖μ‖² in every notation, and dμ² (μ as a scalar)
    ("q1.a", r"\|\mu\|_2^2"),
    ("q1.a", r"\|\mu\|^2"),
    ("q1.a", "‖μ‖²"),
    ("q1.a", r"\mu^T\mu"),
    ("q1.a", r"$\mu^\top \mu$"),
    ("q1.a", "μᵀμ"),
    ("q1.a", "mu^T mu"),
    ("q1.a", r"\sum_{i=1}^{d} \mu_i^2"),
    ("q1.a", "d*mu^2"),
    ("q1.a", "d*mu**2"),
    ("q1.a", r"d\mu^2"),
    ("q1.a", "dμ²"),
    ("q1.a", r"E[q^T k] = \|\mu\|^2"),
    # q1.b
    ("q1.b", "d"),
    ("q1.b", "Var(q^T k) = d"),
    ("q1.b", r"d\sigma^4"),
    # q1.c
    ("q1.c", "sqrt(d)"),
    ("q1.c", "d^(1/2)"),
    ("q1.c", r"\sqrt{d}"),
    ("q1.c", "√d"),
    ("q1.c", "s = √d"),
    ("q1.c", "d**0.5"),
    # q2.a
    ("q2.a", "[1, 4, 3]"),
    ("q2.a", "(1,4,3)"),
    ("q2.a", r"\begin{bmatrix}1\\4\\3\end{bmatrix}"),
    ("q2.a", "v_2 = [1, 4, 3]"),
    ("q2.a", "v2"),
    ("q2.a", r"$\mathbf{v}_2$"),
    ("q4.a", "[num_heads, d, q]"),
    ("q4.a", "(h, d, d//h)"),
    ("q4.b", "[d_model, d_k]"),
    # q4.a / q4.b shapes
    ("q4.a", "[h, d, q]"),
    ("q4.a", "h × d × q"),
    ("q4.a", "[h, d, d/h]"),
    ("q4.b", "[d, k]"),
    ("q4.b", r"\mathbb{R}^{d \times k}"),
    # q4.f / q4.g big-O in plain, implicit products, LaTeX and Unicode
    ("q4.f", "O(b*d^2 + b*n*d)"),
    ("q4.f", "O(bd^2 + bnd)"),
    ("q4.f", "O(b d^2 + b n d)"),
    ("q4.f", "O(bd² + bnd)"),
    ("q4.f", r"$\mathcal{O}(bnd + bd^2)$"),
    ("q4.g", "O(d^2 + bd + bnk)"),
    ("q4.g", r"O\left(d^2 + bd + \frac{bnd}{h}\right)"),
    ("q4.g", "O(d² + bd + bnd/h)"),
    # q6.b.i
    ("q6.b.i", "(q^T k + 1)^2"),
    ("q6.b.i", "(q·k + 1)^2"),
    ("q6.b.i", "(q.k+1)**2"),
    ("q6.b.i", "(dot(q,k) + 1)^2"),
    ("q6.b.i", "(qᵀk + 1)²"),
    ("q6.b.i", "1 + 2 q^T k + (q^T k)^2"),
    # q6.b.ii: order, signs and notation do not matter
    ("q6.b.ii", "[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3]"),
    (
        "q6.b.ii",
        "[x3^2, x2^2, x1^2, -sqrt(2)*x1, -sqrt(2)*x2, -sqrt(2)*x3, sqrt(2)*x1*x2, sqrt(2)*x1*x3, sqrt(2)*x2*x3, 1]",
    ),
    (
        "q6.b.ii",
        r"[1, \sqrt{2}x_1, \sqrt{2}x_2, \sqrt{2}x_3, x_1^2, x_2^2, x_3^2, "
        r"\sqrt{2}x_1x_2, \sqrt{2}x_1x_3, \sqrt{2}x_2x_3]",
    ),
    (
        "q6.b.ii",
        "[1, 1.41421356*x1, 1.41421356*x2, 1.41421356*x3, x1^2, x2^2, x3^2, 1.414*x1*x2, 1.414*x1*x3, 1.41*x2*x3]",
    ),
    # q6.c / q6.d
    ("q6.c.time", "O(N^2 (D + M))"),
    ("q6.c.time", r"O(N^2 \max(D, M))"),
    ("q6.c.time", "O(N²D + N²M)"),
    ("q6.c.time", "O(N^2 D) assuming M ≈ D"),
    ("q6.c.space", "O(N^2 + N(D + M))"),
    ("q6.d.time", "O(N D^2 M)"),
    ("q6.d.time", "O(ND^3)"),
    ("q6.d.space", "O(ND + D^3)"),
    ("q6.d.space", "O(N D^2 + D^3)"),
]


@pytest.mark.parametrize(("answer_id", "text"), CORRECT)
def test_correct_answers_in_every_notation(grade_hw9: Grade, answer_id: str, text: str) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "correct", result.feedback
    assert result.score == result.max_score


# (answer id, answer, verdict, a fragment of the feedback its author must see)
MISTAKES = [
    ("q1.a", "d mu^2 + d sigma^2", "incorrect", "does not depend on σ"),
    ("q1.a", r"d\mu^2 + d\sigma^2", "incorrect", "does not depend on σ"),
    ("q1.a", "d*mu", "incorrect", "the mean appears squared"),
    ("q1.a", "mu^2", "incorrect", "qᵀk sums d such terms"),
    ("q1.b", "d^2", "incorrect", "variances add"),
    ("q1.b", "1", "incorrect", "variance of one term"),
    ("q1.b", "√d", "incorrect", "standard deviation"),
    ("q1.b", "d/2", "incorrect", "not 1/2"),
    ("q1.c", "±√d", "partial", "s must be positive"),
    ("q1.c", r"\pm\sqrt{d}", "partial", "s must be positive"),
    ("q1.c", "1/sqrt(d)", "incorrect", "the factor you multiply"),
    ("q1.c", "d", "incorrect", "1/d, not 1"),
    ("q1.c", "d^2", "incorrect", "1/d³"),
    ("q2.a", "[2, 0, 1]", "incorrect", "That is v1, the value of key k1"),
    ("q2.a", "[0, -1, 4]", "incorrect", "That is v3"),
    ("q2.a", "[1, 0, -1]", "incorrect", "That is v4"),
    ("q2.a", "v1", "incorrect", "That is v1, the value of key k1"),
    ("q2.a", "k2", "incorrect", "That is the key k2"),
    ("q2.a", "143", "incorrect", "Expected a vector of 3 numbers; yours has 1"),
    ("q2.a", "[1, 4]", "incorrect", "yours has 2"),
    ("q4.a", "[d, q]", "incorrect", "every head keeps its own query projection"),
    ("q4.b", "[h, d, k]", "incorrect", "the multi-head shape"),
    ("q4.f", "O(bd + bhd)", "incorrect", "b·d² work"),
    ("q4.f", "O(bnd^2)", "incorrect", "nothing multiplies n by d²"),
    ("q4.f", "O(bnd)", "incorrect", "the projections of the new token"),
    ("q4.g", "O(d^2 + bd + bnd)", "partial", "the factor h"),
    ("q6.b.i", "(q^T k)^2", "incorrect", "homogeneous"),
    ("q6.b.i", "1 + q^T k + (q^T k)^2", "incorrect", "factor 2"),
    ("q6.b.ii", "[1, x1, x2, x3, x1^2, x2^2, x3^2, x1 x2, x1 x3, x2 x3]", "incorrect", "need a factor √2"),
    ("q6.c.time", "O(N^2 D)", "partial", "N²·M"),
    ("q6.c.space", "O(N^2)", "partial", "N(D + M)"),
    ("q6.d.time", "O(N D^2)", "incorrect", "N·D³"),
    ("q6.d.space", "O(N D^2)", "incorrect", "D³ more"),
]


@pytest.mark.parametrize(("answer_id", "text", "verdict", "fragment"), MISTAKES)
def test_typical_mistakes_get_their_verdict_and_message(
    grade_hw9: Grade, answer_id: str, text: str, verdict: str, fragment: str
) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback
    assert result.score < result.max_score


# Wrong answers no rule anticipates still get a specific, generic explanation.
UNANTICIPATED = [
    ("q1.c", "d^(1/3)", "incorrect", "Not equivalent"),
    ("q1.a", "d^2*mu^2", "incorrect", "Not equivalent"),
    ("q1.b", "d + 1", "incorrect", "Not equivalent"),
    ("q6.b.ii", "[1, √2x1, √2x2, √2x3, x1², x2², x3²]", "incorrect", "φ(x)ᵀφ(y) − K(x, y)"),
    ("q4.g", "O(bnd/h)", "incorrect", "d²"),
]


@pytest.mark.parametrize(("answer_id", "text", "verdict", "fragment"), UNANTICIPATED)
def test_unanticipated_wrong_answers_are_explained(
    grade_hw9: Grade, answer_id: str, text: str, verdict: str, fragment: str
) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback
    assert not result.rule_matched


UNREADABLE = [
    ("q1.a", "d +* mu", "could not be read"),
    ("q1.c", "sqrt(d", "could not be read"),
    ("q4.f", "O(b d^2 + z)", "unknown name"),
    ("q2.a", "[1, 4, x]", "could not be read"),
]


@pytest.mark.parametrize(("answer_id", "text", "fragment"), UNREADABLE)
def test_unreadable_answers_say_what_and_show_an_accepted_spelling(
    grade_hw9: Grade, answer_id: str, text: str, fragment: str
) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "unreadable"
    assert result.score == 0
    assert fragment in result.feedback
    assert "An accepted way to write it" in result.feedback


def test_unanswered_costs_the_part_only(grade_hw9: Grade) -> None:
    result = grade_hw9("q1.a", "   ")
    assert result.verdict == "unanswered"
    assert result.score == 0


# Free text: correct only when every idea is found; a wrong claim never earns "correct".
FREE_TEXT = [
    (
        "q2.b",
        "argmax is piecewise constant, so its gradient is zero almost everywhere; W_Q and W_K cannot be learned.",
        "correct",
    ),
    (
        "q2.b",
        "The gradient of argmax w.r.t. the attention scores is 0 almost everywhere (undefined at ties). "
        "Therefore the parameters producing the queries and keys never get updated during backprop.",
        "correct",
    ),
    (
        "q2.b",
        "With argmax the gradients w.r.t. q and k vanish, so we cannot learn the query and key matrices.",
        "correct",
    ),
    (
        "q2.b",
        "argmax isn't differentiable (its gradient is 0 a.e.), so the keys/queries never receive a learning signal.",
        "correct",
    ),
    (
        "q2.b",
        "The gradient vanishes for the values, so the value projection W_V can't be learned, but the queries "
        "and keys are fine.",
        "needs_review",
    ),
    (
        "q2.b",
        "Argmax is fine: the keys and queries are not affected, only the values get zero gradient.",
        "needs_review",
    ),
    (
        "q2.b",
        "Argmax has zero gradient almost everywhere, so the output projection W_O cannot be trained.",
        "needs_review",
    ),
    ("q6.a", r"\sum_j sim(Q_i, K_j) \neq 0 for every i", "correct"),
    ("q6.a", "The sum of similarities in the denominator must not equal zero.", "correct"),
    ("q6.a", "sim(q,k) > 0 for all q, k, like exp", "correct"),
    ("q6.a", "sim must map to positive reals, sim: R^D x R^D -> (0, inf)", "correct"),
    ("q6.a", "sim must be positive semi-definite", "needs_review"),
    ("q6.a", "sim(q,k) should be positive definite", "needs_review"),
    ("q6.a", r"sim(q, k) \neq 0 for all q, k", "needs_review"),
    ("q6.a", "sim(q, k) >= 0", "needs_review"),
]


@pytest.mark.parametrize(("answer_id", "text", "verdict"), FREE_TEXT)
def test_free_text_is_correct_only_with_every_idea_and_no_wrong_claim(
    grade_hw9: Grade, answer_id: str, text: str, verdict: str
) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == verdict, result.feedback
    if verdict == "needs_review":
        assert result.score < result.max_score


def test_high_powers_in_a_feature_map_are_refused_without_expanding(grade_hw9: Grade) -> None:
    import time

    start = time.monotonic()
    result = grade_hw9("q6.b.ii", "[(x1 + x2 + x3 + 1)^16, 1]")
    assert time.monotonic() - start < 1.0
    assert result.verdict == "incorrect"
    assert "has degree 16, but the kernel has degree 2" in result.feedback


@pytest.mark.parametrize(
    ("answer_id", "text"),
    [
        ("q4.f", "O(b d^2 + z)"),
        ("q4.g", "O(d^2 +)"),
        ("q6.c.time", "O(N^2 D"),
        ("q6.c.space", "O()"),
        ("q6.d.time", "O(N D^2 zz)"),
        ("q6.d.space", "big-O of stuff"),
    ],
)
def test_the_big_o_format_hint_never_gives_the_answer(
    grade_hw9: Grade, hw9_key: AnswerKey, answer_id: str, text: str
) -> None:
    """The hint is read back with the part's grader: by meaning, it is not the reference."""
    result = grade_hw9(answer_id, text)
    assert result.verdict == "unreadable"
    hint = result.feedback.split("An accepted way to write it: ")[1].split(", O(")[0]
    part = hw9_key.problems.part(answer_id)
    assert not complexity.matches(complexity.read(hint, part), hw9_key.readings[answer_id], part)
    assert "b*d^2 + b*n*d" not in result.feedback  # the old fixed hint, q4.f's reference


# Words after a value that would change it are never left out as explanation (found in review:
# "\sqrt{d} squared" was read as \sqrt{d}); a noun phrase after it still is.
@pytest.mark.parametrize(
    ("answer_id", "text", "verdict"),
    [
        ("q1.c", r"\sqrt{d} squared", "unreadable"),
        ("q1.c", r"\sqrt{d} inverse", "unreadable"),
        ("q1.c", "sqrt(d) halved", "unreadable"),
        ("q1.c", "sqrt(d) divided by d", "unreadable"),
        ("q1.c", "sqrt(d) times two", "unreadable"),
        ("q1.b", "d plus one", "unreadable"),
        ("q4.f", "O(b d^2 + b n d) squared", "unreadable"),
        ("q4.f", "O(b d^2 + b n d) per step", "correct"),
        ("q1.c", "The scale is sqrt(d) in magnitude.", "correct"),
    ],
)
def test_words_that_change_a_value_are_never_left_out(
    grade_hw9: Callable[[str, str], PartResult], answer_id: str, text: str, verdict: str
) -> None:
    assert grade_hw9(answer_id, text).verdict == verdict
