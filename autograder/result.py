"""What grading produces: one :class:`PartResult` per answer id, one
:class:`SubmissionResult` per submission. Everything downstream (results.json,
summaries, reports) is built from these and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

Verdict = Literal["correct", "partial", "incorrect", "unanswered", "unreadable", "needs_review"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)


def verdict_for_credit(credit: float) -> Verdict:
    """The verdict a certain grade with this share of the points gets."""
    if credit >= 1.0:
        return "correct"
    if credit > 0.0:
        return "partial"
    return "incorrect"


@dataclass(frozen=True)
class Outcome:
    """What a grader (or a feedback rule) decided about one answer."""

    verdict: Verdict
    credit: float
    """Share of the part's points earned, 0 to 1 (provisional for ``needs_review``)."""
    feedback: str
    """Sentences for the student: why, and what to look at."""
    note: str = ""
    """A short machine-friendly tag for reports (STACK's "answer note"),
    e.g. ``rule:sigma_in_mean`` or ``complexity:missing_term``."""
    rule_matched: bool = False
    """True when a spec feedback rule (rather than the grader's generic
    explanation) produced this outcome; reports flag wrong answers without one."""
    highlights: tuple[tuple[int, int, str], ...] = ()
    """Spans ``(start, end, label)`` of the answer as read (``show`` of the reading) that
    the grader recognised, e.g. the words that matched a rubric concept; reports mark them."""


@dataclass(frozen=True)
class PartResult:
    """The grade of one answer id."""

    id: str
    """Answer id, e.g. ``q4.f``."""
    question: str
    """Question id, e.g. ``q4``."""
    title: str
    """Short name of the part shown to students."""
    max_score: float
    score: float
    verdict: Verdict
    feedback: str
    answer_raw: str | None
    """The answer text as submitted (None when not answered)."""
    answer_as_read: str | None
    """How the reader understood the answer (None when unanswered or unreadable)."""
    note: str = ""
    rule_matched: bool | None = False
    """Whether a spec feedback rule produced the feedback; None when unknown
    (a record rebuilt from an older ``results.json``)."""
    visible: bool = True
    group: str = ""
    """A canonical text of the reading, equal for answers a grader reads as the same
    (``d^(1/2)`` and ``sqrt(d)``): what review groups are built from (:mod:`autograder.groups`).
    Empty when the answer was not read."""
    as_read_math: str = ""
    """The reading typeset as a MathML ``<math>`` element (built by the grader, never from
    student markup); empty when the kind does not typeset."""
    highlights: tuple[tuple[int, int, str], ...] = ()
    """:attr:`Outcome.highlights`: spans of :attr:`answer_as_read` to mark."""
    source: str = ""
    """Where a write-up's answer was found, for people: ``report.md, lines 12-14, boxed, high
    confidence``; empty for answers.yaml (or when nothing was found)."""
    quote: str = ""
    """The write-up's lines the answer came from, as written (bounded student text)."""
    attempts: int = 0
    """Attempts at this part found in the write-up (0: not a write-up, or nothing found)."""
    reprompts: int = 0
    """Times a chat's user asked again about this part (a re-prompt), answered or not."""
    first_verdict: Verdict | None = None
    """The verdict of the write-up's first attempt (graded too when a part had several); None
    when there was none. The final attempt is what counts."""
    first_score: float | None = None
    first_answer: str | None = None
    """The first attempt's text, when it differs from the final one."""


@dataclass(frozen=True)
class SubmissionResult:
    """All part grades of one submission, plus messages about the submission itself."""

    submission: str
    """The submission's name (its folder name)."""
    parts: tuple[PartResult, ...]
    messages: tuple[str, ...] = field(default=())
    """Problems with the submission as a whole: unknown ids, an unreadable
    answers.yaml, a grader error. Shown to the student."""
    isolation: str = ""
    """How student code was confined: the isolation the sandbox's runs recorded
    when this submission had code answers, else what a run would get here
    (``autograder.sandbox.isolation_available()``). Written to every results file."""
    writeup: str = ""
    """The write-up file the answers were extracted from (``homework/report.md``); empty when
    they came from answers.yaml."""

    @property
    def score(self) -> float:
        return sum(part.score for part in self.parts)

    @property
    def max_score(self) -> float:
        return sum(part.max_score for part in self.parts)
