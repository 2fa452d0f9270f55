"""Answer groups: the answers to one part that were read the same way, so an instructor
looks at (and grades) each distinct answer once, as Gradescope's answer groups do.

A group is keyed by the part and the grader's canonical text of the reading
(:attr:`~autograder.result.PartResult.group`: equivalent math gives the same text,
free text its normalised wording) together with the grader's note (for free text:
the concepts found and missing), so two answers in one group always got the same
outcome. Its id, ``<part>#<8 hex digits>``, is derived from that key alone: the
same answer gets the same id at every regrade, which is what lets an instructor's
decision about a group (``overrides.yaml``) follow its members. An answer that could
not be read is grouped by its raw text (white space collapsed) and note.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from autograder.result import PartResult, Verdict

ID_DIGITS = 8
REVIEW: tuple[Verdict, ...] = ("needs_review",)


@dataclass(frozen=True)
class AnswerGroup:
    """Answers to one part that read the same."""

    id: str
    """Stable id, ``<part>#<hex>``: the same for the same reading at every grading."""
    part: str
    key: str
    """What the members share (canonical reading and grader note)."""
    as_read: str
    """How the first member's answer was read, for people."""
    members: tuple[str, ...]
    """Submission names, in the order given."""
    parts: tuple[PartResult, ...] = field(default=(), repr=False, compare=False)
    """The members' graded answers, in the order of ``members`` (for reports)."""

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class ReviewLoad:
    """How much an instructor has to look at: parts in review versus the groups they form."""

    parts: int
    """Answers waiting for review."""
    groups: int
    """Answer groups they fall in: what is looked at (and can be graded) once each."""
    readings: int
    """Distinct answers as read among them (part and ``answer_as_read``); never fewer than groups
    unless one reading got different notes."""

    def __str__(self) -> str:
        return f"{self.parts} parts in review → {self.groups} groups ({self.readings} distinct readings in review)"


def group_key(part: PartResult) -> str | None:
    """The grouping key of one graded answer; None for an answer that was not read."""
    reading = part.group or part.answer_as_read
    if reading is None:
        return None
    return json.dumps(["read", reading, part.note], ensure_ascii=False)  # no reading can pass for another


def member_key(part: PartResult) -> str:
    """The key of the group ``part`` belongs to: its reading, or (unread) its raw text."""
    key = group_key(part)
    if key is None:
        key = json.dumps(["raw", " ".join((part.answer_raw or "").split()), part.note], ensure_ascii=False)
    return key


def group_id(part_id: str, key: str) -> str:
    digest = hashlib.sha256(f"{part_id}\n{key}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{part_id}#{digest[:ID_DIGITS]}"


def group_of(part: PartResult) -> str:
    """The stable id of the group one graded answer belongs to (whatever its verdict)."""
    return group_id(part.id, member_key(part))


def shown(part: PartResult) -> str:
    """The answer as people see it in a group: as read, else as typed."""
    return part.answer_as_read if part.answer_as_read is not None else (part.answer_raw or "")


def answer_groups(
    items: Iterable[tuple[str, PartResult]], *, verdicts: tuple[Verdict, ...] | None = None
) -> list[AnswerGroup]:
    """``(submission, part)`` pairs grouped by part and reading, largest group first (then by
    part and reading); with ``verdicts``, only parts whose verdict is one of them."""
    found: dict[tuple[str, str], list[tuple[str, PartResult]]] = {}
    for submission, part in items:
        if verdicts is not None and part.verdict not in verdicts:
            continue
        found.setdefault((part.id, member_key(part)), []).append((submission, part))
    groups = [
        AnswerGroup(
            id=group_id(part_id, key),
            part=part_id,
            key=key,
            as_read=shown(members[0][1]),
            members=tuple(submission for submission, _ in members),
            parts=tuple(part for _, part in members),
        )
        for (part_id, key), members in found.items()
    ]
    groups.sort(key=lambda group: (-group.size, group.part, group.as_read))
    return groups


def review_groups(items: Iterable[tuple[str, PartResult]]) -> list[AnswerGroup]:
    """The ``needs_review`` answers grouped: what an instructor has to look at."""
    return answer_groups(items, verdicts=REVIEW)


def review_load(items: Iterable[tuple[str, PartResult]]) -> ReviewLoad:
    """Parts in review, the groups they form and their distinct readings (the review load)."""
    in_review = [(submission, part) for submission, part in items if part.verdict in REVIEW]
    readings = {(part.id, shown(part)) for _, part in in_review}
    return ReviewLoad(parts=len(in_review), groups=len(review_groups(in_review)), readings=len(readings))


__all__ = [
    "AnswerGroup",
    "ReviewLoad",
    "answer_groups",
    "group_id",
    "group_key",
    "group_of",
    "member_key",
    "review_groups",
    "review_load",
    "shown",
]
