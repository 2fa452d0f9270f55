"""Shared fixtures: the HW9 answer key, loaded once, and a one-call grader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.api import AnswerKey, load_key
from autograder.grading import grade_part
from autograder.result import PartResult
from autograder.submission import Answer

ROOT = Path(__file__).resolve().parents[1]
HW9_PROBLEMS = ROOT / "problems" / "hw9"
HW9_REFERENCE = ROOT / "reference" / "hw9"
SUBMISSIONS = ROOT / "submissions"
TINY = ROOT / "tests" / "fixtures" / "tiny"


@pytest.fixture(scope="session")
def hw9_key() -> AnswerKey:
    return load_key(problems=HW9_PROBLEMS, reference=HW9_REFERENCE)


@pytest.fixture(scope="session")
def grade_hw9(hw9_key: AnswerKey) -> Callable[[str, str], PartResult]:
    """grade_hw9("q1.c", "√d") → the PartResult for that answer."""

    def grade(answer_id: str, text: str) -> PartResult:
        part = hw9_key.problems.part(answer_id)
        return grade_part(part, Answer(text), hw9_key.readings.get(answer_id))

    return grade
