"""Grade one answer, then one submission: read → compare with the reference →
apply the spec's feedback rules → :class:`~autograder.result.PartResult`.

This is the only place that turns grader outcomes into points, and the only
place that decides what happens when something goes wrong inside a grader
(the part goes to ``needs_review``; the rest of the submission is graded).
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograder.graders import REGISTRY
from autograder.mathread import Unreadable
from autograder.problem import Part, ProblemSet
from autograder.result import Outcome, PartResult, verdict_for_credit
from autograder.spec import closest
from autograder.submission import Answer, Submission

UNANSWERED_FEEDBACK = "Not answered."
INTERNAL_ERROR_FEEDBACK = (
    "The autograder could not grade this answer (an internal error, not your mistake); "
    "an instructor will grade it by hand."
)
REVIEW_SUFFIX = "This grade is provisional: an instructor will review it."


@dataclass(frozen=True)
class Read:
    """How one raw answer was read (``autograder check`` shows this)."""

    reading: Any = None
    as_read: str | None = None
    problem: str | None = None
    """Why it could not be read, with an accepted spelling; None when it was read."""
    group: str = ""
    """The kind's canonical text of the reading (``GraderKind.group_key``, else ``as_read``)."""
    as_read_math: str = ""
    """The reading as MathML (``GraderKind.typeset``); empty when the kind does not typeset."""


def read_answer(part: Part, answer: Answer | None) -> Read | None:
    """Read one answer with its part's grader; None when there is no answer."""
    kind = REGISTRY[part.kind]
    if answer is not None and answer.problem is not None:
        return Read(problem=f"{answer.problem}\nAn accepted way to write it: {example(part)}")
    if answer is None or not answer.text.strip():
        return None
    try:
        reading = kind.read(answer.text, part)
    except Unreadable as error:
        # The reader's own hint may be an answer (sqrt(d)); show the part's format example.
        hint = example(part)
        problem = Unreadable(error.message, error.text, error.position, hint).explain()
        return Read(problem=problem)
    as_read = kind.show(reading)
    group = kind.group_key(reading) if kind.group_key is not None else as_read
    as_read_math = kind.typeset(reading) if kind.typeset is not None else ""
    return Read(reading=reading, as_read=as_read, group=group, as_read_math=as_read_math)


def example(part: Part) -> str:
    """How an answer to this part may be written: the spec's ``example``, else the kind's."""
    kind = REGISTRY[part.kind]
    if part.example:
        return part.example
    return kind.example_for(part) if kind.example_for is not None else kind.example


def grade_part(part: Part, answer: Answer | None, reference: Any) -> PartResult:
    """Grade one answer against the reference reading. Never raises."""
    raw = None if answer is None else answer.text
    try:
        read = read_answer(part, answer)
        if read is None:
            return part_result(part, raw, None, Outcome("unanswered", 0.0, UNANSWERED_FEEDBACK, "unanswered"))
        if read.problem is not None:
            feedback = f"Your answer could not be read, so it earns no points yet.\n{read.problem}"
            return part_result(part, raw, None, Outcome("unreadable", 0.0, feedback, "unreadable"))
        outcome = decide(part, read.reading, reference)
        return part_result(part, raw, read.as_read, outcome, read)
    except Exception as error:  # a grader bug must cost one part, never the batch
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        outcome = Outcome("needs_review", 0.0, INTERNAL_ERROR_FEEDBACK, f"error:{detail[:300]}")
        return part_result(part, raw, None, outcome)


def decide(part: Part, reading: Any, reference: Any) -> Outcome:
    """Reference first; then the spec's rules (known answers); then the grader's own explanation."""
    kind = REGISTRY[part.kind]
    outcome = kind.grade(reading, reference, part)
    if outcome.verdict == "correct":
        return outcome
    for rule in part.rules:
        if _rule_applies(part, rule.readings, rule.mentions, reading):
            return Outcome(verdict_for_credit(rule.credit), rule.credit, rule.message, rule.note, rule_matched=True)
    return outcome


def _rule_applies(part: Part, readings: tuple[Any, ...], mentions: tuple[str, ...], reading: Any) -> bool:
    kind = REGISTRY[part.kind]
    if mentions and kind.names is not None and set(mentions) & kind.names(reading):
        return True
    return any(kind.matches(reading, known, part) for known in readings)


def part_result(
    part: Part, raw: str | None, as_read: str | None, outcome: Outcome, read: Read | None = None
) -> PartResult:
    credit = min(max(outcome.credit, 0.0), 1.0)
    feedback = outcome.feedback
    if outcome.verdict == "needs_review" and REVIEW_SUFFIX not in feedback:
        feedback = f"{feedback}\n{REVIEW_SUFFIX}".strip()
    return PartResult(
        id=part.id,
        question=part.question,
        title=part.title,
        max_score=part.points,
        score=round(credit * part.points, 4),
        verdict=outcome.verdict,
        feedback=feedback,
        answer_raw=raw,
        answer_as_read=as_read,
        note=outcome.note,
        rule_matched=outcome.rule_matched,
        group=read.group if read is not None else "",
        as_read_math=read.as_read_math if read is not None else "",
        highlights=outcome.highlights,
    )


def grade_parts(parts: Sequence[Part], submission: Submission, key: Mapping[str, Any]) -> list[PartResult]:
    return [grade_part(part, submission.answers.get(part.id), key.get(part.id)) for part in parts]


def submission_messages(submission: Submission, problems: ProblemSet) -> list[str]:
    """The submission's own messages plus a warning for every id the homework does not have."""
    known = {part.id for part in problems.parts}
    messages = list(submission.messages)
    for answer_id in submission.answers:
        if answer_id not in known:
            messages.append(
                f"Warning: '{answer_id}' is not an answer id of this homework and was ignored"
                f"{_did_you_mean(answer_id, known)}."
            )
    return messages


def _did_you_mean(answer_id: str, known: set[str]) -> str:
    close = closest(answer_id, sorted(known))
    return f" (did you mean '{close}'?)" if close else ""
