"""Grades that import: the roster, grades.csv with student keys, the Gradescope and Canvas
files (parsed back with ``csv`` and checked against their documented columns and the
graded records), the BOM, and which folders count after a rename and a regrade."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from autograder.cli import EXIT_CONFIG, EXIT_OK, EXIT_USAGE, main
from autograder.manifest import MANIFEST_FILE
from autograder.render.gradebook import CANVAS_KEY_COLUMNS, GRADESCOPE_COLUMNS
from autograder.roster import RosterError, Student, load_roster, match
from tests.conftest import TINY

PROBLEMS = TINY / "problems"
NAMES = ["alice", "bob", "carol"]
ROSTER = (
    "folder,name,email,sid,section,login,canvas id\n"
    "alice,Alice Doé,alice@example.edu,1001,A,adoe,501\n"
    'bob,=HYPERLINK("x"),bob@example.edu,1002,B,,\n'
    "carol,Carol Ng,carol@example.edu,1003,A,cng,\n"
)
BOM = b"\xef\xbb\xbf"


def grade(path: Path, out: Path) -> None:
    assert main(["grade", str(path), "--problems", str(PROBLEMS), "--out", str(out)], io.StringIO()) == EXIT_OK


def report(out: Path, *args: str) -> tuple[int, str]:
    stdout = io.StringIO()
    return main(["report", str(out), *args], stdout), stdout.getvalue()


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def totals(out: Path) -> dict[str, tuple[float, float]]:
    """folder → (score, max score) as results.json, the graders' record, has them."""
    found = {}
    for name in NAMES:
        data = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
        found[name] = (float(data["score"]), sum(float(test["max_score"]) for test in data["tests"]))
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny set's three submissions graded, and a roster in OUT. Do not modify."""
    root = tmp_path_factory.mktemp("gradebook")
    shutil.copytree(TINY / "submissions", root / "submissions")
    grade(root / "submissions", root / "out")
    (root / "out" / "roster.csv").write_text(ROSTER, encoding="utf-8")
    return root / "out"


@pytest.fixture
def out(graded: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(graded, tmp_path / "out"))


# --- Gradescope and Canvas, round trip ------------------------------------------------------


def test_gradescope_export_has_its_columns_and_the_graded_scores(out: Path) -> None:
    code, printed = report(out)
    assert code == EXIT_OK
    assert f"wrote {out / 'gradescope_scores.csv'} (3 row(s))" in printed
    header, *body = rows(out / "gradescope_scores.csv")
    assert header == list(GRADESCOPE_COLUMNS) == ["Name", "SID", "Email", "Section", "Total Score", "Max Points"]
    by_email = {row[2]: dict(zip(header, row, strict=True)) for row in body}
    assert sorted(by_email) == ["alice@example.edu", "bob@example.edu", "carol@example.edu"]
    expected = totals(out)
    for name in NAMES:
        row = by_email[f"{name}@example.edu"]
        assert (float(row["Total Score"]), float(row["Max Points"])) == expected[name]
    assert by_email["alice@example.edu"]["Name"] == "Alice Doé"
    assert by_email["alice@example.edu"]["SID"] == "1001"
    assert by_email["bob@example.edu"]["Name"] == '\'=HYPERLINK("x")'  # never a formula
    assert by_email["carol@example.edu"]["Section"] == "A"


@pytest.mark.parametrize(
    ("options", "column"),
    [
        ([], "problems"),  # the problem set's folder name, by default
        (["--assignment", "HW9"], "HW9"),
        (["--assignment", "HW9", "--canvas-assignment-id", "12345"], "HW9 (12345)"),
    ],
)
def test_canvas_export_has_its_columns_a_points_possible_row_and_the_scores(
    out: Path, options: list[str], column: str
) -> None:
    assert report(out, *options)[0] == EXIT_OK
    header, possible, *body = rows(out / "canvas_grades.csv")
    assert header == [*CANVAS_KEY_COLUMNS, column]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    expected = totals(out)
    assert possible == ["Points Possible", "", "", "", "", f"{max(most for _, most in expected.values()):g}"]
    by_sid = {row[2]: dict(zip(header, row, strict=True)) for row in body}
    assert sorted(by_sid) == ["1001", "1002", "1003"]
    for sid, name in zip(["1001", "1002", "1003"], NAMES, strict=True):
        assert float(by_sid[sid][column]) == expected[name][0]
    assert by_sid["1001"] == {
        "Student": "Alice Doé",
        "ID": "501",
        "SIS User ID": "1001",
        "SIS Login ID": "adoe",
        "Section": "A",
        column: by_sid["1001"][column],
    }


def canvas_import(table: list[list[str]]) -> tuple[str, str, float, dict[str, float]]:
    """What Canvas's importer (app/models/gradebook_importer.rb) reads from a file: it checks
    the header (Student, ID, SIS User ID, SIS Login ID, Section last), splits the assignment
    column into title and ID, takes the Points Possible row, and keys each student by ID,
    else SIS User ID, else SIS Login ID. Returns (title, id, points possible, key → score)."""
    header, *body = table
    assert re.search("Student", header[0]) and re.search("ID", header[1]) and len(header) > 3
    assert re.search(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3])
    assert re.search("Section", header[4])  # the last student column
    column = re.fullmatch(r"(.*?)(?:\s*\((\d+)\))?", header[5])
    assert column is not None
    title, assignment_id = column.group(1), column.group(2)
    possible, scores = 0.0, {}
    for row in body:
        if re.search("Points Possible", row[0]):
            possible = float(row[5])
            continue
        key = row[1] or row[2] or row[3]
        assert key, f"Canvas could match {row} only by name"
        scores[key] = float(row[5])
    return title, assignment_id or "", possible, scores


def test_canvas_reads_the_export_as_its_importer_does(out: Path) -> None:
    assert report(out, "--assignment", "HW 9", "--canvas-assignment-id", "4242")[0] == EXIT_OK
    title, assignment_id, possible, scores = canvas_import(rows(out / "canvas_grades.csv"))
    expected = totals(out)
    assert (title, assignment_id, possible) == ("HW 9", "4242", max(most for _, most in expected.values()))
    assert scores == {"501": expected["alice"][0], "1002": expected["bob"][0], "1003": expected["carol"][0]}


def test_grades_csv_gets_the_student_keys(out: Path) -> None:
    assert report(out)[0] == EXIT_OK
    header, *body = rows(out / "grades.csv")
    assert header[:5] == ["submission", "name", "email", "sid", "section"]
    assert header[-2:] == ["total", "max_total"]
    table = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert table["alice"]["name"] == "Alice Doé" and table["alice"]["sid"] == "1001"
    for name, (score, most) in totals(out).items():
        assert (float(table[name]["total"]), float(table[name]["max_total"])) == (score, most)


def test_without_a_roster_grades_csv_is_keyed_by_folder_and_no_export_is_written(out: Path) -> None:
    roster = out / "roster.csv"
    kept = roster.rename(out.parent / "roster.csv")
    code, printed = report(out)
    assert code == EXIT_OK
    assert rows(out / "grades.csv")[0][:2] == ["submission", "algo.sort"]
    assert not (out / "gradescope_scores.csv").exists() and not (out / "canvas_grades.csv").exists()
    assert "no roster" in printed
    assert report(out, "--roster", str(kept))[0] == EXIT_OK  # a roster kept elsewhere
    assert (out / "gradescope_scores.csv").is_file()
    printed = report(out)[1]  # and without it again: the exports are old, and it says so
    assert f"{out / 'canvas_grades.csv'} is from an earlier report and was not updated" in printed


def test_rows_the_gradebooks_cannot_match_are_left_out_and_listed(out: Path) -> None:
    (out / "roster.csv").write_text(
        "folder,name,email,sid\nalice,Alice,alice@example.edu,1001\nbob,Bob,,\ndave,Dave,dave@example.edu,1004\n",
        encoding="utf-8",
    )
    code, printed = report(out)
    assert code == EXIT_OK
    assert "graded but not in the roster: carol" in printed
    assert "in the roster but not graded: dave" in printed
    assert "bob: the roster gives no email" in printed
    assert "bob: the roster gives no canvas id, sid or login" in printed
    assert [row[0] for row in rows(out / "grades.csv")[1:]] == NAMES  # never dropped from grades.csv
    assert [row[2] for row in rows(out / "gradescope_scores.csv")[1:]] == ["alice@example.edu"]
    assert [row[2] for row in rows(out / "canvas_grades.csv")[2:]] == ["1001"]


# --- the byte-order mark ----------------------------------------------------------------


@pytest.mark.parametrize("file", ["grades.csv", "gradescope_scores.csv", "canvas_grades.csv"])
@pytest.mark.parametrize("bom", [False, True])
def test_a_bom_only_with_bom_and_accents_survive(out: Path, file: str, bom: bool) -> None:
    assert report(out, *(["--bom"] if bom else []))[0] == EXIT_OK
    data = (out / file).read_bytes()
    assert data.startswith(BOM) is bom
    assert data.count(BOM) == int(bom)
    text = data.decode("utf-8-sig")
    assert "Alice Doé" in text
    assert not text.startswith("\ufeff")  # utf-8-sig takes the mark away: the first header is intact
    assert next(csv.reader(io.StringIO(text)))[0] in ("submission", "Name", "Student")


# --- the roster file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("folder,name,email,sid,section\nalice,Alice Doé,a@x.edu,007,A\n", ("Alice Doé", "a@x.edu", "007", "A")),
        ("\ufeffFOLDER,Name,E-mail,SID,Section\nalice,Alice Doé,a@x.edu,007,A\n", ("Alice Doé", "a@x.edu", "007", "A")),
        (
            "Submission,Student,Email Address,Student ID,Sections\nalice, Alice Doé ,a@x.edu,007,A\n",
            ("Alice Doé", "a@x.edu", "007", "A"),
        ),
        ("folder,first_name,last_name,email\nalice,Alice,Doé,a@x.edu\n\n", ("Alice Doé", "a@x.edu", "", "")),
        ("folder,sis user id,sis login id\r\nalice,007,adoe\r\n", ("", "", "007", "")),
    ],
)
def test_roster_headers_in_any_case_and_spelling(tmp_path: Path, text: str, expected: tuple[str, ...]) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("utf-8"))
    student = load_roster(path).get("alice")
    assert student is not None
    assert (student.name, student.email, student.sid, student.section) == expected


def test_roster_yaml(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text("alice: {name: Alice Doé, email: a@x.edu, sid: 0123, section: 1}\nbob: {email: b@x.edu, sid: ~}\n")
    roster = load_roster(path)
    assert roster.students == (  # as written: 0123 is not read as the octal number 83
        Student("alice", name="Alice Doé", email="a@x.edu", sid="0123", section="1"),
        Student("bob", email="b@x.edu"),
    )


# A roster → the located message it is refused with.
ROSTER_ERRORS = [
    ("folder,name\nalice,A\nbob,B\nalice,C\n", "roster.csv:4: folder 'alice' is already on line 2"),
    ("folder,name\nalice,A\n,Nobody\n", "roster.csv:3: no folder; every row needs"),
    ("folder,name,emial\nalice,A,a@x.edu\n", "roster.csv:1: unknown column 'emial'; did you mean 'email'?"),
    ("name,email\nAlice,a@x.edu\n", "roster.csv:1: no 'folder' column"),
    ("folder,email,E-Mail\nalice,a,b\n", "roster.csv:1: column 'E-Mail' repeats another 'email' column"),
    ("folder,name\nalice,A,extra\n", "roster.csv:2: 3 cells but the header has 2 columns"),
    ("", "roster.csv: empty"),
    ("alice: {name: A}\nbob: {name: B}\nalice: {name: C}\n", "roster.yaml:3: folder 'alice' is already on line 1"),
    ("alice: {name: A, mail: a@x.edu}\n", "roster.yaml:1: 'alice': unknown column 'mail'"),
    ("- alice\n", "roster.yaml: a mapping of folder"),
    ("alice: {name: [A, B]}\n", "roster.yaml:1: 'alice': name: give one value"),
]


@pytest.mark.parametrize(("text", "message"), ROSTER_ERRORS)
def test_roster_errors_are_located(tmp_path: Path, text: str, message: str) -> None:
    name = "roster.yaml" if message.startswith("roster.yaml") else "roster.csv"
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError) as raised:
        load_roster(path)
    assert f"{tmp_path}/{message}" in str(raised.value)


def test_a_roster_not_in_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes("folder,name\nalice,Alice\nbob,Doé\n".encode("latin-1"))
    with pytest.raises(RosterError, match=r"roster.csv:3: not UTF-8 \(byte 0xe9\); save it as UTF-8"):
        load_roster(path)


def test_a_bad_roster_stops_report_with_its_message(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / "roster.csv").write_text("folder,name\nalice,A\nalice,B\n", encoding="utf-8")
    assert report(out)[0] == EXIT_CONFIG
    assert "roster.csv:3: folder 'alice' is already on line 2" in capsys.readouterr().err
    assert report(out, "--roster", str(out / "nowhere.csv"))[0] == EXIT_USAGE
    assert report(out, "--canvas-assignment-id", "HW9")[0] == EXIT_USAGE


def test_one_email_for_two_folders_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("folder,email\nalice,a@x.edu\nalice-late,A@x.edu\n", encoding="utf-8")
    roster = load_roster(path)
    found = match(roster, ["alice", "alice-late"])
    assert found.unlisted == [] and found.ungraded == []
    assert found.shared == ["email 'a@x.edu' is given to 2 folders: alice, alice-late"]


# --- stale folders: report counts what the last grading wrote ---------------------------------


def _summary_count(printed: str) -> int:
    return int(printed.split(" submission(s)", 1)[0].rsplit("\n", 1)[-1])


def test_a_rename_and_regrade_leaves_the_old_folder_stale(tmp_path: Path) -> None:
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(TINY / "submissions", submissions)
    grade(submissions, out)
    (submissions / "carol").rename(submissions / "carol-ng")
    grade(submissions, out)
    (out / "roster.csv").write_text(ROSTER.replace("carol,", "carol-ng,"), encoding="utf-8")
    code, printed = report(out)
    assert code == EXIT_OK
    assert _summary_count(printed) == 3
    assert "1 stale folder(s)" in printed and "  - carol\n" in printed
    assert (out / "carol" / "result.json").is_file()  # listed, never deleted
    assert [row[0] for row in rows(out / "grades.csv")[1:]] == ["alice", "bob", "carol-ng"]
    assert len(rows(out / "gradescope_scores.csv")) == 1 + 3
    assert len(rows(out / "canvas_grades.csv")) == 2 + 3
    report_html = (out / "report.html").read_text(encoding="utf-8")
    assert "carol-ng" in report_html and 'data-submission="carol"' not in report_html
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["graded"] == ["alice", "bob", "carol-ng"] and manifest["finished"]


def test_regrading_one_submission_keeps_the_others_current(tmp_path: Path) -> None:
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(TINY / "submissions", submissions)
    grade(submissions, out)
    grade(submissions / "bob", out)
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest["graded"] == NAMES and manifest["merged"] is True
    code, printed = report(out)
    assert code == EXIT_OK and _summary_count(printed) == 3 and "stale" not in printed
    shutil.copytree(TINY / "submissions" / "alice", tmp_path / "dave")
    grade(tmp_path / "dave", out)  # a late submission, graded on its own, joins the list
    code, printed = report(out)
    assert _summary_count(printed) == 4 and "stale" not in printed


def test_an_out_folder_without_a_manifest_counts_every_folder(tmp_path: Path) -> None:
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(TINY / "submissions", submissions)
    grade(submissions, out)
    (submissions / "carol").rename(submissions / "carol-ng")
    grade(submissions, out)
    (out / MANIFEST_FILE).unlink()  # as an older version left it
    code, printed = report(out)
    assert code == EXIT_OK and _summary_count(printed) == 4 and "stale" not in printed
    grade(submissions / "bob", out)  # one submission into such a folder creates no list
    assert not (out / MANIFEST_FILE).exists()
    assert _summary_count(report(out)[1]) == 4


def test_an_override_for_a_stale_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(TINY / "submissions", submissions)
    grade(submissions, out)
    (submissions / "carol").rename(submissions / "carol-ng")
    grade(submissions, out)
    (out / "overrides.yaml").write_text("carol:\n  mech.g: 1\n", encoding="utf-8")
    assert report(out)[0] == EXIT_CONFIG
    assert "carol: a stale folder" in capsys.readouterr().err


def test_a_grading_that_did_not_finish_is_reported(out: Path) -> None:
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    (out / MANIFEST_FILE).write_text(json.dumps({**manifest, "finished": None, "graded": [*NAMES, "zed"]}))
    code, printed = report(out)
    assert code == EXIT_OK
    assert "did not finish" in printed
    assert "zed: listed by the last grading but it has no grades" in printed


def test_a_broken_manifest_is_a_message(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / MANIFEST_FILE).write_text("{not json", encoding="utf-8")
    assert report(out)[0] == EXIT_CONFIG
    assert f"{out / MANIFEST_FILE}: not a grading record" in capsys.readouterr().err
