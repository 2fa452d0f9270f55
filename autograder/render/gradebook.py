"""Grades for gradebooks: ``OUT/grades.csv`` and the files Gradescope and Canvas import.

Scores include overrides. Every cell goes through :func:`safe_cell`, so none
runs as a spreadsheet formula. With ``bom`` each file starts with a UTF-8
byte-order mark: Excel opens a CSV without one in the local code page and
shows ``Doé`` as ``DoÃ©``; Gradescope and Canvas read UTF-8 either way.

- ``grades.csv``: one row per submission: ``submission`` (the folder), with a
  roster also ``name``, ``email``, ``sid``, ``section``; then a column per
  answer id, per question, ``total`` and ``max_total``.
- ``gradescope_scores.csv`` (with a roster): ``Name``, ``SID``, ``Email``,
  ``Section``, ``Total Score``, ``Max Points``. Gradescope's roster upload
  needs a header row and a unique email per student, takes a full ``Name``
  (or first and last name columns), an optional ``SID`` and extra columns such
  as the section, and asks for UTF-8 when names have accents
  (https://guides.gradescope.com/hc/en-us/articles/21926598776333-Adding-Students-and-Staff,
  https://help.gradescope.com/article/w59nl02vyt-instructor-course-add-members);
  Gradescope documents that roster upload, not a score upload: the score
  columns take the names of Gradescope's own score export, for its column
  matching or a script. Rows without an email cannot be matched there and
  are left out, and listed.
- ``canvas_grades.csv`` (with a roster): Canvas's gradebook layout: the
  columns ``Student``, ``ID`` (Canvas's user ID), ``SIS User ID``, ``SIS Login
  ID``, ``Section``, then the assignment, named ``NAME (ASSIGNMENT_ID)`` like
  the columns of Canvas's gradebook export, then a ``Points Possible`` row and
  one row per student. Canvas's importer (``app/models/gradebook_importer.rb``
  in Canvas's source) wants ``Student`` and ``ID`` first and ``Section`` last
  among the student columns, takes a row whose first cell matches ``Points
  Possible`` for the points, finds the assignment by the ID in parentheses,
  else by its title, else creates it, and finds the student by ``ID``, then
  ``SIS User ID``, then ``SIS Login ID``, then by exact name. A name can be
  shared or spelled differently, so a row with none of the three IDs is left
  out, and listed (also https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807,
  https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades,
  https://nemogb-dev.github.io/nemogb-r/articles/detailed-canvas-export-info.html).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder import safeio
from autograder.render.env import points
from autograder.render.records import GradedSubmission
from autograder.roster import Roster, Student

GRADES_FILE = "grades.csv"
GRADESCOPE_SCORES_FILE = "gradescope_scores.csv"
CANVAS_FILE = "canvas_grades.csv"
EXPORT_FILES = (GRADES_FILE, GRADESCOPE_SCORES_FILE, CANVAS_FILE)
BOM = "\ufeff"

ROSTER_COLUMNS = ("name", "email", "sid", "section")
GRADESCOPE_COLUMNS = ("Name", "SID", "Email", "Section", "Total Score", "Max Points")
CANVAS_KEY_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "Points Possible"


@dataclass(frozen=True)
class Gradebook:
    """Where the grades go and how they are named in the gradebooks."""

    roster: Roster | None = None
    bom: bool = False
    assignment: str = "Homework"
    """The assignment's name in Canvas (its column)."""
    canvas_assignment_id: str = ""
    """Canvas's ID of the assignment; empty: Canvas creates a new assignment on import."""


@dataclass(frozen=True)
class Export:
    path: Path
    rows: int
    """Student rows written."""
    unlisted: list[str] = field(default_factory=list)
    """Submissions not in this file because the roster does not name them (also a roster warning)."""
    unmatched: list[str] = field(default_factory=list)
    """Submissions not in this file because their roster row lacks what the gradebook matches by, each with why."""

    @property
    def left_out(self) -> list[str]:
        return [*self.unlisted, *self.unmatched]


def grades_csv(records: Sequence[GradedSubmission], roster: Roster | None = None) -> str:
    part_ids: list[str] = []
    question_ids: list[str] = []
    for record in records:
        for question in record.questions:
            if question.id not in question_ids:
                question_ids.append(question.id)
            part_ids.extend(part.id for part in question.parts if part.id not in part_ids)
    students = roster.by_folder() if roster is not None else {}
    keys = ROSTER_COLUMNS if roster is not None else ()
    rows = [["submission", *keys, *part_ids, *question_ids, "total", "max_total"]]
    for record in records:
        student = students.get(record.submission)
        parts = {part.id: points(part.score) for part in record.parts}
        questions = {question.id: points(question.score) for question in record.questions}
        rows.append(
            [
                record.submission,
                *(getattr(student, key) if student is not None else "" for key in keys),
                *(parts.get(part_id, "") for part_id in part_ids),
                *(questions.get(question_id, "") for question_id in question_ids),
                points(record.score),
                points(record.max_score),
            ]
        )
    return _csv(rows)


def gradescope_csv(records: Sequence[GradedSubmission], roster: Roster) -> tuple[str, list[str], list[str]]:
    """Gradescope's columns; the submissions the roster does not name; those without an email to match."""
    rows = [list(GRADESCOPE_COLUMNS)]
    unlisted: list[str] = []
    unmatched: list[str] = []
    for record, student in _students(records, roster, unlisted):
        if not student.email:
            unmatched.append(f"{record.submission}: the roster gives no email (Gradescope matches by email)")
            continue
        score, most = points(record.score), points(record.max_score)
        rows.append([student.name, student.sid, student.email, student.section, score, most])
    return _csv(rows), unlisted, unmatched


def canvas_csv(
    records: Sequence[GradedSubmission], roster: Roster, *, assignment: str, assignment_id: str = ""
) -> tuple[str, list[str], list[str]]:
    """Canvas's gradebook columns with a Points Possible row; the submissions the roster does
    not name; those with no ID, SIS User ID or SIS Login ID to match."""
    column = f"{assignment} ({assignment_id})" if assignment_id else assignment
    most = max((record.max_score for record in records), default=0.0)
    rows = [[*CANVAS_KEY_COLUMNS, column], [POINTS_POSSIBLE, "", "", "", "", points(most)]]
    unlisted: list[str] = []
    unmatched: list[str] = []
    for record, student in _students(records, roster, unlisted):
        if not (student.canvas_id or student.sid or student.login):
            unmatched.append(
                f"{record.submission}: the roster gives no canvas id, sid or login (Canvas matches by one of them)"
            )
            continue
        keys = [student.name, student.canvas_id, student.sid, student.login, student.section]
        rows.append([*keys, points(record.score)])
    return _csv(rows), unlisted, unmatched


def _students(
    records: Sequence[GradedSubmission], roster: Roster, unlisted: list[str]
) -> Iterator[tuple[GradedSubmission, Student]]:
    """Each record with its roster row, in order; the name of one without a row goes to ``unlisted``."""
    students = roster.by_folder()
    for record in records:
        student = students.get(record.submission)
        if student is None:
            unlisted.append(record.submission)
        else:
            yield record, student


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @, TAB or CR would run as a
    formula (OWASP's CSV injection), so it gets a leading ``'``; a CR or LF, which some importers
    take for the end of the row, becomes a space."""
    flat = cell.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return "'" + flat if cell.startswith(FORMULA_STARTS) else flat


def write_grades(records: Sequence[GradedSubmission], out: Path, gradebook: Gradebook | None = None) -> Path:
    book = gradebook or Gradebook()
    return _write(out / GRADES_FILE, grades_csv(records, book.roster), book.bom)


def write_gradebooks(records: Sequence[GradedSubmission], out: Path, gradebook: Gradebook) -> list[Export]:
    """``grades.csv`` and, with a roster, the Gradescope and Canvas files."""
    exports = [Export(write_grades(records, out, gradebook), len(records))]
    roster = gradebook.roster
    if roster is None:
        return exports
    text, unlisted, unmatched = gradescope_csv(records, roster)
    path = _write(out / GRADESCOPE_SCORES_FILE, text, gradebook.bom)
    exports.append(Export(path, len(records) - len(unlisted) - len(unmatched), unlisted, unmatched))
    text, unlisted, unmatched = canvas_csv(
        records, roster, assignment=gradebook.assignment, assignment_id=gradebook.canvas_assignment_id
    )
    path = _write(out / CANVAS_FILE, text, gradebook.bom)
    exports.append(Export(path, len(records) - len(unlisted) - len(unmatched), unlisted, unmatched))
    return exports


def _write(path: Path, text: str, bom: bool) -> Path:
    return safeio.write_text(path, BOM + text if bom else text)
