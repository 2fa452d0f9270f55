"""``read_big_o``: complexity answers, prose around them allowed → :class:`BigOReading`.

Only the inside of each ``O(…)`` and the two sides of an assumption such as
"M ≈ D" are parsed; the prose between them is never tokenized, so it may say
anything.
"""

from __future__ import annotations

import re
from typing import Any

from autograder.mathread.api import BigOReading, Vocabulary
from autograder.mathread.errors import ReadError, check_text, guarded
from autograder.mathread.expression import parse_span, trimmed
from autograder.mathread.names import Names
from autograder.mathread.normalize import last_side, side_note

_HINT = "O(b*d^2 + b*n*d) or O(bd^2 + bnd)"
_NAME = r"(?:\\[A-Za-z]+|[A-Za-z][A-Za-z0-9]*|[α-ωΑ-Ω])"
_KEYWORD = r"(?:assuming(?:\s+that)?|assume|if|with|where|when|since|given|for)"
_APPROXIMATELY = r"(?:≈|∼|≃|~|\\approx|\\sim|\\simeq)"
#: "assuming M ≈ D", "M ~ D", "if M = D" ('=' only after a keyword: O(a) = O(b) is no assumption)
_ASSUMPTION = re.compile(
    rf"(?:(?<![A-Za-z\\])(?P<keyword>{_KEYWORD})[\s}}$]+)?"
    rf"(?<![A-Za-z0-9\\^_])(?P<left>{_NAME})\s*(?P<relation>{_APPROXIMATELY}|=)\s*"
    rf"(?P<right>{_NAME})(?![A-Za-z0-9(])"
)
_BIG_O = re.compile(
    r"(?<![A-Za-z0-9\\])(?P<mark>\\mathcal\s*\{\s*O\s*\}|\\mathcal\s*O|\\mathrm\s*\{\s*O\s*\}"
    r"|\\operatorname\s*\{\s*O\s*\}|\\Theta|\\mathcal\s*\{\s*\\Theta\s*\}|𝒪|O|Θ)"
    r"\s*(?:\\left|\\[bB]igg?l?)?\s*(?P<open>\\\{|\(|\[|\{)"
)


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


def _assumptions(text: str, names: Names, notes: list[str]) -> tuple[list[tuple[Any, Any]], str]:
    """The assumptions found, and the text with them blanked out (same positions)."""
    found: list[tuple[Any, Any]] = []
    masked = list(text)
    for match in _ASSUMPTION.finditer(text):
        if match.group("relation") == "=" and not match.group("keyword"):
            continue
        try:
            left, _, _ = parse_span(text, match.start("left"), match.end("left"), names)
            right, _, _ = parse_span(text, match.start("right"), match.end("right"), names)
        except ReadError:
            notes.append(f"could not read the assumption '{match.group().strip()}'")
            continue
        found.append((left, right))
        masked[match.start() : match.end()] = " " * (match.end() - match.start())
    return found, "".join(masked)


def read_big_o(text: str, vocabulary: Vocabulary) -> BigOReading:
    """Read a complexity answer: every ``O(…)`` (or ``Θ(…)``) in it, and stated assumptions.

    Text with no ``O`` at all is read as one bound (``bd^2 + bnd`` → ``O(bd^2 + bnd)``).
    """
    names = Names(vocabulary)

    def work() -> BigOReading:
        check_text(text)
        notes: list[str] = []
        assumptions, masked = _assumptions(text, names, notes)
        bounds: list[Any] = []
        resume = 0
        for match in _BIG_O.finditer(masked):
            if match.start() < resume:
                continue  # an O inside the previous O(…) is part of that bound
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
            inner_stop = closing - 1 if masked[closing - 1] == "\\" else closing
            if not masked[opening + 1 : inner_stop].strip():
                raise ReadError("empty O()", match.start(), _HINT)
            value, _, more = parse_span(masked, opening + 1, inner_stop, names)
            bounds.append(value)
            notes.extend(more)
        if not bounds:
            start, stop = trimmed(masked)
            while stop > start and masked[stop - 1] in ",;:":
                stop = len(masked[: stop - 1].rstrip())
            cut, separator = last_side(masked, start, stop)
            if separator:
                notes.append(side_note(separator))
                start = cut
            if not masked[start:stop].strip():
                raise ReadError("no bound found", 0, _HINT)
            value, _, more = parse_span(masked, start, stop, names)
            bounds.append(value)
            notes.extend(more)
            notes.append(f"read as O({masked[start:stop].strip()})")
        return BigOReading(tuple(bounds), tuple(assumptions), tuple(notes))

    def work_with_hint() -> BigOReading:
        try:
            return work()
        except ReadError as error:
            error.hint = _HINT  # the spelling of a whole big-O answer helps more than a term's
            raise

    return guarded(text, _HINT, work_with_hint)
