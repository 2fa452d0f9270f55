"""The grading session: a hanging or crashing grader costs one part, never the submission;
two answer keys in one process never share a grade."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from autograder import api, session
from autograder.graders import REGISTRY
from autograder.spec import Part
from tests.conftest import SUBMISSIONS, TINY


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


def _tiny_copy(tmp_path: Path, name: str, energy: str) -> Path:
    """The tiny fixture's problem set with its own reference, whose kinetic energy is ``energy``."""
    root = tmp_path / name
    shutil.copytree(TINY / "problems", root / "problems")
    shutil.copytree(TINY / "reference", root / "reference")
    answers = root / "reference" / "answers.yaml"
    answers.write_text(answers.read_text(encoding="utf-8").replace("energy: m v^2/2", f"energy: {energy}"), "utf-8")
    (root / "problems" / "set.yaml").write_text("reference: ../reference\n", encoding="utf-8")
    return root / "problems"


def test_two_answer_keys_in_one_process_never_share_grades(tmp_path: Path) -> None:
    """The same answer to the same id, graded against two keys one after the other: each key's own grade."""
    half = api.load_key(problems=_tiny_copy(tmp_path, "half", "m v^2/2"))
    whole = api.load_key(problems=_tiny_copy(tmp_path, "whole", "m v^2"))
    alice = TINY / "submissions" / "alice"  # answers \frac{1}{2} m v^2
    verdicts = []
    for key in (half, whole, half):
        result = api.grade(alice, key=key, out=tmp_path / "out" / str(len(verdicts)))
        verdicts.append({part.id: part.verdict for part in result[0].parts}["mech.energy"])
    assert verdicts == ["correct", "incorrect", "correct"]


def test_a_set_names_its_reference_and_a_set_without_one_says_what_to_pass(tmp_path: Path) -> None:
    problems = _tiny_copy(tmp_path, "named", "m v^2/2")
    key = api.load_key(problems=problems)
    assert key.reference == (problems.parent / "reference").resolve()
    (problems / "set.yaml").unlink()
    with pytest.raises(api.ConfigError, match=r"no reference answers given\. Pass --reference FOLDER") as error:
        api.load_key(problems=problems)
    assert "hw9" not in str(error.value)


def test_local_results_reveal_what_gradescope_reveals(tmp_path: Path) -> None:
    """One writer: a part with show_reference gets its reference as a test shown only after publication."""
    problems = _tiny_copy(tmp_path, "shown", "m v^2/2")
    spec = problems / "mech.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("    kind: symbolic\n", "    kind: symbolic\n    show_reference: true\n", 1), "utf-8")
    key = api.load_key(problems=problems)
    assert list(key.revealed) == ["mech.energy"]
    api.grade(TINY / "submissions" / "alice", key=key, out=tmp_path / "out")
    data = json.loads((tmp_path / "out" / "alice" / "results.json").read_text(encoding="utf-8"))
    revealed = [test for test in data["tests"] if test.get("extra_data", {}).get("reference")]
    assert [(test["extra_data"]["id"], test["visibility"]) for test in revealed] == [("mech.energy", "after_published")]
    assert "m v^2/2" in revealed[0]["output"]
