"""``read_expression``: one math answer → :class:`Reading`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import sympy

from autograder.mathread.api import Reading, Vocabulary
from autograder.mathread.definitions import read_defined, used_notes
from autograder.mathread.errors import ReadError, check_text, guarded
from autograder.mathread.names import Names
from autograder.mathread.normalize import APPROX_CHARS, tokenize
from autograder.mathread.order import written_names
from autograder.mathread.parser import Parser, check_balance, expression_hint
from autograder.mathread.prose import mark_approximation, read_around_prose, unit_stop


def trimmed(text: str) -> tuple[int, int]:
    """The span of ``text`` without surrounding space and a final period."""
    start = len(text) - len(text.lstrip())
    stop = len(text.rstrip())
    if stop > start and text[stop - 1] == ".":
        stop = len(text[: stop - 1].rstrip())
    return start, stop


def parse_span(
    source: str, start: int, stop: int, names: Names, *, allow_plus_minus: bool = False
) -> tuple[Any, tuple[Any, ...], list[str]]:
    """Read ``source[start:stop]`` as one expression: value, ± alternatives, notes."""
    tokens = tokenize(source, start, stop)
    if not tokens:
        raise ReadError("nothing to read", start)
    check_balance(tokens, source)
    parser = Parser(source, tokens, names, stop)
    value, alternatives = parser.read(allow_plus_minus=allow_plus_minus)
    return value, alternatives, parser.notes


def read_expression(
    text: str,
    vocabulary: Vocabulary,
    *,
    units: Sequence[str] | None = None,
    known: Mapping[sympy.Symbol, Any] | None = None,
) -> Reading:
    """Read one math answer written in plain, LaTeX or Unicode notation (any mix).

    See :func:`_read_expression`; a name the answer defines after it (``k·d with k = h``) is
    replaced by its definition (:mod:`definitions`; ``known``: the spec's own substitutions,
    which an answer may restate).
    """

    def substitute(reading: Reading, values: Mapping[sympy.Symbol, Any], notes: tuple[str, ...]) -> Reading:
        free = set().union(*(item.free_symbols for item in (reading.value, *reading.alternatives)))
        return replace(
            reading,
            value=reading.value.subs(values),
            alternatives=tuple(other.subs(values) for other in reading.alternatives),
            notes=(*reading.notes, *used_notes(notes, values, free)),
        )

    reading = read_defined(
        text,
        vocabulary,
        lambda source, names: _read_expression(source, names, units=units),
        substitute,
        hint=expression_hint(Names(vocabulary)),
        known=known,
    )
    return replace(reading, written=written_names(text, vocabulary))


def _read_expression(text: str, vocabulary: Vocabulary, *, units: Sequence[str] | None = None) -> Reading:
    """Read one math answer written in plain, LaTeX or Unicode notation (any mix).

    ``x ≈ 0.12`` and ``≈ 0.12`` (also ``\\approx``, and one "about", "approximately",
    "roughly", "around" or ``~`` before a number) read the value after the last ``≈``,
    marked :attr:`Reading.approximate`; the grader kind decides what an approximation earns.
    With ``units`` (a number is asked for), the number may be followed by one of those words
    (``10 pixels``); another word after a number is an unknown unit, named in the message.

    Raises :class:`~autograder.mathread.api.Unreadable` (and nothing else) when
    the text cannot be read; student text is never evaluated.
    """
    names = Names(vocabulary)

    def work() -> Reading:
        check_text(text)
        source = mark_approximation(text)
        start, stop = trimmed(source)

        def read(first: int, last: int) -> tuple[tuple[Any, tuple[Any, ...]], list[str]]:
            unit_note = ""
            if units is not None:
                last, unit_note = unit_stop(source, first, last, names, units)
            value, alternatives, notes = parse_span(source, first, last, names, allow_plus_minus=True)
            return (value, alternatives), [*notes, unit_note] if unit_note else notes

        separators: list[str] = []
        (value, alternatives), notes = read_around_prose(
            source, start, stop, names, read, extra=APPROX_CHARS, separators=separators, units=units
        )
        return Reading(value, alternatives, tuple(notes), approximate="≈" in separators)

    return guarded(text, expression_hint(names), work)
