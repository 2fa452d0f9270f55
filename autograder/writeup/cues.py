"""The problem set's cues, compiled for the extractor: how a write-up announces each
question and part, and where a printed copy of a code template shows a blank's value.

Everything homework-specific comes from the specs: question numbers and titles, the
part ids' segments (``q6.b.ii`` → ``b``, ``ii``), the YAML ``cues:`` (markers, aliases,
words, template alignment) and the code templates the ``code_blanks`` parts name. The
numbering styles a write-up uses (``1(a)``, ``(a)``, ``Part (a)``, ``a)``, ``1.a``,
``Question 1``, ``Problem 1``, ``Q1``) are recognised here for any id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from autograder.problem import Part, ProblemSet, Question

QUESTION_WORDS = ("question", "problem", "exercise", "task", "q")
"""Words a write-up puts before a question's number (``Question 1``, ``Q1``)."""
_ROMAN = re.compile(r"^(?:x{0,3})(?:ix|iv|v?i{0,3})$")
_SEGMENT_WORD = re.compile(r"^[a-z][a-z_]*$")
_TEMPLATE_BLANK = re.compile(r"___\((\w+)\)___")
_TOKEN = re.compile(r"\w+|\S")
_CONTENT = re.compile(r"[A-Za-z]{5,}")


def norm(text: str) -> str:
    """Text as cues compare it: lower case, letters and digits only (``Scaled-Dot`` =
    ``scaled dot``)."""
    return "".join(char for char in text.lower() if char.isalnum())


def is_numbering(segment: str) -> bool:
    """A segment written as numbering (``a``, ``ii``, ``3``) rather than a word (``time``)."""
    lowered = segment.lower()
    return len(lowered) == 1 or lowered.isdigit() or bool(lowered and _ROMAN.match(lowered))


@dataclass(frozen=True)
class PartCue:
    id: str
    question: str
    segments: tuple[str, ...]
    """The answer id after the question's: ``("c", "time")``, lower case."""
    kind: str
    markers: tuple[str, ...]
    """``norm``-ed markers."""
    aliases: tuple[str, ...]
    words: tuple[tuple[int, str], ...]
    """(depth of the segment the word names, the word, lower case)."""
    template_lines: tuple[re.Pattern[str], ...] = ()
    """code_blanks: printed template lines holding the blank, the value as group ``value``."""


@dataclass(frozen=True)
class QuestionCue:
    id: str
    number: str
    """The question's number as written before its parts (``q6`` → ``6``)."""
    names: tuple[str, ...]
    """``norm``-ed texts announcing it: its title, ``question 6``, ``problem 6``, ``q6``, its YAML cues."""
    parts: tuple[PartCue, ...]
    words: frozenset[str] = frozenset()
    """The content words of its title, statement and prompts, to recognise it restated without a number."""

    def prefixes(self) -> set[tuple[str, ...]]:
        return {part.segments[:depth] for part in self.parts for depth in range(len(part.segments) + 1)}

    def order(self) -> dict[tuple[str, ...], int]:
        """Every prefix's place in the spec's order (``()`` first): how a write-up walks the parts."""
        places: dict[tuple[str, ...], int] = {}
        for part in self.parts:
            for depth in range(len(part.segments) + 1):
                places.setdefault(part.segments[:depth], len(places))
        return places

    def resolve(self, path: tuple[str, ...]) -> PartCue | None:
        """The one part a section path names (the path is its segments or a prefix only it has)."""
        found = [part for part in self.parts if part.segments[: len(path)] == path]
        if len(found) == 1:
            return found[0]
        exact = [part for part in found if part.segments == path]
        return exact[0] if exact else None


@dataclass(frozen=True)
class Cues:
    questions: tuple[QuestionCue, ...]

    def question(self, qid: str) -> QuestionCue:
        return next(question for question in self.questions if question.id == qid)

    def by_number(self, number: str) -> QuestionCue | None:
        found = [question for question in self.questions if question.number == (number.lstrip("0") or "0")]
        return found[0] if len(found) == 1 else None

    def part(self, answer_id: str) -> PartCue:
        return next(part for question in self.questions for part in question.parts if part.id == answer_id)

    def segment_tokens(self) -> set[str]:
        """Every numbering segment of every part id (what ``(x)`` may stand for)."""
        return {
            segment
            for question in self.questions
            for part in question.parts
            for segment in part.segments
            if is_numbering(segment)
        }


def compile_cues(problems: ProblemSet) -> Cues:
    """The problem set's cues, defaults included."""
    return Cues(tuple(_question(question) for question in problems.questions))


def _question(question: Question) -> QuestionCue:
    number = _number(question.id)
    names = [question.title, *question.cues]
    if number:
        names += [f"{word} {number}" for word in QUESTION_WORDS]
    names.append(question.id)
    return QuestionCue(
        id=question.id,
        number=number,
        names=tuple(dict.fromkeys(name for name in map(norm, names) if name)),
        parts=tuple(_part(question.id, part) for part in question.parts),
        words=content_words(" ".join([question.title, question.statement, *(p.prompt for p in question.parts)])),
    )


def content_words(text: str) -> frozenset[str]:
    """Words of five letters or more, lower case: what a restated question shares with its spec."""
    return frozenset(word.lower() for word in _CONTENT.findall(text))


def _number(qid: str) -> str:
    """``q6`` → ``6``, ``hw2_3`` → ``3``; an id without digits has no number."""
    digits = re.findall(r"\d+", qid)
    return (digits[-1].lstrip("0") or "0") if digits else ""


def _part(qid: str, part: Part) -> PartCue:
    segments = tuple(part.id.removeprefix(qid + ".").lower().split("."))
    words = (
        [(len(segments) - 1, segments[-1])]
        if _SEGMENT_WORD.match(segments[-1]) and not is_numbering(segments[-1])
        else []
    )
    words += [(len(segments) - 1, word.lower()) for word in part.cues.words]
    lines = tuple(re.compile(_cue_pattern(line)) for line in part.cues.lines if "___" in line)
    if part.kind == "code_blanks" and part.cues.align == "template":
        lines += template_lines(part)
    return PartCue(
        id=part.id,
        question=qid,
        segments=segments,
        kind=part.kind,
        markers=tuple(marker for marker in map(norm, part.cues.markers) if marker),
        aliases=part.cues.aliases,
        words=tuple(dict.fromkeys(words)),
        template_lines=lines,
    )


def template_lines(part: Part) -> tuple[re.Pattern[str], ...]:
    """Patterns matching a printed line of the part's template with its blank filled in:
    the template line's tokens in order, any spacing between them, the blank's value as
    ``value`` and any other blank on the line as anything. An unreadable template gives none."""
    name = getattr(part.params, "template", "")
    blank = getattr(part.params, "blank", "")
    if not name or not blank:
        return ()
    try:
        source = (part.folder / Path(name)).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ()
    patterns = []
    for line in source.splitlines():
        if f"___({blank})___" in line:
            patterns.append(re.compile(_line_pattern(line.split("#", 1)[0].strip(), blank)))
    return tuple(patterns)


def _cue_pattern(line: str) -> str:
    """A ``lines:`` cue (``k = ___``) as a pattern: its tokens in order, the value where ``___`` is,
    then nothing, or padding or a parenthesis after a space (``W: [d, k]    (B: shared)``)."""
    before, _, after = line.strip().partition("___")
    pieces = [re.escape(token) for token in _TOKEN.findall(before)]
    pieces.append(r"(?P<value>.+?)")
    pieces += [re.escape(token) for token in _TOKEN.findall(after)]
    return r"\s*".join(pieces) + r"(?:\s{2,}.*|\s+\(.*)?"


def _line_pattern(line: str, blank: str) -> str:
    pieces: list[str] = []
    position = 0
    for match in _TEMPLATE_BLANK.finditer(line):
        pieces += [re.escape(token) for token in _TOKEN.findall(line[position : match.start()])]
        pieces.append(r"(?P<value>.+?)" if match.group(1) == blank else r".+?")
        position = match.end()
    pieces += [re.escape(token) for token in _TOKEN.findall(line[position:])]
    return r"\s*".join(pieces)
