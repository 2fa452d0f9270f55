"""Fixtures of the code kinds' tests: a CNN/RNN problem set with no attention in it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from autograder.api import AnswerKey, load_key
from autograder.grading import grade_part
from autograder.result import PartResult
from autograder.submission import Answer
from tests.conftest import ROOT

CODE_KINDS = ROOT / "tests" / "fixtures" / "code_kinds"


@pytest.fixture(scope="session")
def code_key() -> AnswerKey:
    """The code-kinds set (tests/fixtures/code_kinds), which names its own reference."""
    return load_key(problems=CODE_KINDS / "problems")


@pytest.fixture(scope="session")
def grade_code(code_key: AnswerKey) -> Callable[[str, str], PartResult]:
    """grade_code("m.cnn", source) → the PartResult for that answer."""

    def grade(answer_id: str, text: str) -> PartResult:
        part = code_key.problems.part(answer_id)
        return grade_part(part, Answer(text), code_key.readings.get(answer_id))

    return grade
