"""Everything a person reads, rendered from the graded records in an OUT folder.

One module per output, templates in ``templates/``:

| module | writes |
|---|---|
| ``records.py`` | ``OUT/<submission>/result.json``: the full result with its spec context |
| ``overrides.py`` | applies ``OUT/overrides.yaml`` (an instructor's grades) to the records |
| ``feedback.py`` | ``OUT/<submission>/feedback.html`` and ``feedback.md`` |
| ``report.py`` | ``OUT/report.html``: class overview, verdict shares, common wrong answers, review queue |
| ``gradebook.py`` | ``OUT/grades.csv``, ``gradescope_scores.csv``, ``canvas_grades.csv`` (with a roster) |
| ``compare.py`` | ``OUT/changes.html``: scores that changed since an earlier grading |
| ``plots.py`` | matplotlib charts as inline PNG |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder import safeio
from autograder.manifest import Manifest
from autograder.problem import ProblemSet
from autograder.render.compare import SubmissionChange, changes_table, compare, write_changes
from autograder.render.feedback import write_feedback
from autograder.render.gradebook import Export, Gradebook, write_gradebooks
from autograder.render.overrides import OVERRIDES_FILE, OverrideError, Overrides, apply_overrides, load_overrides
from autograder.render.records import (
    GradedSubmission,
    RecordError,
    build_record,
    load_graded,
    load_out_dir,
    write_record,
)
from autograder.render.report import ClassReport, class_report, write_report
from autograder.result import SubmissionResult
from autograder.roster import match


@dataclass(frozen=True)
class Reports:
    """What ``write_reports`` built and where it wrote it."""

    records: list[GradedSubmission]
    report: ClassReport
    written: list[Path] = field(default_factory=list)
    changes: list[SubmissionChange] | None = None
    stale: list[str] = field(default_factory=list)
    """OUT folders the last grading did not write: left out of every count and export, kept."""
    missing: list[str] = field(default_factory=list)
    """Names the last grading lists but never wrote (it was killed)."""
    manifest: Manifest | None = None
    exports: list[Export] = field(default_factory=list)
    """The gradebook files, each with the submissions it left out."""
    roster_warnings: list[str] = field(default_factory=list)
    """Graded folders the roster does not name, roster rows with no graded folder, shared keys."""


def write_graded(
    result: SubmissionResult,
    folder: Path,
    *,
    problems: ProblemSet,
    references: Mapping[str, str],
    show_solutions: bool = False,
    reference_math: Mapping[str, str] | None = None,
) -> list[Path]:
    """At grading time: ``result.json`` and the feedback files of one submission."""
    record = build_record(result, problems, references, reference_math)
    return [write_record(record, folder), *write_feedback(record, folder, show_solutions=show_solutions)]


def write_reports(
    out: Path,
    *,
    overrides: Path | None = None,
    compare_with: Path | None = None,
    show_solutions: bool = False,
    plots: bool = True,
    gradebook: Gradebook | None = None,
) -> Reports:
    """From ``out`` alone: apply the overrides, re-render every feedback file,
    write ``report.html``, ``grades.csv`` (with ``gradebook``'s roster also the Gradescope
    and Canvas files) and (with ``compare_with``) ``changes.html``. Only the folders
    the last grading wrote count (:func:`~autograder.render.records.load_graded`)."""
    overrides_path = overrides if overrides is not None else out / OVERRIDES_FILE
    graded = load_graded(out)
    loaded = load_overrides(overrides_path)
    _refuse_stale_overrides(loaded, graded.stale, overrides_path)
    records = apply_overrides(graded.records, loaded, overrides_path)
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
    book = gradebook or Gradebook()
    exports = write_gradebooks(records, out, book)
    written.extend(export.path for export in exports)
    warnings = [] if book.roster is None else match(book.roster, [r.submission for r in records]).warnings(book.roster)
    return Reports(records, report, written, changes, graded.stale, graded.missing, graded.manifest, exports, warnings)


def _refuse_stale_overrides(overrides: Overrides, stale: list[str], source: Path) -> None:
    """An instructor's grade for a folder the last grading did not write would be lost silently."""
    for override in overrides.submissions:
        if override.submission in stale:
            raise OverrideError(
                f"{source}: {override.submission}: a stale folder (the last grading did not write it: "
                "renamed or removed); give its grades under the folder's new name, or delete them"
            )


__all__ = [
    "Gradebook",
    "OverrideError",
    "RecordError",
    "Reports",
    "changes_table",
    "write_graded",
    "write_reports",
]
