"""A write-up's grades with where each answer came from: nothing graded silently.

:class:`~autograder.session.Grading` grades a write-up's extracted answers like any
others (same readers, same cache); this module then adds what only a write-up has:

- every extracted part says where it was found (file, lines, method, confidence: the
  :attr:`~autograder.result.PartResult.source`) and quotes the lines it came from;
- an answer extracted with ``low`` confidence makes its part ``needs_review``, its
  graded credit kept as provisional points, with a line saying why: the extractor may
  have picked the wrong text, and a grade on it would be a guess;
- a part with nothing found is ``unanswered`` with a line saying so, naming what was
  looked for;
- with several attempts at a part (a re-prompted chat), the first attempt's verdict and
  score (from a second grading of the first-stage answers) are kept beside the final
  one, which is what counts: the report's attempts table is built from both.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence

from autograder.grading import REVIEW_SUFFIX
from autograder.problem import Part, ProblemSet
from autograder.result import PartResult, SubmissionResult, Verdict
from autograder.submission import Submission
from autograder.writeup.cues import is_numbering
from autograder.writeup.model import Attempt, Extracted, Extraction, Stage

MAX_QUOTE_CHARS = 2000
"""A quote longer than this is cut (with `` …``): the whole write-up is the student's own copy."""
UNREAD_EXTRACTION = (
    "The text taken from your write-up ({how}) could not be read as an answer to this part, so an "
    "instructor will read the write-up itself."
)
LOW_CONFIDENCE = (
    "This answer was taken from your write-up with low confidence ({how}): an instructor will check "
    "that it is the answer you meant."
)
NOT_FOUND_IN_ANSWERED_QUESTION = (
    "Your write-up answers other parts of {question}, so this part may be there in a form the "
    "autograder did not recognise: an instructor will look."
)
NOTHING_FOUND = "Nothing was found for this part in {file}{looked}, so it counts as unanswered."
NOTHING_FOUND_YET = "Nothing was found for this part in {file}{looked}."
Cues = Callable[[Part], Sequence[str]]
"""What the extractor looks for to find a part (its markers), for the message of a part not found."""


def declared_cues(part: Part) -> tuple[str, ...]:
    """What a student can search the write-up for: the part's id, its numbering as the
    extractor derives it (``q6.b.ii`` → ``6(b)(ii)``), the word its id ends in (``time``)
    and the cues its spec declares."""
    cues = part.cues
    segments = part.id.removeprefix(part.question + ".").split(".")
    digits = re.findall(r"\d+", part.question)
    numbered = [segment for segment in segments if is_numbering(segment)]
    numbering = (digits[-1] if digits else "") + "".join(f"({segment})" for segment in numbered)
    word = [] if is_numbering(segments[-1]) else [segments[-1]]
    found = (part.id, numbering if numbered else "", *word, *cues.markers, *cues.aliases, *cues.words)
    return tuple(dict.fromkeys(cue for cue in found if cue))


def source_text(attempt: Attempt, file: str, attempts: int = 1, stage: Stage = "final") -> str:
    """Where an answer was found, for people: ``report.md, lines 12-14 (boxed, high confidence)``,
    and which of several attempts it is."""
    lines = (
        f"line {attempt.first_line}"
        if attempt.last_line <= attempt.first_line
        else f"lines {attempt.first_line}-{attempt.last_line}"
    )
    which = f"; the {'last' if stage == 'final' else 'first'} of {attempts} attempts" if attempts > 1 else ""
    return f"{file}, {lines} ({attempt.method}, {attempt.confidence} confidence{which})"


def bounded_quote(text: str) -> str:
    return text if len(text) <= MAX_QUOTE_CHARS else text[:MAX_QUOTE_CHARS] + " …"


def with_provenance(
    result: SubmissionResult,
    submission: Submission,
    problems: ProblemSet,
    *,
    first: SubmissionResult | None = None,
    cues: Cues | None = None,
) -> SubmissionResult:
    """``result`` (the grades of ``submission``'s answers, extracted from a write-up) with each
    part's source, quote and attempts, low confidence sent to review, missing parts said;
    ``first``: the grades of the first attempts when a part had several."""
    extraction = submission.extraction
    if extraction is None:
        return result
    specs = {part.id: part for part in problems.parts}
    firsts = {part.id: part for part in first.parts} if first is not None else {}
    parts = []
    for part in result.parts:
        extracted = extraction.parts.get(part.id)
        if extracted is None or not extracted.attempts:
            looked = tuple((cues or declared_cues)(specs[part.id])) if part.id in specs else ()
            answered = _question_answered(part, extraction)
            parts.append(_not_found(part, submission.writeup, looked, question_answered=answered))
            continue
        final = _extracted(part, extracted, submission.writeup, submission.stage)
        earlier = firsts.get(part.id)
        if len(extracted.attempts) > 1 and earlier is not None:
            first_part = _extracted(earlier, extracted, submission.writeup, "first")
            final = _with_first(final, first_part, extracted)
        else:
            final = dataclasses.replace(final, first_verdict=final.verdict, first_score=final.score)
        parts.append(final)
    return dataclasses.replace(result, parts=tuple(parts), writeup=submission.writeup)


def _extracted(part: PartResult, extracted: Extracted, file: str, stage: Stage) -> PartResult:
    """``part`` with its provenance; to review when its attempt was of low confidence."""
    attempt = extracted.at(stage)
    count = len(extracted.attempts)
    source = source_text(attempt, file, count, stage)
    part = dataclasses.replace(
        part, source=source, quote=bounded_quote(attempt.quote), attempts=count, reprompts=extracted.reprompts
    )
    if part.verdict == "unreadable":
        # The extractor chose this text, not the student: what it could not read, a person reads.
        return to_review(part, UNREAD_EXTRACTION.format(how=source))
    if attempt.confidence != "low":
        return part
    return to_review(part, LOW_CONFIDENCE.format(how=source + (f": {attempt.note}" if attempt.note else "")))


def to_review(part: PartResult, why: str) -> PartResult:
    """``part`` waiting for an instructor, its graded credit kept as provisional points."""
    lines = [line for line in part.feedback.splitlines() if line.strip() and line != REVIEW_SUFFIX]
    feedback = "\n".join([*lines, why, REVIEW_SUFFIX])
    return dataclasses.replace(part, verdict="needs_review", feedback=feedback)


def _with_first(final: PartResult, first: PartResult, extracted: Extracted) -> PartResult:
    first_text = extracted.at("first").text
    differs = first_text.strip() != extracted.at("final").text.strip()
    return dataclasses.replace(
        final,
        first_verdict=first.verdict,
        first_score=first.score,
        first_answer=bounded_quote(first_text) if differs else None,
    )


def _question_answered(part: PartResult, extraction: Extraction) -> bool:
    """Whether the write-up answers another part of ``part``'s question: then a part of it that
    was not found may be one the extractor missed (five answers in one sentence, a table)."""
    return any(
        other.attempts and answer_id != part.id and answer_id.split(".")[0] == part.question
        for answer_id, other in extraction.parts.items()
    )


def _not_found(part: PartResult, file: str, looked: Sequence[str], *, question_answered: bool = False) -> PartResult:
    """Unanswered, saying what was looked for; when the write-up answers the rest of its
    question, the part waits for review instead: not finding it is not knowing it is absent."""
    if part.verdict != "unanswered":
        return part  # graded from elsewhere (cannot happen for a write-up): left as graded
    shown = ", ".join(f"'{cue}'" for cue in looked[:6]) + (" …" if len(looked) > 6 else "")
    where = {"file": file or "your write-up", "looked": f" (looked for {shown})" if looked else ""}
    if question_answered:  # waits for review: the feedback must not also say it counts as unanswered
        said = NOTHING_FOUND_YET.format(**where)
        searched = dataclasses.replace(part, feedback=said, attempts=0)
        return to_review(searched, NOT_FOUND_IN_ANSWERED_QUESTION.format(question=part.question))
    feedback = "\n".join(line for line in (part.feedback.strip(), NOTHING_FOUND.format(**where)) if line)
    return dataclasses.replace(part, feedback=feedback, attempts=0)


AttemptsRow = str
"""One of :data:`ATTEMPT_ROWS`."""
ATTEMPT_ROWS = ("one-shot", "kept", "corrected", "not fixed", "review", "unanswered")
"""How a part went over a write-up's attempts, in the words of students' own summary tables:
right the first time and asked once (one-shot), asked again though right (kept), wrong then
right (corrected), still wrong at the end (not fixed), not decided (review), no answer found."""


def attempts_row(verdict: Verdict, attempts: int, first_verdict: Verdict | None, reprompts: int = 0) -> AttemptsRow:
    """The row of the attempts table a part falls in (its final ``verdict``, overrides included;
    ``reprompts``: a right answer asked about again and kept is ``kept``, not ``one-shot``)."""
    if attempts == 0 or verdict == "unanswered":
        return "unanswered"
    if verdict == "needs_review" or (attempts > 1 and first_verdict in (None, "needs_review")):
        return "review"
    if verdict != "correct":
        return "not fixed"
    if attempts == 1:
        return "kept" if reprompts else "one-shot"
    return "kept" if first_verdict == "correct" else "corrected"


def counted(rows: Mapping[str, AttemptsRow]) -> dict[AttemptsRow, int]:
    """How many parts fall in each row, every row listed (zero included)."""
    return {row: sum(1 for value in rows.values() if value == row) for row in ATTEMPT_ROWS}


__all__ = [
    "ATTEMPT_ROWS",
    "LOW_CONFIDENCE",
    "NOTHING_FOUND",
    "attempts_row",
    "bounded_quote",
    "counted",
    "source_text",
    "to_review",
    "with_provenance",
]
