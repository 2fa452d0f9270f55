"""Lists written for a general size with elisions (``[1, x_1, …, x_D, x_1x_2, …, x_{D-1}x_D]``)
→ the same list written out for the size the question fixes, as text for :func:`read_list`.

A homework fixes the size (D = 3) but an answer, typed or from a model, often gives the
general form. Between the components on each side of an elision (``…``, ``...``, ``\\dots``,
``\\ldots``, ``\\cdots``, ``\\vdots``, ``⋯``, ``⋮``) only the indices of the variables may
differ: each side becomes a template with index slots and its index values (numbers, the
size's name, the size minus a number), evaluated at the size. The components between are
every index tuple strictly between the two sides, in lexicographic order, keeping the
order relation between the slots the two sides share (``x_1x_2 … x_{D-1}x_D``: the pairs
i < j; ``x_1^2 … x_D^2``: every i). Anything else (two sides of different forms, indices
that go down in several slots, different relations, an index out of range) is refused with
a message saying how to write it out: an elision is never guessed.

Security: text only, matched with bounded regular expressions; nothing is evaluated.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from autograder.mathread.api import Unreadable

ELISIONS = ("\\dotsc", "\\dotsb", "\\dots", "\\ldots", "\\cdots", "\\vdots", "\\ddots", "…", "⋯", "⋮", "...")
#: Most components an expansion may produce (as many as a feature map reads).
MAX_ITEMS = 64
#: Most index slots in one component (x_i x_j x_k is 3).
MAX_SLOTS = 4

_ELISION = re.compile("|".join(re.escape(mark) for mark in ELISIONS))
_MATRIX = re.compile(r"\\begin\{([pbBvV]?matrix|array)\}(?:\{[^{}]*\})?(.*)\\end\{\1\}", re.DOTALL)
_TRANSPOSE_END = re.compile(r"(?:\^\s*\{?\s*(?:T|\\top|\\intercal)\s*\}?|ᵀ)\s*\Z")
_OPENERS = {"[": "]", "(": ")", "{": "}", "⟦": "⟧"}
_SLOT = "\0"  # an index slot in a template: a character no answer keeps (control characters are refused)

NOT_VARIABLES = "An elision '…' can only be expanded in the variables {variables}; write the {size} components out."
NEEDS_SIDES = (
    "'…' needs a component on each side to show what it stands for; write the components out for {name} = {size}."
)
DIFFERENT_FORMS = (
    "The components around '…' ({before} and {after}) differ in more than the indices of {base}, "
    "so '…' cannot be expanded; write the components out for {name} = {size}."
)
NOT_INCREASING = (
    "The indices around '…' ({before} and {after}) do not increase the same way, "
    "so '…' cannot be expanded; write the components out for {name} = {size}."
)
OUT_OF_RANGE = "The index {index} in {item} is not between 1 and {name} = {size}; write the components out."
INSIDE_ITEM = "'…' inside one component ({item}) cannot be expanded; write the components out for {name} = {size}."
TOO_MANY = "The elided list has more than {limit} components for {name} = {size}."
EXPANDED_START = "read the list for general "
EXPANDED = EXPANDED_START + "{name} at {name} = {size} ({count} components)"
RENAMED = ", with {written}_i read as {base}_i"
_INDEXED_LETTER = re.compile(r"(?<![A-Za-z\\])([A-Za-z])_\{?\s*(?:\d|[A-Z])")


@dataclass(frozen=True)
class Family:
    """How indexed variables are written: base ``x``, indices 1…size, the size's name (``D``)."""

    base: str
    size: int
    name: str
    written: str = ""
    """The letter the answer indexes instead of the base (``q_1`` in ``φ(q) = [q_1, …]``), or empty."""

    @property
    def index(self) -> str:
        return rf"(?:\d+|{re.escape(self.name)}(?:\s*[-+]\s*\d+)?)"

    def pattern(self) -> re.Pattern[str]:
        """``x_1``, ``x_{1}``, ``x_D``, ``x_{D-1}``, ``x1`` (not the x of ``\\max`` or ``xy``)."""
        base = re.escape(self.written or self.base)
        index = self.index
        return re.compile(
            rf"(?:(?<![A-Za-z\\])|(?<=_{re.escape(self.name)})){base}(?:_\{{\s*(?P<braced>{index})\s*\}}|_\s*(?P<plain>\d|{re.escape(self.name)})"
            rf"|(?P<bare>\d+|{re.escape(self.name)}))"
        )


def family(variables: tuple[str, ...], name: str) -> Family | None:
    """The variables as one indexed family (``x1, x2, x3`` → base x, size 3), or None."""
    if not variables or not name:
        return None
    match = re.fullmatch(r"([A-Za-z]+)_?(\d+)", variables[0])
    if match is None:
        return None
    base = match.group(1)
    expected = [f"{base}{number}" for number in range(1, len(variables) + 1)]
    spelled = [variable.replace("_", "") for variable in variables]
    return Family(base, len(variables), name) if spelled == expected else None


def _as_written(found: Family, text: str) -> Family:
    """The family with the letter the answer indexes, when it is one other letter (``φ(q) = [q_1, …]``
    for variables x1, x2, x3): the components are the same function of another argument's name."""
    letters = set(_INDEXED_LETTER.findall(text))
    if found.base in letters or len(letters) != 1:
        return found
    return Family(found.base, found.size, found.name, letters.pop())


def has_elision(text: str) -> bool:
    return _ELISION.search(text) is not None


def expand(text: str, variables: tuple[str, ...], name: str) -> tuple[str, str]:
    """The list written out at the size, as ``[a, b, …]`` text, and a note saying so; Unreadable
    when an elision cannot be expanded without guessing."""
    found = family(variables, name)
    if found is None:
        raise Unreadable(NOT_VARIABLES.format(variables=", ".join(variables), size=len(variables)), text)
    found = _as_written(found, text)
    items = _items(text)
    pattern = found.pattern()
    expanded: list[str] = []
    for position, item in enumerate(items):
        if not _is_elision(item):
            if has_elision(item):
                raise Unreadable(INSIDE_ITEM.format(item=item, name=found.name, size=found.size), text)
            expanded.append(_written_out(item, pattern, found, text))
            continue
        if position == 0 or position == len(items) - 1 or _is_elision(items[position - 1]):
            raise Unreadable(NEEDS_SIDES.format(name=found.name, size=found.size), text)
        expanded.extend(_between(items[position - 1], items[position + 1], pattern, found, text))
        if len(expanded) > MAX_ITEMS:
            raise Unreadable(TOO_MANY.format(limit=MAX_ITEMS, name=found.name, size=found.size), text)
    # An end equal to the start (x_1, …, x_D at D = 1) is one component.
    result = [item for index, item in enumerate(expanded) if index == 0 or item != expanded[index - 1]]
    note = EXPANDED.format(name=found.name, size=found.size, count=len(result))
    if found.written:
        note += RENAMED.format(written=found.written, base=found.base)
    return "[" + ", ".join(result) + "]", note


def _items(text: str) -> list[str]:
    """The top-level components of a written list, its wrapper (``φ(x) =``, brackets, a matrix) removed."""
    body = text.strip().strip("$").strip()
    body = right_of_equals(body)
    body = _TRANSPOSE_END.sub("", body).strip()
    matrix = _MATRIX.search(body)
    if matrix:
        body = matrix.group(2)
    else:
        body = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)(?![A-Za-z])", "", body).strip()
        if body[:1] in _OPENERS and _closing(body, 0) == len(body) - 1:
            body = body[1:-1]
    return [item.strip() for item in _split_top(body) if item.strip()]


def right_of_equals(text: str) -> str:
    """What follows the last top-level ``=`` (``φ(x) = [...]`` → ``[...]``); the text when there is none."""
    depth = 0
    last = -1
    for index, char in enumerate(text):
        depth += 1 if char in "([{" else -1 if char in ")]}" else 0
        if char == "=" and depth == 0:
            last = index
    return text[last + 1 :].strip() if last >= 0 else text


def _closing(text: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] in "([{⟦":
            depth += 1
        elif text[index] in ")]}⟧":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _split_top(body: str) -> list[str]:
    """Split at ``,``, ``;``, ``&`` and ``\\\\`` outside brackets."""
    pieces: list[str] = []
    depth = 0
    start = 0
    index = 0
    while index < len(body):
        char = body[index]
        if char in "([{⟦":
            depth += 1
        elif char in ")]}⟧":
            depth -= 1
        elif depth == 0 and (char in ",;&" or body.startswith("\\\\", index)):
            pieces.append(body[start:index])
            index += 2 if char == "\\" else 1
            start = index
            continue
        index += 1
    pieces.append(body[start:])
    return pieces


def _is_elision(item: str) -> bool:
    return _ELISION.sub("", item).strip() == "" and has_elision(item)


@dataclass(frozen=True)
class _Indexed:
    template: str
    indices: tuple[int, ...]


def _index_value(written: str, found: Family) -> int:
    compact = "".join(written.split())
    if compact.isdigit():
        return int(compact)
    offset = compact[len(found.name) :]
    return found.size + (int(offset) if offset else 0)


def _indexed(item: str, pattern: re.Pattern[str], found: Family, text: str) -> _Indexed:
    """``\\sqrt{2}x_1x_{D}`` → a template with a slot per index and the indices (1, size)."""
    indices: list[int] = []

    def slot(match: re.Match[str]) -> str:
        written = match.group("braced") or match.group("plain") or match.group("bare")
        value = _index_value(written, found)
        if not 1 <= value <= found.size:
            raise Unreadable(OUT_OF_RANGE.format(index=written, item=item, name=found.name, size=found.size), text)
        indices.append(value)
        return f"{found.base}_{{{_SLOT}}}"

    template = "".join(pattern.sub(slot, item).split())
    return _Indexed(template, tuple(indices))


def _fill(template: str, indices: tuple[int, ...], found: Family) -> str:
    """The template with its slots filled: ``x_{\0}x_{\0}``, (1, 3) → ``x_{1}x_{3}``."""
    pieces = template.split(_SLOT)
    return pieces[0] + "".join(str(index) + piece for index, piece in zip(indices, pieces[1:], strict=True))


def _written_out(item: str, pattern: re.Pattern[str], found: Family, text: str) -> str:
    """A component with its size-named indices evaluated (``x_D`` → ``x_{3}``)."""
    indexed = _indexed(item, pattern, found, text)
    return _fill(indexed.template, indexed.indices, found) if indexed.indices else item


def _relations(indices: tuple[int, ...]) -> tuple[int, ...]:
    """The order relation of every pair of slots: -1, 0 or 1."""
    return tuple((a > b) - (a < b) for a, b in itertools.combinations(indices, 2))


def _between(before: str, after: str, pattern: re.Pattern[str], found: Family, text: str) -> list[str]:
    first = _indexed(before, pattern, found, text)
    last = _indexed(after, pattern, found, text)
    if first.template != last.template or not first.indices or len(first.indices) > MAX_SLOTS:
        raise Unreadable(
            DIFFERENT_FORMS.format(before=before, after=after, base=found.base, name=found.name, size=found.size),
            text,
        )
    relations = _relations(first.indices)
    if relations != _relations(last.indices):
        raise Unreadable(NOT_INCREASING.format(before=before, after=after, name=found.name, size=found.size), text)
    if len(first.indices) == 1 and first.indices > last.indices:  # x_D, …, x_1 counts down
        values = range(first.indices[0] - 1, last.indices[0], -1)
        return [_fill(first.template, (value,), found) for value in values]
    if first.indices > last.indices:
        raise Unreadable(NOT_INCREASING.format(before=before, after=after, name=found.name, size=found.size), text)
    tuples = itertools.product(range(1, found.size + 1), repeat=len(first.indices))
    return [
        _fill(first.template, indices, found)
        for indices in tuples
        if first.indices < indices < last.indices and _relations(indices) == relations
    ]
