"""``manual``: an answer no automatic grader handles yet. It is kept, shown
back, and always sent to an instructor (``needs_review``, no points until then).
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable
from autograder.problem import Part
from autograder.result import Outcome

RECEIVED = "Received. This part is graded by an instructor."
MAX_CHARS = 200_000


@dataclass(frozen=True)
class Params:
    pass


def read(text: str, part: Part) -> str:
    if len(text) > MAX_CHARS:
        raise Unreadable(f"The answer is {len(text):,} characters long; at most {MAX_CHARS:,} are kept.")
    return text


def grade(answer: str, reference: str | None, part: Part) -> Outcome:
    return Outcome("needs_review", 0.0, RECEIVED, "manual")


def matches(answer: str, other: str, part: Part) -> bool:
    return False


def show(answer: str) -> str:
    return answer if len(answer) <= 500 else answer[:500] + " …"


def group_key(answer: str) -> str:
    """The whole text (``show`` cuts it), white space collapsed: only the same answer groups."""
    return " ".join(answer.split())


KIND = GraderKind(
    name="manual",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    group_key=group_key,
    example="(any text)",
    needs_reference=False,
)
