"""End to end through the CLI: grade submissions/, check, validate, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from autograder.api import AnswerKey
from autograder.cli import EXIT_CONFIG, EXIT_OK, EXIT_USAGE, main
from tests.conftest import HW9_PROBLEMS, HW9_REFERENCE, SUBMISSIONS, TINY

# Parts graded by an instructor (kind: manual); none in HW9 since code answers run in the sandbox.
MANUAL: set[str] = set()

# The verdict each example submission must get, per answer id (ids not listed: see the test).
EXPECTED: dict[str, dict[str, str]] = {
    "01-perfect-plain": {},  # every auto-graded part correct
    "02-perfect-latex-unicode": {},
    "08-llm-style-writeup": {
        "q3.b": "unanswered",
        "q4.c": "unanswered",
        "q4.d": "unanswered",
        "q4.e": "unanswered",
        "q6.b.iii": "unanswered",
    },
    "03-typical-mistakes": {
        "q1.a": "incorrect",
        "q1.b": "incorrect",
        "q1.c": "incorrect",
        "q2.a": "incorrect",
        "q2.b": "needs_review",
        "q3.b": "incorrect",
        "q3.a.a": "incorrect",
        "q3.a.b": "correct",
        "q3.a.c": "correct",
        "q3.a.d": "incorrect",
        "q3.a.e": "incorrect",
        "q3.a.f": "correct",
        "q3.a.g": "incorrect",
        "q3.a.h": "correct",
        "q4.a": "incorrect",
        "q4.b": "incorrect",
        "q4.f": "incorrect",
        "q4.g": "partial",
        "q6.a": "needs_review",
        "q6.b.i": "incorrect",
        "q6.b.ii": "incorrect",
        "q4.c": "incorrect",
        "q4.d": "incorrect",
        "q4.e": "incorrect",
        "q6.b.iii": "incorrect",
        "q6.c.time": "partial",
        "q6.c.space": "partial",
        "q6.d.time": "incorrect",
        "q6.d.space": "incorrect",
    },
    "04-partly-answered": {
        "q1.a": "correct",
        "q1.b": "unanswered",
        "q1.c": "unanswered",
        "q2.a": "correct",
        "q4.f": "correct",
        "q4.g": "unanswered",
        "q6.c.time": "correct",
    },
    "09-hostile-code": {
        "q3.a.a": "unreadable",
        "q3.a.e": "unreadable",
        "q3.a.g": "correct",
        "q3.b": "incorrect",
        "q4.c": "unreadable",
        "q4.d": "unreadable",
        "q4.e": "correct",
        "q6.b.iii": "unreadable",
    },
    "05-unreadable-and-hostile": {
        "q1.a": "unreadable",
        "q1.b": "unreadable",
        "q1.c": "unreadable",
        "q2.a": "unreadable",
        "q3.a.e": "unreadable",
        "q3.a.g": "unreadable",
        "q4.a": "unreadable",
        "q4.f": "unreadable",
        "q4.g": "unreadable",
        "q6.b.i": "unreadable",
        "q6.d.time": "unreadable",
        "q2.b": "needs_review",
        "q6.b.ii": "incorrect",  # {x1, x2} reads as a (wrong) list
    },
}


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("out")
    code, printed = run(
        "grade",
        str(SUBMISSIONS),
        "--problems",
        str(HW9_PROBLEMS),
        "--reference",
        str(HW9_REFERENCE),
        "--out",
        str(out),
        "--jobs",
        "2",
    )
    assert code == EXIT_OK
    return out, printed


def results(out: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
    return data


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    return {test["extra_data"]["id"]: test["extra_data"]["verdict"] for test in data["tests"]}


def test_every_submission_gets_a_results_file(graded: tuple[Path, str], hw9_key: AnswerKey) -> None:
    out, printed = graded
    ids = [part.id for part in hw9_key.problems.parts]
    for folder in SUBMISSIONS.iterdir():
        data = results(out, folder.name)
        assert [test["extra_data"]["id"] for test in data["tests"]] == ids
        assert folder.name[:28] in printed
        for test in data["tests"]:
            assert test["name"].startswith(test["extra_data"]["id"])
            assert 0 <= test["score"] <= test["max_score"]
            assert test["status"] in {"passed", "failed"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_submissions_get_their_verdicts(graded: tuple[Path, str], name: str) -> None:
    found = verdicts(results(graded[0], name))
    expected = EXPECTED[name]
    for answer_id, verdict in found.items():
        if answer_id in expected:
            assert verdict == expected[answer_id], (answer_id, verdict)
        elif name.startswith(("01", "02", "08")):
            wanted = "needs_review" if answer_id in MANUAL | {"q2.b", "q6.a"} else "correct"
            if answer_id in ("q2.b", "q6.a"):
                assert verdict in {"correct", "needs_review"}, (answer_id, verdict)
            else:
                assert verdict == wanted, (answer_id, verdict)
        elif name.startswith(("04", "09")):
            assert verdict == "unanswered", (answer_id, verdict)


def test_scores_add_up_and_perfect_submissions_get_every_automatic_point(graded: tuple[Path, str]) -> None:
    out, _ = graded
    for name in ("01-perfect-plain", "02-perfect-latex-unicode"):
        data = results(out, name)
        assert data["score"] == pytest.approx(sum(test["score"] for test in data["tests"]))
        automatic = [t for t in data["tests"] if t["extra_data"]["id"] not in MANUAL]
        assert all(t["score"] == t["max_score"] for t in automatic if t["extra_data"]["id"] not in ("q2.b", "q6.a"))


def test_broken_and_empty_submissions_still_get_results_with_a_message(graded: tuple[Path, str]) -> None:
    out, _ = graded
    broken = results(out, "07-broken-yaml")
    assert broken["score"] == 0
    assert "must be a mapping" in broken["output"]
    empty = results(out, "06-empty-folder")
    assert set(verdicts(empty).values()) == {"unanswered"}
    assert "No answers.yaml" in empty["output"]


def test_unknown_ids_are_warnings_not_errors(graded: tuple[Path, str]) -> None:
    data = results(graded[0], "04-partly-answered")
    assert "'q7.a' is not an answer id" in data["output"]


def test_hostile_text_is_never_run(graded: tuple[Path, str]) -> None:
    assert not Path("/tmp/pwned").exists()
    data = results(graded[0], "05-unreadable-and-hostile")
    by_id = {t["extra_data"]["id"]: t for t in data["tests"]}
    assert "exponent" in by_id["q1.b"]["output"]
    assert "An accepted way to write it" in by_id["q1.c"]["output"]


def test_check_echoes_how_answers_are_read() -> None:
    code, printed = run("check", str(SUBMISSIONS / "02-perfect-latex-unicode"), "--problems", str(HW9_PROBLEMS))
    assert code == EXIT_OK
    assert "q1.c" in printed and "read as: sqrt(d)" in printed
    assert "Every answer could be read." in printed
    code, printed = run("check", str(SUBMISSIONS / "05-unreadable-and-hostile"), "--problems", str(HW9_PROBLEMS))
    assert code == EXIT_OK
    assert "COULD NOT BE READ" in printed
    assert "Fix the answers marked COULD NOT BE READ" in printed


def test_validate_accepts_hw9_and_the_tiny_set() -> None:
    code, printed = run("validate", str(HW9_PROBLEMS), "--reference", str(HW9_REFERENCE))
    assert code == EXIT_OK, printed
    code, printed = run("validate", str(TINY / "problems"), "--reference", str(TINY / "reference"))
    assert code == EXIT_OK, printed


def test_tiny_problem_set_grades_end_to_end(tmp_path: Path) -> None:
    code, _ = run(
        "grade",
        str(TINY / "submissions"),
        "--problems",
        str(TINY / "problems"),
        "--reference",
        str(TINY / "reference"),
        "--out",
        str(tmp_path),
        "--jobs",
        "1",
    )
    assert code == EXIT_OK
    alice = verdicts(results(tmp_path, "alice"))
    assert alice.pop("mech.explain") == "needs_review"  # kind: manual always waits for an instructor
    assert set(alice.values()) == {"correct"}
    bob = verdicts(results(tmp_path, "bob"))
    assert bob.pop("mech.explain") == "unanswered"
    assert set(bob.values()) == {"incorrect"}
    carol = verdicts(results(tmp_path, "carol"))
    assert carol["mech.energy"] == "unreadable" and carol["algo.sort"] == "unreadable"
    assert carol["mech.fall"] == "unanswered"


def test_misconfiguration_and_usage_errors_have_their_exit_codes(tmp_path: Path) -> None:
    code, _ = run(
        "grade",
        str(SUBMISSIONS),
        "--problems",
        str(HW9_PROBLEMS),
        "--reference",
        str(tmp_path),
        "--out",
        str(tmp_path / "out"),
    )
    assert code == EXIT_CONFIG
    code, _ = run("grade", str(SUBMISSIONS), "--problems", str(tmp_path), "--out", str(tmp_path / "out"))
    assert code == EXIT_CONFIG
    assert run("grade", str(tmp_path / "nope"))[0] == EXIT_USAGE
    assert run("frobnicate")[0] == EXIT_USAGE
    assert run("grade", str(SUBMISSIONS), "--jobs", "0")[0] == EXIT_USAGE


def test_hostile_code_reaches_nothing_and_forges_nothing(graded: tuple[Path, str]) -> None:
    data = results(graded[0], "09-hostile-code")
    assert data["score"] == 2  # q3.a.g and q4.e, the only honest answers
    q3b = next(t for t in data["tests"] if t["extra_data"]["id"] == "q3.b")
    assert "could not be created" in q3b["output"]
    assert "'network'" not in q3b["output"]
    assert not Path("/tmp/hostile-was-here").exists()
