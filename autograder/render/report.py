"""The instructor report, ``OUT/report.html``: class overview (count, mean,
median, score histogram), verdict shares per question and part, the most
common wrong answers per part grouped by how they were read, and the
``needs_review`` queue with links to each submission's feedback.

Both tables are built from answer groups (:mod:`autograder.groups`): answers the
grader read the same way (equivalent math together) with the same grader note form
one row, largest first, with its stable id, which ``overrides.yaml`` can grade at
once. A review row shows only why the group is in review (what is missing, the
misconceptions asserted), not the feedback's boilerplate."""

from __future__ import annotations

import dataclasses
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from autograder import safeio
from autograder.graders.rubric import FOUND, MISSING_HINTED, NOTHING_FOUND, PROVISIONAL_CREDIT
from autograder.grading import REVIEW_SUFFIX
from autograder.groups import AnswerGroup, ReviewLoad, answer_groups, review_groups, review_load
from autograder.render import plots
from autograder.render.compare import SubmissionChange
from autograder.render.env import environment
from autograder.render.feedback import FEEDBACK_HTML
from autograder.render.records import GradedPart, GradedSubmission
from autograder.result import VERDICTS, PartResult, Verdict
from autograder.writeup.graded import ATTEMPT_ROWS, attempts_row

REPORT_FILE = "report.html"
MOST_COMMON = 5
"""Wrong answers listed per part (the most frequent first)."""
WRONG: tuple[Verdict, ...] = ("incorrect", "partial")
MEMBERS_SHOWN = 5
"""Members of a review group listed in its row; the others are behind a ``<details>``."""
WHY_LINES = 2
"""Last lines of a (non-rubric) feedback shown as the reason a group is in review."""
RUBRIC_NOTE = "rubric:"
RUBRIC_MARKS = (("-", "missing"), ("~", "contradicted"), ("!", "asserts"), ("?", "may assert"))
"""A rubric note's marks of what keeps an answer in review (``+`` found is not one), and their names."""


@dataclass(frozen=True)
class WrongAnswer:
    """Submissions whose answer to one part was read the same way and was not (fully) right."""

    as_read: str
    count: int
    group: str
    """The answer group's stable id (``overrides.yaml`` can grade it at once)."""
    verdicts: tuple[Verdict, ...]
    feedback: str
    """The feedback the first of them received (the same reading gets the same feedback)."""
    note: str
    rule_matched: bool | None
    """False: no spec rule matched, the student got the grader's generic explanation."""
    spellings: tuple[str, ...]
    """A few of the raw answers, as typed."""
    submissions: tuple[str, ...]
    as_read_math: str = ""
    """The first member's reading as MathML (empty when its kind does not typeset)."""


@dataclass(frozen=True)
class PartStats:
    id: str
    title: str
    max_score: float
    mean_score: float
    counts: dict[Verdict, int]
    shares: dict[Verdict, float]
    overridden: int
    wrong_answers: tuple[WrongAnswer, ...]
    more_wrong_answers: int
    """Distinct wrong readings beyond the ones listed."""


@dataclass(frozen=True)
class QuestionStats:
    id: str
    title: str
    max_score: float
    mean_score: float
    parts: tuple[PartStats, ...]


@dataclass(frozen=True)
class ReviewItem:
    submission: str
    part: GradedPart
    link: str


class _Members:
    """A row listing submissions: the first few shown, the rest folded away."""

    members: tuple[ReviewItem, ...]

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def shown(self) -> tuple[ReviewItem, ...]:
        return self.members[:MEMBERS_SHOWN]

    @property
    def hidden(self) -> tuple[ReviewItem, ...]:
        return self.members[MEMBERS_SHOWN:]


@dataclass(frozen=True)
class ReviewGroup(_Members):
    """One row of the review queue: answers to one part in review that read the same."""

    id: str
    """The group's stable id, what ``overrides.yaml`` ``groups:`` names."""
    part: GradedPart
    """The first member's graded answer (the others read the same)."""
    as_read: str
    members: tuple[ReviewItem, ...]
    provisional: tuple[float, ...]
    """The distinct provisional scores of the members (one, normally)."""
    why: tuple[str, ...]
    """Why it is in review: the missing ideas' hints, the misconceptions' messages, or the
    last sentences of the feedback; never the generic boilerplate."""
    summary: str = ""
    """For a rubric note: the concepts missing and misconceptions asserted, by id."""


@dataclass(frozen=True)
class DecisionRow(_Members):
    """One group decision of ``overrides.yaml`` and the answers it graded."""

    label: str
    """The decision as written: a group id, or ``part: "answer"``."""
    part: GradedPart
    """The first member's part, as overridden (score, verdict, comment)."""
    members: tuple[ReviewItem, ...]
    graded: tuple[float, ...]
    """The distinct scores the grader had given them."""


@dataclass(frozen=True)
class AttemptRow:
    """One part of a write-up submission in the attempts table."""

    submission: str
    part: GradedPart
    row: str
    """One of :data:`~autograder.writeup.graded.ATTEMPT_ROWS` (one-shot, kept, corrected, …)."""
    link: str
    """To the part's line of the feedback's read-back."""


@dataclass(frozen=True)
class AttemptCounts:
    """How many write-ups fall in each row of the attempts table, for one part."""

    id: str
    title: str
    counts: dict[str, int]


@dataclass(frozen=True)
class ClassReport:
    count: int
    max_score: float
    mean: float
    median: float
    lowest: float
    highest: float
    submissions: tuple[GradedSubmission, ...]
    questions: tuple[QuestionStats, ...]
    review: tuple[ReviewItem, ...]
    overridden: tuple[ReviewItem, ...]
    review_groups: tuple[ReviewGroup, ...]
    """The review queue: ``review`` grouped by reading, largest group first."""
    review_load: ReviewLoad
    decisions: tuple[DecisionRow, ...]
    """The group decisions applied (their members are in ``overridden`` too)."""
    histogram: str = ""
    shares_plot: str = ""
    changes: tuple[SubmissionChange, ...] | None = None
    compared_with: str = ""
    links: dict[str, str] = field(default_factory=dict)
    isolation: tuple[str, ...] = ()
    """Every distinct way student code was confined in this grading (one, normally)."""
    attempts: tuple[AttemptRow, ...] = ()
    """Every part of every write-up submission (answers.yaml ones have no attempts)."""
    attempt_counts: tuple[AttemptCounts, ...] = ()
    """Per part, the write-ups in each row of the attempts table."""


def readback_link(submission: str, part_id: str) -> str:
    """Relative link from ``OUT/report.html`` to a part's line of a write-up's read-back."""
    return f"{quote(submission)}/{FEEDBACK_HTML}#readback-{quote(part_id)}"


def attempt_rows(records: Sequence[GradedSubmission]) -> tuple[AttemptRow, ...]:
    """One row per part of each submission graded from a write-up, in the report's words."""
    return tuple(
        AttemptRow(
            record.submission,
            part,
            attempts_row(part.verdict, part.attempts, part.first_verdict, part.reprompts),
            readback_link(record.submission, part.id),
        )
        for record in records
        if record.writeup
        for part in record.parts
    )


def attempt_counts(rows: Sequence[AttemptRow]) -> tuple[AttemptCounts, ...]:
    by_part: dict[str, list[AttemptRow]] = {}
    for row in rows:
        by_part.setdefault(row.part.id, []).append(row)
    return tuple(
        AttemptCounts(
            part_id, items[0].part.title, {name: sum(item.row == name for item in items) for name in ATTEMPT_ROWS}
        )
        for part_id, items in by_part.items()
    )


def feedback_link(submission: str, part_id: str | None = None) -> str:
    """Relative link from ``OUT/report.html`` to a submission's feedback (and one part in it)."""
    link = f"{quote(submission)}/{FEEDBACK_HTML}"
    return link if part_id is None else f"{link}#part-{quote(part_id)}"


def class_report(
    records: Sequence[GradedSubmission],
    *,
    changes: Sequence[SubmissionChange] | None = None,
    compared_with: str = "",
    plots_enabled: bool = True,
) -> ClassReport:
    scores = [record.score for record in records]
    max_score = max((record.max_score for record in records), default=0.0)
    items = [(record.submission, part) for record in records for part in record.parts]
    attempts = attempt_rows(records)
    report = ClassReport(
        count=len(records),
        max_score=max_score,
        mean=statistics.fmean(scores) if scores else 0.0,
        median=statistics.median(scores) if scores else 0.0,
        lowest=min(scores, default=0.0),
        highest=max(scores, default=0.0),
        submissions=tuple(records),
        questions=_question_stats(records),
        review=tuple(
            ReviewItem(record.submission, part, feedback_link(record.submission, part.id))
            for record in records
            for part in record.parts
            if part.verdict == "needs_review"
        ),
        overridden=tuple(
            ReviewItem(record.submission, part, feedback_link(record.submission, part.id))
            for record in records
            for part in record.parts
            if part.overridden
        ),
        review_groups=tuple(_review_group(group) for group in review_groups(items)),
        review_load=review_load(items),
        decisions=_decisions(records),
        changes=None if changes is None else tuple(changes),
        compared_with=compared_with,
        links={record.submission: feedback_link(record.submission) for record in records},
        isolation=tuple(dict.fromkeys(record.isolation for record in records if record.isolation)),
        attempts=attempts,
        attempt_counts=attempt_counts(attempts),
    )
    if not plots_enabled:
        return report
    rows = [(part.id, part.counts) for question in report.questions for part in question.parts]
    return dataclasses.replace(
        report,
        histogram=plots.score_histogram(scores, max_score),
        shares_plot=plots.verdict_shares(rows) if rows else "",
    )


def _question_stats(records: Sequence[GradedSubmission]) -> tuple[QuestionStats, ...]:
    # The first record that has a question fixes its order, title and parts.
    order: dict[str, tuple[str, list[str]]] = {}
    by_part: dict[str, list[tuple[str, GradedPart]]] = {}
    for record in records:
        for question in record.questions:
            title, part_ids = order.setdefault(question.id, (question.title, []))
            for part in question.parts:
                if part.id not in by_part:
                    part_ids.append(part.id)
                by_part.setdefault(part.id, []).append((record.submission, part))
    questions = []
    for question_id, (title, part_ids) in order.items():
        parts = tuple(_part_stats(by_part[part_id]) for part_id in part_ids)
        questions.append(
            QuestionStats(
                id=question_id,
                title=title,
                max_score=sum(part.max_score for part in parts),
                mean_score=sum(part.mean_score for part in parts),
                parts=parts,
            )
        )
    return tuple(questions)


def _part_stats(graded: list[tuple[str, GradedPart]]) -> PartStats:
    first = graded[0][1]
    counts: Counter[Verdict] = Counter(part.verdict for _, part in graded)
    total = len(graded)
    wrong = common_wrong_answers(graded)
    return PartStats(
        id=first.id,
        title=first.title,
        max_score=first.max_score,
        mean_score=statistics.fmean(part.score for _, part in graded),
        counts={verdict: counts[verdict] for verdict in VERDICTS},
        shares={verdict: counts[verdict] / total for verdict in VERDICTS},
        overridden=sum(part.overridden for _, part in graded),
        wrong_answers=tuple(wrong[:MOST_COMMON]),
        more_wrong_answers=max(0, len(wrong) - MOST_COMMON),
    )


def common_wrong_answers(graded: Sequence[tuple[str, GradedPart]]) -> list[WrongAnswer]:
    """Wrong and partial answers of one part in answer groups (equivalent readings
    together), most frequent first.

    The grader's verdict counts here (not an instructor's override): the table
    is for improving the feedback rules, and the feedback came from the grader.
    """
    wrong = [
        (submission, part)
        for submission, part in graded
        if (part.graded_verdict or part.verdict) in WRONG and part.answer_as_read is not None
    ]
    return [_wrong_answer(group) for group in answer_groups(wrong)]


def _wrong_answer(group: AnswerGroup) -> WrongAnswer:
    first = group.parts[0]
    spellings = list(dict.fromkeys(" ".join((part.answer_raw or "").split()) for part in group.parts))
    return WrongAnswer(
        as_read=group.as_read,
        count=group.size,
        group=group.id,
        verdicts=tuple(dict.fromkeys(_graded_verdict(part) for part in group.parts)),
        feedback=first.feedback,
        note=first.note,
        rule_matched=first.rule_matched,
        spellings=tuple(spellings[:3]),
        submissions=group.members,
        as_read_math=first.as_read_math,
    )


def _graded_verdict(part: PartResult) -> Verdict:
    graded = part.graded_verdict if isinstance(part, GradedPart) else None
    return graded or part.verdict


def _decisions(records: Sequence[GradedSubmission]) -> tuple[DecisionRow, ...]:
    by_label: dict[str, list[ReviewItem]] = {}
    for record in records:
        for part in record.parts:
            if part.override_group is not None:
                item = ReviewItem(record.submission, part, feedback_link(record.submission, part.id))
                by_label.setdefault(part.override_group, []).append(item)
    return tuple(
        DecisionRow(
            label=label,
            part=items[0].part,
            members=tuple(items),
            graded=tuple(sorted({item.part.graded_score or 0.0 for item in items})),
        )
        for label, items in by_label.items()
    )


def _review_group(group: AnswerGroup) -> ReviewGroup:
    parts = [part for part in group.parts if isinstance(part, GradedPart)]
    first = parts[0]
    return ReviewGroup(
        id=group.id,
        part=first,
        as_read=group.as_read,
        members=tuple(
            ReviewItem(submission, part, feedback_link(submission, part.id))
            for submission, part in zip(group.members, parts, strict=True)
        ),
        provisional=tuple(sorted({part.score for part in parts})),
        why=review_reason(first),
        summary=rubric_summary(first.note),
    )


def review_reason(part: PartResult) -> tuple[str, ...]:
    """Why an answer is in review, without what every review feedback says.

    A rubric's feedback lists the ideas found, the ones missing (as hints) and the
    misconceptions asserted: only the last two are kept. Any other kind's reason is
    in its last sentences. The "provisional" sentence is dropped everywhere.
    """
    lines = [line.strip() for line in part.feedback.splitlines()]
    lines = [line for line in lines if line and line != REVIEW_SUFFIX]
    if not part.note.startswith(RUBRIC_NOTE):
        return tuple(lines[-WHY_LINES:])
    found, missing = FOUND.split("{")[0], MISSING_HINTED.split("{")[0]
    credit = re.compile(re.escape(PROVISIONAL_CREDIT).replace(re.escape("{percent}"), ".*"))
    kept = []
    for line in lines:
        if line.startswith(found) or line == NOTHING_FOUND or credit.fullmatch(line):
            continue
        kept.append(f"Missing: {line.removeprefix(missing)}" if line.startswith(missing) else line)
    return tuple(kept)


def rubric_summary(note: str) -> str:
    """``rubric:+a,~b,-c,!d,?e`` → ``missing: c · contradicted: b · asserts: d · may assert: e``
    (the ideas found are left out; empty for other notes)."""
    if not note.startswith(RUBRIC_NOTE):
        return ""
    marks = [mark.strip() for mark in note.removeprefix(RUBRIC_NOTE).split(",") if len(mark.strip()) > 1]
    said = []
    for sign, label in RUBRIC_MARKS:
        ids = [mark[1:] for mark in marks if mark[0] == sign]
        if ids:
            said.append(f"{label}: {', '.join(ids)}")
    return " · ".join(said)


def report_html(report: ClassReport) -> str:
    return (
        environment()
        .get_template(REPORT_FILE)
        .render(report=report, verdicts=VERDICTS, most_common=MOST_COMMON, attempt_names=ATTEMPT_ROWS)
    )


def write_report(report: ClassReport, out: Path) -> Path:
    return safeio.write_text(out / REPORT_FILE, report_html(report))
