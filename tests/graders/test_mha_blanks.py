"""mha_blanks: each blank of the Q3 class is judged by running the class with it (sandbox)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autograder.result import PartResult

Grade = Callable[[str, str], PartResult]

# Blanks that behave like the reference although they are spelt differently.
BEHAVES_LIKE_REFERENCE = [
    ("q3.a.a", "self.d_model"),
    ("q3.a.a", "num_heads * self.d_k"),
    ("q3.a.a", "self.d_k*self.num_heads"),
    ("q3.a.b", "self.num_heads * self.d_k"),
    ("q3.a.c", "self.d_model"),
    ("q3.a.e", "torch.softmax"),
    ("q3.a.e", "nn.functional.softmax"),
    ("q3.a.e", "special.softmax"),
    ("q3.a.g", "-1"),
    ("q3.a.g", "d_model // self.d_k"),
    ("q3.a.h", "self.W_o"),
]


@pytest.mark.parametrize(("answer_id", "text"), BEHAVES_LIKE_REFERENCE)
def test_blanks_that_behave_like_the_reference_are_correct(grade_hw9: Grade, answer_id: str, text: str) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "correct", result.feedback
    assert result.feedback.startswith("Correct")


# (blank, answer, a fragment of the feedback that explains what the code did)
MISBEHAVES = [
    ("q3.a.a", "d_k", "NameError: name 'd_k' is not defined"),
    ("q3.a.a", "self.d_k", "does not run"),
    ("q3.a.c", "num_heads", "does not run"),
    ("q3.a.d", "V", "output differs from the reference's"),
    ("q3.a.e", "sigmoid", "unexpected keyword argument 'dim'"),
    ("q3.a.e", "log_softmax", "log-probabilities"),
    ("q3.a.e", "F.softmax", "has no attribute 'F'"),
    ("q3.a.f", "K", "output differs from the reference's"),
    ("q3.a.g", "self.d_k", "invalid for input of size"),
    ("q3.a.h", "W_v", "output differs from the reference's"),
]


@pytest.mark.parametrize(("answer_id", "text", "fragment"), MISBEHAVES)
def test_blanks_that_misbehave_are_explained(grade_hw9: Grade, answer_id: str, text: str, fragment: str) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "incorrect", result.feedback
    assert fragment in result.feedback
    assert result.score == 0


def test_a_wrong_blank_costs_only_its_own_part(grade_hw9: Grade) -> None:
    # (e) is graded with the reference's (a)-(d) and (f)-(h): a wrong (e) never touches them.
    assert grade_hw9("q3.a.e", "argmax").verdict == "incorrect"
    assert grade_hw9("q3.a.a", "self.d_model").verdict == "correct"


@pytest.mark.parametrize(
    "text", ["__import__('os').system('id')", "d_model); import os; os.system('id'", "lambda: 0", "x" * 1000]
)
def test_blanks_that_are_not_fragments_never_reach_the_template(grade_hw9: Grade, text: str) -> None:
    result = grade_hw9("q3.a.a", text)
    assert result.verdict == "unreadable"
