"""``read_list``: vectors (``[1, 4, 3]``) and shapes (``h × d × q``) → :class:`ListReading`."""

from __future__ import annotations

from typing import Any

from autograder.mathread.api import ListReading, Vocabulary
from autograder.mathread.errors import ReadError, check_text, guarded
from autograder.mathread.expression import trimmed
from autograder.mathread.names import Names
from autograder.mathread.normalize import REALS, TRANSPOSE, Token, tokenize
from autograder.mathread.parser import CLOSERS, OPENERS, Parser, check_balance
from autograder.mathread.prose import read_around_prose

_SEPARATORS = frozenset({",", ";", "&", "\\\\"})
_NESTING_OPEN = frozenset(OPENERS) | {"⟨"}
_NESTING_CLOSE = frozenset(CLOSERS) | {"⟩"}
_OPERAND_ENDS = frozenset({")", "]", "}", "⟩", "⟧", "⌋", "⌉"})
_OPERAND_STARTS = frozenset({"(", "[", "{", "√", "frac", "Σ", "⟨", "⟦", "⌊", "⌈"})
#: Brackets that may wrap a whole list (``⌊…⌋`` rounds its inside: it is an item).
_LIST_BRACKETS = ("(", "[", "{", "⟦")


def _is_op(token: Token, *texts: str) -> bool:
    return token.kind == "op" and token.text in texts


def _closing_index(tokens: list[Token], opening: int) -> int:
    depth = 0
    for index in range(opening, len(tokens)):
        token = tokens[index]
        if token.kind == "op" and token.text in OPENERS:
            depth += 1
        elif token.kind == "op" and token.text in CLOSERS:
            depth -= 1
            if depth == 0:
                return index
    return -1


def _angle_closing(tokens: list[Token]) -> int:
    depth = 0
    for index, token in enumerate(tokens):
        if _is_op(token, "⟨"):
            depth += 1
        elif _is_op(token, "⟩"):
            depth -= 1
            if depth == 0:
                return index
    return -1


def _times_marks(tokens: list[Token], names: Names) -> list[Token]:
    """``h x d x q`` and ``hxdxq`` (when ``x`` is not a declared name): ``x`` is ``×``."""
    if "x" in names.symbols or "x" in names.vectors:
        return tokens
    result: list[Token] = []
    for token in tokens:
        if token.kind != "name" or "x" not in token.text or names.split(token.text) is not None:
            result.append(token)
            continue
        parts = token.text.split("x")
        if token.text != "x" and not all(parts):
            result.append(token)
            continue
        at = 0
        for number, part in enumerate(parts):
            if number:
                offset = token.offsets[at - 1]
                result.append(Token("op", "×", offset, offset + 1))
            if part:
                offsets = token.offsets[at : at + len(part)]
                end = token.offsets[at + len(part)] if at + len(part) < len(token.text) else token.end
                result.append(Token("name", part, offsets[0], end, offsets))
            at += len(part) + 1
    return result


def _unwrap(tokens: list[Token], names: Names, times: bool, notes: list[str]) -> list[Token]:
    """Strip ``ℝ^``, a trailing transpose and the brackets around the whole list."""
    while tokens:
        first = tokens[0]
        t_free = "T" not in names.symbols
        if (
            times
            and len(tokens) > 2
            and first.kind == "name"
            and (first.text == REALS or (first.text == "R" and "R" not in names.symbols))
            and _is_op(tokens[1], "^")
        ):
            tokens = tokens[2:]
        elif (
            len(tokens) > 2
            and _is_op(tokens[-2], "^", ".")
            and tokens[-1].kind == "name"
            and (tokens[-1].text == TRANSPOSE or (tokens[-1].text == "T" and t_free))
        ):
            tokens = tokens[:-2]
            notes.append("ignored the transpose of the list")
        elif (
            len(tokens) > 4
            and _is_op(tokens[-4], "^")
            and _is_op(tokens[-3], "{")
            and tokens[-2].text in (TRANSPOSE, "T")
            and _is_op(tokens[-1], "}")
        ):
            tokens = tokens[:-4]
            notes.append("ignored the transpose of the list")
        elif (
            len(tokens) > 2
            and _is_op(first, "⟨")
            and _is_op(tokens[-1], "⟩")
            and _angle_closing(tokens) == len(tokens) - 1
            and len(_split(tokens[1:-1], names, times)) > 2  # ⟨q, k⟩ is an inner product
        ):
            if len(tokens) == 2:
                raise ReadError("the list is empty", first.start, "[1, 4, 3]")
            tokens = tokens[1:-1]  # ⟨1, 4, 3⟩, the physicists' vector
        elif _is_op(first, *_LIST_BRACKETS) and _closing_index(tokens, 0) == len(tokens) - 1:
            if len(tokens) == 2:
                raise ReadError("the list is empty", first.start, "[1, 4, 3]")
            tokens = tokens[1:-1]
        else:
            return tokens
    return tokens


def _ends_operand(token: Token, names: Names) -> bool:
    if token.kind == "num":
        return True
    if token.kind == "name":
        return names.kind(token.text) != "function"
    return token.text in _OPERAND_ENDS


def _starts_operand(token: Token, following: Token | None) -> bool:
    if token.kind in ("num", "name"):
        return token.text != TRANSPOSE
    if token.text in _OPERAND_STARTS:
        return True
    return (
        token.text in ("-", "+")
        and following is not None
        and following.start == token.end
        and (following.kind in ("num", "name") or _is_op(following, "("))
    )


def _split(tokens: list[Token], names: Names, times: bool) -> list[list[Token]]:
    separators = _SEPARATORS | ({"×"} if times else set())
    groups: list[list[Token]] = [[]]
    marks: list[Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.text in _NESTING_OPEN:
            depth += 1
        elif token.kind == "op" and token.text in _NESTING_CLOSE:
            depth -= 1
        if depth == 0 and token.kind == "op" and token.text in separators:
            marks.append(token)
            groups.append([])
        else:
            groups[-1].append(token)
    if not marks:
        return _split_on_spaces(tokens, names)
    if not groups[-1]:
        groups.pop()  # a trailing separator, as in "1, 4, 3,"
    for group, mark in zip(groups, marks, strict=False):
        if not group:
            raise ReadError(f"empty item before '{mark.text}'", mark.start, "[1, 4, 3]")
    return groups


def _split_on_spaces(tokens: list[Token], names: Names) -> list[list[Token]]:
    """``[1 4 3]`` and ``[1 -1]``: a space between two operands separates items."""
    groups: list[list[Token]] = [[tokens[0]]]
    depth = 0
    for index in range(1, len(tokens)):
        previous, token = tokens[index - 1], tokens[index]
        if previous.kind == "op" and previous.text in _NESTING_OPEN:
            depth += 1
        elif previous.kind == "op" and previous.text in _NESTING_CLOSE:
            depth -= 1
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if (
            depth == 0
            and token.start > previous.end
            and _ends_operand(previous, names)
            and _starts_operand(token, following)
        ):
            groups.append([token])
        else:
            groups[-1].append(token)
    return groups


def read_list(text: str, vocabulary: Vocabulary, *, times_separator: bool = False) -> ListReading:
    """Read a list of values: ``[1, 4, 3]``, ``(1,4,3)``, ``[1 4 3]``, a LaTeX matrix, …

    With ``times_separator`` (tensor shapes) ``h × d × q``, ``h x d x q`` and
    ``ℝ^{h×d×q}`` are lists too. A single value is a one-item list.
    """
    names = Names(vocabulary)
    hint = "[a, b, 2] or a × b × 2" if times_separator else "[1, 4, 3]"

    def read(cut: int, stop: int) -> tuple[tuple[Any, ...], list[str]]:
        notes: list[str] = []
        tokens = tokenize(text, cut, stop)
        if not tokens:
            raise ReadError("nothing to read", cut)
        check_balance(tokens, text)
        if times_separator:
            tokens = _times_marks(tokens, names)
        tokens = _unwrap(tokens, names, times_separator, notes)
        if not tokens:
            raise ReadError("nothing to read", cut)
        items: list[Any] = []
        for group in _split(tokens, names, times_separator):
            parser = Parser(text, group, names, group[-1].end)
            value, _ = parser.read(allow_plus_minus=False)
            items.append(value)
            notes.extend(parser.notes)
        return tuple(items), notes

    def work() -> ListReading:
        check_text(text)
        start, stop = trimmed(text)
        items, notes = read_around_prose(text, start, stop, names, read, extra="∈:")
        return ListReading(items, tuple(notes))

    def work_with_hint() -> ListReading:
        try:
            return work()
        except ReadError as error:
            error.hint = hint  # the spelling of a whole list helps more than an item's
            raise

    return guarded(text, hint, work_with_hint)
