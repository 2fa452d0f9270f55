"""The answer inside one part's section, picked by the part's kind.

The order (the issue's prototype): what the author marked as the answer (a tag, an
``\\answer`` macro, ``\\boxed{…}``, an "Answer:" line) is ``high``; what the kind's answers
usually look like at the end of a section (the last display math for math kinds, the
last ``O(…)`` for big-O, the last code for code kinds, the prose for free text, a printed
template line for a blank) is ``medium``; the last span the kind's reader accepts is
``low``. Two different candidates of the same strength make the pick ``low`` and are
listed, so a section that says two things is reviewed, never settled by position alone.

Everything returned is bounded text for the part's reader; nothing is evaluated (the
fallback only *reads* spans with the kind's reader).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.graders import REGISTRY
from autograder.mathread import Unreadable
from autograder.problem import Part
from autograder.writeup.cues import PartCue
from autograder.writeup.model import Confidence
from autograder.writeup.segment import Unit

MATH_KINDS = frozenset({"symbolic", "numeric", "vector", "matrix", "shape", "feature_map", "matrix_expression"})
BIG_O_KINDS = frozenset({"complexity"})
SHORT_CODE_KINDS = frozenset({"einsum", "token", "code_blanks"})
CODE_KINDS = frozenset({"module_behaviour"})
PROSE_KINDS = frozenset({"rubric"})
WHOLE_KINDS = frozenset({"manual"})
ANSWER_CHARS = {"math": 2000, "code": 200_000, "prose": 5000, "whole": 200_000}
"""Longest answer taken, per kind family (the readers' own limits)."""
PROSE_MATH_CHARS = 160
"""Display math this short stays in a free-text answer (a stated condition); longer is derivation."""
MATCHES_PER_UNIT = 20
"""Boxes or bounds read per line or block, its last ones: the answer is among them, and a
line of thousands of ``O(`` must not cost quadratic time."""
BRACKET_SCAN = 2000
"""Characters searched for a closing bracket: an answer is shorter."""
FALLBACK_SPANS = 12
"""Spans the last-match fallback reads, from the end of the section."""

_BOXED = re.compile(r"\\boxed\s*\{")
_ANSWER_LINE = re.compile(
    r"^[^\w(]*(?:(?:corrected|revised|updated|my|the|our)\s+)?(?:final\s+)?answers?"
    r"(?:\s+(?:to|for))?(?:\s*(?:part\s*)?\(?\s*[a-z0-9]{1,5}\s*\)?){0,3}?"
    r"\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*",
    re.I,
)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$([^$\n]+?)\$(?!\$)")
_INLINE_CODE = re.compile(r"`([^`\n]+)`|\\verb(?P<d>[^\w\s])(.+?)(?P=d)|\\texttt\{((?:[^{}]|\{[^{}]*\})+)\}")
_LEADING_CODE = re.compile(r"`([^`\n]+)`|\\verb(?P<d>[^\w\s])(.+?)(?P=d)|\\texttt\{((?:[^{}]|\{[^{}]*\})+)\}")
_LEADING_MATH = re.compile(r"^\$([^$]+)\$\s*(?:[:;,.]|$)")
_BIG_O = re.compile(
    r"(?:\\mathcal\{O\}|\\mathcal O|\\operatorname\{O\}|\bO)\s*(?:\\[!,;: ]\s*)*"
    r"(?:\\(?:left|bigl|Bigl|biggl|Biggl|big|Big)\s*)?\("
)
_QUALIFIER = re.compile(
    r"\$?\s*,?\s*\(?\s*(?:again\s+)?(?:assuming|if|when|with|given|for)\s+\$?[^$;.()]{1,40}?\$?(?=\s*(?:[).;,]|$|\s\())",
    re.I,
)
_SPACING = re.compile(r"\\[!,;:](?![a-zA-Z])")
_CHAINED = re.compile(r"^[\s=]*+(?:(?:\\approx|≈)[\s=]*+)?$")
_PROSE = re.compile(r"\b[A-Za-z]{3,}+\s++[A-Za-z]{3}")
"""Two words of running text (possessive: no backtracking on a long word)."""
NON_ANSWER = re.compile(
    r"\b(?:skip(?:ped)?|will come back|come back to (?:it|this)|todo|tbd|not (?:yet )?(?:answered|done|attempted)|"
    r"no answer|did not (?:do|answer|attempt))\b",
    re.I,
)
NON_ANSWER_CHARS = 120
"""A free-text section this short that says it was left out is no answer."""
_EMPHASIS = re.compile(r"\*\*|__")
_EQUATION_NUMBER = re.compile(r"(?:\\quad|\\qquad|\\tag)\s*\{?\(?\d+\)?\}?\s*\.?\s*$")


@dataclass(frozen=True)
class Candidate:
    text: str
    unit: Unit
    method: str
    strength: Confidence
    first_line: int = 0
    last_line: int = 0

    @property
    def lines(self) -> tuple[int, int]:
        return (self.first_line or self.unit.first_line, self.last_line or self.unit.last_line)


@dataclass(frozen=True)
class Picked:
    candidate: Candidate
    confidence: Confidence
    others: tuple[str, ...] = ()
    note: str = ""


def family(kind: str) -> str:
    if kind in CODE_KINDS:
        return "code"
    if kind in PROSE_KINDS:
        return "prose"
    if kind in WHOLE_KINDS:
        return "whole"
    return "math"


def pick(units: Sequence[Unit], part: Part, cue: PartCue, aligned: Sequence[Candidate] = ()) -> Picked | None:
    """The answer to ``part`` in its section's ``units`` (one exchange), or None when there is none.
    ``aligned``: a blank's values read from printed template lines (``medium`` claims)."""
    high = [*_boxed(units), *_answer_lines(units, part.kind)]
    if high:
        return _settle(high, "high")
    medium = [*aligned, *_typical(units, part)]
    if medium:
        return _settle(medium, "medium")
    low = _last_match(units, part)
    return Picked(low, "low", note="the last text the part's reader could read") if low is not None else None


def _settle(found: list[Candidate], strength: Confidence) -> Picked:
    """The last candidate; ``low`` when the section holds another, different claim of the same
    strength (the typical-answer finders return only the section's last one, or the several
    of its last line)."""
    last = found[-1]
    others = tuple(dict.fromkeys(c.text for c in found if _key(c.text) != _key(last.text)))
    if others:
        return Picked(last, "low", others, f"{len(others) + 1} different candidates of the same strength")
    if last.strength == "low":
        return Picked(last, "low", note="one of several code spans on the line that announced the part")
    return Picked(last, strength)


def _key(text: str) -> str:
    return "".join(text.split()).strip("$.").lower()


def _balanced(text: str, start: int, opening: str, closing: str) -> int | None:
    """The index after the bracket closing the one at ``start - 1``; None when it never closes."""
    depth = 1
    for index in range(start, min(len(text), start + BRACKET_SCAN)):
        if text[index] == opening:
            depth += 1
        elif text[index] == closing:
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _boxed(units: Sequence[Unit]) -> list[Candidate]:
    found = []
    for unit in units:
        if unit.kind == "code":
            continue
        for match in list(_BOXED.finditer(unit.text))[-MATCHES_PER_UNIT:]:
            end = _balanced(unit.text, match.end(), "{", "}")
            if end is not None:
                found.append(Candidate(unit.text[match.end() : end - 1].strip(), unit, "boxed", "high"))
    return found


def _answer_lines(units: Sequence[Unit], kind: str) -> list[Candidate]:
    """An "Answer:" / "Final answer:" line: its rest, or the block right after it when the line ends there."""
    found = []
    for index, unit in enumerate(units):
        if unit.kind not in ("prose", "heading"):
            continue
        match = _ANSWER_LINE.match(unit.text)
        if match is None:
            continue
        rest = unit.text[match.end() :].strip().strip("*").strip()
        if rest:
            found.append(Candidate(clean_answer(rest, kind), unit, "answer-line", "high"))
        elif index + 1 < len(units):
            following = units[index + 1]
            found.append(
                Candidate(
                    clean_answer(following.text, kind),
                    following,
                    "answer-line",
                    "high",
                    unit.first_line,
                    following.last_line,
                )
            )
    return [candidate for candidate in found if candidate.text]


def _typical(units: Sequence[Unit], part: Part) -> list[Candidate]:
    """The kind's usual answer at the section's end (``medium``): for math and short code, the
    last formula, code span or announcing line that states a value, whichever comes last."""
    kind = part.kind
    if kind in BIG_O_KINDS:
        return _big_o(units)
    if kind in CODE_KINDS:
        return _last_code(units)
    if kind in PROSE_KINDS:
        return _prose(units)
    if kind in WHOLE_KINDS:
        return _whole(units)
    if kind in SHORT_CODE_KINDS:
        stated = _cue_line(units, part)
        found = [*stated, *_spans_unless_stated(units, stated)] or _last_code(units, short=True)
    else:
        stated = _cue_line(units, part)
        found = [*stated, *_display_math(units), *_spans_unless_stated(units, stated)]
    found.sort(key=lambda candidate: candidate.lines)  # stable: on one line, a span beats the line's rest
    return found[-1:]


_CODE_SPANS = re.compile(r"`[^`\n]+`")
_SUBJECT = re.compile(r"\s+[A-Za-z]")


def _cue_line(units: Sequence[Unit], part: Part) -> list[Candidate]:
    """The last rest of a line that announced the part (``A = [h, d]``, ``(a) [h, d]``) that the
    part's reader reads whole (a sentence is no stated value: the fallback reads it, ``low``)."""
    if part.kind not in MATH_KINDS | SHORT_CODE_KINDS:
        return []
    for unit in reversed(units):
        if not unit.cued or unit.kind != "prose" or len(unit.text) > ANSWER_CHARS["math"]:
            continue
        line = _EMPHASIS.sub("", unit.text).strip(" :=-")
        span = _LEADING_CODE.match(line)
        if span is not None and code_span(span) and _reads(code_span(span), part):  # "C: `value` — why"
            # "(b) `W_x` takes the input, whose width is `n`": a span followed by words is the
            # sentence's subject, and with another span on the line which one is the value is a guess.
            subject = _SUBJECT.match(line, span.end()) is not None and len(_CODE_SPANS.findall(line)) > 1
            strength: Confidence = "low" if subject else "medium"
            return [Candidate(code_span(span), unit, "cue-span", strength)]
        bold = unit.text.split("**")[0].strip(" :=-") if "**" in unit.text else ""
        if bold and _reads(clean_answer(bold, part.kind), part):  # "C = value** → shape …"
            return [Candidate(clean_answer(bold, part.kind), unit, "cue-line", "medium")]
        text = clean_answer(_EMPHASIS.sub("", unit.text).strip(" :=-"), part.kind)
        leading = _LEADING_MATH.match(text) or _LEADING_MATH.match(text + ".")
        if leading is not None and _PROSE.search(_INLINE_MATH.sub(" ", text)):
            text = leading.group(1).strip()  # "(a) $A = [h, d]$: the queries …"
        if text and not _PROSE.search(_INLINE_MATH.sub(" ", text)) and _reads(text, part):
            return [Candidate(text, unit, "cue-line", "medium")]
    return []


def _reads(text: str, part: Part) -> bool:
    try:
        REGISTRY[part.kind].read(text, part)
    except (Unreadable, ValueError, TypeError, KeyError):
        return False
    return True


def _big_o(units: Sequence[Unit]) -> list[Candidate]:
    found = []
    starts: list[tuple[Unit, int]] = []
    for unit in units:
        if unit.kind == "code":
            continue
        for match in list(_BIG_O.finditer(unit.text))[-MATCHES_PER_UNIT:]:
            end = _balanced(unit.text, match.end(), "(", ")")
            if end is not None:
                qualifier = _QUALIFIER.match(unit.text, end)  # "O(N² D) assuming M ≈ D" keeps its assumption
                stop = qualifier.end() if qualifier is not None else end
                text = _SPACING.sub(" ", unit.text[match.start() : stop]).replace("$", "").strip(" ,;.")
                found.append(Candidate(" ".join(text.split()), unit, "big-o", "medium"))
                before = unit.text[: match.start()]
                starts.append((unit, max(0, before.count("(") - before.count(")"))))
    if not found:
        return []
    last_unit = found[-1].unit
    depths = [depth for candidate, (_, depth) in zip(found, starts, strict=True) if candidate.unit == last_unit]
    found = [candidate for candidate in found if candidate.unit == last_unit]
    stated = [candidate for candidate, depth in zip(found, depths, strict=True) if depth == 0]
    found = stated or found  # "O(ND + D³) … (it would be O(ND² + D³) if …)": the aside is no rival
    kept = [found[0]]
    for candidate in found[1:]:  # O(NCM) = O(ND³): one bound, written twice
        previous = kept[-1]
        between = last_unit.text[
            last_unit.text.find(previous.text) + len(previous.text) : last_unit.text.find(candidate.text)
        ]
        if _CHAINED.match(between):
            kept[-1] = candidate
        else:
            kept.append(candidate)
    return kept


def _display_math(units: Sequence[Unit]) -> list[Candidate]:
    found = []
    for unit in units:
        if unit.kind == "math":
            found.append(Candidate(clean_answer(unit.text, "symbolic"), unit, "display-math", "medium"))
        elif unit.kind == "prose":
            displayed = list(_DISPLAY.finditer(unit.text))
            for match in displayed:
                text = match.group(1) or match.group(2) or ""
                found.append(Candidate(clean_answer(text, "symbolic"), unit, "display-math", "medium"))
            if not displayed and math_line(unit.text):
                text = clean_answer(_EMPHASIS.sub("", unit.text).strip(" -*•>"), "symbolic")
                found.append(Candidate(text, unit, "math-line", "medium"))
    found = [candidate for candidate in found if candidate.text]
    return found[-1:]


def math_line(text: str) -> bool:
    """A prose line that is a formula standing alone (plain-text display math: ``Var(qᵀk) = d``,
    ``**sim(q, k) = (qᵀk + 1)²**``): a relation, and no two words of running text outside math."""
    line = _EMPHASIS.sub("", text).strip(" -*•>")
    if not line or len(line) > PROSE_MATH_CHARS * 2 or ("=" not in line and "≈" not in line):
        return False
    outside = _INLINE_MATH.sub(" ", _INLINE_CODE.sub(" ", line))
    outside = re.sub(r"\\(?:text|mathrm|operatorname)\{[^}]*\}", " ", outside)
    return _PROSE.search(outside) is None and not outside.rstrip().endswith(":")


def _spans_unless_stated(units: Sequence[Unit], stated: list[Candidate]) -> list[Candidate]:
    """Code spans, unless the announcing line starts with one (``C: `value` — why``): then the
    spans of the explanation after it are no rival."""
    return [] if any(candidate.method == "cue-span" for candidate in stated) else _inline_code(units)


def _inline_code(units: Sequence[Unit]) -> list[Candidate]:
    found = [
        Candidate(code_span(match), unit, "inline-code", "medium")
        for unit in units
        if unit.kind in ("prose", "heading")
        for match in _INLINE_CODE.finditer(unit.text)
        if code_span(match)
    ]
    return found[-1:]


def code_span(match: re.Match[str]) -> str:
    """The code of a backtick span, ``\\verb|…|`` or ``\\texttt{…}`` (LaTeX's escapes undone)."""
    text = match.group(1) or match.group(3) or ""
    if match.group(4):
        text = re.sub(r"\\([_&%$#{}])", r"\1", match.group(4))
    return text.strip()


def _indented(units: Sequence[Unit]) -> list[Unit]:
    """Runs of prose lines indented by four spaces or a tab (Markdown's indented code), as code."""
    runs: list[list[Unit]] = []
    previous = None
    for unit in units:
        if unit.kind == "prose" and unit.text.startswith(("    ", "\t")):
            if runs and previous is not None and previous in runs[-1] and unit.first_line <= previous.last_line + 2:
                runs[-1].append(unit)
            else:
                runs.append([unit])
        previous = unit
    return [
        Unit(run[0].turn, "code", "\n".join(line.text for line in run), run[0].first_line, run[-1].last_line)
        for run in runs
    ]


def _last_code(units: Sequence[Unit], short: bool = False) -> list[Candidate]:
    codes = [unit for unit in units if unit.kind == "code" and unit.text.strip()]
    if not codes:
        codes = _indented(units)
    if short:
        codes = [unit for unit in codes if len(unit.text.strip().splitlines()) <= 3]
    if not codes:
        return []
    return [Candidate(strip_fence(codes[-1].text), codes[-1], "code-block", "medium")]


def _prose(units: Sequence[Unit]) -> list[Candidate]:
    """The section's prose with its short stated math, without code or derivations; none when
    all it says is that the part was left out (``skipped for now``)."""
    text = " ".join(unit.text for unit in units if unit.kind == "prose")
    if len(text) <= NON_ANSWER_CHARS and NON_ANSWER.search(text):
        return []
    pieces = []
    kept: list[Unit] = []
    wanted = ("prose",) if any(unit.kind == "prose" for unit in units) else ("prose", "heading")
    for unit in units:
        if unit.kind in wanted and unit.text.strip():
            pieces.append(_EMPHASIS.sub("", unit.text).strip())
            kept.append(unit)
        elif unit.kind == "math" and len(unit.text.strip()) <= PROSE_MATH_CHARS and "\\\\" not in unit.text:
            pieces.append(f"${clean_answer(unit.text, 'symbolic')}$")
            kept.append(unit)
    if not kept:
        return []
    text = " ".join(pieces)
    return [Candidate(text, kept[-1], "prose", "medium", kept[0].first_line, kept[-1].last_line)]


def _whole(units: Sequence[Unit]) -> list[Candidate]:
    kept = [unit for unit in units if unit.text.strip()]
    if not kept:
        return []
    text = "\n".join(unit.text for unit in kept)
    return [Candidate(text, kept[-1], "section", "medium", kept[0].first_line, kept[-1].last_line)]


def _last_match(units: Sequence[Unit], part: Part) -> Candidate | None:
    """The last inline math or code span the part's reader accepts (``low``)."""
    spans = [
        (match.group(1).strip() if pattern is _INLINE_MATH else code_span(match), unit)
        for unit in units
        if unit.kind in ("prose", "heading")
        for pattern in (_INLINE_MATH, _INLINE_CODE)
        for match in pattern.finditer(unit.text)
    ]
    for text, unit in reversed(spans[-FALLBACK_SPANS:]):
        if text and _reads(text, part):
            return Candidate(text, unit, "last-match", "low")
    return None


def strip_fence(text: str) -> str:
    """A code block's text without its Markdown fences, if the reader left them."""
    lines = text.strip("\n").split("\n")
    if lines and lines[0].lstrip().startswith("```"):
        lines = lines[1:]
    if lines and lines[-1].strip().startswith("```"):
        lines = lines[:-1]
    return "\n".join(lines).strip("\n")


def clean_answer(text: str, kind: str) -> str:
    """An answer without what surrounds it on the page: math delimiters, an equation number,
    closing punctuation (code keeps everything but its fences)."""
    if kind in CODE_KINDS:
        return strip_fence(text)
    text = text.strip()
    for opening, closing in (("$$", "$$"), ("\\[", "\\]"), ("$", "$"), ("\\(", "\\)")):
        if text.startswith(opening) and text.endswith(closing) and len(text) > len(opening) + len(closing):
            text = text[len(opening) : -len(closing)].strip()
    whole = _INLINE_CODE.fullmatch(text)
    if whole is not None and code_span(whole):  # `n_1`, \texttt{n\_1}, \verb|x|
        text = code_span(whole)
    text = _EQUATION_NUMBER.sub("", text).strip()
    return text.rstrip(".,;").strip()
