"""Review of issue 10 (reviewer-safety): an answer group must hold answers that are the
same answer, since one decision in overrides.yaml (``groups:``) grades every member.

Kinds without a ``group_key`` are grouped by ``show``'s text, which is a summary for some
kinds: ``module_behaviour`` shows ``Python source, N lines`` and ``manual`` cuts at 500
characters. Two different programs of the same length that both land in review (a sandbox
error, ``module:cannot_compare``) then share one group id, so a decision made after reading
one program grades the other, unseen; the review queue shows them as one row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading import Read, part_result, read_answer
from autograder.groups import group_of
from autograder.problem import Part
from autograder.result import Outcome, PartResult
from autograder.spec import load_problem_set
from autograder.submission import Answer

ROOT = Path(__file__).resolve().parents[1]

RIGHT = """\
def bag_of_embeddings(ids, table):
    return table[ids].mean(dim=1)
"""
OTHER = """\
def bag_of_embeddings(ids, table):
    return table[ids].sum(dim=1) * 0
"""


def _part(problems: str, part_id: str) -> Part:
    return load_problem_set(ROOT / "problems" / problems).part(part_id)


def _in_review(part: Part, text: str, note: str) -> PartResult:
    read = read_answer(part, Answer(text))
    assert isinstance(read, Read) and read.problem is None, read
    return part_result(part, text, read.as_read, Outcome("needs_review", 0.0, "waiting", note), read)


@pytest.mark.parametrize("note", ["error:sandbox", "module:cannot_compare"])
def test_different_programs_of_one_length_are_different_groups(note: str) -> None:
    part = _part("hw10", "q3.e")
    first, second = _in_review(part, RIGHT, note), _in_review(part, OTHER, note)
    assert first.answer_as_read == second.answer_as_read  # the summary the report shows
    assert group_of(first) != group_of(second)


def test_manual_answers_that_differ_after_500_characters_are_different_groups() -> None:
    part = _part("hw10", "q4.d")
    preface = "My training and validation loss curves are in curves.png. " * 10
    first = _in_review(part, preface + "Validation loss rises after epoch 2: overfitting.", "manual")
    second = _in_review(part, preface + "Both losses fall steadily; no overfitting.", "manual")
    assert group_of(first) != group_of(second)
