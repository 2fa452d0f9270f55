"""Free text is never falsely accepted: blind, adversarial answers to every rubric part.

``tests/fixtures/freetext/answers.yaml`` was written by a TA from the problem notes
alone, never from the rubric's patterns or code. Each answer carries the TA's label:
``wrong`` (a misconception, a wrong condition, an essential gap) and ``contradicts``
(the right idea, retracted, contradicted or hedged somewhere) must never be graded
``correct``; ``right`` and ``negated_misconception`` answers may be accepted or sent
to review, but a keyword grader must never call them wrong outright.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
import yaml

from autograder.api import AnswerKey, load_key
from autograder.grading import grade_part
from autograder.result import PartResult
from autograder.submission import Answer

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "freetext" / "answers.yaml"
HOMEWORK = {"q2.b": "hw9", "q6.a": "hw9", "q2.d": "hw10"}
"""Which homework each part of the fixture belongs to."""
NEVER_CORRECT = ("wrong", "contradicts")
MAY_BE_ACCEPTED = ("right", "negated_misconception")


def _rows() -> list[tuple[str, int, str, str, str]]:
    data = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    return [
        (part_id, index, str(row["label"]), str(row["answer"]), str(row["why"]))
        for part_id, rows in data.items()
        for index, row in enumerate(rows)
    ]


ROWS = _rows()


@cache
def _key(homework: str) -> AnswerKey:
    return load_key(problems=ROOT / "problems" / homework, reference=ROOT / "reference" / homework)


def _grade(part_id: str, text: str) -> PartResult:
    key = _key(HOMEWORK[part_id])
    return grade_part(key.problems.part(part_id), Answer(text), key.readings.get(part_id))


Grade = Callable[[str, str], PartResult]


def test_fixture_covers_every_label() -> None:
    labels = {(part_id, label) for part_id, _, label, _, _ in ROWS}
    for part_id in HOMEWORK:
        for label in (*NEVER_CORRECT, *MAY_BE_ACCEPTED):
            assert (part_id, label) in labels, f"{part_id} has no '{label}' answer"


@pytest.mark.parametrize(
    ("part_id", "index", "label", "answer", "why"),
    [row for row in ROWS if row[2] in NEVER_CORRECT],
    ids=[f"{row[0]}-{row[1]}-{row[2]}" for row in ROWS if row[2] in NEVER_CORRECT],
)
def test_wrong_or_contradicted_free_text_is_never_correct(
    part_id: str, index: int, label: str, answer: str, why: str
) -> None:
    result = _grade(part_id, answer)
    assert result.verdict != "correct", f"{label} answer graded correct ({why}): {answer}"
    assert result.score < result.max_score or result.verdict == "needs_review"


@pytest.mark.parametrize(
    ("part_id", "index", "label", "answer", "why"),
    [row for row in ROWS if row[2] in MAY_BE_ACCEPTED],
    ids=[f"{row[0]}-{row[1]}-{row[2]}" for row in ROWS if row[2] in MAY_BE_ACCEPTED],
)
def test_right_free_text_is_accepted_or_reviewed(part_id: str, index: int, label: str, answer: str, why: str) -> None:
    result = _grade(part_id, answer)
    assert result.verdict in ("correct", "needs_review"), f"{label} answer graded {result.verdict}: {answer}"
