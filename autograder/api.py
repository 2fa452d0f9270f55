"""What the CLI (and Gradescope's ``run_autograder``) call: keyword-only
functions that raise typed errors and never print.

``grade`` is the main job: find the submissions under a path, grade each one
in a child process with a deadline (so one pathological answer cannot stop a
batch), and write ``OUT/<submission>/results.json`` for every one of them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from autograder import bounded, render, safeio, sandbox
from autograder.graders import REGISTRY
from autograder.gradescope import to_gradescope
from autograder.grading import (
    Read,
    grade_part,
    grade_parts,
    part_result,
    read_answer,
    submission_messages,
)
from autograder.render.compare import CHANGES_FILE
from autograder.render.gradebook import GRADES_FILE
from autograder.render.overrides import OVERRIDES_FILE
from autograder.render.report import REPORT_FILE
from autograder.result import Outcome, PartResult, SubmissionResult
from autograder.spec import Part, ProblemSet, SpecError, load_problem_set
from autograder.submission import ANSWERS_FILE, Answer, Submission, load_submission, submission_name

DEFAULT_PROBLEMS = Path("problems/hw9")
DEFAULT_REFERENCE = Path("reference/hw9")
DEFAULT_OUT = Path("out")
SUBMISSION_TIMEOUT = 30.0
PART_TIMEOUT = 5.0
RESULTS_FILE = "results.json"
GRADER_FAILED = "The grader failed on this submission"
"""How a submission-level failure (not the student's) starts its message; the CLI shows these."""


class ConfigError(Exception):
    """The grader itself is misconfigured (specs, reference, paths): nothing can be graded."""


@dataclass(frozen=True)
class AnswerKey:
    """The problem set with the reference readings it is graded against."""

    problems: ProblemSet
    readings: Mapping[str, Any]


def load_key(*, problems: Path = DEFAULT_PROBLEMS, reference: Path = DEFAULT_REFERENCE) -> AnswerKey:
    """Load the specs and read the reference answers; every part needs a readable one."""
    problem_set = load_specs(problems)
    if not reference.is_dir():
        raise ConfigError(f"{reference}: no reference folder (expected {ANSWERS_FILE} in it)")
    submission = load_submission(reference)
    if submission.messages:
        raise ConfigError(f"{reference}: " + " ".join(submission.messages))
    readings: dict[str, Any] = {}
    errors = []
    for part in problem_set.parts:
        read = read_answer(part, submission.answers.get(part.id))
        if read is None:
            if REGISTRY[part.kind].needs_reference:
                errors.append(f"{reference / ANSWERS_FILE}: {part.id}: no reference answer")
            continue
        if read.problem is not None:
            errors.append(f"{reference / ANSWERS_FILE}: {part.id}: reference answer unreadable: {read.problem}")
            continue
        readings[part.id] = read.reading
    if errors:
        raise ConfigError("\n".join(errors))
    return AnswerKey(_bind(problem_set, readings), readings)


def _bind(problems: ProblemSet, readings: Mapping[str, Any]) -> ProblemSet:
    """Give kinds that need the other parts' reference answers their final params."""
    questions = []
    for question in problems.questions:
        parts = []
        for part in question.parts:
            bind = REGISTRY[part.kind].bind
            if bind is not None:
                try:
                    part = dataclasses.replace(part, params=bind(part, problems, readings))
                except ValueError as error:
                    raise ConfigError(f"{part.where}: {error}") from None
            parts.append(part)
        questions.append(dataclasses.replace(question, parts=tuple(parts)))
    return dataclasses.replace(problems, questions=tuple(questions))


def load_specs(problems: Path) -> ProblemSet:
    try:
        return load_problem_set(problems)
    except SpecError as error:
        raise ConfigError(str(error)) from None


def validate(*, problems: Path = DEFAULT_PROBLEMS, reference: Path = DEFAULT_REFERENCE) -> list[str]:
    """Check specs, reference and every ``accept:``/``reject:`` sample; return the problems found."""
    key = load_key(problems=problems, reference=reference)
    problems_found: list[str] = []
    for part in key.problems.parts:
        expected_full = [(sample, True) for sample in part.accept] + [(sample, False) for sample in part.reject]
        for sample, should_pass in expected_full:
            result = grade_part(part, Answer(sample), key.readings.get(part.id))
            full = result.verdict == "correct"
            if full != should_pass:
                wanted = "full credit" if should_pass else "less than full credit"
                problems_found.append(
                    f"{part.where}: sample {sample!r} should get {wanted}, got {result.verdict} "
                    f"({result.score:g}/{result.max_score:g}): {result.feedback.splitlines()[0]}"
                )
    return problems_found


def find_submissions(path: Path) -> list[Path]:
    """``path`` is one submission (it holds answers.yaml) or a folder of submission folders."""
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder")
    if (path / ANSWERS_FILE).exists() or (path / "answers.yml").exists():
        return [path]
    folders = sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith("."))
    return folders or [path]


def grade(
    path: Path,
    *,
    problems: Path = DEFAULT_PROBLEMS,
    reference: Path = DEFAULT_REFERENCE,
    out: Path = DEFAULT_OUT,
    jobs: int = 1,
    on_result: Callable[[SubmissionResult], None] | None = None,
    key: AnswerKey | None = None,
) -> list[SubmissionResult]:
    """Grade every submission under ``path``; write ``out/<name>/results.json`` for each.
    ``key``: an answer key the caller already loaded (else it is loaded from the paths)."""
    key = key or load_key(problems=problems, reference=reference)
    return _grade_and_write(path, key, out, jobs, [write_results], on_result)


Writer = Callable[[SubmissionResult, Path], object]


def _grade_and_write(
    path: Path,
    key: AnswerKey,
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
    _available_isolation()  # probed once, before the workers fork
    results = []
    for folder, name, result in zip(folders, names, _grade_all(folders, key, jobs), strict=True):
        if name != result.submission:
            note = RENAMED.format(name=name, shown=submission_name(folder))
            result = dataclasses.replace(result, submission=name, messages=(*result.messages, note))
        result = _write_all(result, key, out / result.submission, writers)
        if on_result is not None:
            on_result(result)
        results.append(result)
    return results


OUT_FILES = frozenset({REPORT_FILE, GRADES_FILE, CHANGES_FILE, OVERRIDES_FILE})
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


def _write_all(result: SubmissionResult, key: AnswerKey, folder: Path, writers: list[Writer]) -> SubmissionResult:
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
        write_results(kept, folder)
        return kept
    except Exception:  # retried below with a result that holds no student text
        failed = _failed(result.submission, key, problem)
    try:
        write_results(failed, folder)
    except Exception as error:
        failed = dataclasses.replace(
            failed, messages=(*failed.messages, f"Not even results.json could be written ({error}).")
        )
    return failed


def write_results(result: SubmissionResult, folder: Path) -> Path:
    return safeio.write_json(safeio.ensure_folder(folder) / RESULTS_FILE, to_gradescope(result))


def _grade_all(folders: list[Path], key: AnswerKey, jobs: int) -> Iterable[SubmissionResult]:
    if jobs <= 1 or len(folders) <= 1:
        yield from (grade_folder_safely(folder, key) for folder in folders)
        return
    # fork: workers inherit the loaded key and imports instead of re-importing
    # sympy and unpickling the specs for every submission.
    global _WORKER_KEY
    _WORKER_KEY = key
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
        futures = [pool.submit(_grade_folder_in_worker, folder) for folder in folders]
        for folder, future in zip(folders, futures, strict=True):
            try:
                yield future.result()
            except Exception as error:  # a worker that died still leaves a results file
                yield _failed(submission_name(folder), key, f"{GRADER_FAILED} (its process: {type(error).__name__}).")


_WORKER_KEY: AnswerKey | None = None


def _grade_folder_in_worker(folder: Path) -> SubmissionResult:
    assert _WORKER_KEY is not None, "set by _grade_all before the pool forks"
    return grade_folder_safely(folder, _WORKER_KEY)


def grade_folder_safely(folder: Path, key: AnswerKey) -> SubmissionResult:
    """:func:`grade_folder`, and a result that says so when grading itself failed."""
    try:
        return grade_folder(folder, key)
    except Exception as error:  # one broken submission never stops the batch
        return _failed(submission_name(folder), key, f"{GRADER_FAILED} ({type(error).__name__}: {error}).")


def grade_folder(folder: Path, key: AnswerKey) -> SubmissionResult:
    """One submission. Never raises.

    An answer seen before (same part, same text) reuses its result: a class's
    answers repeat. Kinds that run code bound themselves (the sandbox has its
    own limits) and are graded here; the math kinds are graded in a forked
    child with a deadline and, if it overruns, part by part.
    """
    submission = load_submission(folder)
    messages = submission_messages(submission, key.problems)
    results: dict[str, PartResult] = {}
    in_child: list[Part] = []
    runs_code: list[Part] = []
    for part in key.problems.parts:
        cached = _CACHE.get((part.id, submission.answers.get(part.id)))
        if cached is not None:
            results[part.id] = cached
        else:
            (runs_code if REGISTRY[part.kind].runs_code else in_child).append(part)
    for warm_up in {kind.warm_up for kind in (REGISTRY[p.kind] for p in runs_code) if kind.warm_up}:
        warm_up()  # e.g. the sandbox's torch import, overlapping the math grading below
    if in_child:
        finished = bounded.call(grade_parts, in_child, submission, key.readings, timeout=SUBMISSION_TIMEOUT)
        if finished.status == "ok" and finished.value is not None:
            results.update((result.id, result) for result in finished.value)
        else:  # something here hangs or crashes the grader: isolate it to its part
            results.update((part.id, _grade_part_bounded(submission, key, part.id)) for part in in_child)
            messages.append(f"Grading was slow or failed ({finished.detail}); each part was graded on its own.")
    for part in runs_code:
        results[part.id] = grade_part(part, submission.answers.get(part.id), key.readings.get(part.id))
    _remember(submission, results)
    parts = tuple(results[part.id] for part in key.problems.parts)
    ran_code = any(
        REGISTRY[part.kind].runs_code and submission.answers.get(part.id) is not None for part in key.problems.parts
    )
    return SubmissionResult(submission.name, parts, tuple(messages), isolation=_isolation(ran_code))


def _isolation(ran_code: bool) -> str:
    """What the sandbox recorded for this process's runs when code ran, else what a run would get."""
    recorded = sandbox.shared().isolation if ran_code else ""
    return recorded or _available_isolation()


@functools.cache
def _available_isolation() -> str:
    return sandbox.isolation_available()


_CACHE: dict[tuple[str, Answer | None], PartResult] = {}
CACHE_LIMIT = 100_000


def _remember(submission: Submission, results: Mapping[str, PartResult]) -> None:
    if len(_CACHE) > CACHE_LIMIT:
        _CACHE.clear()
    for answer_id, result in results.items():
        if not result.note.startswith("error:"):  # a failure may be transient: grade again next time
            _CACHE[(answer_id, submission.answers.get(answer_id))] = result


def _grade_part_bounded(submission: Submission, key: AnswerKey, part_id: str) -> PartResult:
    part = key.problems.part(part_id)
    answer = submission.answers.get(part_id)
    finished = bounded.call(grade_part, part, answer, key.readings.get(part_id), timeout=PART_TIMEOUT)
    if finished.status == "ok" and finished.value is not None:
        return finished.value
    outcome = Outcome(
        "needs_review",
        0.0,
        f"This answer could not be graded automatically ({finished.detail}); an instructor will grade it.",
        f"error:{finished.status}",
    )
    return part_result(part, None if answer is None else answer.text, None, outcome)


def _failed(name: str, key: AnswerKey, message: str) -> SubmissionResult:
    outcome = Outcome("needs_review", 0.0, f"{message} An instructor will grade this part.", "error:worker")
    parts = tuple(part_result(part, None, None, outcome) for part in key.problems.parts)
    return SubmissionResult(name, parts, (message,), isolation=_available_isolation())


def check(folder: Path, *, problems: Path = DEFAULT_PROBLEMS) -> tuple[Submission, list[tuple[str, Read | None]]]:
    """How every answer of one submission is read; no reference needed, nothing graded."""
    problem_set = load_specs(problems)
    submission = load_submission(folder)
    return submission, [(part.id, read_answer(part, submission.answers.get(part.id))) for part in problem_set.parts]


def grade_with_feedback(
    path: Path,
    *,
    problems: Path = DEFAULT_PROBLEMS,
    reference: Path = DEFAULT_REFERENCE,
    out: Path = DEFAULT_OUT,
    jobs: int = 1,
    show_solutions: bool = False,
    on_result: Callable[[SubmissionResult], None] | None = None,
) -> list[SubmissionResult]:
    """:func:`grade`, and for each submission also ``OUT/<name>/result.json`` (what
    ``autograder report`` is built from), ``feedback.html`` and ``feedback.md``.
    Only ``OUT/<name>/`` of the submissions graded is touched."""
    key = load_key(problems=problems, reference=reference)
    references = {answer_id: answer.text for answer_id, answer in load_submission(reference).answers.items()}

    def write_feedback(result: SubmissionResult, folder: Path) -> None:
        render.write_graded(result, folder, problems=key.problems, references=references, show_solutions=show_solutions)

    return _grade_and_write(path, key, out, jobs, [write_results, write_feedback], on_result)


def report(
    out: Path = DEFAULT_OUT,
    *,
    overrides: Path | None = None,
    compare: Path | None = None,
    show_solutions: bool = False,
) -> render.Reports:
    """Rebuild every report from ``out`` alone (no grading): apply ``overrides``
    (default ``OUT/overrides.yaml``), re-render each ``feedback.html``/``.md``,
    write ``report.html``, ``grades.csv`` and, with ``compare``, ``changes.html``."""
    try:
        return render.write_reports(out, overrides=overrides, compare_with=compare, show_solutions=show_solutions)
    except (render.RecordError, render.OverrideError, safeio.UnsafePath) as error:
        raise ConfigError(str(error)) from None


__all__ = [
    "AnswerKey",
    "ConfigError",
    "check",
    "find_submissions",
    "grade",
    "grade_folder_safely",
    "grade_with_feedback",
    "load_key",
    "prepare_out",
    "report",
    "validate",
    "write_results",
]
