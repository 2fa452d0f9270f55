"""module_behaviour: the student's whole class for Q3(b), run in the sandbox and replayed
with its own parameters in the reference implementation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autograder.graders import _modules
from autograder.result import PartResult
from tests.conftest import HW9_REFERENCE, ROOT

Grade = Callable[[str, str], PartResult]
FIXTURES = ROOT / "tests" / "fixtures" / "mha"


def source(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_the_reference_and_another_right_answer_are_correct(grade_hw9: Grade) -> None:
    assert grade_hw9("q3.b", (HW9_REFERENCE / "mha.py").read_text(encoding="utf-8")).verdict == "correct"
    result = grade_hw9("q3.b", source("right_head_size_argument.py"))
    assert result.verdict == "correct", result.feedback


# (fixture, verdict, feedback fragment)
WRONG = [
    ("wrong_only_w_o.py", "incorrect", "raised in split_heads"),
    ("wrong_only_w_o.py", "incorrect", "invalid for input of size"),
    ("wrong_w_v_unchanged.py", "incorrect", "W_v.out_features is 12, but the question fixes it to 24"),
    ("wrong_no_scaling.py", "incorrect", "computes something else than the reference"),
    ("renamed_parameters.py", "needs_review", "cannot compare"),
    ("hostile_exit.py", "incorrect", "could not be created"),
    ("hostile_fake_equality.py", "incorrect", "computes something else than the reference"),
]


@pytest.mark.parametrize(("fixture", "verdict", "fragment"), WRONG)
def test_wrong_and_hostile_classes_get_their_verdict(
    grade_hw9: Grade, fixture: str, verdict: str, fragment: str
) -> None:
    result = grade_hw9("q3.b", source(fixture))
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback
    assert result.score < result.max_score
    assert '"score": 3' not in result.feedback


def test_an_infinite_loop_times_out_and_the_next_run_still_works(grade_hw9: Grade) -> None:
    result = grade_hw9("q3.b", source("hostile_loop.py"))
    assert result.verdict == "incorrect"
    assert "did not finish" in result.feedback
    assert grade_hw9("q3.b", source("right_head_size_argument.py")).verdict == "correct"


@pytest.mark.skipif(
    not _modules.sandbox().isolation.startswith("bwrap") and _modules.sandbox().mode != "bwrap",
    reason="only bubblewrap hides the project's files from student code",
)
def test_student_code_cannot_read_the_reference(grade_hw9: Grade) -> None:
    secret = (HW9_REFERENCE / "answers.yaml").read_text(encoding="utf-8").splitlines()[3]
    code = source("hostile_reads_reference.py").replace("/work/main/reference/hw9", str(HW9_REFERENCE))
    result = grade_hw9("q3.b", code)
    assert result.verdict == "incorrect"
    assert secret not in result.feedback
    assert "No such file" in result.feedback


UNREADABLE = [
    ("def f(:\n", "not valid Python"),
    ("x = 1\n", "No class named MultiHeadAttention"),
    ("class MultiHeadAttention:\n" + "    x = (" * 200 + ")" * 200, "could not be read"),
]


@pytest.mark.parametrize(("text", "fragment"), UNREADABLE)
def test_code_that_is_not_a_class_is_unreadable(grade_hw9: Grade, text: str, fragment: str) -> None:
    result = grade_hw9("q3.b", text)
    assert result.verdict == "unreadable"
    assert fragment in result.feedback
