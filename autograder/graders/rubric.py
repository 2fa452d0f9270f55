"""``rubric``: free text, scored by the key ideas (concepts) its wording shows.

Each concept has a share of the points and regular expressions; any one of them
matching the answer means the concept is there. Known wrong ideas
(misconceptions) have their own patterns and a message. Keyword matching is
never certain, so the verdict is ``correct`` only when every required concept
is found and no misconception matches (an optional concept, ``required: false``,
earns its credit toward a provisional score but is never needed for ``correct``);
every other answer goes to ``needs_review`` with the credit found as a
provisional score. The reference answer is only shown, never compared.

Before matching, the answer is normalized lightly so that a pattern is written
once (see :func:`normalize`): Unicode compatibility forms (NFKC: ``²`` → ``2``),
curly quotes → straight ones (``can’t`` → ``can't``), one space for any run of
white space, and these spellings → one symbol:

=========================================  ======
``!=``, ``=/=``, ``\\neq``, ``\\ne``       ``≠``
``>=``, ``⩾``, ``\\geq``, ``\\ge``          ``≥``
``<=``, ``⩽``, ``\\leq``, ``\\le``          ``≤``
``\\gt``, ``\\lt``                          ``>``, ``<``
``\\sum``, ``∑``                            ``Σ``
``\\cdot``, ``\\infty``, ``\\to``           ``·``, ``∞``, ``→``
=========================================  ======

``$``, ``\\left``, ``\\right`` and LaTeX spacing are dropped, and
``\\mathrm{sim}`` (also ``\\text``, ``\\operatorname``) reads as ``sim``.
Patterns are case-insensitive.

Negation (a known weakness of keyword rubrics) is handled in the simplest case
only. A match does not count when

* one of the three words just before it, in the same clause, is a negation
  (``not``, ``no``, ``never``, ``cannot``, ``without``, any ``…n't``): "argmax is
  *not* piecewise constant"; or
* one of the last words of the match (the three before its last word) is a
  negation the pattern did not need, i.e. the pattern still matches with that
  word removed: "the gradient is *not* zero" matched by ``gradient … is …
  zero``. A negation the pattern asks for ("keys *cannot* be learned") keeps
  the match.

Negations further away, after the match ("sim ≥ 0 is not enough"), or implied
("far from zero") are not seen; such answers may be misjudged, and since a
misconception or a missing concept sends the answer to review, an instructor
sees them.

Params: ``concepts``, ``misconceptions``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable, Vocabulary
from autograder.problem import Part
from autograder.result import Outcome

#: Longest answer read; a few paragraphs at most, and it bounds the cost of matching.
MAX_CHARS = 5000
#: How many words before a match are searched for a negation.
NEGATION_WINDOW = 3

FOUND = "You explain: {description}"
MISSING_HINTED = "Something is missing. {hint}"
MISSING_UNNAMED = "An idea the full answer needs was not found in yours."
NOTHING_FOUND = "The autograder did not recognise any of the expected ideas in your answer."
# The same sentence as grading.REVIEW_SUFFIX, so the engine does not repeat it.
PROVISIONAL = "This grade is provisional: an instructor will review it."
PROVISIONAL_CREDIT = "The ideas recognised so far earn {percent} of the points."
TOO_LONG = "The answer is {length:,} characters long; at most {limit:,} are read for this part."
HINT = "a sentence or two in plain English"

_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|without|cannot|\w+n't)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;:!?,()]")
_WORD = re.compile(r"[\w']+")
_LATEX_WRAPPER = re.compile(r"\\(?:mathrm|text|textrm|operatorname|mathit|mathbf)\s*\{([^{}]*)\}")
_LATEX_DROPPED = re.compile(r"\$|\\left(?![A-Za-z])|\\right(?![A-Za-z])|\\[,;:! ]")
_LATEX_SYMBOLS = {
    "neq": "≠",
    "ne": "≠",
    "geq": "≥",
    "ge": "≥",
    "leq": "≤",
    "le": "≤",
    "gt": ">",
    "lt": "<",
    "sum": "Σ",
    "cdot": "·",
    "infty": "∞",
    "to": "→",
}
_LATEX_SYMBOL = re.compile(r"\\(" + "|".join(sorted(_LATEX_SYMBOLS, key=len, reverse=True)) + r")(?![A-Za-z])")
_PLAIN_SYMBOLS = (
    ("=/=", "≠"),
    ("!=", "≠"),
    (">=", "≥"),
    ("<=", "≤"),
    ("⩾", "≥"),
    ("⩽", "≤"),
    ("∑", "Σ"),
    ("−", "-"),
    ("’", "'"),
    ("‘", "'"),
    ("“", '"'),
    ("”", '"'),
)


@dataclass(frozen=True)
class Concept:
    """A key idea of a good answer."""

    id: str
    """A short name, unique in the part, that reports and notes use (``+id`` found, ``-id`` missing)."""
    credit: float
    """Share of the part's points it earns; the credits of all concepts add up to at most 1."""
    description: str
    """The idea in a sentence, shown when the answer has it (and in reports)."""
    patterns: tuple[str, ...]
    """Case-insensitive regular expressions on the normalized text; any one matching
    means the idea is there."""
    required: bool = True
    """False for an idea that earns its credit but is not needed for ``correct``."""
    hint: str = ""
    """What a student whose answer lacks the idea is told: a question that points at it
    without giving it away. Empty: a sentence saying an expected idea is missing."""


@dataclass(frozen=True)
class Misconception:
    """A known wrong idea and what to tell its author."""

    id: str
    """A short name, unique in the part, that reports and notes use (``!id``)."""
    patterns: tuple[str, ...]
    """Like a concept's patterns."""
    message: str
    """What an answer showing it is told."""


@dataclass(frozen=True)
class Params:
    concepts: tuple[Concept, ...] = ()
    """The key ideas, each with its share of the points."""
    misconceptions: tuple[Misconception, ...] = ()
    """Known wrong ideas; one found sends the answer to review."""
    concept_patterns: tuple[tuple[re.Pattern[str], ...], ...] = field(default=(), metadata={"internal": True})
    """``concepts[i].patterns`` compiled (filled at load)."""
    misconception_patterns: tuple[tuple[re.Pattern[str], ...], ...] = field(default=(), metadata={"internal": True})
    """``misconceptions[i].patterns`` compiled (filled at load)."""


@dataclass(frozen=True)
class Text:
    """A free-text answer as read."""

    text: str
    """The normalized text the patterns are matched against."""


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    if not params.concepts:
        raise ValueError("concepts: a rubric needs at least one concept")
    seen: set[str] = set()
    for item_id in [c.id for c in params.concepts] + [m.id for m in params.misconceptions]:
        if item_id in seen:
            raise ValueError(f"'{item_id}' is used twice as a concept or misconception id")
        seen.add(item_id)
    for concept in params.concepts:
        if not 0 <= concept.credit <= 1:
            raise ValueError(f"concept '{concept.id}': credit is a share from 0 to 1, not {concept.credit}")
    total = sum(concept.credit for concept in params.concepts)
    if total > 1 + 1e-9:
        raise ValueError(f"concepts: the credits add up to {total:g}; at most 1 (the whole part)")
    return replace(
        params,
        concept_patterns=tuple(_compile(c.patterns, f"concept '{c.id}'") for c in params.concepts),
        misconception_patterns=tuple(_compile(m.patterns, f"misconception '{m.id}'") for m in params.misconceptions),
    )


def _compile(patterns: tuple[str, ...], owner: str) -> tuple[re.Pattern[str], ...]:
    if not patterns:
        raise ValueError(f"{owner}: needs at least one pattern")
    compiled = []
    for index, pattern in enumerate(patterns):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as error:
            raise ValueError(f"{owner}: patterns[{index}] is not a valid regular expression: {error}") from None
    return tuple(compiled)


def read(text: str, part: Part) -> Text:
    if len(text) > MAX_CHARS:
        raise Unreadable(TOO_LONG.format(length=len(text), limit=MAX_CHARS), hint=HINT)
    return Text(normalize(text))


def normalize(text: str) -> str:
    """Light Unicode/LaTeX normalization so that one pattern fits many spellings."""
    normalized = unicodedata.normalize("NFKC", text)
    normalized = _LATEX_WRAPPER.sub(r"\1", normalized)
    normalized = _LATEX_DROPPED.sub(" ", normalized)
    normalized = _LATEX_SYMBOL.sub(lambda match: _LATEX_SYMBOLS[match.group(1)], normalized)
    for spelling, symbol in _PLAIN_SYMBOLS:
        normalized = normalized.replace(spelling, symbol)
    # Dotted abbreviations would count as several words in the patterns' word windows.
    normalized = _ABBREVIATIONS.sub(lambda match: _ABBREVIATED[match.group(0).lower()], normalized)
    return " ".join(normalized.split())


_ABBREVIATED = {"w.r.t.": "wrt", "a.e.": "almost everywhere", "i.e.": "ie", "e.g.": "eg", "resp.": "resp"}
_ABBREVIATIONS = re.compile("|".join(re.escape(key) for key in _ABBREVIATED), re.IGNORECASE)


def present(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    """Does any pattern match somewhere that is not negated?"""
    return any(not negated(pattern, match, text) for pattern in patterns for match in pattern.finditer(text))


def negated(pattern: re.Pattern[str], match: re.Match[str], text: str) -> bool:
    """The simple negation check described in the module docstring."""
    before = _CLAUSE_END.split(text[max(match.start() - 200, 0) : match.start()])[-1]
    if any(_NEGATION.fullmatch(word) for word in _WORD.findall(before)[-NEGATION_WINDOW:]):
        return True
    matched = match.group(0)
    words = list(_WORD.finditer(matched))
    # Only a negation close to the end of the match can flip what it asserts.
    near_end = words[-NEGATION_WINDOW - 1].start() if len(words) > NEGATION_WINDOW else 0
    for negation in _NEGATION.finditer(matched, near_end):
        without = " ".join((matched[: negation.start()] + matched[negation.end() :]).split())
        if pattern.search(without):
            return True
    return False


def _missing(concept: Concept) -> str:
    """Free-text answers are graded before the deadline: point at the idea, do not give it."""
    if concept.hint:
        return MISSING_HINTED.format(hint=concept.hint)
    return MISSING_UNNAMED


def grade(answer: Text, reference: object, part: Part) -> Outcome:
    params: Params = part.params
    found = [
        concept
        for concept, patterns in zip(params.concepts, params.concept_patterns, strict=True)
        if present(patterns, answer.text)
    ]
    missing = [concept for concept in params.concepts if concept not in found]
    wrong = [
        misconception
        for misconception, patterns in zip(params.misconceptions, params.misconception_patterns, strict=True)
        if present(patterns, answer.text)
    ]
    credit = min(sum(concept.credit for concept in found), 1.0)
    lines = [FOUND.format(description=concept.description) for concept in found]
    if not found:
        lines.append(NOTHING_FOUND)
    lines += [_missing(concept) for concept in missing]
    lines += [misconception.message for misconception in wrong]
    note = "rubric:" + ",".join(
        [f"+{concept.id}" for concept in found]
        + [f"-{concept.id}" for concept in missing]
        + [f"!{misconception.id}" for misconception in wrong]
    )
    complete = not any(concept.required for concept in missing)
    if complete and not wrong:  # an optional concept (required: false) is never needed for correct
        return Outcome("correct", 1.0, "\n".join(lines), note)
    lines.append(PROVISIONAL_CREDIT.format(percent=f"{credit:.0%}"))
    lines.append(PROVISIONAL)
    return Outcome("needs_review", credit, "\n".join(lines), note)


def matches(answer: Text, other: Text, part: Part) -> bool:
    """Always False: two texts are not compared by meaning here, so the spec's
    answer-based feedback rules never apply to free text (use misconceptions)."""
    return False


def show(answer: Text) -> str:
    return answer.text if len(answer.text) <= 500 else answer.text[:500] + " …"


KIND = GraderKind(
    name="rubric",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    example=HINT,
    prepare=prepare,
    needs_reference=False,
)
