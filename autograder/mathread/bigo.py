"""``read_big_o``: complexity answers, prose around them allowed → :class:`BigOReading`.

Only the inside of each ``O(…)`` and the two sides of an assumption such as
"M ≈ D" are parsed; the prose between them is never tokenized, so it may say
anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sympy

from autograder.mathread.api import BigOReading, Vocabulary
from autograder.mathread.definitions import clause_end, read_defined, used_notes
from autograder.mathread.errors import ReadError, check_text, guarded
from autograder.mathread.expression import parse_span, trimmed
from autograder.mathread.names import Names
from autograder.mathread.order import written_names
from autograder.mathread.prose import VALUE_CHANGING, read_around_prose

_NEXT_WORD = re.compile(r"[\s$)}]*([A-Za-z]+)")
"""The word right after a bound's closing bracket ("O(n) squared")."""

#: The reader's own hint: it names no declared size, so it can never be a part's answer
#: (the grader kind builds a better one from the part's names).
_HINT = "O(n^2 + n*m) or \\mathcal{O}(n \\log n)"
_NAME = r"(?:\\[A-Za-z]+|[A-Za-z][A-Za-z0-9]*(?:_\{?[A-Za-z0-9]+\}?)?|[α-ωΑ-Ω])"
_KEYWORD = (
    r"(?:assuming(?:\s+that)?|assume|if|with|where|when|since|given|for|as\s+long\s+as"
    r"|provided(?:\s+that)?|and)"
)
_APPROXIMATELY = r"(?:≈|∼|≃|~|\\approx(?![A-Za-z])|\\sim(?![A-Za-z])|\\simeq(?![A-Za-z]))"
#: An upper bound: for a big-O answer "M ≤ D" says as much as "M = O(D)".
_AT_MOST = r"(?:≤|≦|≪|<=|<<|\\leq?(?![A-Za-z])|\\ll(?![A-Za-z])|\\lesssim(?![A-Za-z]))"
#: "assuming M ≈ D", "M ~ D", "if M = D", "M ≤ D", "with C = O(D^2)" ('=' only after a
#: keyword, or before an O(…): O(a) = O(b) is no assumption). The right side is found by
#: :func:`_right_side`.
_ASSUMPTION = re.compile(
    rf"(?:(?<![A-Za-z\\])(?P<keyword>{_KEYWORD})[\s}}$]+)?"
    rf"(?<![A-Za-z0-9\\^_{{])(?P<left>{_NAME})\s*"
    rf"(?P<relation>{_APPROXIMATELY}|{_AT_MOST}|=(?!=))\s*"
)
_BIG_O = re.compile(
    r"(?<![A-Za-z\\])(?P<mark>\\mathcal\s*\{\s*O\s*\}|\\mathcal\s*O|\\mathrm\s*\{\s*O\s*\}"
    r"|\\operatorname\s*\{\s*O\s*\}|\\Theta|\\mathcal\s*\{\s*\\Theta\s*\}|𝒪|O|Θ)"
    r"\s*(?:\\left|\\[bB]igg?l?)?\s*(?P<open>\\\{|\(|\[|\{)"
)
#: Between two bounds that add up: "O(bd^2) + O(bnd)", "O(a) + 2·O(b)".
_PLUS = re.compile(r"\s*\+\s*(?:[0-9.]+\s*(?:\*|·|\\cdot|\\times)?\s*)?")
#: Where the right side of an assumption ends at the latest.
_RIGHT_END = re.compile(r"[,;$]|\s+and\s|\.(?:\s|$)|\s+(?:then|so|hence|thus|but|which|since|because)\b")
_MAX_RIGHT_TRIES = 6
_MAX_RIGHT_CHARS = 120
#: An answer states a few assumptions; more matches than this are prose or an attack.
_MAX_ASSUMPTIONS = 8


def _closing(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] in "([{":
            depth += 1
        elif text[index] in ")]}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _right_side(text: str, start: int) -> int:
    """Where the right side of an assumption that starts at ``start`` ends (at the latest)."""
    end = clause_end(text, start, _RIGHT_END, _MAX_RIGHT_CHARS)
    return min(len(text), start + _MAX_RIGHT_CHARS) if end is None else end


def _read_right(text: str, start: int, stop: int, names: Names) -> tuple[Any, int] | None:
    """The right side of an assumption: the longest readable prefix, trailing words left out."""
    big_o = _BIG_O.match(text, start)
    if big_o is not None:
        opening = big_o.start("open") + (1 if big_o.group("open") == "\\{" else 0)
        closing = _closing(text, opening)
        if closing < 0 or closing >= stop:
            return None
        inner_stop = closing - 1 if text[closing - 1] == "\\" else closing
        try:
            value, _, _ = parse_span(text, opening + 1, inner_stop, names)
        except ReadError:
            return None
        return value, closing + 1
    for _ in range(_MAX_RIGHT_TRIES):
        stop = len(text[:stop].rstrip())
        if stop <= start:
            return None
        try:
            value, _, _ = parse_span(text, start, stop, names)
        except ReadError:
            space = text.rfind(" ", start, stop)
            if space <= start:
                return None
            stop = space
            continue
        return value, stop
    return None


def _assumptions(text: str, names: Names, notes: list[str]) -> tuple[list[tuple[Any, Any]], str]:
    """The assumptions found, and the text with them blanked out (same positions)."""
    found: list[tuple[Any, Any]] = []
    masked = list(text)
    several_bounds = len(_BIG_O.findall(text)) > 1
    resume = 0
    tried = 0
    for match in _ASSUMPTION.finditer(text):
        if match.start() < resume:
            continue
        tried += 1
        if tried > _MAX_ASSUMPTIONS:
            break
        relation = match.group("relation")
        right_start = match.end()
        before_big_o = _BIG_O.match(text, right_start) is not None
        if relation == "=":
            # "with C = O(D^2)" and "as long as M = O(D)" state an assumption; so does
            # "C = O(D^2)" after the answer's bound. "O(a) = O(b)" and "T = O(n)" do not.
            if not (match.group("keyword") or (before_big_o and several_bounds)):
                continue
        elif before_big_o and not several_bounds:
            continue
        stated = text[match.start("left") : right_start].strip()
        try:
            left, _, _ = parse_span(text, match.start("left"), match.end("left"), names)
        except ReadError:
            notes.append(f"could not read the assumption '{stated} …'")
            continue
        if relation == "=" and before_big_o and left not in names.symbols.values():
            continue  # "T = O(N^2 D)" names the answer's bound
        right = _read_right(text, right_start, _right_side(text, right_start), names)
        if right is None:
            notes.append(f"could not read the assumption '{stated} …'")
            continue
        value, end = right
        found.append((left, value))
        if relation not in ("=", "≈", "∼", "≃", "~") and "approx" not in relation and "sim" not in relation:
            notes.append(
                f"read '{text[match.start('left') : end].strip()}' as ≈: for a big-O answer an "
                f"upper bound M ≤ D means M = O(D)"
            )
        masked[match.start() : end] = " " * (end - match.start())
        resume = end
    return found, "".join(masked)


def _substitute_bounds(reading: BigOReading, values: Mapping[Any, Any], notes: tuple[str, ...]) -> BigOReading:
    free = set().union(*(bound.free_symbols for bound in reading.bounds))
    return BigOReading(
        tuple(bound.subs(values) for bound in reading.bounds),
        tuple((left.subs(values), right.subs(values)) for left, right in reading.assumptions),
        (*reading.notes, *used_notes(notes, values, free)),
    )


def read_big_o(text: str, vocabulary: Vocabulary) -> BigOReading:
    """Read a complexity answer: every ``O(…)`` (or ``Θ(…)``) in it, and stated assumptions.

    Text with no ``O`` at all is read as one bound (``n^2 + nm`` → ``O(n^2 + nm)``). A
    name the question does not declare, defined after the bound (``O(n d^2) where n = BT``),
    is replaced by its definition (:mod:`definitions`); a clause about a declared name
    ("with C = O(D)") stays an assumption.
    """
    reading = read_defined(text, vocabulary, _read_big_o, _substitute_bounds, hint=_HINT, keep_declared=True)
    return replace(reading, written=written_names(text, vocabulary))


def _read_big_o(text: str, vocabulary: Vocabulary) -> BigOReading:
    names = Names(vocabulary)

    def work() -> BigOReading:
        check_text(text)
        notes: list[str] = []
        assumptions, masked = _assumptions(text, names, notes)
        groups: list[list[Any]] = []  # O(a) + O(b) is O(a + b): one group, one bound
        resume = 0
        for match in _BIG_O.finditer(masked):
            if match.start() < resume:
                continue  # an O inside the previous O(…) is part of that bound
            adds = bool(groups) and _PLUS.fullmatch(masked, resume, match.start()) is not None
            theta = "Theta" in match.group("mark") or "Θ" in match.group("mark")
            if theta and "read Θ as O" not in notes:
                notes.append("read Θ as O")
            opening = match.start("open") + (1 if match.group("open") == "\\{" else 0)
            closing = _closing(masked, opening)
            if closing < 0:
                raise ReadError(
                    f"unbalanced '{match.group('open')}' after O: missing its closing bracket",
                    match.start("open"),
                    _HINT,
                )
            resume = closing + 1
            following = _NEXT_WORD.match(masked, resume)
            if following and following.group(1).lower() in VALUE_CHANGING:
                raise ReadError(
                    f"'{following.group(1)}' after the bound would change it: write the whole bound inside O(…)",
                    following.start(1),
                    _HINT,
                )
            inner_stop = closing - 1 if masked[closing - 1] == "\\" else closing
            if not masked[opening + 1 : inner_stop].strip():
                raise ReadError("empty O()", match.start(), _HINT)
            value, _, more = parse_span(masked, opening + 1, inner_stop, names)
            if adds:
                groups[-1].append(value)
            else:
                groups.append([value])
            notes.extend(more)
        bounds = [sympy.Add(*group) for group in groups]
        if any(len(group) > 1 for group in groups):
            notes.append("read a sum of O(…) terms as one bound")
        if not bounds:
            start, stop = trimmed(masked)
            while stop > start and masked[stop - 1] in ",;:":
                stop = len(masked[: stop - 1].rstrip())
            if not masked[start:stop].strip():
                raise ReadError("no bound found", 0, _HINT)

            def read(first: int, last: int) -> tuple[tuple[Any, str], list[str]]:
                value, _, more = parse_span(masked, first, last, names)
                return (value, masked[first:last].strip()), more

            (value, shown), more = read_around_prose(masked, start, stop, names, read)
            bounds.append(value)
            notes.extend(more)
            notes.append(f"read as O({shown})")
        return BigOReading(tuple(bounds), tuple(assumptions), tuple(notes))

    def work_with_hint() -> BigOReading:
        try:
            return work()
        except ReadError as error:
            error.hint = _HINT  # the spelling of a whole big-O answer helps more than a term's
            raise

    return guarded(text, _HINT, work_with_hint)
