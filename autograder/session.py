"""One grading session: an answer key and everything graded against it.

:func:`load_key` reads one problem set's specs and reference answers into an
:class:`AnswerKey`; :class:`Grading` grades submissions against that key and
owns what belongs to it alone: the cache of answers already graded (a class's
answers repeat), the per-submission policy (math in a child with a deadline,
code in the sandbox) and the reference texts some parts reveal. Two keys in
one process are two sessions and never share a grade.

Part-level grading (read → compare → rules → points) is :mod:`autograder.grading`;
batches, output folders and reports are :mod:`autograder.api`.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import bounded, sandbox, student_format
from autograder.errors import ConfigError
from autograder.graders import REGISTRY
from autograder.grading import Read, grade_part, grade_parts, part_result, read_answer, submission_messages
from autograder.locate import load_answers, submission_name
from autograder.problem import Part, ProblemSet
from autograder.result import Outcome, PartResult, SubmissionResult
from autograder.spec import SpecError, load_problem_set
from autograder.submission import ANSWERS_FILE, Answer, Submission, from_extraction, load_submission
from autograder.writeup.graded import with_provenance
from autograder.writeup.model import Stage

SUBMISSION_TIMEOUT = 30.0
PART_TIMEOUT = 5.0
CACHE_LIMIT = 100_000
GRADING_NEEDS_TORCH = (
    "{parts}: grading {these} runs student code with torch, which is not installed here. Install the "
    "grading extra: pip install 'attention-autograder[grade]' (`autograder check` needs none of it)."
)
GRADER_FAILED = "The grader failed on this submission"
"""How a submission-level failure (not the student's) starts its message; the CLI shows these."""


@dataclass(frozen=True)
class AnswerKey:
    """A problem set with the reference answers it is graded against."""

    problems: ProblemSet
    readings: Mapping[str, Any]
    """Answer id → the reference answer as its part's grader read it."""
    texts: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Answer id → the reference answer as written (shown where a part allows it)."""
    reference: Path | None = None
    """The reference folder the key was read from."""
    math: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Answer id → the reference reading typeset as MathML (kinds with a ``typeset`` hook)."""

    @property
    def revealed(self) -> dict[str, str]:
        """The reference texts of the parts whose spec says ``show_reference: true``."""
        shown = (part.id for part in self.problems.parts if part.show_reference)
        return {answer_id: self.texts[answer_id] for answer_id in shown if answer_id in self.texts}


def load_specs(problems: Path) -> ProblemSet:
    """The problem set in ``problems`` (or in the student bundle whose root it is); a spec
    that cannot be used is a ConfigError."""
    try:
        return load_problem_set(student_format.problems_in_bundle(problems) or problems)
    except SpecError as error:
        raise ConfigError(str(error)) from None


def reference_folder(problem_set: ProblemSet, problems: Path, reference: Path | None) -> Path:
    """``reference`` when given, else the one the problem set names; a ConfigError saying
    what to pass when there is neither (never another homework's key by default)."""
    if reference is not None:
        return reference
    named = problem_set.reference
    if named is not None:
        return named
    raise ConfigError(
        f"{problems}: no reference answers given. Pass --reference FOLDER (the folder holding "
        f"{ANSWERS_FILE} with the reference answers), or name it in {problems / 'set.yaml'} "
        "as 'reference: <path relative to that file>'."
    )


def load_key(*, problems: Path, reference: Path | None = None, grading: bool = True) -> AnswerKey:
    """Load the specs and read the reference answers; every part that compares needs a readable one.

    ``reference``: the reference folder; by default the one the problem set's ``set.yaml`` names.
    ``grading``: False when the key is only read (a student bundle's format examples), so
    code parts do not need torch here."""
    problem_set = load_specs(problems)
    if problem_set.student:
        raise ConfigError(f"{problems}: {student_format.GRADING_REFUSED}")
    if grading:
        _require_grading_extra(problem_set)
    reference = reference_folder(problem_set, problems, reference)
    if not reference.is_dir():
        raise ConfigError(f"{reference}: no reference folder (expected {ANSWERS_FILE} in it)")
    submission = load_submission(reference)
    if submission.messages:
        raise ConfigError(f"{reference}: " + " ".join(submission.messages))
    readings: dict[str, Any] = {}
    math: dict[str, str] = {}
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
        if read.as_read_math:
            math[part.id] = read.as_read_math
    if errors:
        raise ConfigError("\n".join(errors))
    texts = {answer_id: answer.text for answer_id, answer in submission.answers.items()}
    return AnswerKey(_bind(problem_set, readings), readings, texts, reference, math)


def _require_grading_extra(problem_set: ProblemSet) -> None:
    """A ConfigError naming the extra when code parts would be graded without torch: better
    said once, before a batch, than as a sandbox failure in every student's feedback."""
    code = [part.id for part in problem_set.parts if REGISTRY[part.kind].runs_code]
    if code and importlib.util.find_spec("torch") is None:
        shown = ", ".join(code[:4]) + (f" and {len(code) - 4} more" if len(code) > 4 else "")
        these = "this part" if len(code) == 1 else "these parts"
        raise ConfigError(GRADING_NEEDS_TORCH.format(parts=shown, these=these))


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


def check(
    folder: Path, problems: ProblemSet, *, stage: Stage = "final"
) -> tuple[Submission, list[tuple[str, Read | None]]]:
    """How every answer of one submission (folder, .zip, answers file or write-up, found as
    :func:`Grading.grade_folder` finds it) is read; no reference needed, nothing graded. A
    write-up's submission holds its extraction (where each answer was found, how surely)."""
    submission = load_answers(folder, problems, stage=stage)
    return submission, [(part.id, read_answer(part, submission.answers.get(part.id))) for part in problems.parts]


class Grading:
    """Grades submissions against one answer key. Never raises on a submission."""

    def __init__(self, key: AnswerKey, *, stage: Stage = "final") -> None:
        self.key = key
        self.stage: Stage = stage
        """The attempt of a write-up's parts that counts (the other is graded too, for the report)."""
        self._cache: dict[tuple[str, Answer | None], PartResult] = {}

    @property
    def problems(self) -> ProblemSet:
        return self.key.problems

    def grade_folder(self, folder: Path) -> SubmissionResult:
        """One submission: a folder, a .zip, an answers file or a write-up, its answers found
        wherever the upload put them (:mod:`autograder.locate`, as on Gradescope); a result that
        says so when grading itself failed. A write-up's parts say where each answer was found,
        and its first attempts are graded too when a part has several
        (:mod:`autograder.writeup.graded`)."""
        try:
            submission = load_answers(folder, self.problems, stage=self.stage)
            result = self.grade(submission)
            if submission.extraction is None:
                return result
            return with_provenance(result, submission, self.problems, first=self._first_attempts(submission, result))
        except Exception as error:  # one broken submission never stops the batch
            return self.failed(submission_name(folder), f"{GRADER_FAILED} ({type(error).__name__}: {error}).")

    def _first_attempts(self, submission: Submission, result: SubmissionResult) -> SubmissionResult | None:
        """The grades of a write-up's first attempts, when any part has more than one (cheap:
        the cache holds every answer the two stages share); None when none has."""
        extraction = submission.extraction
        if extraction is None or all(len(extracted.attempts) <= 1 for extracted in extraction.parts.values()):
            return None
        if self.stage == "first":
            return result
        first = from_extraction(
            submission.name, submission.folder, extraction, stage="first", writeup=submission.writeup
        )
        return self.grade(first)

    def grade(self, submission: Submission) -> SubmissionResult:
        """Every part of one submission.

        An answer seen before in this session (same part, same text) reuses its
        result. Kinds that run code bound themselves (the sandbox has its own
        limits) and are graded here; the math kinds are graded in a forked child
        with a deadline and, if it overruns, part by part.
        """
        parts_of_set = self.problems.parts
        messages = submission_messages(submission, self.problems)
        results: dict[str, PartResult] = {}
        in_child: list[Part] = []
        runs_code: list[Part] = []
        for part in parts_of_set:
            cached = self._cache.get((part.id, submission.answers.get(part.id)))
            if cached is not None:
                results[part.id] = cached
            else:
                (runs_code if REGISTRY[part.kind].runs_code else in_child).append(part)
        for warm_up in {kind.warm_up for kind in (REGISTRY[p.kind] for p in runs_code) if kind.warm_up}:
            warm_up()  # e.g. the sandbox's torch import, overlapping the math grading below
        if in_child:
            readings = self.key.readings
            finished = bounded.call(grade_parts, in_child, submission, readings, timeout=SUBMISSION_TIMEOUT)
            if finished.status == "ok" and finished.value is not None:
                results.update((result.id, result) for result in finished.value)
            else:  # something here hangs or crashes the grader: isolate it to its part
                results.update((part.id, self._grade_part_bounded(submission, part)) for part in in_child)
                messages.append(f"Grading was slow or failed ({finished.detail}); each part was graded on its own.")
        for part in runs_code:
            results[part.id] = grade_part(part, submission.answers.get(part.id), self.key.readings.get(part.id))
        self._remember(submission, results)
        ran_code = any(
            REGISTRY[part.kind].runs_code and submission.answers.get(part.id) is not None for part in parts_of_set
        )
        parts = tuple(results[part.id] for part in parts_of_set)
        return SubmissionResult(submission.name, parts, tuple(messages), isolation=_isolation(ran_code))

    def failed(self, name: str, message: str) -> SubmissionResult:
        """A result for a submission that could not be graded: every part to review, and why."""
        outcome = Outcome("needs_review", 0.0, f"{message} An instructor will grade this part.", "error:worker")
        parts = tuple(part_result(part, None, None, outcome) for part in self.problems.parts)
        return SubmissionResult(name, parts, (message,), isolation=available_isolation())

    def _remember(self, submission: Submission, results: Mapping[str, PartResult]) -> None:
        if len(self._cache) > CACHE_LIMIT:
            self._cache.clear()
        for answer_id, result in results.items():
            if not result.note.startswith("error:"):  # a failure may be transient: grade again next time
                self._cache[(answer_id, submission.answers.get(answer_id))] = result

    def _grade_part_bounded(self, submission: Submission, part: Part) -> PartResult:
        answer = submission.answers.get(part.id)
        finished = bounded.call(grade_part, part, answer, self.key.readings.get(part.id), timeout=PART_TIMEOUT)
        if finished.status == "ok" and finished.value is not None:
            return finished.value
        outcome = Outcome(
            "needs_review",
            0.0,
            f"This answer could not be graded automatically ({finished.detail}); an instructor will grade it.",
            f"error:{finished.status}",
        )
        return part_result(part, None if answer is None else answer.text, None, outcome)


def _isolation(ran_code: bool) -> str:
    """What the sandbox recorded for this process's runs when code ran, else what a run would get."""
    recorded = sandbox.shared().isolation if ran_code else ""
    return recorded or available_isolation()


@functools.cache
def available_isolation() -> str:
    """The isolation a student run would get here (probed once per process)."""
    return sandbox.isolation_available()


__all__ = [
    "GRADER_FAILED",
    "AnswerKey",
    "ConfigError",
    "Grading",
    "available_isolation",
    "check",
    "load_key",
    "load_specs",
]
