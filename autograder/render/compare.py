"""``autograder report OUT --compare OLD``: every submission whose grade changed
between two gradings, part by part, so a regrade can be reviewed before it is
published. Written to ``OUT/changes.html`` and shown in ``report.html``. A change
that a group decision of ``overrides.yaml`` made (or that happened because an
answer left a decided group) names that decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder import safeio
from autograder.render.env import environment
from autograder.render.records import GradedSubmission
from autograder.result import Verdict

CHANGES_FILE = "changes.html"
#: Verdicts short enough for the CLI table.
SHORT_VERDICTS: dict[Verdict, str] = {"needs_review": "review", "unanswered": "blank", "unreadable": "unread"}


@dataclass(frozen=True)
class PartChange:
    part: str
    old_score: float | None
    """None: the part was not graded in the old grading."""
    new_score: float | None
    """None: the part is not graded in the new grading."""
    old_verdict: Verdict | None
    new_verdict: Verdict | None
    old_group: str | None = None
    """The group decision that set the old grade, if one did."""
    new_group: str | None = None
    """The group decision that sets the new grade, if one does."""

    @property
    def cause(self) -> str:
        """Which group decision made the change ("" when none did): the one that sets the new
        grade (new, or with a new score), or the one the answer left."""
        if self.new_group:
            return f"group decision {self.new_group}"
        if self.old_group and not self.new_group:
            return f"no longer under group decision {self.old_group}"
        return ""


@dataclass(frozen=True)
class SubmissionChange:
    submission: str
    old_total: float | None
    """None: the submission is new in this grading."""
    new_total: float | None
    """None: the submission is gone from this grading."""
    parts: tuple[PartChange, ...]

    @property
    def delta(self) -> float:
        return (self.new_total or 0.0) - (self.old_total or 0.0)


def compare(old: Sequence[GradedSubmission], new: Sequence[GradedSubmission]) -> list[SubmissionChange]:
    """Submissions with at least one part whose score or verdict changed (or that only one grading has)."""
    old_by_name = {record.submission: record for record in old}
    new_by_name = {record.submission: record for record in new}
    changes = []
    for name in sorted(old_by_name.keys() | new_by_name.keys()):
        before, after = old_by_name.get(name), new_by_name.get(name)
        old_parts = {part.id: part for part in before.parts} if before else {}
        new_parts = {part.id: part for part in after.parts} if after else {}
        part_changes = []
        for part_id in [*new_parts, *(part_id for part_id in old_parts if part_id not in new_parts)]:
            was, now = old_parts.get(part_id), new_parts.get(part_id)
            old_key = None if was is None else (round(was.score, 6), was.verdict)
            new_key = None if now is None else (round(now.score, 6), now.verdict)
            if old_key != new_key:
                part_changes.append(
                    PartChange(
                        part=part_id,
                        old_score=None if was is None else was.score,
                        new_score=None if now is None else now.score,
                        old_verdict=None if was is None else was.verdict,
                        new_verdict=None if now is None else now.verdict,
                        old_group=None if was is None else was.override_group,
                        new_group=None if now is None else now.override_group,
                    )
                )
        if part_changes or (before is None) != (after is None):
            changes.append(
                SubmissionChange(
                    submission=name,
                    old_total=None if before is None else before.score,
                    new_total=None if after is None else after.score,
                    parts=tuple(part_changes),
                )
            )
    return changes


def changes_table(changes: Sequence[SubmissionChange]) -> str:
    """The plain-text table the CLI prints."""
    if not changes:
        return "No grade changed."
    name = max(28, *(len(change.submission) for change in changes))  # names in full, never cut
    part_width = max(12, *(len(part.part) for change in changes for part in change.parts), 0)
    header = f"{'submission':<{name}} {'part':<{part_width}} {'old':>14} {'new':>14}"
    lines = [header, "-" * (len(header) + 2)]
    for change in changes:
        old_total, new_total = _score(change.old_total), _score(change.new_total)
        lines.append(f"{change.submission:<{name}} {'total':<{part_width}} {old_total:>14} {new_total:>14}")
        for part in change.parts:
            old = f"{_score(part.old_score)} {_short(part.old_verdict)}"
            new = f"{_score(part.new_score)} {_short(part.new_verdict)}"
            cause = f"  ({part.cause})" if part.cause else ""
            lines.append(f"{'':<{name}} {part.part:<{part_width}} {old:>14} {new:>14}{cause}".rstrip())
    return "\n".join(lines)


def _score(value: float | None) -> str:
    return "-" if value is None else f"{round(value, 4):g}"


def _short(verdict: Verdict | None) -> str:
    if verdict is None:
        return ""
    return SHORT_VERDICTS.get(verdict, verdict)


def changes_html(changes: Sequence[SubmissionChange], *, old: str, new: str) -> str:
    return environment().get_template(CHANGES_FILE).render(changes=changes, old=old, new=new)


def write_changes(changes: Sequence[SubmissionChange], out: Path, *, old: str) -> Path:
    return safeio.write_text(out / CHANGES_FILE, changes_html(changes, old=old, new=str(out)))
