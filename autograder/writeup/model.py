"""What a free-form write-up becomes: the data passed between the format readers
(:mod:`autograder.writeup.formats`: a file → :class:`Document`), the extractor
(:mod:`autograder.writeup.extract`: a document and the problem set's cues →
:class:`Extraction`) and grading (a :class:`~autograder.submission.Submission`
whose answers came from a write-up, graded with where each one was found).

Everything here is bounded data taken from a student's file: it is shown and
read by the graders' readers, never evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Speaker = Literal["user", "assistant", "unknown"]
"""Who wrote a turn: a chat's user (never graded), the model or student answering, or
unknown (a write-up with no speaker labels is one unknown turn, graded)."""
BlockKind = Literal["prose", "math", "code", "heading"]
Confidence = Literal["high", "medium", "low"]
"""How sure the extractor is that a text is the author's answer to a part: ``low`` makes
the part ``needs_review`` (provisional points), never a silent grade."""
Stage = Literal["first", "final"]
"""Which attempt at a part is graded: the first one in the document, or the last."""


class Refused(Exception):
    """A file that must not be graded (a PDF's text layer with mangled math, a notebook
    that is not JSON, …); the message says what to upload instead."""


@dataclass(frozen=True)
class Block:
    """A contiguous piece of one turn, with where it is in the source file."""

    kind: BlockKind
    text: str
    first_line: int
    """1-based line of the source file where the block starts."""
    last_line: int
    level: int = 0
    """Heading level (``#`` = 1, ``\\section`` = 1, ``\\subsection`` = 2, …); 0 otherwise."""
    language: str = ""
    """A code block's language (fence info string, a notebook's kernel language)."""
    tags: tuple[str, ...] = ()
    """Answer ids the author declared for this block: ``\\answer{q1.a}{…}``, a notebook
    cell's tags, a marker line (``# answer: q1.a``)."""


@dataclass(frozen=True)
class Turn:
    speaker: Speaker
    label: str
    """The speaker as written ("Gemini", "ChatGPT said", "User"); empty when unlabelled."""
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    name: str
    """The file's name, for messages and the read-back."""
    format: str
    """``markdown``, ``tex``, ``ipynb`` or ``text``."""
    turns: tuple[Turn, ...]
    lines: tuple[str, ...] = ()
    """The source file's lines (for quoting), as read."""


@dataclass(frozen=True)
class Attempt:
    """One answer to one part found in the document."""

    text: str
    """The answer as found, ready for the part's reader (bounded)."""
    first_line: int
    last_line: int
    quote: str
    """The source lines it came from, as written (bounded)."""
    method: str
    """How it was picked: ``answer-macro``, ``tag``, ``boxed``, ``answer-line``,
    ``display-math``, ``code-block``, ``last-match``, …"""
    confidence: Confidence
    turn: int = 0
    """Index of the turn it came from."""
    others: tuple[str, ...] = ()
    """Other candidates of the same strength in the same section (their presence makes the
    confidence ``low``), for the read-back."""
    note: str = ""
    """Why the confidence is what it is, when that is not just the method (a truncated
    answer, a printed template line that disagrees with a label), for the read-back."""


@dataclass(frozen=True)
class Extracted:
    """Every attempt at one part, in document order."""

    id: str
    attempts: tuple[Attempt, ...]
    reprompts: int = 0
    """How many user turns named this part and said it was wrong (``re-prompted``): one
    with a single attempt was answered once and never again (not fixed, or kept)."""

    def at(self, stage: Stage) -> Attempt:
        return self.attempts[0] if stage == "first" else self.attempts[-1]


@dataclass(frozen=True)
class Extraction:
    """What a write-up answers, part by part."""

    source: str
    """The write-up's file name."""
    format: str
    parts: Mapping[str, Extracted] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    """Answer ids of the problem set for which nothing was found."""
    messages: tuple[str, ...] = ()
    """About the document as a whole, for the student and the staff."""


__all__ = [
    "Attempt",
    "Block",
    "BlockKind",
    "Confidence",
    "Document",
    "Extracted",
    "Extraction",
    "Refused",
    "Speaker",
    "Stage",
    "Turn",
]
