"""``OUT/grades.csv``: one row per submission, a column per part, per question
and the total, for a gradebook import. Scores include overrides."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

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
    writer.writerow(["submission", *part_ids, *question_ids, "total", "max_total"])
    for record in records:
        parts = {part.id: points(part.score) for part in record.parts}
        questions = {question.id: points(question.score) for question in record.questions}
        writer.writerow(
            [
                _safe(record.submission),
                *(parts.get(part_id, "") for part_id in part_ids),
                *(questions.get(question_id, "") for question_id in question_ids),
                points(record.score),
                points(record.max_score),
            ]
        )
    return buffer.getvalue()


def _safe(cell: str) -> str:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; a folder name must stay a name.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell


def write_grades(records: Sequence[GradedSubmission], out: Path) -> Path:
    target = out / GRADES_FILE
    target.write_text(grades_csv(records), encoding="utf-8")
    return target
