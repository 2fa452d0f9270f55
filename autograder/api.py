"""What the CLI (and Gradescope's ``run_autograder``) call: keyword-only
functions that raise typed errors and never print.

``grade`` is the main job: find the submissions under a path, grade each one
with one :class:`~autograder.session.Grading` session (in worker processes
when ``jobs`` > 1), and write ``OUT/<submission>/results.json`` for every one
of them, whatever happens to the others.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from autograder import locate, manifest, render, safeio, validation
from autograder.errors import ConfigError
from autograder.gradescope import write_results
from autograder.grading import Read
from autograder.locate import submission_name
from autograder.manifest import MANIFEST_FILE
from autograder.render.compare import CHANGES_FILE
from autograder.render.gradebook import EXPORT_FILES
from autograder.render.overrides import OVERRIDES_FILE
from autograder.render.report import REPORT_FILE
from autograder.result import SubmissionResult
from autograder.roster import ROSTER_FILES, RosterError, find_roster, load_roster
from autograder.session import GRADER_FAILED, AnswerKey, Grading, available_isolation, load_specs
from autograder.session import check as read_submission
from autograder.session import load_key as _load_key
from autograder.submission import Submission

DEFAULT_OUT = Path("out")
REPORT_NEEDS_MATPLOTLIB = (
    "the report's charts need matplotlib, which is not installed here. Install the grading extra: "
    "pip install 'attention-autograder[grade]'."
)


def load_key(*, problems: Path, reference: Path | None = None) -> AnswerKey:
    """The specs in ``problems`` and the reference answers (by default the folder the set names)."""
    return _load_key(problems=problems, reference=reference)


def validate(*, problems: Path, reference: Path | None = None) -> list[str]:
    """Check the specs, the reference and every sample answer; the problems found, as located sentences."""
    return validation.validate(load_key(problems=problems, reference=reference))


UPLOAD_FILE_SUFFIXES = (locate.ARCHIVE_SUFFIX, *locate.ANSWER_SUFFIXES, *locate.WRITEUP_SUFFIXES, locate.PDF_SUFFIX)
"""A file given as the path to grade is one submission: a zip, an answers file or a write-up."""


def find_submissions(path: Path) -> list[Path]:
    """What the submissions under ``path`` are: ``path`` itself when it holds answers (or one
    write-up, :func:`~autograder.locate.writeup_at_top`) at its top, is a .zip, an answers file
    or a write-up, or holds a single folder or .zip (an upload with its
    answers nested, ``homework/answers.yaml``); else each child folder and each .zip file is one
    submission (a Gradescope export, an LMS download of one zip per student), wherever its
    answers sit inside it (see :mod:`autograder.locate`). One where nothing is found still
    gets a results.json saying so."""
    if path.is_file():
        if path.suffix.lower() in UPLOAD_FILE_SUFFIXES:
            return [path]
        raise ConfigError(f"{path}: not a folder, a .zip, an answers file or a write-up")
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder")
    if locate.answers_at_top(path) or locate.writeup_at_top(path):
        return [path]
    members = locate.batch_members(path)
    return members if len(members) > 1 else [path]


def grade(
    path: Path,
    *,
    problems: Path | None = None,
    reference: Path | None = None,
    out: Path = DEFAULT_OUT,
    jobs: int = 1,
    on_result: Callable[[SubmissionResult], None] | None = None,
    key: AnswerKey | None = None,
) -> list[SubmissionResult]:
    """Grade every submission under ``path``; write ``out/<name>/results.json`` for each.
    ``key``: an answer key the caller already loaded (else it is loaded from the paths)."""
    grading = Grading(key or _key_from(problems, reference))
    return _grade_and_write(path, grading, out, jobs, [_results_writer(grading)], on_result)


def _key_from(problems: Path | None, reference: Path | None) -> AnswerKey:
    if problems is None:
        raise ConfigError("no problem set given: pass --problems FOLDER (the folder of question specs, *.yaml)")
    return load_key(problems=problems, reference=reference)


Writer = Callable[[SubmissionResult, Path], object]


def _results_writer(grading: Grading) -> Writer:
    revealed = grading.key.revealed

    def write(result: SubmissionResult, folder: Path) -> Path:
        return write_results(result, folder, reveal=revealed)

    return write


def _grade_and_write(
    path: Path,
    grading: Grading,
    out: Path,
    jobs: int,
    writers: list[Writer],
    on_result: Callable[[SubmissionResult], None] | None,
) -> list[SubmissionResult]:
    """Check the output folders, then grade and write each submission; one that fails
    to grade or to write still gets a results.json saying so, and the batch goes on."""
    folders = find_submissions(path)
    names = output_names(folders)
    prepare_out(out, names)
    available_isolation()  # probed once, before the workers fork
    single = folders == [path]  # one submission: added to the last grading's list, not replacing it
    try:
        started = manifest.start_grading(out, names, single=single, problems=grading.problems.name)
    except safeio.UnsafePath as error:
        raise ConfigError(f"{error}; choose another --out") from None
    results = []
    for folder, name, result in zip(folders, names, _grade_all(folders, grading, jobs), strict=True):
        if name != result.submission:
            note = RENAMED.format(name=name, shown=submission_name(folder))
            result = dataclasses.replace(result, submission=name, messages=(*result.messages, note))
        result = _write_all(result, grading, out / result.submission, writers)
        if on_result is not None:
            on_result(result)
        results.append(result)
    try:
        manifest.finish_grading(out, started)
    except safeio.UnsafePath as error:  # the grades are written; report will say the grading did not finish
        raise ConfigError(f"{error}; the grades are written but grading.json could not be updated") from None
    return results


OUT_FILES = frozenset({REPORT_FILE, CHANGES_FILE, OVERRIDES_FILE, MANIFEST_FILE, *EXPORT_FILES, *ROSTER_FILES})
"""What ``report`` writes beside the submissions' folders in OUT: no submission is filed under one."""
RENAMED = (
    "Filed as {name}: the folder name {shown} is already taken in the output folder "
    "(another submission that prints alike, or one of the report's own files)."
)


def output_names(folders: Iterable[Path]) -> list[str]:
    """The folder each submission is filed under in OUT: its printable name, made unique
    (a non-UTF-8 ``M\\xfcller`` and a literal ``M\\xfcller`` print alike) and never one of
    OUT's own files, so no result overwrites another."""
    taken = set(OUT_FILES)
    names = []
    for folder in folders:
        base = name = submission_name(folder)
        number = 2
        while name in taken:
            name = f"{base}-{number}"
            number += 1
        taken.add(name)
        names.append(name)
    return names


def prepare_out(out: Path, names: Iterable[str]) -> None:
    """Create ``out`` and ``out/<name>/`` (0755), before any student code runs, or raise
    ConfigError for one that is a symlink, someone else's or writable by others."""
    try:
        safeio.ensure_folder(out)
        for name in names:
            safeio.ensure_folder(out / name)
    except safeio.UnsafePath as error:
        raise ConfigError(f"{error}; choose another --out") from None


def _write_all(result: SubmissionResult, grading: Grading, folder: Path, writers: list[Writer]) -> SubmissionResult:
    """``result`` as written; when writing fails, the grades are kept if results.json can still
    be written, else a results.json with no grade says so."""
    try:
        for write in writers:
            write(result, folder)
        return result
    except Exception as error:  # any failure here must cost this submission only
        problem = f"{GRADER_FAILED} while writing its files ({type(error).__name__}: {error})."
    kept = dataclasses.replace(result, messages=(*result.messages, problem))
    try:
        write_results(kept, folder, reveal=grading.key.revealed)
        return kept
    except Exception:  # retried below with a result that holds no student text
        failed = grading.failed(result.submission, problem)
    try:
        write_results(failed, folder)
    except Exception as error:
        failed = dataclasses.replace(
            failed, messages=(*failed.messages, f"Not even results.json could be written ({error}).")
        )
    return failed


def _grade_all(folders: list[Path], grading: Grading, jobs: int) -> Iterable[SubmissionResult]:
    if jobs <= 1 or len(folders) <= 1:
        yield from (grading.grade_folder(folder) for folder in folders)
        return
    # fork: workers inherit the session (its key and imports) instead of re-importing
    # sympy and unpickling the specs for every submission; each has its own cache.
    global _WORKER
    _WORKER = grading
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            futures = [pool.submit(_grade_folder_in_worker, folder) for folder in folders]
            for folder, future in zip(folders, futures, strict=True):
                try:
                    yield future.result()
                except Exception as error:  # a worker that died still leaves a results file
                    message = f"{GRADER_FAILED} (its process: {type(error).__name__})."
                    yield grading.failed(submission_name(folder), message)
    finally:
        _WORKER = None


_WORKER: Grading | None = None


def _grade_folder_in_worker(folder: Path) -> SubmissionResult:
    assert _WORKER is not None, "set by _grade_all before the pool forks"
    return _WORKER.grade_folder(folder)


def check(folder: Path, *, problems: Path) -> tuple[Submission, list[tuple[str, Read | None]]]:
    """How every answer of one submission is read; no reference needed, nothing graded."""
    return read_submission(folder, load_specs(problems))


def grade_with_feedback(
    path: Path,
    *,
    problems: Path | None = None,
    reference: Path | None = None,
    out: Path = DEFAULT_OUT,
    jobs: int = 1,
    show_solutions: bool = False,
    on_result: Callable[[SubmissionResult], None] | None = None,
    key: AnswerKey | None = None,
) -> list[SubmissionResult]:
    """:func:`grade`, and for each submission also ``OUT/<name>/result.json`` (what
    ``autograder report`` is built from), ``feedback.html`` and ``feedback.md``.
    Only ``OUT/<name>/`` of the submissions graded is touched."""
    grading = Grading(key or _key_from(problems, reference))
    problem_set, references = grading.problems, grading.key.texts

    def write_feedback(result: SubmissionResult, folder: Path) -> None:
        render.write_graded(
            result,
            folder,
            problems=problem_set,
            references=references,
            show_solutions=show_solutions,
            reference_math=grading.key.math,
        )

    return _grade_and_write(path, grading, out, jobs, [_results_writer(grading), write_feedback], on_result)


def report(
    out: Path = DEFAULT_OUT,
    *,
    overrides: Path | None = None,
    compare: Path | None = None,
    show_solutions: bool = False,
    roster: Path | None = None,
    bom: bool = False,
    assignment: str | None = None,
    canvas_assignment_id: str = "",
) -> render.Reports:
    """Rebuild every report from ``out`` alone (no grading): apply ``overrides``
    (default ``OUT/overrides.yaml``), re-render each ``feedback.html``/``.md``,
    write ``report.html``, ``grades.csv`` and, with ``compare``, ``changes.html``.
    With a ``roster`` (default ``OUT/roster.csv`` or ``.yaml``, if there is one) also
    ``gradescope_scores.csv`` and ``canvas_grades.csv`` for the ``assignment`` (default:
    the problem set's name). ``bom``: every CSV starts with a UTF-8 byte-order mark."""
    if importlib.util.find_spec("matplotlib") is None:  # a checker's install (no [grade] extra)
        raise ConfigError(REPORT_NEEDS_MATPLOTLIB)
    try:
        roster_path = roster if roster is not None else find_roster(out)
        gradebook = render.Gradebook(
            roster=load_roster(roster_path) if roster_path is not None else None,
            bom=bom,
            assignment=assignment or _assignment_name(out),
            canvas_assignment_id=canvas_assignment_id,
        )
        return render.write_reports(
            out, overrides=overrides, compare_with=compare, show_solutions=show_solutions, gradebook=gradebook
        )
    except (render.RecordError, render.OverrideError, safeio.UnsafePath, RosterError) as error:
        raise ConfigError(str(error)) from None


def _assignment_name(out: Path) -> str:
    """The problem set the last grading used (its folder name), else the OUT folder's name."""
    try:
        last = manifest.read_manifest(out)
    except manifest.ManifestError:
        last = None  # write_reports says what is wrong with it
    return (last.problems if last is not None else "") or out.resolve().name or "Homework"


__all__ = [
    "GRADER_FAILED",
    "AnswerKey",
    "ConfigError",
    "Grading",
    "check",
    "find_submissions",
    "grade",
    "grade_with_feedback",
    "load_key",
    "prepare_out",
    "report",
    "validate",
    "write_results",
]
