"""Everything a person reads, rendered from the graded records in an OUT folder.

One module per output, templates in ``templates/``:

| module | writes |
|---|---|
| ``records.py`` | ``OUT/<submission>/result.json``: the full result with its spec context |
| ``overrides.py`` | applies ``OUT/overrides.yaml`` (an instructor's grades) to the records |
| ``feedback.py`` | ``OUT/<submission>/feedback.html`` and ``feedback.md`` |
| ``report.py`` | ``OUT/report.html``: class overview, verdict shares, common wrong answers, review queue |
| ``gradebook.py`` | ``OUT/grades.csv`` |
| ``compare.py`` | ``OUT/changes.html``: scores that changed since an earlier grading |
| ``plots.py`` | matplotlib charts as inline PNG |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder import safeio
from autograder.problem import ProblemSet
from autograder.render.compare import SubmissionChange, changes_table, compare, write_changes
from autograder.render.feedback import write_feedback
from autograder.render.gradebook import write_grades
from autograder.render.overrides import OVERRIDES_FILE, OverrideError, apply_overrides, load_overrides
from autograder.render.records import GradedSubmission, RecordError, build_record, load_out_dir, write_record
from autograder.render.report import ClassReport, class_report, write_report
from autograder.result import SubmissionResult


@dataclass(frozen=True)
class Reports:
    """What ``write_reports`` built and where it wrote it."""

    records: list[GradedSubmission]
    report: ClassReport
    written: list[Path] = field(default_factory=list)
    changes: list[SubmissionChange] | None = None


def write_graded(
    result: SubmissionResult,
    folder: Path,
    *,
    problems: ProblemSet,
    references: Mapping[str, str],
    show_solutions: bool = False,
) -> list[Path]:
    """At grading time: ``result.json`` and the feedback files of one submission."""
    record = build_record(result, problems, references)
    return [write_record(record, folder), *write_feedback(record, folder, show_solutions=show_solutions)]


def write_reports(
    out: Path,
    *,
    overrides: Path | None = None,
    compare_with: Path | None = None,
    show_solutions: bool = False,
    plots: bool = True,
) -> Reports:
    """From ``out`` alone: apply the overrides, re-render every feedback file,
    write ``report.html``, ``grades.csv`` and (with ``compare_with``) ``changes.html``."""
    overrides_path = overrides if overrides is not None else out / OVERRIDES_FILE
    records = apply_overrides(load_out_dir(out), load_overrides(overrides_path), overrides_path)
    safeio.ensure_folder(out)  # refuse a folder someone else controls before writing into it
    changes = None
    written = []
    if compare_with is not None:
        old_overrides = compare_with / OVERRIDES_FILE
        old = apply_overrides(load_out_dir(compare_with), load_overrides(old_overrides), old_overrides)
        changes = compare(old, records)
        written.append(write_changes(changes, out, old=str(compare_with)))
    for record in records:
        written.extend(write_feedback(record, out / record.submission, show_solutions=show_solutions))
    report = class_report(records, changes=changes, compared_with=str(compare_with or ""), plots_enabled=plots)
    written.append(write_report(report, out))
    written.append(write_grades(records, out))
    return Reports(records, report, written, changes)


__all__ = [
    "OverrideError",
    "RecordError",
    "Reports",
    "changes_table",
    "write_graded",
    "write_reports",
]
