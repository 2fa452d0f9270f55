"""The problem-set model: what a loaded spec is (:class:`ProblemSet` → :class:`Question`
→ :class:`Part`, with its :class:`Rule` list), frozen and free of loading logic.

Grader kinds import these types; :mod:`autograder.spec` builds them from YAML and
imports the kinds (to check each part's parameters), so the model lives apart and
no import cycle joins the loader and the kinds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from autograder.mathread import Vocabulary


@dataclass(frozen=True)
class Rule:
    """A known answer (usually a wrong or partial one) and what to tell its author."""

    message: str
    """What the answer's author is told (the part's feedback when the rule fires)."""
    credit: float = 0.0
    """Share of the part's points this answer earns (1 for an accepted alternative)."""
    answers: tuple[str, ...] = ()
    """Answers, read with the part's grader and matched by meaning."""
    mentions: tuple[str, ...] = ()
    """Names (declared symbols) whose presence in the answer triggers the rule."""
    note: str = ""
    """Tag for reports; defaults to what the rule matches: ``rule:answer=<its first answer>``
    or ``rule:mentions=<names>``."""
    readings: tuple[Any, ...] = dataclasses.field(default=(), metadata={"internal": True})
    """``answers`` as read by the part's grader (filled at load)."""


@dataclass(frozen=True)
class PartCues:
    """How a free-form write-up announces a part's answer (read by :mod:`autograder.writeup`).

    Added to the defaults the extractor derives from the answer id, so a new homework
    needs them only where its write-ups announce parts in their own words."""

    markers: tuple[str, ...] = ()
    """Extra text that starts this part's answer at the start of a line or heading, or
    anywhere in a heading (``What is A?``, ``Linearized kernel attention``); a marker
    several parts share starts their common section. Numbering derived from the id
    (``6(b)(ii)``, ``6.b.ii``, ``(ii)``, ``Part (b)``, ``b)``) needs no marker."""
    aliases: tuple[str, ...] = ()
    """Names the statement gives this part's answer (``A`` for a blank the statement calls A): a
    line ``A = …``, ``A: …``, ``A is …`` or ``Blank A`` inside the question starts the part."""
    words: tuple[str, ...] = ()
    """Words that name this sub-part inside its parent's section (``time``, ``space``);
    the id's last segment is one when it is a word (``q2.c.time``: ``time``)."""
    lines: tuple[str, ...] = ()
    """Lines of the statement's code holding this part's blank, the blank written ``___``
    (``k = ___``, ``W: ___``): a printed copy of such a line (in its question's answer)
    gives the value, up to a comment or a run of spaces after it."""
    align: Literal["template", "none"] = "template"
    """``code_blanks``: read the blank's value from a printed copy of the template by
    matching the template line around the blank (labels shifted by a line do not
    matter); ``none``: only from markers."""


@dataclass(frozen=True)
class Part:
    """One gradable answer id."""

    id: str
    """Full answer id, e.g. ``q6.c.time``."""
    question: str
    title: str
    """A short name shown to students and in reports (default: the part's key)."""
    prompt: str
    """The question as asked, shown with the feedback."""
    points: float
    """Points for this part (default 1)."""
    kind: str
    """The grader kind, which reads and compares the answers (``symbolic``, ``numeric``, …)."""
    params: Any
    """The grader kind's ``Params`` dataclass."""
    vocabulary: Vocabulary
    rules: tuple[Rule, ...] = ()
    accept: tuple[str, ...] = ()
    """Sample answers ``autograder validate`` expects to earn full credit."""
    reject: tuple[str, ...] = ()
    """Sample answers ``autograder validate`` expects to earn less than full credit."""
    show_reference: bool = False
    """Show the reference answer in this part's feedback."""
    example: str = ""
    """A format example shown with an unreadable answer (default: built by the kind)."""
    where: str = ""
    """``file: parts.<key>``, for located messages."""
    folder: Path = Path(".")
    """The folder of the spec file: files a spec names (a code template) are found here."""
    cues: PartCues = PartCues()
    """How a write-up announces this part (``cues:``)."""


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    statement: str
    parts: tuple[Part, ...]
    source: str
    cues: tuple[str, ...] = ()
    """Extra text announcing the question in a write-up (``cues:``), added to the defaults
    the extractor derives from the id and the title (``Question 1``, ``Problem 1``, ``Q1``)."""


@dataclass(frozen=True)
class ProblemSet:
    name: str
    questions: tuple[Question, ...]
    title: str = ""
    """``set.yaml``'s title; empty when the folder has no set file or it gives none."""
    reference: Path | None = None
    """The reference folder ``set.yaml`` names (resolved against the set's folder), if any."""
    student: bool = False
    """A student bundle's set (``set.yaml``: ``student: true``): answers are read, never graded."""

    @property
    def parts(self) -> tuple[Part, ...]:
        return tuple(part for question in self.questions for part in question.parts)

    def part(self, answer_id: str) -> Part:
        for part in self.parts:
            if part.id == answer_id:
                return part
        raise KeyError(answer_id)
