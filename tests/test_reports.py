"""Feedback and instructor reports: grade submissions/ once through the CLI,
build the reports, and check their content by parsing the HTML (numbers,
verdicts, the common-wrong-answer table), plus overrides, regrading one
submission and ``--compare``."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import statistics
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from autograder.cli import EXIT_CONFIG, EXIT_OK, main
from autograder.render.env import markdown_block, markdown_code
from autograder.render.feedback import feedback_html
from autograder.render.gradebook import grades_csv, safe_cell
from autograder.render.mathtext import math_to_unicode
from autograder.render.records import GradedPart, GradedQuestion, GradedSubmission
from autograder.render.report import common_wrong_answers
from tests.conftest import HW9_PROBLEMS, HW9_REFERENCE, SUBMISSIONS

EXAMPLES = sorted(path.name for path in SUBMISSIONS.iterdir() if path.is_dir())


# --- a small HTML tree, enough to query the reports ------------------------------


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                    (name == "class_" and value in child.attrs.get("class", "").split())
                    or child.attrs.get(name.replace("_", "-")) == value
                    for name, value in attrs.items()
                ):
                    found.append(child)
                found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}>"
        return found[0]


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"meta", "img", "br", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {}, None)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse_html(path: Path) -> Node:
    builder = _TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    return builder.root


# --- fixtures ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def graded_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """submissions/ graded into a fresh OUT folder, then ``autograder report`` on it. Do not modify."""
    out = tmp_path_factory.mktemp("reports") / "out"
    common = ["--problems", str(HW9_PROBLEMS)]
    grade = ["grade", str(SUBMISSIONS), *common, "--reference", str(HW9_REFERENCE), "--out", str(out)]
    assert main(grade, io.StringIO()) == EXIT_OK
    assert main(["report", str(out)], io.StringIO()) == EXIT_OK
    return out


@pytest.fixture
def out_copy(graded_out: Path, tmp_path: Path) -> Path:
    """A copy of the graded OUT folder a test may change."""
    return Path(shutil.copytree(graded_out, tmp_path / "out"))


def gradescope(out: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
    return data


def verdicts(out: Path, name: str) -> dict[str, str]:
    return {test["extra_data"]["id"]: test["extra_data"]["verdict"] for test in gradescope(out, name)["tests"]}


def run_report(out: Path, *args: str) -> tuple[int, str]:
    stdout = io.StringIO()
    return main(["report", str(out), *args], stdout), stdout.getvalue()


# --- feedback ----------------------------------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_gets_feedback_matching_its_results_json(graded_out: Path, name: str) -> None:
    folder = graded_out / name
    assert {"results.json", "result.json", "feedback.html", "feedback.md"} <= {p.name for p in folder.iterdir()}
    page = parse_html(folder / "feedback.html")
    results = gradescope(graded_out, name)
    max_total = sum(test["max_score"] for test in results["tests"])
    assert page.find(id="total").text() == f"Total: {results['score']:g} / {max_total:g} points"
    for test in results["tests"]:
        part = page.find("div", id=f"part-{test['extra_data']['id']}")
        assert part.attrs["data-verdict"] == test["extra_data"]["verdict"]
        assert part.find("dd", class_="points").text() == f"{test['score']:g} / {test['max_score']:g}"
    markdown = (folder / "feedback.md").read_text(encoding="utf-8")
    assert f"**Total: {results['score']:g} / {max_total:g} points**" in markdown


def test_feedback_shows_prompt_answer_as_read_verdict_and_rule_message(graded_out: Path) -> None:
    part = parse_html(graded_out / "03-typical-mistakes" / "feedback.html").find("div", id="part-q1.a")
    assert part.find(class_="prompt").text() == "Find E[qᵀk] in terms of μ, σ and d."
    assert part.find("pre", class_="answer").text() == "d mu^2 + d sigma^2"
    assert part.find("code", class_="as-read").text() == "d*mu^2 + d*sigma^2"
    assert part.find("dd", class_="verdict").text() == "incorrect"
    assert "The mean of qᵀk does not depend on σ" in part.find("div", class_="feedback").text()
    assert not part.find_all("details", class_="reference")  # q1.a: show_reference is false


def test_a_student_sees_how_unicode_math_was_read(graded_out: Path) -> None:
    part = parse_html(graded_out / "02-perfect-latex-unicode" / "feedback.html").find("div", id="part-q1.c")
    assert part.find("pre", class_="answer").text() == "√d"
    assert part.find("code", class_="as-read").text() == "sqrt(d)"
    markdown = (graded_out / "02-perfect-latex-unicode" / "feedback.md").read_text(encoding="utf-8")
    assert "Read as: ` sqrt(d) `" in markdown


def test_question_totals_and_statement_math_in_unicode(graded_out: Path) -> None:
    page = parse_html(graded_out / "03-typical-mistakes" / "feedback.html")
    results = gradescope(graded_out, "03-typical-mistakes")
    q1 = sum(test["score"] for test in results["tests"] if test["extra_data"]["id"].startswith("q1."))
    assert f"({q1:g} / 6)" in page.find("section", id="q1").find("h2").text()
    statement = page.find("section", id="q1").find(class_="statement")
    assert statement.find_all("math") and "$" not in statement.text()  # MathML: tests/test_mathml.py


def test_hostile_answer_is_escaped_everywhere(graded_out: Path) -> None:
    folder = graded_out / "05-unreadable-and-hostile"
    page = parse_html(folder / "feedback.html")
    assert not page.find_all("script")
    assert page.find("div", id="part-q2.b").find("pre", class_="answer").text() == "<script>alert('x')</script>"
    assert "&lt;script&gt;alert(" in (folder / "feedback.html").read_text(encoding="utf-8")
    assert not parse_html(graded_out / "report.html").find_all("script")
    markdown = (folder / "feedback.md").read_text(encoding="utf-8")
    assert "```text\n<script>alert('x')</script>\n```" in markdown  # inside a fenced block: shown, never run


def test_reference_answers_only_when_allowed(graded_out: Path, out_copy: Path) -> None:
    assert "Reference answer" not in (graded_out / "03-typical-mistakes" / "feedback.html").read_text(encoding="utf-8")
    assert run_report(out_copy, "--show-solutions")[0] == EXIT_OK
    part = parse_html(out_copy / "03-typical-mistakes" / "feedback.html").find("div", id="part-q1.c")
    assert part.find("details", class_="reference").find("pre").text() == "\\sqrt{d}"


def test_show_reference_in_the_spec_shows_one_part_only() -> None:
    shown = _part("q9.a", "incorrect", "1", reference="42", show_reference=True)
    hidden = _part("q9.b", "incorrect", "1", reference="43")
    record = GradedSubmission("s", (GradedQuestion("q9", "Q9", "", (shown, hidden)),))
    page = feedback_html(record)
    assert page.count('class="reference"') == 1 and "<pre>42</pre>" in page and "43" not in page


# --- instructor report ---------------------------------------------------------------


def test_class_overview_numbers(graded_out: Path) -> None:
    page = parse_html(graded_out / "report.html")
    scores = [gradescope(graded_out, name)["score"] for name in EXAMPLES]
    overview = page.find("table", id="overview-table")
    assert overview.find(data_stat="count").text() == str(len(EXAMPLES))
    assert overview.find(data_stat="mean").text() == f"{round(statistics.fmean(scores), 2):g} / 41"
    assert overview.find(data_stat="median").text() == f"{round(statistics.median(scores), 2):g} / 41"
    assert page.find("img", id="histogram").attrs["src"].startswith("data:image/png;base64,")
    assert page.find("img", id="shares-plot").attrs["src"].startswith("data:image/png;base64,")


def test_verdict_shares_per_part(graded_out: Path) -> None:
    page = parse_html(graded_out / "report.html")
    all_verdicts = [verdicts(graded_out, name) for name in EXAMPLES]
    for part_id in all_verdicts[0]:
        expected = Counter(by_part[part_id] for by_part in all_verdicts)
        row = page.find("table", id="parts").find("tr", data_part=part_id)
        counts = {
            cell.attrs["data-verdict"]: int(cell.attrs["data-count"])
            for cell in row.find_all("td")
            if "data-verdict" in cell.attrs
        }
        assert counts == {verdict: expected[verdict] for verdict in counts}, part_id
        assert sum(counts.values()) == len(EXAMPLES)


def test_common_wrong_answer_table(graded_out: Path) -> None:
    rows = parse_html(graded_out / "report.html").find("table", id="wrong").find_all("tr", class_="wrong-answer")
    table = {(row.attrs["data-part"], row.find("code", class_="as-read").text()): row for row in rows}
    row = table[("q1.a", "d*mu^2 + d*sigma^2")]
    assert row.find("td", class_="count").text() == "2"  # 03-typical-mistakes and 11-latex-writeup's \answer
    assert row.attrs["data-rule"] == "yes"
    assert "does not depend on σ" in row.find("div", class_="feedback").text()
    assert table[("q3.a.a", "d_k")].attrs["data-rule"] == "no"  # no rule for it: flagged
    assert "no rule" in table[("q3.a.a", "d_k")].text()
    assert all(part != "q1.b" or text == "d^2" for part, text in table)  # right answers are not listed


def test_wrong_answers_are_grouped_by_reading_most_frequent_first() -> None:
    graded = [
        ("a", _part("q1.c", "incorrect", "1/√d", as_read="1/sqrt(d)")),
        ("b", _part("q1.c", "incorrect", "d^2", as_read="d^2")),
        ("c", _part("q1.c", "incorrect", "d^(-1/2)", as_read="1/sqrt(d)")),
        ("d", _part("q1.c", "correct", "√d", as_read="sqrt(d)")),
    ]
    first, second = common_wrong_answers(graded)
    assert (first.as_read, first.count, first.submissions) == ("1/sqrt(d)", 2, ("a", "c"))
    assert first.spellings == ("1/√d", "d^(-1/2)")
    assert (second.as_read, second.count) == ("d^2", 1)


def test_review_queue_links_to_feedback(graded_out: Path) -> None:
    page = parse_html(graded_out / "report.html")
    expected = {
        (name, part) for name in EXAMPLES for part, v in verdicts(graded_out, name).items() if v == "needs_review"
    }
    items = page.find("table", id="review-queue").find_all("a", class_="review-item")
    assert {(item.attrs["data-submission"], item.attrs["data-part"]) for item in items} == expected
    for item in items:
        link = item.attrs["href"]
        assert link == f"{item.attrs['data-submission']}/feedback.html#part-{item.attrs['data-part']}"
        assert (graded_out / link.split("#")[0]).is_file()


def clone(out: Path, source: str, names: list[str]) -> None:
    """Copies of one graded submission under other names (a class that answered alike);
    without the last grading's list of names, so that every folder counts."""
    data = json.loads((out / source / "result.json").read_text(encoding="utf-8"))
    for name in names:
        (out / name).mkdir()
        (out / name / "result.json").write_text(json.dumps({**data, "submission": name}), encoding="utf-8")
    (out / "grading.json").unlink(missing_ok=True)


def review_rows(out: Path) -> dict[tuple[str, str], Node]:
    """The review queue's rows by (part, answer as read)."""
    rows = parse_html(out / "report.html").find("table", id="review-queue").find_all("tr", class_="review-group")
    return {(row.attrs["data-part"], _as_read(row)): row for row in rows}


def _as_read(row: Node) -> str:
    """A row's answer as read; empty for a write-up's part that was not found (nothing was read)."""
    found = row.find_all("code", class_="as-read")
    return found[0].text() if found else ""


ARGMAX = ("q2.b", "Argmax makes training faster because it picks one value.")


def test_review_queue_has_one_row_per_answer_group_with_its_members(out_copy: Path) -> None:
    copies = [f"copy-{index:02d}-with-a-name-longer-than-twenty-eight-characters" for index in range(7)]
    clone(out_copy, "03-typical-mistakes", copies)
    assert run_report(out_copy)[0] == EXIT_OK
    rows = review_rows(out_copy)
    row = rows[ARGMAX]
    members = ["03-typical-mistakes", *copies]
    assert row.attrs["data-count"] == row.find("td", class_="count").text() == str(len(members))
    assert [link.attrs["data-submission"] for link in row.find_all("a", class_="review-item")] == members
    assert len(row.find("details").find_all("a", class_="review-item")) == len(members) - 5  # the rest collapsed
    assert all(name in row.text() for name in members)  # names in full
    assert list(rows)[:2] == [ARGMAX, ("q6.a", "sim(q, k) ≥ 0")]  # largest first
    # 6 groups (03's two, 05's, 10-chat-export's, and a part not found in 11's and 12's answered
    # questions) for 6 + 2 * 7 parts in review
    assert len(rows) == 6
    load = parse_html(out_copy / "report.html").find("p", id="review-load").text()
    assert "20 parts in review → 6 groups" in load


def test_review_row_says_only_why_it_is_in_review(graded_out: Path) -> None:
    why = review_rows(graded_out)[ARGMAX].find("td", class_="why").text()
    assert "missing: zero_gradient" in why and "asserts: argmax_faster_training" in why
    assert "Missing: What is the derivative of argmax" in why
    assert "argmax does not speed up learning" in why  # the misconception's message
    assert "provisional" not in why and "did not recognise" not in why and "earn 0%" not in why


def test_grades_csv(graded_out: Path) -> None:
    rows = list(csv.DictReader((graded_out / "grades.csv").read_text(encoding="utf-8").splitlines()))
    assert [row["submission"] for row in rows] == EXAMPLES
    for row in rows:
        results = gradescope(graded_out, row["submission"])
        assert float(row["total"]) == pytest.approx(results["score"])
        for test in results["tests"]:
            assert float(row[test["extra_data"]["id"]]) == pytest.approx(test["score"])
        q1 = [float(row[key]) for key in row if key.startswith("q1.")]
        assert float(row["q1"]) == pytest.approx(sum(q1))


# A cell as written → as grades.csv holds it (OWASP's CSV injection advice: a leading quote).
CSV_CELLS = [
    ("alice", "alice"),
    ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
    ("+1+1", "'+1+1"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "' =1+1"),
    ("two\nlines", "two lines"),
    ("bare\rreturn and\r\nwindows", "bare return and windows"),
    ("0.5", "0.5"),
]


@pytest.mark.parametrize(("cell", "written"), CSV_CELLS)
def test_csv_cells_cannot_become_formulas_or_rows(cell: str, written: str) -> None:
    assert safe_cell(cell) == written
    record = GradedSubmission(cell, ())
    rows = list(csv.reader(io.StringIO(grades_csv([record]))))
    assert rows[1][0] == written
    assert len(rows) == 2


def test_report_header_names_the_isolation_of_student_code(graded_out: Path) -> None:
    line = parse_html(graded_out / "report.html").find("p", id="isolation").text()
    recorded = {gradescope(graded_out, name)["extra_data"]["isolation"] for name in EXAMPLES}
    assert line.startswith("Student code isolation: ")
    assert all(isolation and isolation in line for isolation in recorded)


# --- overrides, regrading, compare -------------------------------------------------------

OVERRIDE = """\
03-typical-mistakes:
  q2.b:
    score: 1
    comment: Half credit <b>for</b> naming one effect.
"""


def test_override_is_applied_without_regrading(out_copy: Path) -> None:
    (out_copy / "overrides.yaml").write_text(OVERRIDE, encoding="utf-8")
    before = gradescope(out_copy, "03-typical-mistakes")["score"]
    code, printed = run_report(out_copy)
    assert code == EXIT_OK and "1 overridden" in printed

    part = parse_html(out_copy / "03-typical-mistakes" / "feedback.html").find("div", id="part-q2.b")
    assert part.attrs["data-verdict"] == "partial"
    assert part.find("dd", class_="points").text() == "1 / 2"
    assert "set by an instructor" in part.find("dd", class_="verdict").text()
    assert "Comment: Half credit <b>for</b> naming one effect." in part.find(class_="override").text()
    markdown = (out_copy / "03-typical-mistakes" / "feedback.md").read_text(encoding="utf-8")
    assert "**Set by an instructor**: changed from 0 (waiting for an instructor) to 1." in markdown

    report = parse_html(out_copy / "report.html")
    queue = report.find_all("tr", class_="review-item", data_submission="03-typical-mistakes", data_part="q2.b")
    assert not queue  # reviewed: out of the queue
    assert report.find("tr", class_="override-item", data_part="q2.b").attrs["data-submission"] == "03-typical-mistakes"
    assert report.find("tr", data_part="q2.b").find("td", data_verdict="partial").attrs["data-count"] == "1"
    grades = {row["submission"]: row for row in csv.DictReader(io.StringIO((out_copy / "grades.csv").read_text()))}
    assert float(grades["03-typical-mistakes"]["total"]) == pytest.approx(before + 1)
    assert gradescope(out_copy, "03-typical-mistakes")["score"] == before  # the graders' record is untouched


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ("03-typical-mistake:\n  q2.b: 1\n", "did you mean '03-typical-mistakes'?"),
        ("03-typical-mistakes:\n  q2.bb: 1\n", "q2.bb: no such part, did you mean 'q2.b'?"),
        ("03-typical-mistakes:\n  q2.b: {score: 3}\n", "score 3 is outside 0 to 2"),
        ("03-typical-mistakes:\n  q2.b: {score: 1, coment: x}\n", "did you mean 'comment'?"),
    ],
)
def test_bad_override_is_an_error_that_says_what_to_fix(
    out_copy: Path, overrides: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (out_copy / "overrides.yaml").write_text(overrides, encoding="utf-8")
    assert run_report(out_copy)[0] == EXIT_CONFIG
    assert message in capsys.readouterr().err


def test_regrading_one_submission_touches_only_its_folder_and_compare_lists_changes(out_copy: Path) -> None:
    old = Path(shutil.copytree(out_copy, out_copy.parent / "old"))
    untouched = {  # grading.json: the last grading's names, which a regrade updates
        path: path.stat().st_mtime_ns
        for path in out_copy.rglob("*")
        if "03-typical-mistakes" not in path.parts and path.name != "grading.json"
    }
    (out_copy / "03-typical-mistakes" / "results.json").unlink()
    grade = ["grade", str(SUBMISSIONS / "03-typical-mistakes"), "--problems", str(HW9_PROBLEMS)]
    assert main([*grade, "--reference", str(HW9_REFERENCE), "--out", str(out_copy)], io.StringIO()) == EXIT_OK
    assert (out_copy / "03-typical-mistakes" / "results.json").is_file()
    assert {path: path.stat().st_mtime_ns for path in untouched} == untouched

    code, printed = run_report(out_copy, "--compare", str(old))
    assert code == EXIT_OK and "No grade changed." in printed
    assert parse_html(out_copy / "changes.html").find(id="no-changes")

    (out_copy / "overrides.yaml").write_text(OVERRIDE, encoding="utf-8")
    code, printed = run_report(out_copy, "--compare", str(old))
    assert code == EXIT_OK
    assert "03-typical-mistakes" in printed and "q2.b" in printed
    changes = parse_html(out_copy / "changes.html").find("table", id="changes")
    (row,) = changes.find_all("tr", class_="part-change")
    cells = [cell.text() for cell in row.find_all("td")]
    assert (row.attrs["data-submission"], cells[1:]) == (
        "03-typical-mistakes",
        ["q2.b", "0", "1", "needs_review", "partial", ""],  # no cause named: a per-submission entry
    )
    assert parse_html(out_copy / "report.html").find("table", id="changes").find_all("tr", class_="part-change")


def test_report_without_graded_submissions_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_report(tmp_path)[0] == EXIT_CONFIG
    assert "run 'autograder grade' first" in capsys.readouterr().err


# --- small helpers -------------------------------------------------------------------


def test_markdown_code_spans_hold_any_text() -> None:
    assert markdown_code("a `b` c") == "`` a `b` c ``"
    assert markdown_block("x\n```\ny") == "````text\nx\n```\ny\n````"


def test_statement_math_becomes_unicode() -> None:
    assert math_to_unicode(r"$x \in \mathbb{R}^{N \times F}$ and $\sigma^2$") == "x ∈ ℝ^(N × F) and σ²"


def _part(
    part_id: str,
    verdict: Any,
    raw: str,
    *,
    as_read: str | None = None,
    reference: str | None = None,
    show_reference: bool = False,
) -> GradedPart:
    return GradedPart(
        id=part_id,
        question=part_id.split(".")[0],
        title=part_id,
        prompt="",
        max_score=1.0,
        score=1.0 if verdict == "correct" else 0.0,
        verdict=verdict,
        feedback="",
        answer_raw=raw,
        answer_as_read=as_read if as_read is not None else raw,
        reference=reference,
        show_reference=show_reference,
    )


def test_folders_graded_before_result_json_still_report_from_results_json(out_copy: Path) -> None:
    (out_copy / "03-typical-mistakes" / "result.json").unlink()
    assert run_report(out_copy)[0] == EXIT_OK
    part = parse_html(out_copy / "03-typical-mistakes" / "feedback.html").find("div", id="part-q1.a")
    assert part.attrs["data-verdict"] == "incorrect"
    rows = parse_html(out_copy / "report.html").find_all("tr", class_="wrong-answer", data_part="q1.a")
    assert [row.attrs["data-rule"] for row in rows] == ["unknown"]


def test_a_group_decision_through_the_cli_grades_all_members_and_compare_names_it(out_copy: Path) -> None:
    copies = ["copy-a", "copy-b"]
    clone(out_copy, "03-typical-mistakes", copies)
    old = Path(shutil.copytree(out_copy, out_copy.parent / "old"))
    assert run_report(old)[0] == EXIT_OK
    group = review_rows(old)[ARGMAX].attrs["data-group"]
    overrides = f'03-typical-mistakes:\n  q2.b: 0\ngroups:\n  "{group}": {{score: 1, comment: One effect named.}}\n'
    (out_copy / "overrides.yaml").write_text(overrides, encoding="utf-8")

    code, printed = run_report(out_copy, "--compare", str(old))
    assert code == EXIT_OK and f"(group decision {group})" in printed
    assert ARGMAX not in review_rows(out_copy)  # decided: out of the queue
    for name in copies:
        feedback = parse_html(out_copy / name / "feedback.html").find("div", id="part-q2.b")
        assert feedback.find("dd", class_="points").text() == "1 / 2"
        assert "One effect named." in feedback.find(class_="override").text()
    own = parse_html(out_copy / "03-typical-mistakes" / "feedback.html").find("div", id="part-q2.b")
    assert own.find("dd", class_="points").text() == "0 / 2"  # its own entry wins over the group's
    report = parse_html(out_copy / "report.html")
    single = report.find("table", id="overrides-table").find_all("tr", class_="override-item")
    assert [row.attrs["data-submission"] for row in single] == ["03-typical-mistakes"]
    (decision,) = report.find("table", id="decisions-table").find_all("tr", class_="decision-item")
    assert (decision.attrs["data-decision"], decision.attrs["data-count"]) == (group, "2")
    assert [link.attrs["data-submission"] for link in decision.find_all("a", class_="override-item")] == copies
    assert "One effect named." in decision.text()
    rows = parse_html(out_copy / "changes.html").find("table", id="changes").find_all("tr", class_="part-change")
    causes = {row.attrs["data-submission"]: row.find("td", class_="cause").text() for row in rows}
    assert causes == {
        "03-typical-mistakes": "",
        "copy-a": f"group decision {group}",
        "copy-b": f"group decision {group}",
    }


def test_a_group_decision_matching_nothing_stops_the_report_with_the_closest_group(
    out_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group = review_rows(out_copy)[ARGMAX].attrs["data-group"]
    typo = group[:-1] + ("0" if group[-1] != "0" else "1")
    (out_copy / "overrides.yaml").write_text(f'groups:\n  "{typo}": 1\n', encoding="utf-8")
    assert run_report(out_copy)[0] == EXIT_CONFIG
    error = capsys.readouterr().err
    assert f"{typo}: no graded answer is in this group" in error and f"did you mean '{group}'?" in error


def test_report_names_rules_and_keeps_scores_and_names_whole(graded_out: Path) -> None:
    html = (graded_out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"rule:\d", html)  # rules are named, never numbered
    assert "white-space: nowrap" in html
    names = [
        row.attrs["data-submission"]
        for row in parse_html(graded_out / "report.html").find_all("tr", class_="submission")
    ]
    assert "02-perfect-latex-unicode" in names
    assert ">02-perfect-latex-unicode</a>" in html
