"""``OUT/grades.csv``: one row per submission, a column per part, per question
and the total, for a gradebook import. Scores include overrides."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from autograder import safeio
from autograder.render.env import points
from autograder.render.records import GradedSubmission

GRADES_FILE = "grades.csv"


def grades_csv(records: Sequence[GradedSubmission]) -> str:
    part_ids: list[str] = []
    question_ids: list[str] = []
    for record in records:
        for question in record.questions:
            if question.id not in question_ids:
                question_ids.append(question.id)
            part_ids.extend(part.id for part in question.parts if part.id not in part_ids)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows = [["submission", *part_ids, *question_ids, "total", "max_total"]]
    for record in records:
        parts = {part.id: points(part.score) for part in record.parts}
        questions = {question.id: points(question.score) for question in record.questions}
        rows.append(
            [
                record.submission,
                *(parts.get(part_id, "") for part_id in part_ids),
                *(questions.get(question_id, "") for question_id in question_ids),
                points(record.score),
                points(record.max_score),
            ]
        )
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @, TAB or CR would run as a
    formula (OWASP's CSV injection), so it gets a leading ``'``; a CR or LF, which some importers
    take for the end of the row, becomes a space."""
    flat = cell.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")
    return "'" + flat if cell.startswith(FORMULA_STARTS) else flat


def write_grades(records: Sequence[GradedSubmission], out: Path) -> Path:
    return safeio.write_text(out / GRADES_FILE, grades_csv(records))
