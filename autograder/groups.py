"""Answer groups: the answers to one part that were read the same way, so an instructor
looks at (and grades) each distinct answer once, as Gradescope's answer groups do.

A group is keyed by the part and the grader's canonical text of the reading
(:attr:`~autograder.result.PartResult.group`: equivalent math gives the same text,
free text its normalised wording) together with the grader's note (for free text:
the concepts found and missing), so two answers in one group always got the same
outcome. Its id, ``<part>#<8 hex digits>``, is derived from that key alone: the
same answer gets the same id at every regrade, which is what lets an instructor's
decision about a group (``overrides.yaml``) follow its members.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from autograder.result import PartResult, Verdict

ID_DIGITS = 8


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

    @property
    def size(self) -> int:
        return len(self.members)


def group_key(part: PartResult) -> str | None:
    """The grouping key of one graded answer; None for an answer that was not read."""
    reading = part.group or part.answer_as_read
    if reading is None:
        return None
    return f"{reading}\n{part.note}"


def group_id(part_id: str, key: str) -> str:
    digest = hashlib.sha256(f"{part_id}\n{key}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"{part_id}#{digest[:ID_DIGITS]}"


def answer_groups(
    items: Iterable[tuple[str, PartResult]], *, verdicts: tuple[Verdict, ...] | None = None
) -> list[AnswerGroup]:
    """``(submission, part)`` pairs grouped by part and reading, largest group first (then by
    part and reading); with ``verdicts``, only parts whose verdict is one of them."""
    found: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for submission, part in items:
        if verdicts is not None and part.verdict not in verdicts:
            continue
        key = group_key(part)
        if key is None:
            key = f"raw:{' '.join((part.answer_raw or '').split())}\n{part.note}"
        shown = part.answer_as_read if part.answer_as_read is not None else (part.answer_raw or "")
        found.setdefault((part.id, key), (shown, []))[1].append(submission)
    groups = [
        AnswerGroup(group_id(part_id, key), part_id, key, shown, tuple(members))
        for (part_id, key), (shown, members) in found.items()
    ]
    groups.sort(key=lambda group: (-group.size, group.part, group.as_read))
    return groups


def review_groups(items: Iterable[tuple[str, PartResult]]) -> list[AnswerGroup]:
    """The ``needs_review`` answers grouped: what an instructor has to look at."""
    return answer_groups(items, verdicts=("needs_review",))


__all__ = ["AnswerGroup", "answer_groups", "group_id", "group_key", "review_groups"]
