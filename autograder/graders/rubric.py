"""``rubric``: free text, scored by the key ideas (concepts) its wording shows.

Each concept has a share of the points and regular expressions; any one of them
matching the answer means the concept is there. Known wrong ideas
(misconceptions) have their own patterns and a message. Keyword matching is
never certain, and the failure to avoid is a false ``correct``: the verdict is
``correct`` only when every required concept is found, nothing anywhere in the
answer denies, retracts or doubts a concept it found, and no misconception is
asserted (an optional concept, ``required: false``, earns its credit toward a
provisional score but is never needed for ``correct``). Every other answer goes
to ``needs_review`` with a provisional score: the credit of the concepts found
and not contradicted. The reference answer is only shown, never compared.

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

Negation, retraction and doubt (the known weakness of keyword rubrics) are looked
for around every match, overlapping matches included (the shortest for each end,
so "x ≥ 0 is not enough; x > 0" has the match ``x > 0``; a match that runs
over the end of a sentence is left out). A match is

* **rejected** when one of the three words just before it, in the same clause,
  is a negation (``not``, ``no``, ``never``, ``cannot``, ``without``, any
  ``…n't``: "argmax is *not* piecewise constant"); when one of its last words is
  a negation the pattern did not need (the pattern still matches without it:
  "the gradient is *not* zero" matched by ``gradient … is … zero``; a negation
  the pattern asks for, "keys *cannot* be learned", keeps the match); when a
  denial follows it in its clause, after the last "and", "so", "which"… ("x ≥ 0
  *is not enough*", "a positive x *isn't required*", "*does not hold*",
  "*won't be sufficient*", "*insufficient*", "*wrong*"); or when a lead-in
  denies what follows it in the clause ("*it is not true that* …", "*it is not
  necessary that* …", and within three words "*rather than*", "*instead of*",
  "*unlike*");
* **doubted** when a denial with nothing of its own to deny takes it back from
  another clause or sentence ("…, *but that is not the condition*", "…. *This is
  wrong.*", "…. *However, that does not hold.*", "*scratch that*", "*never
  mind*", "…. *Actually, they* …", "*or not*"); when its sentence hedges
  ("maybe", "perhaps", "probably", "I'm not sure", "I guess", "I think",
  "supposedly") or asks ("x > 0?"); or when a negation in its middle could be
  dropped and it would still match ("the gradient, *not* the value, is zero");
* **asserted** otherwise.

A concept counts only when it has an asserted match and no other: an asserted
match plus a rejected or doubted one (a negated restatement elsewhere, "… x > 0
… However x > 0 is not sufficient") contradicts it, and the answer goes to
review with a message naming the idea and no credit for it (note ``~id``); a
concept with only rejected or doubted matches is missing. One exception: a match
negated by a word next to it, followed after a contrast word by an asserted match
of the same pattern, says the words hold of something else ("sampling is *not*
differentiable, *but* z is differentiable") and contradicts nothing; in the
other order ("…is piecewise constant, but it is not piecewise constant…") it does.

A misconception with an asserted match sends the answer to review with its
message (``!id``); one that is only rejected ("x ≥ 0 is not enough", "it is not
true that any PSD kernel works") is not held against the answer; one only doubted
sends it to review without the message (``?id``). A hedge in a sentence with no
concept in it ("I'm not sure.") sends the answer to review too (``?hedge``). A
double negation ("not insufficient") is read as a denial: review. The opposite of
an idea said without a negation ("x can be anything", "the keys are learned
normally") is not seen as a denial: write it as a misconception.

Patterns must state their idea's polarity: for the idea "no repeated
multiplication by tanh'", a bare ``tanh`` also matches "*not* squashed by tanh",
which then reads as a denial of it; write ``(not|without|…)\\W+(\\w+\\W+){0,6}?tanh``.

Outcomes carry highlights on :func:`show`'s text: the words that matched a found
concept (label ``id``), a rejected or doubted match (``denied:id``, concepts and
misconceptions alike) and an asserted misconception (``!id``), whole words,
sorted, never overlapping (``!id`` over ``denied:id`` over ``id``), clipped where
``show`` cuts. :func:`group_key` is the wording without case, spacing or
punctuation (math symbols kept), so identical answers review as one group.

Params: ``concepts``, ``misconceptions``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from itertools import pairwise

from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable, Vocabulary
from autograder.problem import Part
from autograder.result import Outcome

#: Longest answer read; a few paragraphs at most, and it bounds the cost of matching.
MAX_CHARS = 5000
#: How many words before a match are searched for a negation.
NEGATION_WINDOW = 3
#: How many words after "rather than", "instead of", "unlike" a match may start and still be what is set aside.
CONTRAST_REACH = 3
#: How much of the answer ``show`` keeps (and highlights cover).
SHOWN_CHARS = 500

FOUND = "You explain: {description}"
MISSING_HINTED = "Something is missing. {hint}"
MISSING_UNNAMED = "An idea the full answer needs was not found in yours."
NOTHING_FOUND = "The autograder did not recognise any of the expected ideas in your answer."
# The same sentence as grading.REVIEW_SUFFIX, so the engine does not repeat it.
PROVISIONAL = "This grade is provisional: an instructor will review it."
PROVISIONAL_CREDIT = "The ideas recognised so far earn {percent} of the points."
TOO_LONG = "The answer is {length:,} characters long; at most {limit:,} are read for this part."
HINT = "a sentence or two in plain English"
CONTRADICTED = "Your answer states this idea but seems to deny or doubt it elsewhere: {description}"
UNSURE_MISCONCEPTION = (
    "Your answer mentions a common wrong idea, and the autograder cannot tell whether it claims or rejects it."
)
HEDGED = "Your answer sounds unsure of itself; an instructor will read what it claims."

_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|without|cannot|\w+n't)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;:!?,()]")
# Clauses for denials and lead-ins: punctuation, or a word that turns the sentence around.
_CLAUSE_BREAK = re.compile(r"[.;:!?,()]|\b(?:but|however|although|though|yet|whereas|except)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s")
# What a denial says is not so: "is not enough", "isn't required", "is not the condition".
_UNTRUE = (
    r"(?:enough|sufficient|necessary|needed|required|true|correct|right|valid|relevant|"
    r"the\s+(?:condition|case|reason|answer|point|issue|problem|cause|explanation|mechanism|key))"
)
_DENIAL = re.compile(
    r"(?:\b(?:is|are|was|were|be|been|seems?|looks?|sounds?)|'s|'re)(?:\s+not|n't|\s+never)\s+(?:\w+\s+){0,2}?"
    + _UNTRUE
    + r"\b|(?:n't|\bnot|\bcannot|\bnever)\s+be\s+(?:\w+\s+){0,2}?"
    + _UNTRUE
    + r"\b"
    r"|\bnot\s+(?:\w+\s+)?" + _UNTRUE + r"\b"
    r"|\b(?:insufficient|unnecessary|untrue|wrong|false|incorrect|mistaken|nah)\b"
    r"|\ba\s+(?:\w+\s+)?(?:mistake|misconception|myth|misunderstanding|fallacy|red\s+herring)\b"
    r"|\bbeside\s+the\s+point\b|\bplays?\s+no\s+(?:role|part)\b|(?:n't|\bnot)\s+explain\b"
    r"|(?:\bnot|\bno|\bnever|n't)\s+(?:\w+\s+)?guarantee"
    r"|(?:\b(?:does|do|did|will|would|can|could|need|must)(?:\s+not|n't)|\bcannot)\s+(?:\w+\s+)?"
    r"(?:hold|suffice|matter|apply|work|guarantee|ensure)\b"
    r"|(?:\b(?:does|do|did)(?:\s+not|n't))\s+(?:help|do\s+it)\b|\bnothing\s+to\s+do\s+with\b"
    r"|\b(?:irrelevant|unimportant|nonsense)\b|\bthe\s+opposite\b|\bnot\s+what\b"
    r"|\bnot\s+it\b(?=\s*(?:[.;,!?]|$))|\bi\s+disagree\b|\b(?:just\s+)?kidding\b|\bsaid\s+no\s*(?:one|body)\b"
    r"|\bnot\s+(?:how|why)\b|\bnot\s+so\b(?=\s*(?:[.;,!?]|$))|\bthe\s+(?:reverse|other\s+way\s+(?:round|around))\b"
    r"|\b(?:does|do|did)(?:\s+not|n't)\s+happen\b|\byeah,?\s+right\b"
    # Taking back what was just said.
    r"|\bactually,?\s+no\b|\b(?:no|wait),?\s+(?:wait|no)\b|\bscratch\s+that\b|\bnever\s*mind\b|\bon\s+second\s+thought\b"
    r"|\bignore\s+(?:that|this|the\s+above)\b|\bi\s+take\s+(?:that|it)\s+back\b|\bor\s+not\b"
    r"|\b(?:partially|partly|half|only\s+partly)\s+(?:right|true|correct)\b|\b(?:true|holds|the\s+case)\s+only\s+for\b"
    r"|(?:\b(?:is|are|got\s+it)|'s|'re)\s+backwards\b|\b(?:doubtful|questionable|debatable|dubious)\b|\bnot\s*!"
    # A sentence that starts by correcting what came before it.
    r"|(?:^|(?<=[.!?]\s))(?:(?:actually|wait)\b,?\s*(?:no|not|that|this|it|they|we|i)\b|(?:correction|on\s+the\s+contrary)\b)"
    r"|\bi\s+think\s+not\b|\bnot\s+really\b|\bnope\b",
    re.IGNORECASE,
)
# A lead-in denies what follows it: "it is not true that", "rather than" (a few words only).
_LEAD_IN = re.compile(
    r"\b(?:not\s+(?:true|correct|right|the\s+case|necessary|needed|required|essential)|false|wrong|incorrect|untrue"
    r"|unnecessary|a\s+(?:mistake|myth|misconception))"
    r"(?:\s+to\s+(?:say|claim|think))?\s+that\b"
    r"|\bnot\s+(?:that|because)\b"
    r"|(?P<short>\b(?:rather\s+than|instead\s+of|unlike|as\s+opposed\s+to|contrary\s+to|far\s+from)\b)",
    re.IGNORECASE,
)
# Words that join two claims in one clause: a denial after one denies only the last claim.
_JOIN = re.compile(r"\b(?:and|or|so|then|because|since|which|that|while|when|if|whereas)\b", re.IGNORECASE)
_CONTRAST = re.compile(r"\b(?:but|however|whereas|while|instead|though|although|yet)\b", re.IGNORECASE)
# A turn with a negation in it ("…, but it doesn't", "However, this is not so") may take back
# what came before it when it has no idea of its own.
_CONTRAST_NEGATION = re.compile(
    r"\b(?:but|however|though|although|yet|except)\b[^.;!?,]*?(?:\b(?:not|no|never|cannot)\b|n't\b)", re.IGNORECASE
)
_HEDGE = re.compile(
    r"\b(?:maybe|perhaps|probably|possibly|supposedly|allegedly|unsure|not\s+(?:\S+\s+)?(?:sure|certain|confident)|"
    r"i\s+guess|guessing|i\s+suppose|if\s+i'm\s+not\s+mistaken|"
    r"i\s+think|i\s+believe|i\s+doubt|no\s+idea|(?:don't|do\s+not)\s+know|idk|if\s+i\s+remember\s+(?:correctly|right))\b",
    re.IGNORECASE,
)
# A question doubts what it asks about ("x > 0?"), but alone it is rhetorical ("Why? …").
_QUESTION = re.compile(r"\?")
_GROUP_PUNCTUATION = re.compile(r"[.,;:!?\"`()\[\]{}]")
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


Span = tuple[int, int]


@dataclass(frozen=True)
class Found:
    """Where one concept or misconception matched, sorted by what the answer does with it."""

    asserted: tuple[Span, ...] = ()
    """Matches nothing in the answer negates, retracts or doubts."""
    rejected: tuple[Span, ...] = ()
    """Matches the answer plainly negates: a negation just before ("not piecewise
    constant"), a denial later in the same clause ("x ≥ 0 is not enough"), or a denying
    lead-in ("it is not true that …", "rather than …")."""
    doubted: tuple[Span, ...] = ()
    """Matches the answer may take back: hedged ("maybe", "I'm not sure", "?"), with a
    negation the pattern did not need in their middle, or retracted from another clause
    ("…, but that is not the condition", "This is wrong.")."""

    contrasted: tuple[Span, ...] = ()
    """Plainly negated matches that a contrast sets apart from a later asserted match of the same
    pattern ("sampling is *not differentiable*, but z is differentiable"): no contradiction."""

    @property
    def countered(self) -> tuple[Span, ...]:
        return self.rejected + self.doubted


@dataclass(frozen=True)
class _Context:
    """What in one answer negates, retracts or doubts, found once and shared by all patterns."""

    text: str
    clauses: tuple[Span, ...]
    sentences: tuple[Span, ...]
    denials: tuple[Span, ...]
    """Phrases that deny what comes before them ("is not enough", "this is wrong")."""
    turns: tuple[Span, ...]
    """A contrast word and a negation after it in its clause ("but that doesn't")."""
    lead_ins: tuple[tuple[int, int, bool], ...]
    """``(start, end, short)``: "it is not true that" denies the rest of its clause; a
    short one ("rather than", "instead of") only the next :data:`CONTRAST_REACH` words."""
    hedged: tuple[Span, ...]
    """The sentences with a hedge in them."""
    questions: tuple[Span, ...]
    """The sentences that are questions."""


@dataclass(frozen=True)
class _Windows:
    """Where, given every match in the answer, a match ending is rejected or doubted."""

    rejected: tuple[Span, ...]
    doubted: tuple[Span, ...]


def context(text: str) -> _Context:
    """Find the negating phrases of an answer once."""
    lead_ins = tuple(
        (found.start(), found.end(), found.group("short") is not None) for found in _LEAD_IN.finditer(text)
    )
    # The "not true" of "it is not true that …" denies what follows, not what precedes.
    denials = tuple(
        found.span()
        for found in _DENIAL.finditer(text)
        if not any(found.start() < end and start < found.end() for start, end, _ in lead_ins)
    )
    turns = tuple(found.span() for found in _CONTRAST_NEGATION.finditer(text))
    sentences = _cut(text, _SENTENCE_END)
    hedged = tuple(sentence for sentence in sentences if _HEDGE.search(text, *sentence))
    questions = tuple(sentence for sentence in sentences if _QUESTION.search(text, *sentence))
    return _Context(text, _cut(text, _CLAUSE_BREAK), sentences, denials, turns, lead_ins, hedged, questions)


def _cut(text: str, breaks: re.Pattern[str]) -> tuple[Span, ...]:
    """The text cut before each break, so a break begins the span after it."""
    cuts = sorted({0, len(text), *(found.start() for found in breaks.finditer(text))})
    return tuple(pairwise(cuts))


def _around(spans: tuple[Span, ...], position: int) -> int:
    """Index of the span holding the position (the last span for the end of the text)."""
    for index, (start, end) in enumerate(spans):
        if start <= position < end:
            return index
    return len(spans) - 1


def windows(ctx: _Context, ends: list[int]) -> _Windows:
    """For each denial: the stretch of its own clause before it, when a match ends there
    ("x ≥ 0 is not enough": rejected); otherwise what it most likely takes back (doubted):
    the earlier clauses of its sentence, else the sentence before ("…x > 0. This is
    wrong."), else the rest of its sentence, else everything before it. A contrast with a
    negation and no idea of its own ("…, but that doesn't hold") takes back the clauses
    before it, or the sentence before."""
    rejected: list[Span] = []
    doubted: list[Span] = []
    for start, _ in ctx.denials:
        clause_start = ctx.clauses[_around(ctx.clauses, start)][0]
        # "x ≥ 0 works and a bound is not needed" denies the kernel, not "x ≥ 0".
        nearest = max([clause_start] + [found.end() for found in _JOIN.finditer(ctx.text, clause_start, start)])
        if any(nearest < end <= start for end in ends):
            rejected.append((nearest, start))
            continue
        if any(clause_start < end <= start for end in ends):
            doubted.append((clause_start, start))
            continue
        index = _around(ctx.sentences, start)
        sentence_start, sentence_end = ctx.sentences[index]
        previous = ctx.sentences[index - 1] if index > 0 else (0, 0)
        if any(sentence_start < end <= clause_start for end in ends):
            doubted.append((sentence_start, clause_start))
        elif any(previous[0] < end <= previous[1] for end in ends):
            doubted.append(previous)
        elif any(start < end <= sentence_end for end in ends):  # "It is not necessary for the sum to be 0."
            doubted.append((start, sentence_end))
        else:  # "This is wrong, though." after a sentence with no idea in it: all before it
            doubted.append((0, start))
    for start, _ in ctx.turns:
        clause_start, clause_end = ctx.clauses[_around(ctx.clauses, start)]
        if any(clause_start < end <= clause_end for end in ends):
            continue  # the turn says something of its own ("but the sum must not be 0")
        index = _around(ctx.sentences, start)
        sentence_start = ctx.sentences[index][0]
        if sentence_start < clause_start:
            doubted.append((sentence_start, clause_start))
        elif index > 0:
            doubted.append(ctx.sentences[index - 1])
    return _Windows(tuple(rejected), tuple(doubted))


def matches_of(patterns: tuple[re.Pattern[str], ...], text: str) -> list[tuple[re.Pattern[str], re.Match[str]]]:
    """Each pattern's matches, overlapping ones included, the shortest for each end: in
    "x ≥ 0 is not enough; we need x > 0" the match ``x … > 0`` is ``x > 0``. A match
    that runs over the end of a sentence joins two claims and is left out."""
    found: list[tuple[re.Pattern[str], re.Match[str]]] = []
    breaks = [found.start() for found in _SENTENCE_END.finditer(text)]
    for pattern in patterns:
        shortest: dict[int, re.Match[str]] = {}
        position = 0
        while position <= len(text) and (match := pattern.search(text, position)) is not None:
            start, end = match.span()
            if end > start and not any(start < cut < end for cut in breaks):  # an empty match marks nothing
                shortest[end] = match
            position = start + 1
        found += [(pattern, match) for match in shortest.values()]
    return found


def sort_matches(
    matched: list[tuple[re.Pattern[str], re.Match[str]]], ctx: _Context, spans: _Windows, *, hedges: bool
) -> Found:
    """Sort matches into asserted, rejected and doubted (see :class:`Found`); ``hedges``:
    whether a hedge in the sentence doubts them (concepts; a hedged misconception is still one)."""
    states = [(pattern, match, _state(pattern, match, ctx, spans, hedges=hedges)) for pattern, match in matched]
    sorted_spans: dict[str, list[Span]] = {"asserted": [], "rejected": [], "doubted": [], "contrasted": []}
    for pattern, match, state in states:
        if state == "negated":
            state = "contrasted" if _contrasted(pattern, match, states, ctx.text) else "rejected"
        sorted_spans[state].append(match.span())
    return Found(*(tuple(sorted_spans[state]) for state in ("asserted", "rejected", "doubted", "contrasted")))


def _contrasted(
    pattern: re.Pattern[str], match: re.Match[str], states: list[tuple[re.Pattern[str], re.Match[str], str]], text: str
) -> bool:
    """A plainly negated match followed, after a contrast word, by an asserted match of the same
    pattern: "sampling is not differentiable, but z is differentiable" says the words hold of
    something else, not that the answer takes them back. (The other order, "z is
    differentiable, but it is not differentiable", is a retraction.)"""
    return any(
        other_pattern is pattern
        and state == "asserted"
        and other.start() >= match.end()
        and _CONTRAST.search(text, match.end(), other.start()) is not None
        for other_pattern, other, state in states
    )


def _state(pattern: re.Pattern[str], match: re.Match[str], ctx: _Context, spans: _Windows, *, hedges: bool) -> str:
    """asserted, rejected, doubted, or negated (rejected by a negation word next to it)."""
    start, end = match.span()
    if _led_in(start, ctx) or _inside(end, spans.rejected):
        return "rejected"
    if negated(pattern, match, ctx.text):
        return "negated"
    if _negation_foreign(pattern, match.group(0)) or _inside(end, spans.doubted):
        return "doubted"
    if hedges and any(first <= start < last for first, last in ctx.hedged + ctx.questions):
        return "doubted"
    return "asserted"


def _inside(end: int, spans: tuple[Span, ...]) -> bool:
    return any(start < end <= stop for start, stop in spans)


def _led_in(start: int, ctx: _Context) -> bool:
    """Does a denying lead-in come before a match starting here, in the same clause (and,
    for "rather than", within a few words)?"""
    for lead_start, lead_end, short in ctx.lead_ins:
        if not lead_end <= start:
            continue
        if _around(ctx.clauses, lead_start) != _around(ctx.clauses, start):
            continue
        if not short or len(_WORD.findall(ctx.text[lead_end:start])) <= CONTRAST_REACH:
            return True
    return False


def present(patterns: tuple[re.Pattern[str], ...], text: str) -> bool:
    """Does any pattern match somewhere that nothing negates, retracts or doubts?"""
    ctx = context(text)
    matched = matches_of(patterns, text)
    spans = windows(ctx, [match.end() for _, match in matched])
    return bool(sort_matches(matched, ctx, spans, hedges=True).asserted)


def negated(pattern: re.Pattern[str], match: re.Match[str], text: str) -> bool:
    """A negation among the three words just before the match (same clause), or among its
    last words when the pattern did not need it (module docstring)."""
    before = _CLAUSE_END.split(text[max(match.start() - 200, 0) : match.start()])[-1]
    if any(_NEGATION.fullmatch(word) for word in _WORD.findall(before)[-NEGATION_WINDOW:]):
        return True
    matched = match.group(0)
    words = list(_WORD.finditer(matched))
    # Only a negation close to the end of the match flips what it asserts for certain.
    near_end = words[-NEGATION_WINDOW - 1].start() if len(words) > NEGATION_WINDOW else 0
    return _unneeded_negation(pattern, matched, near_end)


def _negation_foreign(pattern: re.Pattern[str], matched: str) -> bool:
    """The match has negations in its middle and matches as well without any of them: they
    belong to something else ("the gradient, not the value, is zero") or flip the claim, so
    the match is doubted. A negation the idea needs ("keys get no gradient and can never be
    learned") is not foreign."""
    without = " ".join(_NEGATION.sub(" ", matched).split())
    return without != " ".join(matched.split()) and pattern.search(without) is not None


def _unneeded_negation(pattern: re.Pattern[str], matched: str, start: int) -> bool:
    """A negation word at or after ``start`` in the match without which the pattern still matches."""
    for negation in _NEGATION.finditer(matched, start):
        without = " ".join((matched[: negation.start()] + matched[negation.end() :]).split())
        if pattern.search(without):
            return True
    return False


def _missing(concept: Concept) -> str:
    """Free-text answers are graded before the deadline: point at the idea, do not give it."""
    if concept.hint:
        return MISSING_HINTED.format(hint=concept.hint)
    return MISSING_UNNAMED


@dataclass(frozen=True)
class _Assessed:
    """What one answer shows of each concept and misconception."""

    concepts: tuple[Found, ...]
    misconceptions: tuple[Found, ...]
    lone_hedge: bool
    """A sentence hedges ("I'm not sure.") without a concept in it to attach the doubt to."""


def _assess(params: Params, text: str) -> _Assessed:
    ctx = context(text)
    concept_matches = [matches_of(patterns, text) for patterns in params.concept_patterns]
    misconception_matches = [matches_of(patterns, text) for patterns in params.misconception_patterns]
    ends = [match.end() for matched in concept_matches + misconception_matches for _, match in matched]
    spans = windows(ctx, ends)
    concept_starts = [match.start() for matched in concept_matches for _, match in matched]
    lone_hedge = any(not any(start <= at < end for at in concept_starts) for start, end in ctx.hedged)
    return _Assessed(
        tuple(sort_matches(matched, ctx, spans, hedges=True) for matched in concept_matches),
        tuple(sort_matches(matched, ctx, spans, hedges=False) for matched in misconception_matches),
        lone_hedge,
    )


def grade(answer: Text, reference: object, part: Part) -> Outcome:
    params: Params = part.params
    seen = _assess(params, answer.text)
    found = [c for c, f in zip(params.concepts, seen.concepts, strict=True) if f.asserted and not f.countered]
    contradicted = [c for c, f in zip(params.concepts, seen.concepts, strict=True) if f.asserted and f.countered]
    missing = [concept for concept in params.concepts if concept not in found and concept not in contradicted]
    pairs = list(zip(params.misconceptions, seen.misconceptions, strict=True))
    wrong = [misconception for misconception, f in pairs if f.asserted]
    unsure = [misconception for misconception, f in pairs if not f.asserted and f.doubted]
    # A contradicted idea earns nothing until an instructor has read the answer.
    credit = min(sum(concept.credit for concept in found), 1.0)
    lines = [FOUND.format(description=concept.description) for concept in found]
    lines += [CONTRADICTED.format(description=concept.description) for concept in contradicted]
    if not found and not contradicted:
        lines.append(NOTHING_FOUND)
    lines += [_missing(concept) for concept in missing]
    lines += [misconception.message for misconception in wrong]
    if unsure:
        lines.append(UNSURE_MISCONCEPTION)
    if seen.lone_hedge:
        lines.append(HEDGED)
    note = "rubric:" + ",".join(
        [f"+{concept.id}" for concept in found]
        + [f"~{concept.id}" for concept in contradicted]
        + [f"-{concept.id}" for concept in missing]
        + [f"!{misconception.id}" for misconception in wrong]
        + [f"?{misconception.id}" for misconception in unsure]
        + (["?hedge"] if seen.lone_hedge else [])
    )
    marks = highlights(params, seen, answer.text)
    complete = not any(concept.required for concept in missing)
    # An optional concept (required: false) is never needed for correct, but one contradicted is a doubt.
    if complete and not contradicted and not wrong and not unsure and not seen.lone_hedge:
        return Outcome("correct", 1.0, "\n".join(lines), note, highlights=marks)
    lines.append(PROVISIONAL_CREDIT.format(percent=f"{credit:.0%}"))
    lines.append(PROVISIONAL)
    return Outcome("needs_review", credit, "\n".join(lines), note, highlights=marks)


def highlights(params: Params, seen: _Assessed, text: str) -> tuple[tuple[int, int, str], ...]:
    """Spans of :func:`show`'s text to mark, whole words, sorted and never overlapping: a
    misconception (``!id``) wins over a denied idea (``denied:id``), which wins over a found
    one (``id``). Spans past what ``show`` keeps are clipped or dropped."""
    candidates: list[tuple[int, int, int, str]] = []
    for concept, found in zip(params.concepts, seen.concepts, strict=True):
        candidates += [(2, *_words(text, span), concept.id) for span in found.asserted]
        candidates += [(1, *_words(text, span), f"denied:{concept.id}") for span in found.countered + found.contrasted]
    for misconception, found in zip(params.misconceptions, seen.misconceptions, strict=True):
        candidates += [(0, *_words(text, span), f"!{misconception.id}") for span in found.asserted]
        candidates += [
            (1, *_words(text, span), f"denied:{misconception.id}") for span in found.countered + found.contrasted
        ]
    kept: list[tuple[int, int, str]] = []
    for _, start, end, label in _merged(candidates):
        end = min(end, SHOWN_CHARS)
        if start < end and not any(start < other_end and other_start < end for other_start, other_end, _ in kept):
            kept.append((start, end, label))
    return tuple(sorted(kept))


def _words(text: str, span: Span) -> Span:
    """The span widened to whole words: a pattern ``learn`` marks all of "learned"."""
    start, end = span
    while start > 0 and start < end and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and end > start and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return (start, end)


def _merged(candidates: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int, str]]:
    """Overlapping or touching spans of one label as one ("forget" + "gate" → "forget gate"),
    by priority, then position."""
    merged: list[tuple[int, int, int, str]] = []
    for priority, start, end, label in sorted(candidates, key=lambda item: (item[3], item[1], item[2])):
        last = merged[-1] if merged else None
        if last is not None and last[3] == label and start <= last[2] + 1:
            merged[-1] = (priority, last[1], max(last[2], end), label)
        else:
            merged.append((priority, start, end, label))
    return sorted(merged)


def matches(answer: Text, other: Text, part: Part) -> bool:
    """Always False: two texts are not compared by meaning here, so the spec's
    answer-based feedback rules never apply to free text (use misconceptions)."""
    return False


def show(answer: Text) -> str:
    return answer.text if len(answer.text) <= SHOWN_CHARS else answer.text[:SHOWN_CHARS] + " …"


def group_key(answer: Text) -> str:
    """The wording without case, punctuation or spacing differences, so "Sim(q,k) > 0." and
    "f(a, b) > 0" review as one group; math symbols (``>``, ``≥``, ``≠``) are kept."""
    return " ".join(_GROUP_PUNCTUATION.sub(" ", answer.text.replace("'", "")).lower().split())


KIND = GraderKind(
    name="rubric",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    example=HINT,
    group_key=group_key,
    prepare=prepare,
    needs_reference=False,
)
