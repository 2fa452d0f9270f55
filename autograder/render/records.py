"""What the reports are built from: one :class:`GradedSubmission` per
``OUT/<submission>/result.json``, written when a submission is graded.

``results.json`` (Gradescope's format) is the record students see; it lacks
what reports need (prompts, titles, whether a feedback rule matched, the
reference answers). ``result.json`` holds the full
:class:`~autograder.result.SubmissionResult` plus that context, so
``autograder report OUT`` rebuilds every report from ``OUT`` alone, without
the specs and without grading again. It contains the reference answers: it is
for instructors, never shown to students.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import safeio
from autograder.manifest import Manifest, ManifestError, read_manifest
from autograder.problem import ProblemSet
from autograder.result import VERDICTS, PartResult, SubmissionResult, Verdict

RECORD_FILE = "result.json"
GRADESCOPE_FILE = "results.json"
RECORD_FORMAT = 1


class RecordError(Exception):
    """An OUT folder whose records cannot be used for reports."""


@dataclass(frozen=True)
class GradedPart(PartResult):
    """One answer id's grade (every field of its :class:`PartResult`) with what reports show around it."""

    prompt: str = ""
    """The question as asked (from the spec)."""
    show_reference: bool = False
    """The spec allows showing the reference answer in feedback."""
    reference: str | None = None
    """The reference answer as written in the reference folder."""
    reference_math: str = ""
    """The reference answer as its grader read it, typeset as MathML; empty when the kind does not typeset."""
    override_comment: str | None = None
    """Set when an instructor overrode this grade (``overrides.yaml``); may be empty."""
    graded_score: float | None = None
    """The score the grader gave, before an override."""
    graded_verdict: Verdict | None = None
    """The verdict the grader gave, before an override."""
    override_group: str | None = None
    """The group decision (``overrides.yaml`` ``groups:``) that set the override; None otherwise."""

    @property
    def overridden(self) -> bool:
        return self.override_comment is not None


@dataclass(frozen=True)
class GradedQuestion:
    id: str
    title: str
    statement: str
    parts: tuple[GradedPart, ...]

    @property
    def score(self) -> float:
        return sum(part.score for part in self.parts)

    @property
    def max_score(self) -> float:
        return sum(part.max_score for part in self.parts)


@dataclass(frozen=True)
class GradedSubmission:
    submission: str
    questions: tuple[GradedQuestion, ...]
    messages: tuple[str, ...] = ()
    isolation: str = ""
    """How student code was confined (:attr:`SubmissionResult.isolation`); empty when not recorded."""
    writeup: str = ""
    """The write-up the answers were extracted from (:attr:`SubmissionResult.writeup`); empty for answers.yaml."""

    @property
    def parts(self) -> tuple[GradedPart, ...]:
        return tuple(part for question in self.questions for part in question.parts)

    @property
    def score(self) -> float:
        return sum(part.score for part in self.parts)

    @property
    def max_score(self) -> float:
        return sum(part.max_score for part in self.parts)


def build_record(
    result: SubmissionResult,
    problems: ProblemSet,
    references: Mapping[str, str],
    reference_math: Mapping[str, str] | None = None,
) -> GradedSubmission:
    """A graded submission with its spec context (titles, prompts, reference answers, typeset or not)."""
    typeset = reference_math or {}
    by_id = {part.id: part for part in result.parts}
    questions = []
    for question in problems.questions:
        parts = []
        for spec_part in question.parts:
            graded = by_id.pop(spec_part.id, None)
            if graded is None:
                continue
            context = {"prompt": spec_part.prompt, "show_reference": spec_part.show_reference}
            reference = references.get(spec_part.id)
            parts.append(_graded(graded, **context, reference=reference, reference_math=typeset.get(spec_part.id, "")))
        if parts:
            questions.append(GradedQuestion(question.id, question.title, question.statement, tuple(parts)))
    leftover = [_part_without_spec(part) for part in by_id.values()]
    if leftover:  # graded against parts this problem set does not have: keep them, never drop a grade
        questions.append(GradedQuestion("other", "Other answers", "", tuple(leftover)))
    return GradedSubmission(result.submission, tuple(questions), result.messages, result.isolation, result.writeup)


def _graded(part: PartResult, **context: Any) -> GradedPart:
    """``part`` with its report context: every PartResult field carried over as it is."""
    fields = {field.name: getattr(part, field.name) for field in dataclasses.fields(PartResult)}
    return GradedPart(**fields, **context)


def _part_without_spec(part: PartResult) -> GradedPart:
    return _graded(part)


def write_record(record: GradedSubmission, folder: Path) -> Path:
    data = {"format": RECORD_FORMAT, **dataclasses.asdict(record)}
    return safeio.write_json(safeio.ensure_folder(folder) / RECORD_FILE, data)


@dataclass(frozen=True)
class OutFolder:
    """What an OUT folder holds: the current records and what the last grading did not write."""

    records: list[GradedSubmission]
    """The submissions the last grading wrote (every graded folder when there is no manifest), by name."""
    stale: list[str]
    """Folders with grades that the last grading did not write (a renamed or removed submission):
    left out of counts and exports, never deleted."""
    missing: list[str]
    """Names the last grading lists that have no grades (it was killed before writing them)."""
    manifest: Manifest | None = None


def load_out_dir(out: Path) -> list[GradedSubmission]:
    """The current graded submissions under ``out``, sorted by name (see :func:`load_graded`)."""
    return load_graded(out).records


def load_graded(out: Path) -> OutFolder:
    """Every current graded submission under ``out``, sorted by name, and the stale folders.

    A folder with ``result.json`` is read from it; one with only Gradescope's
    ``results.json`` (graded by an older version) is rebuilt from that, without
    prompts and with ``rule_matched`` unknown. With ``OUT/grading.json``
    (:mod:`autograder.manifest`) only the folders the last grading wrote count;
    without it, every folder does.
    """
    if not out.is_dir():
        raise RecordError(f"{out}: not a folder; give the --out folder of 'autograder grade'")
    try:
        manifest = read_manifest(out)
    except ManifestError as error:
        raise RecordError(str(error)) from None
    current = None if manifest is None else set(manifest.graded)
    records, stale, found = [], [], set()
    for folder in sorted(child for child in out.iterdir() if child.is_dir()):
        record = folder / RECORD_FILE
        gradescope = folder / GRADESCOPE_FILE
        if not (record.is_file() or gradescope.is_file()):
            continue
        if current is not None and folder.name not in current:
            stale.append(folder.name)  # not even read: a broken stale record must not block the reports
            continue
        found.add(folder.name)
        records.append(_load_record(record) if record.is_file() else _load_gradescope(gradescope))
    missing = sorted(current - found) if current is not None else []
    if not records:
        also = f" ({len(stale)} stale folder(s) the last grading did not write)" if stale else ""
        raise RecordError(
            f"{out}: no graded submissions (no <submission>/{RECORD_FILE}){also}; run 'autograder grade' first"
        )
    return OutFolder(records, stale, missing, manifest)


def _load_record(path: Path) -> GradedSubmission:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != RECORD_FORMAT:
            raise RecordError(f"{path}: format {data.get('format')!r}, expected {RECORD_FORMAT}; grade again")
        questions = tuple(
            GradedQuestion(
                id=str(question["id"]),
                title=str(question["title"]),
                statement=str(question["statement"]),
                parts=tuple(_part_from_json(part) for part in question["parts"]),
            )
            for question in data["questions"]
        )
        return GradedSubmission(
            str(data["submission"]),
            questions,
            tuple(data.get("messages", ())),
            str(data.get("isolation", "")),
            str(data.get("writeup", "")),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise RecordError(f"{path}: not a result record ({type(error).__name__}: {error}); grade again") from None


TEXT_FIELDS = (
    "id",
    "question",
    "title",
    "feedback",
    "note",
    "group",
    "as_read_math",
    "reference_math",
    "prompt",
    "source",
    "quote",
)
"""Fields a template shows as text: a record holding anything else there is refused, not rendered."""
OPTIONAL_TEXT_FIELDS = ("answer_raw", "answer_as_read", "reference", "override_comment", "first_answer")


def _part_from_json(part: dict[str, Any]) -> GradedPart:
    for name in TEXT_FIELDS:
        if name in part and not isinstance(part[name], str):
            raise TypeError(f"{name} is {type(part[name]).__name__}, not text")
    for name in OPTIONAL_TEXT_FIELDS:
        if part.get(name) is not None and not isinstance(part[name], str):
            raise TypeError(f"{name} is {type(part[name]).__name__}, not text")
    highlights = tuple((int(start), int(end), str(label)) for start, end, label in part.get("highlights", ()))
    first = part.get("first_verdict")
    first_score = part.get("first_score")
    return GradedPart(
        **{
            **part,
            "verdict": _verdict(part["verdict"]),
            "highlights": highlights,
            "attempts": int(part.get("attempts", 0)),
            "reprompts": int(part.get("reprompts", 0)),
            "first_verdict": None if first is None else _verdict(first),
            "first_score": None if first_score is None else float(first_score),
        }
    )


def _load_gradescope(path: Path) -> GradedSubmission:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        parts: dict[str, list[GradedPart]] = {}
        for test in data["tests"]:
            extra = test["extra_data"]
            answer_id = str(extra["id"])
            question = answer_id.split(".", 1)[0]
            name = str(test.get("name", answer_id))
            parts.setdefault(question, []).append(
                GradedPart(
                    id=answer_id,
                    question=question,
                    title=name.split(": ", 1)[1] if ": " in name else name,
                    prompt="",
                    max_score=float(test["max_score"]),
                    score=float(test["score"]),
                    verdict=_verdict(extra["verdict"]),
                    feedback=str(test.get("output", "")),
                    answer_raw=None,
                    answer_as_read=extra.get("answer_as_read"),
                    note=str(extra.get("note", "")),
                    rule_matched=None,
                )
            )
        questions = tuple(GradedQuestion(qid, qid, "", tuple(items)) for qid, items in parts.items())
        messages = tuple(str(data["output"]).splitlines()) if data.get("output") else ()
        isolation = str(data.get("extra_data", {}).get("isolation", ""))
        return GradedSubmission(path.parent.name, questions, messages, isolation)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise RecordError(f"{path}: not a Gradescope results file ({type(error).__name__}: {error})") from None


def _verdict(value: object) -> Verdict:
    if value not in VERDICTS:
        raise ValueError(f"unknown verdict {value!r}")
    return value
