"""``read_list``: vectors (``[2, 7, 5]``) and shapes (``a × b × c``) → :class:`ListReading`;
``read_matrix``: matrices (``[[2, 7], [1, 8]]``, a LaTeX ``bmatrix``) → :class:`MatrixReading`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sympy

from autograder.mathread.api import ListReading, MatrixReading, Vocabulary
from autograder.mathread.definitions import read_defined, used_notes
from autograder.mathread.errors import ReadError, check_text, guarded
from autograder.mathread.expression import trimmed
from autograder.mathread.names import Names
from autograder.mathread.normalize import REALS, TRANSPOSE, Token, tokenize
from autograder.mathread.order import written_names
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


#: PyTorch's spelling of a shape, ``torch.Size([B, T])``: these names, then one bracketed list.
_SIZE_PREFIXES = (("torch", ".", "Size"), ("Size",))


def _size_prefix(tokens: list[Token], names: Names) -> int:
    """How many first tokens spell ``torch.Size`` or ``Size`` before ``(…)`` closing the list, or 0.

    A shape printed by PyTorch (``torch.Size([B, T])``, ``torch.Size((B, T))``) is the list it
    wraps; a declared name ``Size`` or ``torch`` keeps its meaning.
    """
    for prefix in _SIZE_PREFIXES:
        size = len(prefix)
        if len(tokens) <= size + 1 or any(tokens[i].text != text for i, text in enumerate(prefix)):
            continue
        if any(token.kind == "name" and names.kind(token.text) for token in tokens[:size]):
            continue
        if _is_op(tokens[size], "(") and _closing_index(tokens, size) == len(tokens) - 1:
            return size
    return 0


def _unwrap(tokens: list[Token], names: Names, times: bool, notes: list[str]) -> list[Token]:
    """Strip ``ℝ^``, ``torch.Size``, a trailing transpose and the brackets around the whole list."""
    while tokens:
        first = tokens[0]
        size_prefix = _size_prefix(tokens, names)
        if size_prefix:
            tokens = tokens[size_prefix:]
            notes.append("read torch.Size(…) as the list of sizes it holds")
            continue
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
                raise ReadError("the list is empty", first.start, "[2, 7, 5]")
            tokens = tokens[1:-1]  # ⟨1, 4, 3⟩, the physicists' vector
        elif _is_op(first, *_LIST_BRACKETS) and _closing_index(tokens, 0) == len(tokens) - 1:
            if len(tokens) == 2:
                raise ReadError("the list is empty", first.start, "[2, 7, 5]")
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
    groups, marks = _cut(tokens, separators)
    if not marks:
        return _split_on_spaces(tokens, names)
    if not groups[-1]:
        groups.pop()  # a trailing separator, as in "1, 4, 3,"
    for group, mark in zip(groups, marks, strict=False):
        if not group:
            raise ReadError(f"empty item before '{mark.text}'", mark.start, "[2, 7, 5]")
    return groups


def _split_on_spaces(tokens: list[Token], names: Names) -> list[list[Token]]:
    """``[2 7 5]`` and ``[1 -1]``: a space between two operands separates items."""
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


def _free(value: Any) -> set[Any]:
    return set(value.free_symbols) if isinstance(value, sympy.Basic) else set()


def _subs(value: Any, values: Mapping[Any, Any]) -> Any:
    return value.subs(values) if isinstance(value, sympy.Basic) else value


def _substitute_items(reading: ListReading, values: Mapping[Any, Any], notes: tuple[str, ...]) -> ListReading:
    free = set().union(*(_free(item) for item in reading.items))
    items = tuple(_subs(item, values) for item in reading.items)
    return ListReading(items, (*reading.notes, *used_notes(notes, values, free)))


def read_list(
    text: str,
    vocabulary: Vocabulary,
    *,
    times_separator: bool = False,
    known: Mapping[sympy.Symbol, Any] | None = None,
) -> ListReading:
    """Read a list of values: ``[2, 7, 5]``, ``(2,7,5)``, ``[2 7 5]``, a LaTeX matrix, …

    With ``times_separator`` (tensor shapes) ``h × d × q``, ``h x d x q``,
    ``ℝ^{b×t×c}`` and ``torch.Size([b, t, c])`` are lists too. A single value is a one-item
    list. A name the answer defines after it (``[B, n] where n = 2HW``) is replaced by its
    definition (:mod:`definitions`; ``known`` as for :func:`read_expression`).
    """
    hint = "[a, b, 2] or a × b × 2" if times_separator else "[2, 7, 5]"
    reading = read_defined(
        text,
        vocabulary,
        lambda source, names: _read_list(source, names, times_separator=times_separator),
        _substitute_items,
        hint=hint,
        known=known,
    )
    return replace(reading, written=written_names(text, vocabulary))


def _read_list(text: str, vocabulary: Vocabulary, *, times_separator: bool) -> ListReading:
    names = Names(vocabulary)
    hint = "[a, b, 2] or a × b × 2" if times_separator else "[2, 7, 5]"

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


# --- matrices -------------------------------------------------------------------------------------

_ROW_BREAKS = frozenset({";", "\\\\"})
_MATRIX_HINT = "[[1, 2], [3, 4]] or \\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}"


def _cut(tokens: list[Token], marks: frozenset[str] | set[str]) -> tuple[list[list[Token]], list[Token]]:
    """``tokens`` cut at the operators in ``marks`` outside brackets: the pieces, and the marks cut at."""
    groups: list[list[Token]] = [[]]
    found: list[Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "op" and token.text in _NESTING_OPEN:
            depth += 1
        elif token.kind == "op" and token.text in _NESTING_CLOSE:
            depth -= 1
        if depth == 0 and token.kind == "op" and token.text in marks:
            found.append(token)
            groups.append([])
        else:
            groups[-1].append(token)
    return groups, found


def _split_at(tokens: list[Token], marks: frozenset[str]) -> list[list[Token]]:
    """``tokens`` cut at the top-level operators in ``marks`` (a trailing mark ends nothing)."""
    groups, _ = _cut(tokens, marks)
    if len(groups) > 1 and not groups[-1]:
        groups.pop()  # "1 & 2 \\\\ 3 & 4 \\\\": a final row break
    return groups


def _wrapped(tokens: list[Token]) -> bool:
    """Is the whole run one bracketed group (``[4, 5]``, ``⟦…⟧``)?"""
    return len(tokens) >= 2 and _is_op(tokens[0], *_LIST_BRACKETS) and _closing_index(tokens, 0) == len(tokens) - 1


def _matrix_rows(tokens: list[Token], names: Names) -> list[list[list[Token]]]:
    """The entries' tokens, row by row, of every accepted way to write a matrix.

    ``[[2, 7], [1, 8]]`` (rows as nested lists), ``[2 7; 1 8]`` (``;`` between rows), a
    LaTeX ``bmatrix``/``pmatrix``/``array`` (``&`` between entries, ``\\\\`` between rows,
    with or without ``\\left[ … \\right]``), and a flat list, which is one row.
    """
    while (
        _wrapped(tokens)
        and not _is_op(tokens[0], "⟦")
        and _wrapped(tokens[1:-1])
        and not _split_at(tokens[1:-1], frozenset({","}))[1:]
    ):
        tokens = tokens[1:-1]  # [[[2, 7], [1, 8]]] and \left[\begin{array}…\end{array}\right]
    if _wrapped(tokens):
        tokens = tokens[1:-1]
    if not tokens:
        raise ReadError("the matrix is empty", None, _MATRIX_HINT)
    rows = _split_at(tokens, _ROW_BREAKS)
    if len(rows) == 1:
        items = _split_at(tokens, frozenset({","}))
        if len(items) > 1 and all(_wrapped(item) for item in items):
            rows = [item[1:-1] for item in items]  # [[2, 7], [1, 8]]
    result = []
    for number, row in enumerate(rows, start=1):
        if not row:
            raise ReadError(f"row {number} of the matrix is empty", None, _MATRIX_HINT)
        if _wrapped(row) and len(rows) > 1:
            row = row[1:-1]
        entries = _split_at(row, frozenset({"&"})) if any(_is_op(token, "&") for token in row) else None
        result.append(entries if entries is not None else _split(row, names, False))
    return result


def _entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


def _transpose_mark(tokens: list[Token], names: Names) -> int:
    """How many final tokens spell a transpose (``^T``, ``^{T}``, ``ᵀ``, ``.T``), or 0."""
    marks = (TRANSPOSE, "T") if "T" not in names.symbols else (TRANSPOSE,)
    if len(tokens) > 2 and _is_op(tokens[-2], "^", ".") and tokens[-1].kind == "name" and tokens[-1].text in marks:
        return 2
    if (
        len(tokens) > 4
        and _is_op(tokens[-4], "^")
        and _is_op(tokens[-3], "{")
        and tokens[-2].text in marks
        and _is_op(tokens[-1], "}")
    ):
        return 4
    return 0


def _substitute_rows(reading: MatrixReading, values: Mapping[Any, Any], notes: tuple[str, ...]) -> MatrixReading:
    free = set().union(*(_free(entry) for row in reading.rows for entry in row))
    rows = tuple(tuple(_subs(entry, values) for entry in row) for row in reading.rows)
    return MatrixReading(rows, (*reading.notes, *used_notes(notes, values, free)))


def read_matrix(text: str, vocabulary: Vocabulary) -> MatrixReading:
    """Read a matrix: nested lists, rows separated by ``;``, or a LaTeX matrix environment.

    Rows of different lengths are unreadable (the message says which); a flat list is a
    matrix with one row. Prose around the matrix is left out as for :func:`read_list`, and
    names it defines are replaced by their definitions.
    """
    reading = read_defined(text, vocabulary, _read_matrix, _substitute_rows, hint=_MATRIX_HINT)
    return replace(reading, written=written_names(text, vocabulary))


def _read_matrix(text: str, vocabulary: Vocabulary) -> MatrixReading:
    names = Names(vocabulary)

    def read(cut: int, stop: int) -> tuple[tuple[tuple[Any, ...], ...], list[str]]:
        notes: list[str] = []
        tokens = tokenize(text, cut, stop)
        if not tokens:
            raise ReadError("nothing to read", cut)
        check_balance(tokens, text)
        transposed = _transpose_mark(tokens, names)
        if transposed:
            tokens = tokens[:-transposed]
        rows: list[tuple[Any, ...]] = []
        for entries in _matrix_rows(tokens, names):
            values = []
            for entry in entries:
                if not entry:
                    raise ReadError("empty entry in the matrix", cut, _MATRIX_HINT)
                parser = Parser(text, entry, names, entry[-1].end)
                value, _ = parser.read(allow_plus_minus=False)
                values.append(value)
                notes.extend(parser.notes)
            rows.append(tuple(values))
        for number, row in enumerate(rows[1:], start=2):
            if len(row) != len(rows[0]):
                raise ReadError(
                    f"row {number} of the matrix has {_entries(len(row))}, row 1 has {_entries(len(rows[0]))}: "
                    "every row needs the same number",
                    cut,
                    _MATRIX_HINT,
                )
        if transposed:
            notes.append("read the transpose of the matrix as written")
            rows = [tuple(column) for column in zip(*rows, strict=True)]
        return tuple(rows), notes

    def work() -> MatrixReading:
        check_text(text)
        start, stop = trimmed(text)
        rows, notes = read_around_prose(text, start, stop, names, read)
        return MatrixReading(rows, tuple(notes))

    return guarded(text, _MATRIX_HINT, work)
