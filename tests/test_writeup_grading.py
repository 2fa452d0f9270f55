"""Grading a write-up end to end: found in the upload, extracted, graded, with where each
answer came from in every output, low confidence in review and first/last attempts
in the report.

The format readers and the extractor have their own tests; here a small reader stands
in for them (``locate.read_writeup`` patched) so that each case says exactly what was
extracted: a line ``<id> => <answer>`` is one attempt, ``[low]`` at its end makes it
one of low confidence. The tiny problem set keeps every grading fast."""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from autograder import api, gradescope, locate
from autograder.cli import EXIT_NOT_READ, EXIT_OK, main
from autograder.problem import ProblemSet
from autograder.render.report import class_report
from autograder.result import PartResult, Verdict
from autograder.session import AnswerKey, Grading
from autograder.writeup.graded import ATTEMPT_ROWS, LOW_CONFIDENCE, attempts_row
from autograder.writeup.model import Attempt, Confidence, Extracted, Extraction, Refused
from tests.conftest import SUBMISSIONS, TINY

PROBLEMS = TINY / "problems"
REFERENCE = TINY / "reference"
LINE = re.compile(r"^(?P<id>[\w.]+) => (?P<text>.*?)(?P<low> \[low\])?$")
RIGHT = {
    "algo.sort": "O(n log n)",
    "algo.graph": "O(n + m)",
    "algo.name": "sort",
    "mech.energy": "m v^2/2",
    "mech.fall": "g t^2/2",
    "mech.velocity": "[3, -9.81]",
    "mech.g": "9.81",
}
"""Right answers of the tiny set (mech.explain is manual: always in review)."""


def fake_reader(path: Path, problems: ProblemSet) -> Extraction:
    """The contract of formats.load + extract.extract, on the test's own line format."""
    if path.suffix == ".pdf":
        raise Refused(f"{path.name}: a PDF's text layer garbles math; upload the .md or .tex instead.")
    lines = path.read_text(encoding="utf-8").splitlines()
    found: dict[str, list[Attempt]] = {}
    for number, line in enumerate(lines, 1):
        match = LINE.match(line)
        if match:
            confidence: Confidence = "low" if match["low"] else "high"
            attempt = Attempt(match["text"], number, number, line, "answer-line", confidence, note="")
            found.setdefault(match["id"], []).append(attempt)
    parts = {answer_id: Extracted(answer_id, tuple(attempts)) for answer_id, attempts in found.items()}
    missing = tuple(part.id for part in problems.parts if part.id not in parts)
    return Extraction(path.name, "text", parts, missing)


REAL_READER = locate.read_writeup


@pytest.fixture(autouse=True)
def reader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(locate, "read_writeup", fake_reader)


@pytest.fixture(scope="module")
def key() -> AnswerKey:
    return api.load_key(problems=PROBLEMS, reference=REFERENCE)


def writeup(answers: Mapping[str, str | list[str]], extra: str = "") -> str:
    """A chat-like write-up: one ``id => answer`` line per attempt, prose around them."""
    lines = ["# My homework", "", "User: please answer every part.", ""]
    for answer_id, given in answers.items():
        for text in [given] if isinstance(given, str) else given:
            lines += [f"Working on {answer_id}.", f"{answer_id} => {text}", ""]
    return "\n".join(lines) + extra + "\n"


def make(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def parts_of(result: Any) -> dict[str, PartResult]:
    return {part.id: part for part in result.parts}


def test_a_writeup_folder_is_graded_with_where_each_answer_came_from(tmp_path: Path, key: AnswerKey) -> None:
    folder = make(tmp_path / "alice", {"report.md": writeup(RIGHT)})
    [result] = api.grade_with_feedback(folder, key=key, out=tmp_path / "out")
    parts = parts_of(result)
    assert result.writeup == "report.md"
    assert {answer_id for answer_id, part in parts.items() if part.verdict == "correct"} == set(RIGHT)
    sort = parts["algo.sort"]
    assert sort.source == "report.md, line 6 (answer-line, high confidence)"
    assert sort.quote == "algo.sort => O(n log n)"
    assert (sort.attempts, sort.first_verdict) == (1, "correct")
    assert any("extracted from your write-up report.md" in message for message in result.messages)
    explain = parts["mech.explain"]
    # the write-up answers mech's other parts, so not finding this one is not knowing it is absent
    assert (explain.verdict, explain.score) == ("needs_review", 0.0)
    assert "Nothing was found for this part in report.md (looked for 'mech.explain'" in explain.feedback
    assert "answers other parts of mech" in explain.feedback
    assert "counts as unanswered" not in explain.feedback and "Not answered." not in explain.feedback
    html = (tmp_path / "out" / "alice" / "feedback.html").read_text(encoding="utf-8")
    assert 'id="readback-algo.sort"' in html and "report.md, line 6 (answer-line, high confidence)" in html
    assert '<pre class="quote">algo.sort =&gt; O(n log n)</pre>' in html
    markdown = (tmp_path / "out" / "alice" / "feedback.md").read_text(encoding="utf-8")
    assert "Found in your write-up: ` report.md, line 6 (answer-line, high confidence) `" in markdown
    record = json.loads((tmp_path / "out" / "alice" / "result.json").read_text(encoding="utf-8"))
    assert record["writeup"] == "report.md"
    results = json.loads((tmp_path / "out" / "alice" / "results.json").read_text(encoding="utf-8"))
    test = next(test for test in results["tests"] if test["extra_data"]["id"] == "algo.sort")
    assert test["output"].startswith("Found in your write-up: report.md, line 6 (answer-line, high confidence)\n")
    assert test["extra_data"]["source"] == sort.source


def test_gradescope_run_grades_a_writeup_the_same_way(tmp_path: Path, key: AnswerKey) -> None:
    root = tmp_path / "root"
    shutil.copytree(PROBLEMS, root / "source" / "problems")
    shutil.copytree(REFERENCE, root / "source" / "reference")
    (root / "source" / "autograder.json").write_text('{"problems": "problems", "reference": "reference"}')
    make(root / "submission", {"hw/chat.txt": writeup({**RIGHT, "algo.sort": "O(n^2)"})})
    log = io.StringIO()
    assert gradescope.run(root, log=log) == 0
    data = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    tests = {test["extra_data"]["id"]: test for test in data["tests"]}
    assert tests["algo.sort"]["extra_data"]["verdict"] == "incorrect"
    assert tests["algo.graph"]["status"] == "passed"
    assert "Found in your write-up: hw/chat.txt, line 6" in tests["algo.sort"]["output"]
    assert "extracted from your write-up hw/chat.txt" in data["output"]
    [local] = api.grade(root / "submission", key=key, out=tmp_path / "out")
    written = json.loads((tmp_path / "out" / local.submission / "results.json").read_text(encoding="utf-8"))
    assert (written["score"], written["tests"], written["output"]) == (data["score"], data["tests"], data["output"])


def test_low_confidence_makes_the_part_wait_for_review_with_provisional_points(tmp_path: Path, key: AnswerKey) -> None:
    folder = make(tmp_path / "bob", {"notes.tex": writeup({**RIGHT, "algo.sort": "O(n log n) [low]"})})
    part = parts_of(Grading(key).grade_folder(folder))["algo.sort"]
    assert part.verdict == "needs_review"
    assert part.score == part.max_score  # the graded credit, provisional
    assert LOW_CONFIDENCE.format(how=part.source) in part.feedback
    assert part.feedback.endswith("This grade is provisional: an instructor will review it.")
    assert "low confidence" in part.source


def test_a_wrong_low_confidence_answer_is_in_review_with_no_points(tmp_path: Path, key: AnswerKey) -> None:
    folder = make(tmp_path / "bob", {"notes.md": writeup({"algo.sort": "O(n) [low]"})})
    part = parts_of(Grading(key).grade_folder(folder))["algo.sort"]
    assert (part.verdict, part.score) == ("needs_review", 0.0)


@pytest.mark.parametrize(
    ("files", "said"),
    [
        ({"a.md": "x", "b.tex": "y"}, "Several write-ups were found in your upload (a.md, b.tex)"),
        ({"a.md": "x", "sub/b.ipynb": "y"}, "Several write-ups were found in your upload (a.md, sub/b.ipynb)"),
        ({"report.pdf": "%PDF"}, "report.pdf: a PDF's text layer garbles math"),
    ],
)
def test_refused_uploads_grade_nothing_and_say_why(
    tmp_path: Path, key: AnswerKey, files: dict[str, str], said: str
) -> None:
    result = Grading(key).grade_folder(make(tmp_path / "carol", files))
    assert {part.verdict for part in result.parts} == {"unanswered"}
    assert any(said in message for message in result.messages), result.messages


def test_readme_and_pdf_beside_the_writeup_are_not_write_ups(tmp_path: Path, key: AnswerKey) -> None:
    files = {"README.md": "about", "requirements.txt": "torch", "report.pdf": "%PDF", "chat.md": writeup(RIGHT)}
    result = Grading(key).grade_folder(make(tmp_path / "dana", files))
    assert result.writeup == "chat.md"
    assert parts_of(result)["algo.sort"].verdict == "correct"
    assert any("Not read: report.pdf" in message for message in result.messages)


def test_answers_yaml_wins_over_a_writeup_and_says_so(tmp_path: Path, key: AnswerKey) -> None:
    files = {"answers.yaml": "algo:\n  sort: O(n)\n", "report.md": writeup(RIGHT)}
    result = Grading(key).grade_folder(make(tmp_path / "erin", files))
    assert result.writeup == ""
    assert parts_of(result)["algo.sort"].verdict == "incorrect"
    assert parts_of(result)["algo.sort"].source == ""
    assert any("Not read, since answers.yaml was found: report.md" in message for message in result.messages)


def test_a_zip_holding_a_writeup_and_a_writeup_given_as_a_file(tmp_path: Path, key: AnswerKey) -> None:
    archive = tmp_path / "frank.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hw/report.md", writeup(RIGHT))
    result = Grading(key).grade_folder(archive)
    assert result.writeup == "hw/report.md"
    assert parts_of(result)["algo.graph"].verdict == "correct"
    single = make(tmp_path / "loose", {"chat.md": writeup(RIGHT)}) / "chat.md"
    assert parts_of(Grading(key).grade_folder(single))["algo.graph"].source.startswith("chat.md, line ")
    assert api.find_submissions(single) == [single]


def test_a_folder_with_one_writeup_and_subfolders_is_one_submission(tmp_path: Path) -> None:
    folder = make(tmp_path / "gina", {"chat.md": "x", "figures/plot.png": "png", "data/x.csv": "1"})
    assert api.find_submissions(folder) == [folder]
    batch = make(tmp_path / "batch", {"notes.md": "x", "a/chat.md": "x", "b/answers.yaml": "algo: {sort: x}"})
    assert api.find_submissions(batch) == [batch / "a", batch / "b"]


@pytest.mark.parametrize(
    ("attempts", "row"),
    [
        (["O(n log n)"], "one-shot"),
        (["O(n log n)", "O(n log n)"], "kept"),
        (["O(n)", "O(n log n)"], "corrected"),
        (["O(n)", "O(n^2)"], "not fixed"),
        (["O(n log n)", "O(n)"], "not fixed"),
        (["O(n)"], "not fixed"),
        (["O(n)", "O(n log n) [low]"], "review"),
        (["O(n) [low]", "O(n log n)"], "review"),
    ],
)
def test_first_and_last_attempts_rows(tmp_path: Path, key: AnswerKey, attempts: list[str], row: str) -> None:
    folder = make(tmp_path / "hank", {"chat.md": writeup({"algo.sort": attempts, "algo.name": "sort"})})
    [result] = api.grade_with_feedback(folder, key=key, out=tmp_path / "out")
    sort = parts_of(result)["algo.sort"]
    assert sort.attempts == len(attempts)
    first_right = attempts[0] == "O(n log n)"
    if len(attempts) > 1:
        assert sort.first_verdict == (
            "needs_review" if "[low]" in attempts[0] else "correct" if first_right else "incorrect"
        )
    assert (sort.first_answer is not None) == (len(set(attempts)) > 1)
    report = api.report(tmp_path / "out")
    rows = {(item.submission, item.part.id): item.row for item in report.report.attempts}
    assert rows[("hank", "algo.sort")] == row
    assert rows[("hank", "mech.g")] == "unanswered"
    counts = {item.id: item.counts for item in report.report.attempt_counts}
    assert counts["algo.sort"][row] == 1 and sum(counts["algo.sort"].values()) == 1
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert f'data-part="algo.sort" data-row="{row}"' in html
    assert 'href="hank/feedback.html#readback-algo.sort"' in html


def test_the_last_attempt_is_what_counts(tmp_path: Path, key: AnswerKey) -> None:
    folder = make(tmp_path / "ivy", {"chat.md": writeup({"algo.sort": ["O(n)", "O(n log n)"]})})
    sort = parts_of(Grading(key).grade_folder(folder))["algo.sort"]
    assert (sort.verdict, sort.first_verdict, sort.first_score) == ("correct", "incorrect", 0.0)
    assert sort.first_answer == "O(n)"
    assert "the last of 2 attempts" in sort.source


@pytest.mark.parametrize(
    ("verdict", "attempts", "first", "reprompts", "row"),
    [
        ("correct", 1, "correct", 0, "one-shot"),
        ("correct", 1, "correct", 1, "kept"),
        ("incorrect", 1, "incorrect", 1, "not fixed"),
        ("partial", 2, "incorrect", 0, "not fixed"),
        ("needs_review", 1, "needs_review", 0, "review"),
        ("correct", 2, None, 0, "review"),
        ("unanswered", 0, None, 0, "unanswered"),
    ],
)
def test_attempts_row_words(verdict: Verdict, attempts: int, first: Verdict | None, reprompts: int, row: str) -> None:
    assert attempts_row(verdict, attempts, first, reprompts) == row
    assert row in ATTEMPT_ROWS


def test_answers_yaml_submissions_have_no_attempts_rows(tmp_path: Path, key: AnswerKey) -> None:
    api.grade_with_feedback(TINY / "submissions" / "alice", key=key, out=tmp_path / "out")
    report = api.report(tmp_path / "out")
    assert report.report.attempts == ()
    assert 'id="attempts"' not in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert class_report(report.records).attempt_counts == ()


def test_a_script_in_a_transcript_stays_text(tmp_path: Path, key: AnswerKey) -> None:
    hostile = {**RIGHT, "algo.name": "<script>alert(1)</script>"}
    folder = make(tmp_path / "<img src=x>", {"chat.md": writeup(hostile)})
    api.grade_with_feedback(folder, key=key, out=tmp_path / "out")
    api.report(tmp_path / "out")
    for page in ("<img src=x>/feedback.html", "report.html"):
        html = (tmp_path / "out" / page).read_text(encoding="utf-8")
        assert "<script>" not in html and "<img src=x>" not in html
    html = (tmp_path / "out" / "<img src=x>" / "feedback.html").read_text(encoding="utf-8")
    assert "algo.name =&gt; &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "default-src 'none'" in html


def test_check_shows_what_was_extracted_and_fails_on_low_or_missing(tmp_path: Path) -> None:
    folder = make(tmp_path / "jo", {"chat.md": writeup({**RIGHT, "algo.sort": "O(n log n) [low]"})})
    out = io.StringIO()
    assert main(["check", str(folder), "--problems", str(PROBLEMS)], out=out) == EXIT_NOT_READ
    said = re.sub(r" {2,}", " ", out.getvalue())
    assert "algo.graph found in chat.md, line 9 (answer-line, high confidence)" in said
    assert "| algo.graph => O(n + m)" in said
    assert "LOW CONFIDENCE" in said
    assert "mech.explain NOTHING FOUND in chat.md" in said
    assert "2 parts of the write-up found with low confidence or not at all" in said
    settled = make(tmp_path / "kim", {"chat.md": writeup({**RIGHT, "mech.explain": "mass cancels out"})})
    out = io.StringIO()
    assert main(["check", str(settled / "chat.md"), "--problems", str(PROBLEMS)], out=out) == EXIT_OK
    assert re.search(
        r"algo.sort +found in chat.md, line 6 .*\n.*\n +extracted: O\(n log n\)\n +read as: O\(n\*log\(n\)\)",
        out.getvalue(),
    )


WRITEUP_SUBMISSIONS = ("10-chat-export", "11-latex-writeup", "12-notebook")


@pytest.fixture(scope="module")
def graded_examples(tmp_path_factory: pytest.TempPathFactory, hw9_key: AnswerKey) -> tuple[Path, dict[str, Any]]:
    """The example write-ups in submissions/, graded once with the real readers and extractor."""
    out = tmp_path_factory.mktemp("examples")
    results = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(locate, "read_writeup", REAL_READER)
        for name in WRITEUP_SUBMISSIONS:
            [result] = api.grade_with_feedback(SUBMISSIONS / name, key=hw9_key, out=out)
            results[name] = result
    return out, results


@pytest.mark.parametrize("name", WRITEUP_SUBMISSIONS)
def test_example_writeups_grade_nothing_silently(graded_examples: tuple[Path, dict[str, Any]], name: str) -> None:
    """Whatever the extractor finds, every part says where its answer came from or that
    nothing was found, and no low-confidence answer is graded without review."""
    out, results = graded_examples
    result = results[name]
    assert result.writeup and (SUBMISSIONS / name / result.writeup).is_file()
    answered = [part for part in result.parts if part.attempts]
    assert len(answered) >= len(result.parts) // 2, "most parts of the example are found"
    for part in result.parts:
        if not part.attempts:  # unanswered, or in review when the rest of its question is answered
            assert part.verdict in ("unanswered", "needs_review") and part.score == 0
            assert part.source == "" and "Nothing was found for this part in" in part.feedback
        else:
            assert part.source.startswith(result.writeup + ", line") and part.quote.strip()
            assert part.attempts >= 1 and part.first_verdict is not None
        if "low confidence" in part.source:
            assert part.verdict == "needs_review"
    html = (out / name / "feedback.html").read_text(encoding="utf-8")
    assert html.count('class="readback"') == len(result.parts)


def test_a_refused_pdf_says_what_was_expected_and_what_the_upload_held(tmp_path: Path, key: AnswerKey) -> None:
    result = Grading(key).grade_folder(make(tmp_path / "lee", {"report.pdf": "%PDF", "data/x.csv": "1"}))
    assert result.messages[0] == locate.NO_ANSWERS
    assert "Your upload contained: report.pdf, data/x.csv." in result.messages
    assert "report.pdf: a PDF's text layer garbles math" in result.messages[-1]
    assert result.writeup == "" and {part.verdict for part in result.parts} == {"unanswered"}


def test_a_part_listed_with_no_attempt_counts_as_not_found(tmp_path: Path, key: AnswerKey) -> None:
    def reader(path: Path, problems: ProblemSet) -> Extraction:
        return Extraction(path.name, "markdown", {"algo.sort": Extracted("algo.sort", ())})

    submission = locate.load_answers(make(tmp_path / "max", {"a.md": "x"}), key.problems, reader=reader)
    assert submission.attempt("algo.sort") is None and "algo.sort" not in submission.answers
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(locate, "read_writeup", reader)
        part = parts_of(Grading(key).grade_folder(tmp_path / "max"))["algo.sort"]
    assert (part.verdict, part.attempts) == ("unanswered", 0) and "Nothing was found" in part.feedback
