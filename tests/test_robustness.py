"""A grader no input can crash and that loses nothing: the one writer (atomic, never
through a symlink), text that cannot be encoded, the checks on ``--out``, and a batch
of hostile submissions graded through the CLI next to a correct control."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from autograder import render, safeio, session
from autograder.cli import EXIT_CONFIG, EXIT_OK, main
from autograder.sandbox import ALLOW_UNCONFINED_ENV
from autograder.submission import Submission
from tests.conftest import HW9_PROBLEMS, HW9_REFERENCE, ROOT, SUBMISSIONS, TINY

SCHEMA = json.loads((ROOT / "tests" / "schemas" / "gradescope-results.schema.json").read_text(encoding="utf-8"))
IS_ROOT = os.geteuid() == 0
CONTROL = "01-perfect-plain"
PERFECT_SCORE = 41


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def grade(path: Path, out: Path, *extra: str, problems: Path = HW9_PROBLEMS, reference: Path = HW9_REFERENCE) -> Any:
    return run(
        "grade", str(path), "--problems", str(problems), "--reference", str(reference), "--out", str(out), *extra
    )


# --- text ------------------------------------------------------------------------

PRINTABLE = [
    ("plain √d and μ²", "plain √d and μ²"),
    ("\ud800", "\\ud800"),
    ("a\udfffb", "a\\udfffb"),
    (os.fsdecode(b"M\xfcller"), "M\\xfcller"),
]
TERMINAL = [
    ("name\x1b[31mred", "name\\x1b[31mred"),
    ("bell\x07 and NUL\x00", "bell\\x07 and NUL\\x00"),
    ("title\x1b]0;pwned\x07", "title\\x1b]0;pwned\\x07"),
    ("C1 \x9b2J", "C1 \\x9b2J"),
    ("carriage\rreturn", "carriage\\x0dreturn"),
    ("tab\tin a name", "tab\\x09in a name"),
    ("lines\nstay", "lines\nstay"),
    (os.fsdecode(b"M\xfcller\x1b"), "M\\xfcller\\x1b"),
]


@pytest.mark.parametrize(("text", "shown"), PRINTABLE)
def test_printable_makes_lone_surrogates_visible(text: str, shown: str) -> None:
    assert safeio.printable(text) == shown
    shown.encode("utf-8")


@pytest.mark.parametrize(("text", "shown"), TERMINAL)
def test_terminal_text_has_no_control_characters(text: str, shown: str) -> None:
    assert safeio.for_terminal(text) == shown


def test_json_is_written_with_every_string_encodable(tmp_path: Path) -> None:
    target = safeio.write_json(tmp_path / "data.json", {"\ud800": ["x\udcfc", {"k": "\udfff"}], "n": 1})
    assert json.loads(target.read_text(encoding="utf-8")) == {"\\ud800": ["x\\xfc", {"k": "\\udfff"}], "n": 1}


# --- the writer -------------------------------------------------------------------


def test_writer_replaces_a_planted_symlink_and_never_writes_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    target = tmp_path / "results.json"
    target.symlink_to(victim)
    safeio.write_text(target, "graded")
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not target.is_symlink() and target.read_text(encoding="utf-8") == "graded"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_writer_is_atomic_a_failed_write_keeps_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "grades.csv"
    safeio.write_text(target, "old")

    def no_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_disk)
    with pytest.raises(OSError):
        safeio.write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["grades.csv"]


def test_writer_refuses_a_folder_that_is_a_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").symlink_to(elsewhere)
    with pytest.raises(safeio.UnsafePath, match="cannot write into it"):
        safeio.write_text(tmp_path / "out" / "report.html", "x")
    assert list(elsewhere.iterdir()) == []


def test_every_output_file_goes_through_the_one_writer() -> None:
    writers = ("write_text(", "write_bytes(", '"w")', '"wb")', '"w", ', '"x"')
    # Not output files: a student's zip unpacked into the grader's own temporary folder, the
    # Gradescope zip built in memory, a pipe to a forked child.
    allowed = ('open(destination, "wb") as unpacked', "ZipFile(packed,", "os.fdopen(write_end,")
    offenders = []
    for path in [*(ROOT / "autograder").glob("*.py"), *(ROOT / "autograder" / "render").glob("*.py")]:
        if path.name == "safeio.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if (
                not any(ok in line for ok in allowed)
                and "safeio." not in line
                and any(call in line for call in writers)
            ):
                offenders.append(f"{path.name}:{number}: {line.strip()}")
    assert not offenders


# --- folders we write into ----------------------------------------------------------------

UNSAFE_FOLDERS = {
    "symlink": "is a symbolic link",
    "world-writable": "can be written by others",
    "group-writable": "can be written by others",
    "a file": "is not a folder",
}


def make_unsafe(folder: Path, how: str) -> None:
    if how == "symlink":
        real = folder.with_name(folder.name + "-real")
        real.mkdir(mode=0o755)
        folder.symlink_to(real)
    elif how == "a file":
        folder.write_text("", encoding="utf-8")
    else:
        folder.mkdir()
        os.chmod(folder, 0o777 if how == "world-writable" else 0o775)


@pytest.mark.parametrize(("how", "problem"), UNSAFE_FOLDERS.items(), ids=list(UNSAFE_FOLDERS))
def test_ensure_folder_refuses_a_folder_others_control(tmp_path: Path, how: str, problem: str) -> None:
    make_unsafe(tmp_path / "out", how)
    with pytest.raises(safeio.UnsafePath, match=problem):
        safeio.ensure_folder(tmp_path / "out")


@pytest.mark.skipif(not IS_ROOT, reason="giving a folder to another user needs root")
def test_ensure_folder_refuses_a_folder_owned_by_someone_else(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir(mode=0o755)
    os.chown(tmp_path / "out", 4321, 4321)
    with pytest.raises(safeio.UnsafePath, match="owned by uid 4321, not by root"):
        safeio.ensure_folder(tmp_path / "out")


def test_ensure_folder_creates_missing_folders_0755_whatever_the_umask(tmp_path: Path) -> None:
    saved = os.umask(0o077)
    try:
        made = safeio.ensure_folder(tmp_path / "a" / "b")
    finally:
        os.umask(saved)
    assert stat.S_IMODE(made.stat().st_mode) == 0o755


@pytest.mark.parametrize(("how", "problem"), UNSAFE_FOLDERS.items(), ids=list(UNSAFE_FOLDERS))
@pytest.mark.parametrize("where", ["out", "submission folder"])
def test_grade_refuses_an_unsafe_out_before_grading_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, how: str, problem: str
) -> None:
    out = tmp_path / "out"
    if where == "out":
        make_unsafe(out, how)
    else:
        out.mkdir()
        make_unsafe(out / "alice", how)
    code, printed = grade(TINY / "submissions", out, problems=TINY / "problems", reference=TINY / "reference")
    assert code == EXIT_CONFIG
    assert problem in capsys.readouterr().err
    assert "alice" not in printed, "nothing was graded"
    assert not list(tmp_path.rglob("results.json"))


# --- every submission gets a valid results.json ----------------------------------------


def test_a_submission_that_crashes_the_grader_costs_only_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = session.Grading.grade

    def crash_on_bob(self: session.Grading, submission: Submission) -> Any:
        if submission.name == "bob":
            raise RuntimeError("boom")
        return real(self, submission)

    monkeypatch.setattr(session.Grading, "grade", crash_on_bob)
    code, printed = grade(
        TINY / "submissions", tmp_path, "--jobs", "1", problems=TINY / "problems", reference=TINY / "reference"
    )
    assert code == EXIT_OK
    assert "! The grader failed on this submission (RuntimeError: boom)" in printed
    bob = load(tmp_path, "bob")
    jsonschema.validate(bob, SCHEMA)
    assert bob["score"] == 0 and "RuntimeError: boom" in bob["output"]
    assert {test["extra_data"]["verdict"] for test in bob["tests"]} == {"needs_review"}
    assert load(tmp_path, "alice")["score"] > 0 and load(tmp_path, "carol")["tests"]


def test_a_submission_whose_feedback_cannot_be_written_keeps_its_grades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = render.write_graded

    def fail_for_alice(result: Any, folder: Path, **options: Any) -> Any:
        if result.submission == "alice":
            raise OSError(5, "Input/output error")
        return real(result, folder, **options)

    monkeypatch.setattr(render, "write_graded", fail_for_alice)
    code, printed = grade(TINY / "submissions", tmp_path, problems=TINY / "problems", reference=TINY / "reference")
    assert code == EXIT_OK
    alice = load(tmp_path, "alice")
    jsonschema.validate(alice, SCHEMA)
    assert alice["score"] > 0, "the grades are kept"
    assert "while writing its files (OSError" in alice["output"] and "while writing" in printed
    assert (tmp_path / "bob" / "feedback.html").is_file()


def load(out: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
    return data


def test_allow_unconfined_code_flag_sets_the_sandbox_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_UNCONFINED_ENV, "0")  # restored after the test
    grade(TINY / "submissions", tmp_path / "a", problems=TINY / "problems", reference=TINY / "reference")
    assert os.environ[ALLOW_UNCONFINED_ENV] == "0"
    code, _ = grade(
        TINY / "submissions",
        tmp_path / "b",
        "--allow-unconfined-code",
        problems=TINY / "problems",
        reference=TINY / "reference",
    )
    assert code == EXIT_OK
    assert os.environ[ALLOW_UNCONFINED_ENV] == "1"


# --- a hostile batch through the CLI, with a correct control --------------------------------

ESCAPE_NAME = "esc\x1b[2J\x1b]0;owned\x07name"
NOT_UTF8_NAME = os.fsdecode(b"M\xfcller")
HOSTILE_ANSWERS = {
    "surrogate": 'q1:\n  a: "\\ud800"\n  b: "d \\udcfc"\n"\\ud800": x\n',
    "formula": 'q1:\n  a: "=HYPERLINK(\\"http://x\\")"\n',
    ESCAPE_NAME: 'q1:\n  a: "\\e[31m sqrt(d)"\n  "\\e]0;x\\a": d\n',
    NOT_UTF8_NAME: "q1:\n  a: d\n",
    "=cmd|' -C calc'!A0": "q1:\n  a: d\n",
    "\tTAB-name": "q1:\n  a: d\n",
}


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("hostile")
    submissions = base / "submissions"
    shutil.copytree(SUBMISSIONS / CONTROL, submissions / CONTROL)
    for name, text in HOSTILE_ANSWERS.items():
        (submissions / name).mkdir(parents=True)
        (submissions / name / "answers.yaml").write_text(text, encoding="utf-8")
    (submissions / "symlinked").mkdir()
    (submissions / "symlinked" / "answers.yaml").symlink_to(HW9_REFERENCE / "answers.yaml")
    (submissions / "hardlinked").mkdir()
    shutil.copy(HW9_REFERENCE / "answers.yaml", base / "key-copy.yaml")
    os.link(base / "key-copy.yaml", submissions / "hardlinked" / "answers.yaml")
    out = base / "out"
    code, printed = grade(submissions, out, "--jobs", "2")
    assert code == EXIT_OK, printed
    assert run("report", str(out))[0] == EXIT_OK
    return out, printed


def shown_names() -> list[str]:
    """The folder names under OUT: each submission's name made printable."""
    return [safeio.printable(name) for name in [CONTROL, *HOSTILE_ANSWERS, "symlinked", "hardlinked"]]


def test_every_hostile_submission_gets_a_valid_results_file_and_the_control_full_marks(
    hostile_batch: tuple[Path, str],
) -> None:
    out, _ = hostile_batch
    for name in shown_names():
        data = load(out, name)
        jsonschema.validate(data, SCHEMA)
        assert len(data["tests"]) == 29
        for file in ("result.json", "feedback.html", "feedback.md"):
            assert (out / name / file).stat().st_size > 0
    assert load(out, CONTROL)["score"] == PERFECT_SCORE


@pytest.mark.parametrize("name", ["symlinked", "hardlinked"])
def test_linked_answers_pointing_at_the_reference_do_not_score(hostile_batch: tuple[Path, str], name: str) -> None:
    data = load(hostile_batch[0], name)
    assert data["score"] == 0
    assert "Nothing was graded" in data["output"]
    assert {test["extra_data"]["verdict"] for test in data["tests"]} == {"unanswered"}


def test_unencodable_text_is_shown_escaped_in_every_output(hostile_batch: tuple[Path, str]) -> None:
    out, _ = hostile_batch
    surrogate = load(out, "surrogate")
    by_id = {test["extra_data"]["id"]: test for test in surrogate["tests"]}
    assert "Your answer: \\ud800" in by_id["q1.a"]["output"]
    assert "'\\ud800' is not an answer id" in surrogate["output"]
    assert "\\ud800" in (out / "surrogate" / "feedback.html").read_text(encoding="utf-8")
    assert "\\ud800" in (out / "surrogate" / "feedback.md").read_text(encoding="utf-8")
    assert json.loads((out / "M\\xfcller" / "result.json").read_text(encoding="utf-8"))["submission"] == "M\\xfcller"
    assert "M\\xfcller" in (out / "report.html").read_text(encoding="utf-8")


def test_names_and_answers_reach_the_terminal_escaped(hostile_batch: tuple[Path, str]) -> None:
    _, printed = hostile_batch
    assert not any(char in printed for char in "\x1b\x07\r") and "\ud800" not in printed
    assert "esc\\x1b[2J\\x1b]0;owned" in printed
    assert "M\\xfcller" in printed
    assert "\\x09TAB-name" in printed


def test_grades_csv_cells_are_never_formulas(hostile_batch: tuple[Path, str]) -> None:
    out, _ = hostile_batch
    text = (out / "grades.csv").read_text(encoding="utf-8")
    assert "\r" not in text
    names = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert "'=cmd|' -C calc'!A0" in names and "'\tTAB-name" in names
    assert not any(name.startswith(("=", "+", "-", "@", "\t", "\r")) for name in names)


def test_isolation_is_recorded_in_every_output(hostile_batch: tuple[Path, str]) -> None:
    out, printed = hostile_batch
    control = load(out, CONTROL)["extra_data"]["isolation"]
    assert control and isinstance(control, str)
    for name in shown_names():
        isolation = load(out, name)["extra_data"]["isolation"]
        assert isolation
        record = json.loads((out / name / "result.json").read_text(encoding="utf-8"))
        assert record["isolation"] == isolation
    line = next(line for line in printed.splitlines() if line.startswith("Student code isolation: "))
    assert control in line
    header = (out / "report.html").read_text(encoding="utf-8").split('<p id="isolation">', 1)[1].split("</p>", 1)[0]
    assert header.startswith("Student code isolation: ") and control in header


# --- names that clash in OUT, and a submission folder that is a link -------------------


def test_names_that_clash_in_out_are_filed_apart_and_linked_folders_are_not_read(tmp_path: Path) -> None:
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    literal = "M\\xfcller"  # prints exactly like the non-UTF-8 name below
    for name in (os.fsencode(literal), b"M\xfcller", b"report.html", b"grades.csv"):
        shutil.copytree(SUBMISSIONS / CONTROL, os.fsdecode(bytes(submissions) + b"/" + name))
    os.symlink(HW9_REFERENCE, submissions / "linked-to-the-key")
    out = tmp_path / "out"

    code, printed = grade(submissions, out)
    assert code == EXIT_OK, printed
    assert run("report", str(out))[0] == EXIT_OK  # a folder named report.html no longer breaks it

    filed = sorted(child.name for child in out.iterdir() if (child / "results.json").exists())
    assert filed == sorted([literal, f"{literal}-2", "report.html-2", "grades.csv-2", "linked-to-the-key"])
    for name in (literal, f"{literal}-2", "report.html-2", "grades.csv-2"):
        assert load(out, name)["score"] == PERFECT_SCORE  # every copy of the control, none lost
    assert "Filed as report.html-2" in load(out, "report.html-2")["output"]
    linked = load(out, "linked-to-the-key")
    assert linked["score"] == 0
    assert "symbolic link" in linked["output"]
    assert (out / "report.html").is_file() and (out / "grades.csv").is_file()
