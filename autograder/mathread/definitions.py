"""Definitions stated after an answer: ``O(n d^2) where n = BT``, ``k·d with k = h``.

A student may name a quantity the question does not declare and say what it is. The
clause is found by plain scanning (a keyword, one name, ``=`` or "is", a value), the value
is read with the question's names, and the answer is read with the new name standing for
it: the defined name is then replaced by its value, so ``O(n d^2) where n = BT`` is
``O(B T d^2)``. A note says so; nothing is applied silently.

* A clause whose value cannot be read (``where n is the length``) defines nothing:
  the text is left as it is, for the prose rules (:mod:`prose`) to leave out.
* A clause that gives a *declared* name another value (``8d^2 + 7d where d = 2``) would
  change the question: it is unreadable with a message that says why, never applied and
  never ignored (the answer might only hold under it). Big-O answers state assumptions
  about declared names on purpose ("with C = O(D)"), so :func:`read_big_o` keeps those
  clauses for its own assumption rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import sympy

from autograder.mathread.api import Unreadable, Vocabulary
from autograder.mathread.errors import ReadError, check_text
from autograder.mathread.names import Names
from autograder.mathread.normalize import canonical_name, tokenize
from autograder.mathread.parser import Parser, check_balance

R = TypeVar("R")

_NAME = r"(?:\\[A-Za-z]+|[A-Za-z][A-Za-z0-9]*(?:_\{?[A-Za-z0-9]+\}?)?|[α-ωΑ-Ω](?:_\{?[A-Za-z0-9]+\}?)?)"
_RELATION = r"(?::=|=(?!=)|≡|\\equiv(?![A-Za-z])|(?:is|equals|denotes)(?![A-Za-z]))"
#: ", where n = BT", " with k = h", "; for m := 2d": the keyword must follow the answer.
_DEFINITION = re.compile(
    rf"(?<=[\s,;$])(?:where|with|for|given|letting|let)\s+(?P<name>{_NAME})\s*(?P<relation>{_RELATION})\s*",
    re.IGNORECASE,
)
#: A further definition of the same clause: "where n = BT and m = 2d", "with a = 1, b = 2".
_MORE = re.compile(rf"\s*(?:,|;|\s+and\s+)\s*(?P<name>{_NAME})\s*(?P<relation>{_RELATION})\s*")
#: Where a definition's value ends: a top-level ",", ";", " and ", or a sentence's end.
_VALUE_END = re.compile(r"[,;]|\s+and\s|\.(?:\s|$)")
#: A clause defines a few names; more than this is not a definition list.
MAX_DEFINITIONS = 6


@dataclass(frozen=True)
class Definition:
    name: str
    """The defined name, as spelled in tokens (``n``, ``alpha``)."""
    value: Any
    """Its value, read with the question's names."""
    shown: str
    """The clause as written, for the note: ``n = BT``."""


def clause_end(text: str, start: int, ends: re.Pattern[str], limit: int | None = None) -> int | None:
    """Where a clause that starts at ``start`` ends: at a bracket closing one it did not open,
    or where ``ends`` matches outside brackets; None when neither comes (within ``limit`` chars)."""
    depth = 0
    stop = len(text) if limit is None else min(len(text), start + limit)
    for index in range(start, stop):
        char = text[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return index
        elif depth == 0 and ends.match(text, index) is not None:
            return index
    return None


def _value_stop(text: str, start: int) -> int:
    end = clause_end(text, start, _VALUE_END)
    return len(text.rstrip()) if end is None else end


def _read_value(text: str, start: int, stop: int, names: Names) -> Any | None:
    """The value of a definition, or None when it is not math (``the length``)."""
    try:
        tokens = tokenize(text, start, stop)
        if not tokens:
            return None
        check_balance(tokens, text)
        value, alternatives = Parser(text, tokens, names, stop).read(allow_plus_minus=False)
    except ReadError:
        return None
    return None if alternatives or not isinstance(value, sympy.Expr) else value


def _is_declared(name: str, names: Names) -> bool:
    return bool(names.kind(name)) or names.split(name) is not None


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(sympy.simplify(a - b) == 0)
    except (TypeError, ValueError, AttributeError, RecursionError):
        return False


def find_definitions(
    text: str, names: Names, *, keep_declared: bool, known: Mapping[sympy.Symbol, Any] | None = None
) -> tuple[str, list[Definition]] | None:
    """The text with its definition clause blanked out (same positions) and the definitions.

    None when the text defines no new name. A clause that gives a declared name another value
    is a ReadError, unless ``keep_declared`` (then it stays in the text, for the caller's
    rules). What the spec itself says (``known``, its ``substitute``: ``k = n/m``) is no other
    value: "sqrt(k) where k = n/m" restates the question.
    """
    match = _DEFINITION.search(text)
    if match is None or not text[: match.start()].strip(" $,;"):
        return None
    found: list[Definition] = []
    clause_start = len(text[: match.start()].rstrip(" $"))
    if text[clause_start - 1] in ",;":
        clause_start -= 1  # ", where n = BT": the comma goes with the clause
    position = match.end()
    name, name_start = match.group("name"), match.start("name")
    while len(found) < MAX_DEFINITIONS:
        stop = _value_stop(text, position)
        value = _read_value(text, position, stop, names)
        if value is None:
            break
        canonical = canonical_name(name)
        shown = " ".join(text[name_start:stop].split())
        if _is_declared(canonical, names):
            if _same(value.subs(known or {}), names.scalar(canonical).subs(known or {})):
                pass  # "where n_in = n" restates a name the question declares (an alias)
            elif keep_declared:
                return None
            else:
                raise ReadError(
                    f"'{shown}' gives {name}, a name of the question, another value: write the "
                    "answer in the question's names, without redefining them",
                    name_start,
                )
        found.append(Definition(canonical, value, shown))
        position = stop
        more = _MORE.match(text, position)
        if more is None:
            break
        name, name_start, position = more.group("name"), more.start("name"), more.end()
    if not found or text[position:].strip(" $.,;"):
        return None  # no definition, or more text after it: leave the whole for the prose rules
    new = [definition for definition in found if not _is_declared(definition.name, names)]
    if not new:
        return None
    masked = text[:clause_start] + " " * (len(text) - clause_start)
    return masked, new


def read_defined(
    text: str,
    vocabulary: Vocabulary,
    read: Callable[[str, Vocabulary], R],
    substitute: Callable[[R, Mapping[sympy.Symbol, Any], tuple[str, ...]], R],
    *,
    hint: str,
    keep_declared: bool = False,
    known: Mapping[sympy.Symbol, Any] | None = None,
) -> R:
    """``read(text, vocabulary)``, with the names the answer defines after it substituted.

    ``substitute(reading, {symbol: value}, notes)`` replaces each defined name's symbol by its
    value in a reading and adds the notes. ``known`` as for :func:`find_definitions`.
    """
    if not isinstance(text, str) or _DEFINITION.search(text) is None:
        return read(text, vocabulary)
    try:
        check_text(text)
        found = find_definitions(text, Names(vocabulary), keep_declared=keep_declared, known=known)
    except ReadError as error:
        if error.position is None:
            return read(text, vocabulary)  # the reader reports a text it cannot take at all
        raise Unreadable(error.message, text, error.position, hint) from None
    if found is None:
        return read(text, vocabulary)
    masked, definitions = found
    stand_ins = {definition.name: sympy.Dummy(definition.name) for definition in definitions}
    extended = Vocabulary({**vocabulary.symbols, **stand_ins}, vocabulary.vectors, vocabulary.functions)
    try:
        reading = read(masked, extended)
    except Unreadable as error:
        raise replace(error, text=text) from None
    values = {stand_ins[definition.name]: definition.value for definition in definitions}
    notes = tuple(f"replaced {definition.name} by its definition '{definition.shown}'" for definition in definitions)
    return substitute(reading, values, notes)


def used_notes(notes: tuple[str, ...], values: Mapping[sympy.Symbol, Any], free: set[sympy.Symbol]) -> tuple[str, ...]:
    """The notes of the definitions an answer uses (``notes`` in the order of ``values``)."""
    return tuple(note for note, symbol in zip(notes, values, strict=True) if symbol in free)
