"""The grading session: a hanging or crashing grader costs one part, never the submission;
two answer keys in one process never share a grade."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import pytest

from autograder import api, session
from autograder.graders import REGISTRY
from autograder.spec import Part
from tests.conftest import SUBMISSIONS


def _hang(answer: Any, reference: Any, part: Part) -> Any:
    if part.id == "q1.c":
        time.sleep(60)
    return REAL_SYMBOLIC.grade(answer, reference, part)


def _crash(answer: Any, reference: Any, part: Part) -> Any:
    if part.id == "q1.c":
        os._exit(9)
    return REAL_SYMBOLIC.grade(answer, reference, part)


REAL_SYMBOLIC = REGISTRY["symbolic"]


@pytest.mark.parametrize("broken", [_hang, _crash])
def test_a_hanging_or_crashing_part_costs_only_that_part(
    monkeypatch: pytest.MonkeyPatch, hw9_key: api.AnswerKey, broken: Any
) -> None:
    monkeypatch.setitem(REGISTRY, "symbolic", dataclasses.replace(REAL_SYMBOLIC, grade=broken))
    monkeypatch.setattr(session, "SUBMISSION_TIMEOUT", 2.0)
    monkeypatch.setattr(session, "PART_TIMEOUT", 1.0)
    result = session.Grading(hw9_key).grade_folder(SUBMISSIONS / "01-perfect-plain")  # a fresh cache
    by_id = {part.id: part for part in result.parts}
    assert by_id["q1.c"].verdict == "needs_review"
    assert "could not be graded automatically" in by_id["q1.c"].feedback
    assert by_id["q1.a"].verdict == "correct"
    assert by_id["q4.f"].verdict == "correct"
    assert any("each part was graded on its own" in message for message in result.messages)


def test_find_submissions_takes_one_folder_or_a_folder_of_them() -> None:
    assert api.find_submissions(SUBMISSIONS / "01-perfect-plain") == [SUBMISSIONS / "01-perfect-plain"]
    found = api.find_submissions(SUBMISSIONS)
    assert SUBMISSIONS / "06-empty-folder" in found
    assert len(found) == len([p for p in SUBMISSIONS.iterdir() if p.is_dir()])
