"""The instructor report, ``OUT/report.html``: class overview (count, mean,
median, score histogram), verdict shares per question and part, the most
common wrong answers per part grouped by how they were read, and the
``needs_review`` queue with links to each submission's feedback."""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from autograder import safeio
from autograder.render import plots
from autograder.render.compare import SubmissionChange
from autograder.render.env import environment
from autograder.render.feedback import FEEDBACK_HTML
from autograder.render.records import GradedPart, GradedSubmission
from autograder.result import VERDICTS, Verdict

REPORT_FILE = "report.html"
MOST_COMMON = 5
"""Wrong answers listed per part (the most frequent first)."""
WRONG: tuple[Verdict, ...] = ("incorrect", "partial")


@dataclass(frozen=True)
class WrongAnswer:
    """Submissions whose answer to one part was read the same way and was not (fully) right."""

    as_read: str
    count: int
    verdicts: tuple[Verdict, ...]
    feedback: str
    """The feedback the first of them received (the same reading gets the same feedback)."""
    note: str
    rule_matched: bool | None
    """False: no spec rule matched, the student got the grader's generic explanation."""
    spellings: tuple[str, ...]
    """A few of the raw answers, as typed."""
    submissions: tuple[str, ...]


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
    histogram: str = ""
    shares_plot: str = ""
    changes: tuple[SubmissionChange, ...] | None = None
    compared_with: str = ""
    links: dict[str, str] = field(default_factory=dict)
    isolation: tuple[str, ...] = ()
    """Every distinct way student code was confined in this grading (one, normally)."""


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
        changes=None if changes is None else tuple(changes),
        compared_with=compared_with,
        links={record.submission: feedback_link(record.submission) for record in records},
        isolation=tuple(dict.fromkeys(record.isolation for record in records if record.isolation)),
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
    """Wrong and partial answers of one part grouped by their reading, most frequent first.

    The grader's verdict counts here (not an instructor's override): the table
    is for improving the feedback rules, and the feedback came from the grader.
    """
    groups: dict[str, list[tuple[str, GradedPart]]] = {}
    for submission, part in graded:
        verdict = part.graded_verdict or part.verdict
        if verdict in WRONG and part.answer_as_read is not None:
            groups.setdefault(part.answer_as_read, []).append((submission, part))
    answers = []
    for as_read, members in groups.items():
        first = members[0][1]
        spellings = list(dict.fromkeys(" ".join((part.answer_raw or "").split()) for _, part in members))
        answers.append(
            WrongAnswer(
                as_read=as_read,
                count=len(members),
                verdicts=tuple(dict.fromkeys(part.graded_verdict or part.verdict for _, part in members)),
                feedback=first.feedback,
                note=first.note,
                rule_matched=first.rule_matched,
                spellings=tuple(spellings[:3]),
                submissions=tuple(submission for submission, _ in members),
            )
        )
    answers.sort(key=lambda answer: (-answer.count, answer.as_read))
    return answers


def report_html(report: ClassReport) -> str:
    return environment().get_template(REPORT_FILE).render(report=report, verdicts=VERDICTS, most_common=MOST_COMMON)


def write_report(report: ClassReport, out: Path) -> Path:
    return safeio.write_text(out / REPORT_FILE, report_html(report))
