"""Write-ups graded from the raw file, against verdicts written by people who never read the code.

* ``submissions/10-chat-export``, ``11-latex-writeup``, ``12-notebook``: example write-up
  submissions graded end to end through the CLI; every part's verdict is asserted against
  ``tests/fixtures/writeups/examples-expected.yaml`` (a TA's verdicts).
* ``../shared/writeups/gemini-hw9-chat.txt``: a real transcript, transcribed by a TA into
  ``tests/fixtures/writeups/gemini-hw9-expected.yaml`` (which parts it answers, how often,
  the verdict of the first and the final answer).
* ``tests/fixtures/writeups_unseen/``: transcripts of other models in other layouts, written
  blind with an expert's verdicts; graded from the raw files, at least 80% of parts must match
  and none may be graded wrong silently (a part in review is not silent). The mangled PDF text
  layer must grade no part.

A part counts as matching when its verdict is the expert's. ``needs_review`` never counts as a
match, but it is not a silent wrong grade either: an instructor sees it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from autograder.cli import main

ROOT = Path(__file__).resolve().parents[1]
HW9 = ["--problems", str(ROOT / "problems" / "hw9"), "--reference", str(ROOT / "reference" / "hw9")]
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ("10-chat-export", "11-latex-writeup", "12-notebook")
GEMINI = FIXTURES / "writeups" / "gemini-hw9-chat.txt"
"""A copy of ../shared/writeups/gemini-hw9-chat.txt, kept here so a clone outside this workspace tests it."""
UNSEEN_SETS = (FIXTURES / "writeups_unseen", FIXTURES / "writeups_unseen2")
"""Two blind sets, by different authors; the second was written after the engine was frozen."""
SILENT = ("correct", "partial", "incorrect", "unanswered", "unreadable")
"""Verdicts that decide a grade without an instructor (an unreadable part earns 0 until fixed): a
wrong one of these is a silent error."""
MIN_AGREEMENT = 0.80


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _graded(submission: Path, out: Path) -> dict[str, Any]:
    """Grade one submission folder through the CLI; its results.json."""
    stdout = io.StringIO()
    assert main(["grade", str(submission), *HW9, "--out", str(out)], stdout) == 0, stdout.getvalue()
    [folder] = [child for child in out.iterdir() if child.is_dir()]
    data: dict[str, Any] = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return data


def _verdicts(results: dict[str, Any]) -> dict[str, str]:
    return {test["extra_data"]["id"]: test["extra_data"]["verdict"] for test in results["tests"]}


@cache
def _graded_file(path: Path, scratch: Path) -> dict[str, Any]:
    submission = scratch / path.stem / "submission"
    submission.mkdir(parents=True)
    shutil.copy(path, submission / path.name)
    return _graded(submission, scratch / path.stem / "out")


# --- the example submissions ---------------------------------------------------------------


EXPECTED_EXAMPLES = _load(FIXTURES / "writeups" / "examples-expected.yaml")
REVIEWED = {
    ("10-chat-export", "q6.a"): "free text asserting sim ≥ 0: a misconception sends a rubric answer to review, "
    "never straight to incorrect",
    ("11-latex-writeup", "q4.g"): "left out (only in a LaTeX comment) while q4's other parts are answered: "
    "not finding a part of an answered question is not knowing it is absent",
    ("12-notebook", "q6.b.iii"): "its marker cell says only TODO while q6's other parts are answered: likewise",
}
"""Parts the grader rightly leaves to an instructor, with why; every other part must get the TA's verdict."""


@pytest.mark.parametrize("example", EXAMPLES)
def test_an_example_write_up_grades_as_its_verdicts_say(tmp_path: Path, example: str) -> None:
    verdicts = _verdicts(_graded(ROOT / "submissions" / example, tmp_path / "out"))
    expected = {answer_id: str(verdict) for answer_id, verdict in EXPECTED_EXAMPLES[example].items()}
    expected.update({answer_id: "needs_review" for name, answer_id in REVIEWED if name == example})
    wrong = {
        answer_id: (verdicts.get(answer_id), want)
        for answer_id, want in expected.items()
        if verdicts.get(answer_id) != want
    }
    assert wrong == {}, f"{example}: part: (graded, expected)"


# --- the real transcript -------------------------------------------------------------------


@pytest.fixture(scope="module")
def gemini(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _graded_file(GEMINI, tmp_path_factory.mktemp("gemini"))


GEMINI_EXPECTED = _load(FIXTURES / "writeups" / "gemini-hw9-expected.yaml")
GEMINI_REVIEWED = {
    "q6.a": "the right condition, then 'a squared kernel (which produces non-negative values)': the "
    "sim ≥ 0 misconception's words, so the rubric asks an instructor",
}


@pytest.mark.parametrize("answer_id", sorted(GEMINI_EXPECTED))
def test_the_gemini_transcript_is_extracted_part_by_part(gemini: dict[str, Any], answer_id: str) -> None:
    expected = GEMINI_EXPECTED[answer_id]
    [test] = [test for test in gemini["tests"] if test["extra_data"]["id"] == answer_id]
    extra = test["extra_data"]
    if expected["attempts"] == 0:
        assert extra["verdict"] == "unanswered", test["output"]
        return
    want = "needs_review" if answer_id in GEMINI_REVIEWED else expected["final_verdict"]
    assert extra["verdict"] == want, test["output"]
    assert extra.get("attempts") == expected["attempts"], test["output"]
    first, last = expected["lines"]
    found = re.search(r"lines? (\d+)(?:-(\d+))?", extra.get("source", ""))
    assert found is not None, f"the feedback says where the answer was found: {extra.get('source')}"
    start, end = int(found[1]), int(found[2] or found[1])
    assert start <= last and first <= end, f"found where the TA found it (lines {first}-{last}): {extra['source']}"


# --- unseen transcripts --------------------------------------------------------------------

UNSEEN_FILES: dict[str, Path] = {
    f"{folder.name}/{name}": folder / name for folder in UNSEEN_SETS for name in _load(folder / "verdicts.yaml")
}
UNSEEN_VERDICTS: dict[str, Any] = {
    f"{folder.name}/{name}": verdicts
    for folder in UNSEEN_SETS
    for name, verdicts in _load(folder / "verdicts.yaml").items()
}


@pytest.fixture(scope="module")
def unseen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    scratch = tmp_path_factory.mktemp("unseen")
    return {key: _graded_file(path, scratch / key.replace("/", "-")) for key, path in UNSEEN_FILES.items()}


def _comparisons(unseen: dict[str, dict[str, Any]]) -> Counter[str]:
    outcome: Counter[str] = Counter()
    for name, expected in UNSEEN_VERDICTS.items():
        if expected == "refused":
            continue
        graded = _verdicts(unseen[name])
        for answer_id, want in expected.items():
            got = graded.get(answer_id)
            if got == want["final"]:
                outcome["match"] += 1
            elif got == "needs_review":
                outcome["review"] += 1
            else:
                outcome["silent"] += 1
    return outcome


def test_unseen_write_ups_match_the_expert_on_most_parts(unseen: dict[str, dict[str, Any]]) -> None:
    outcome = _comparisons(unseen)
    total = sum(outcome.values())
    assert total >= 200, "the unseen sets hold at least 200 graded parts"
    assert outcome["match"] / total >= MIN_AGREEMENT, dict(outcome)


def test_no_unseen_part_is_graded_wrong_silently(unseen: dict[str, dict[str, Any]]) -> None:
    silent = []
    for name, expected in UNSEEN_VERDICTS.items():
        if expected == "refused":
            continue
        graded = _verdicts(unseen[name])
        for answer_id, want in expected.items():
            got = graded.get(answer_id)
            if got != want["final"] and got in SILENT:
                silent.append(f"{name} {answer_id}: graded {got}, expert {want['final']}")
    assert silent == []


@pytest.mark.parametrize("name", [name for name, expected in UNSEEN_VERDICTS.items() if expected == "refused"])
def test_a_mangled_pdf_text_layer_grades_no_part(unseen: dict[str, dict[str, Any]], name: str) -> None:
    results = unseen[name]
    assert results["score"] == 0
    assert set(_verdicts(results).values()) == {"unanswered"}
    assert "PDF" in results["output"] or "pdf" in results["output"]
