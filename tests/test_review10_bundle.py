"""Review of issue 10 (reviewer-safety): the student bundle's wheel must not quote the
homework's reference answers.

The bundle ships the engine's source in its wheel, and ``tests/test_student_bundle.py``
looks in the wheel only for secrets of 25 characters or more. Whole short answers are in
the engine's docstrings and hints as their format examples: hw9's ``[1, 4, 3]`` (q2.a),
``[h, d, q]`` (q4.a), ``O(b d^2 + b n d)`` (q4.f), ``\\sqrt{d}`` (q1.c) and hw10's
``[[4, 5], [6, 3]]`` (q1.c). A student reading the checker they were given finds them.
Identifiers (``softmax``, ``d_model``) are ordinary words of the code and not looked for.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from autograder import student

ROOT = Path(__file__).resolve().parents[1]
SETS = ("hw9", "hw10")
MIN_LENGTH = 6
IDENTIFIER = re.compile(r"[A-Za-z_][\w.]*")


def _leaves(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if set(node) == {"file"}:
            return
        for value in node.values():
            yield from _leaves(value)
    elif isinstance(node, list):
        yield "[" + ", ".join(map(str, node)) + "]"
    elif node is not None:
        yield str(node)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _answers(problem_set: str) -> set[str]:
    data = yaml.safe_load((ROOT / "reference" / problem_set / "answers.yaml").read_text(encoding="utf-8"))
    squeezed = {_squeezed(value) for value in _leaves(data)}
    return {value for value in squeezed if len(value) >= MIN_LENGTH and not IDENTIFIER.fullmatch(value)}


@pytest.mark.parametrize("problem_set", SETS)
def test_the_wheel_quotes_no_reference_answer(tmp_path: Path, problem_set: str) -> None:
    bundle = student.build(tmp_path / problem_set, problems=ROOT / "problems" / problem_set)
    with zipfile.ZipFile(bundle.path / bundle.wheel) as wheel:
        text = _squeezed("".join(wheel.read(name).decode("utf-8") for name in wheel.namelist()))
    answers = _answers(problem_set)
    assert len(answers) >= 5, "the reference answers were collected"
    assert sorted(answer for answer in answers if answer in text) == []
