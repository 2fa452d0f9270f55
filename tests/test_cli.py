"""End to end through the CLI: grade submissions/, check, validate, exit codes."""

from __future__ import annotations

import importlib.metadata
import io
import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import autograder
from autograder import gradescope, progress
from autograder.api import GRADER_FAILED, AnswerKey
from autograder.cli import EXIT_CONFIG, EXIT_NOT_READ, EXIT_OK, EXIT_USAGE, main
from autograder.progress import BatchView, summary
from autograder.result import PartResult, SubmissionResult, Verdict
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
        assert f"\n{folder.name} " in printed  # in full: never cut to fit a column
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
    assert printed.rstrip().endswith("Every answer given was read (29 of 29 parts answered).")
    code, printed = run("check", str(SUBMISSIONS / "05-unreadable-and-hostile"), "--problems", str(HW9_PROBLEMS))
    assert code == EXIT_NOT_READ
    assert "COULD NOT BE READ" in printed
    assert "Fix before you submit: 11 answers could not be read" in printed


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


# --- the batch display, the summary, the options --------------------------------------------------


class FakeTerminal(io.StringIO):
    """What a terminal looks like to the CLI and to rich: a stream that says it is a TTY."""

    def isatty(self) -> bool:
        return True


def tiny_grade(out: Path, submissions: Path = TINY / "submissions", stream: io.StringIO | None = None) -> str:
    stream = stream if stream is not None else io.StringIO()
    code = main(
        [
            *("grade", str(submissions), "--problems", str(TINY / "problems")),
            *("--reference", str(TINY / "reference"), "--out", str(out), "--jobs", "1"),
        ],
        out=stream,
    )
    assert code == EXIT_OK
    return stream.getvalue()


def test_piped_output_is_exactly_the_plain_rows_and_the_summary(tmp_path: Path) -> None:
    printed = tiny_grade(tmp_path)
    assert "\x1b" not in printed  # no progress bar, no colour: a log or `| grep` sees plain lines
    lines = printed.splitlines()
    assert lines[:12] == [
        "submission       score     correct    partial  incorrect unanswered unreadable     review",
        "-" * 89,
        "alice              7/8           7          0          0          0          0          1",
        "bob                0/8           0          0          7          1          0          0",
        "carol              0/8           0          0          0          6          2          0",
        "",
        "Graded 3 submission(s): mean 2.33, median 0 of 8",
        "Review: 1 part(s) in review → 1 answer group(s) to look at",
        "Unreadable: 2 part(s) in 1 submission(s)",
        "Submissions with problems: none",
        f"Results in {tmp_path}/<submission>/results.json",
        f"Feedback in {tmp_path}/<submission>/feedback.html and feedback.md",
    ]
    assert lines[-1].startswith("Student code isolation: ")


def test_on_a_terminal_a_progress_bar_counts_and_disappears(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    submissions = tmp_path / "in"
    for name in ("alice", "evil\x1b[2Jname"):
        shutil.copytree(TINY / "submissions" / "alice", submissions / name)
    printed = tiny_grade(tmp_path / "out", submissions, FakeTerminal())
    assert "grading" in printed and "2/2" in printed and "elapsed" in printed and "ETA" in printed
    assert "\x1b[?25l" in printed  # rich hid the cursor while drawing: it was a live display
    assert "\x1b[2J" not in printed, "a folder name must not reach the terminal as a control sequence"
    assert "evil\\x1b[2Jname" in printed
    assert "Graded 2 submission(s)" in printed


LONG = "s002-02-perfect-latex-unicode-" + "x" * 60  # longer than the name column grows


def test_names_are_never_cut(tmp_path: Path) -> None:
    submissions = tmp_path / "in"
    for name in ("s002-02-perfect-latex-unicode", "Doé", LONG):
        shutil.copytree(TINY / "submissions" / "bob", submissions / name)
    lines = tiny_grade(tmp_path / "out", submissions).splitlines()
    width = len("s002-02-perfect-latex-unicode")  # the column fits the longest name that shares its row
    assert lines[0].startswith(f"{'submission':<{width}} {'score':>11}  ")
    rows = [line[: width + 12] for line in lines]
    assert f"{'Doé':<{width}} {'0/8':>11}" in rows
    assert f"s002-02-perfect-latex-unicode {'0/8':>11}" in rows
    at = lines.index(LONG)  # too long for the column: a line of its own, its row below
    assert lines[at + 1].startswith(f"{'':<{width}} {'0/8':>11}")


def part(part_id: str, verdict: Verdict, as_read: str | None = "x", score: float = 0.0) -> PartResult:
    return PartResult(
        part_id, part_id.split(".")[0], part_id, 1.0, score, verdict, "", as_read, as_read, group=as_read or ""
    )


def test_the_summary_counts_review_groups_unreadable_parts_and_problems() -> None:
    failed = f"{GRADER_FAILED} (its process: BrokenProcessPool)."
    results = [
        SubmissionResult("ann", (part("p.a", "needs_review", "same"), part("p.b", "correct", score=1.0))),
        SubmissionResult("ben", (part("p.a", "needs_review", "same"), part("p.b", "unreadable", None))),
        SubmissionResult(
            "cy", (part("p.a", "needs_review", "other"), part("p.b", "unreadable", None)), ("Warning: x",)
        ),
        SubmissionResult(
            "dee\x1b]0;", (part("p.a", "correct", score=1.0), part("p.b", "correct", score=1.0)), (failed,)
        ),
    ]
    assert summary(results) == [
        "Graded 4 submission(s): mean 0.75, median 0.5 of 2",
        "Review: 3 part(s) in review → 2 answer group(s) to look at",
        "Unreadable: 2 part(s) in 2 submission(s)",
        "Submissions with problems: 2, 1 where the grader failed (!) (full messages in their feedback):",
        f"  ! dee\\x1b]0;: {failed}",
        "  cy: Warning: x",
    ]


def test_many_submissions_with_problems_are_all_named() -> None:
    results = [SubmissionResult(f"student-{n:02}", (part("p.a", "correct"),), ("No answers.yaml.",)) for n in range(25)]
    lines = summary(results)
    assert lines[-1] == "  and 5 more: " + ", ".join(f"student-{n:02}" for n in range(20, 25))


def test_version_is_the_installed_distributions(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("--version") == (EXIT_OK, f"autograder {importlib.metadata.version('attention-autograder')}\n")

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert run("--version") == (EXIT_OK, f"autograder {autograder.__version__}\n")


MISTYPED = [
    (["grade", "submissions", "--porblems", "problems/x"], "unknown option --porblems (did you mean --problems?)"),
    (["grade", "--problems", "p", "--jobz", "2"], "unknown option --jobz (did you mean --jobs?)"),
    (["check", "s", "--problems=p", "--prolbems", "r"], "unknown option --prolbems (did you mean --problems?)"),
    (["check", "s", "--problems=p", "--reference", "r"], "unknown option --reference\n"),  # check takes none
    (["report", "--overides", "o.yaml"], "unknown option --overides (did you mean --overrides?)"),
    (["grde", "submissions"], "unknown command 'grde' (did you mean 'grade'?)"),
    (["gradescope", "rn"], "unknown command 'rn' (did you mean 'run'?)"),
    (["zzz"], "unknown command 'zzz' (one of: grade, check, validate, report, gradescope"),
    (["--verison"], "unknown option --verison (did you mean --version?)"),
    (["grade", "--problems"], "argument --problems: expected one argument"),  # nothing mistyped: argparse's own
]


@pytest.mark.parametrize(("argv", "said"), MISTYPED)
def test_a_mistyped_option_or_command_gets_the_closest_one(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(*argv)[0] == EXIT_USAGE
    error = capsys.readouterr().err
    assert said in error and error.startswith("usage: autograder")


def test_help_lists_checks_exit_codes() -> None:
    code, printed = run("check", "--help")
    assert code == EXIT_OK
    assert "exit status: 0 when every answer given was read; 1 when" in " ".join(printed.split())


def write_answers(folder: Path, text: str, name: str = "answers.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# answers.yaml → (exit code, what check must say).
CHECKED = [
    ("q1:\n  a: d*mu^2\n", EXIT_OK, "Every answer given was read (1 of 29 parts answered)."),
    ("q6:\n  c:\n    tme: O(N^2 D)\n", EXIT_NOT_READ, "'q6.c.tme' is not an answer id of this homework"),
    ("q6:\n  c:\n    tme: O(N^2 D)\n", EXIT_NOT_READ, "(did you mean 'q6.c.time'?)"),
    ("q6:\n  c:\n    tme: O(N^2 D)\n", EXIT_NOT_READ, "Fix before you submit: 1 answer was ignored. 0 of 29 parts"),
    ("q6:\n  c: O(N^2 D)\n", EXIT_NOT_READ, "'q6.c' has parts (q6.c.time, q6.c.space)"),
    ("q1:\n  a:\n    x: d\n", EXIT_NOT_READ, "'q1.a.x' is nested below the answer id 'q1.a'"),
    ("q1:\n  a: d\n  a: 2d\n", EXIT_NOT_READ, "'q1.a' is given 2 times in answers.yaml (lines 2 and 3)"),
    ("q1:\n  a: d\n  a: 2d\n", EXIT_NOT_READ, "Fix before you submit: 1 answer could not be read"),
    ("q1:\n  a: d\nq1.a: d\n", EXIT_OK, "each time with the same answer: it was read once"),
    ("q1:\n  a: d\nq1.a: d\n", EXIT_OK, "Every answer given was read (1 of 29 parts answered); see the notes above."),
    ("q1:\n  b: d^(\n", EXIT_NOT_READ, "COULD NOT BE READ"),
    ("- d\n", EXIT_NOT_READ, "No answer could be read: fix the problem in the note above first."),
    (
        "q1:\n  b: d^(\n  x: 1\n  y: 2\nq9: 3\n",
        EXIT_NOT_READ,
        "Fix before you submit: 1 answer could not be read, 3 were ignored. 0 of 29 parts were read.",
    ),
]


@pytest.mark.parametrize(("text", "code", "said"), CHECKED)
def test_check_says_what_was_not_read_and_exits_1_for_it(tmp_path: Path, text: str, code: int, said: str) -> None:
    write_answers(tmp_path / "me", text)
    found, printed = run("check", str(tmp_path / "me"), "--problems", str(HW9_PROBLEMS))
    assert said in printed
    assert found == code
    assert "Every answer given was read" not in printed or code == EXIT_OK


@pytest.mark.parametrize("name", ["answers.yaml", "answers.yml"])
def test_check_takes_the_answers_file_itself(tmp_path: Path, name: str) -> None:
    path = write_answers(tmp_path / "me", "q1:\n  a: d*mu^2\n", name)
    code, printed = run("check", str(path), "--problems", str(HW9_PROBLEMS))
    assert code == EXIT_OK and "read as: d*mu^2" in printed


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("answers.docx", "give your submission folder, its answers.yaml, your write-up or the .zip"),
        (None, "no such folder or file"),
    ],
)
def test_check_refuses_other_paths_with_a_reason(
    tmp_path: Path, name: str | None, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_answers(tmp_path, "q1: {a: d}\n", name) if name else tmp_path / "missing"
    assert run("check", str(path), "--problems", str(HW9_PROBLEMS))[0] == EXIT_USAGE
    assert said in capsys.readouterr().err


def test_grade_reports_an_id_given_twice(tmp_path: Path) -> None:
    write_answers(tmp_path / "in" / "dup", "q1:\n  a: d\n  a: 2d\n")
    write_answers(tmp_path / "in" / "other", "q1:\n  a: d\n")
    code, printed = run(
        "grade", str(tmp_path / "in"), "--problems", str(HW9_PROBLEMS), "--out", str(tmp_path / "out"), "--jobs", "1"
    )
    assert code == EXIT_OK
    assert "dup: 'q1.a' is given 2 times in answers.yaml (lines 2 and 3) with different answers" in printed
    data = results(tmp_path / "out", "dup")
    assert verdicts(data)["q1.a"] == "unreadable"
    assert "Keep only the answer you mean" in data["output"]


@pytest.mark.parametrize("layout", ["empty", "source only", "env points at an empty folder"])
def test_gradescope_run_outside_a_gradescope_root_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    root = tmp_path / "autograder"
    root.mkdir()
    if layout == "source only":
        (root / "source").mkdir()
    monkeypatch.delenv(gradescope.ROOT_ENV, raising=False)
    if layout.startswith("env"):
        monkeypatch.setenv(gradescope.ROOT_ENV, str(root))
    else:
        monkeypatch.setattr(gradescope, "DEFAULT_ROOT", root)  # never the machine's real /autograder
    before = sorted(tmp_path.rglob("*"))
    code, printed = run("gradescope", "run")
    assert code == EXIT_USAGE
    assert sorted(tmp_path.rglob("*")) == before, "nothing written: no results/ folder"
    error = capsys.readouterr().err
    assert "not a Gradescope autograder root" in error and "no submission/" in error
    assert "set AUTOGRADER_ROOT=/path/with/source-and-submission" in error
    assert printed == ""


def test_report_prints_the_review_load_in_answer_groups(tmp_path: Path) -> None:
    submissions = tmp_path / "in"
    for name in ("ann", "ben"):  # the same manual answer twice: two parts in review, one group
        shutil.copytree(TINY / "submissions" / "alice", submissions / name)
    tiny_grade(tmp_path / "out", submissions)
    code, printed = run("report", str(tmp_path / "out"))
    assert code == EXIT_OK
    assert "Review: 2 part(s) in review → 1 answer group(s) to look at" in printed.splitlines()


def test_the_progress_bar_draws_from_no_thread_of_its_own() -> None:
    # grading forks (workers, per-submission children) while the bar is up: no thread may hold stdout's lock then
    stream = io.StringIO()
    before = threading.active_count()
    with BatchView(stream, ["ann", "ben"], console=Console(file=stream, force_terminal=True, width=100)) as view:
        assert threading.active_count() == before
        view.add(SubmissionResult("ann", (part("p.a", "correct", score=1.0),)))
        assert "1/2" in stream.getvalue()  # redrawn as each submission is written
    assert "ann " in stream.getvalue()


@pytest.mark.parametrize(
    ("messages", "listed"),
    [
        (("Graded hw9/answers.yaml from your upload.",), False),  # where the answers were: information
        (("No answers.yaml was found, so the answers were extracted from your write-up chat.md.",), False),
        (("Warning: 'q7.a' is not an answer id of this homework and was ignored.",), True),
        (("Graded hw9/answers.yaml from your upload.", "answers.yaml is not valid YAML (line 3)."), True),
    ],
)
def test_the_summary_lists_problems_not_where_answers_were_found(messages: tuple[str, ...], listed: bool) -> None:
    lines = progress.summary([SubmissionResult("alice", (), messages)])
    problems = next(line for line in lines if line.startswith("Submissions with problems"))
    assert (problems != "Submissions with problems: none") is listed
    assert not any("Graded hw9/answers.yaml" in line for line in lines)
