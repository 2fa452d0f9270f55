"""The order in which an answer writes its names, for display only.

sympy sorts the terms and factors of what it builds (``N^2 D`` becomes ``D*N**2``, ``q^T k``
the symbol ``(k·q)``), and grading must compare that evaluated reading. A student checking
how they were read wants to see their own order back, so each reading also keeps the
declared names as the text writes them, terms apart (:func:`written_names`); the
typesetter (:mod:`autograder.mathread.typeset`) orders terms and factors by it. Nothing
here changes what an answer means.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from autograder.mathread.api import Vocabulary
from autograder.mathread.errors import ReadError
from autograder.mathread.names import Names
from autograder.mathread.normalize import Token, tokenize

#: Stands between the terms or items of the text (``+``, ``-``, ``,``, ``=``...) in :func:`written_names`.
BOUNDARY = ""
_BOUNDARIES = frozenset({"+", "-", "±", "∓", ",", ";", "=", "≈"})
MAX_WRITTEN = 400
"""At most this many names are kept (the reader refuses longer answers anyway)."""


def written_names(text: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The sympy names of the declared symbols and vectors ``text`` uses, each time it writes one,
    with :data:`BOUNDARY` between its terms or items.

    ``d^2 + bd`` → ``("d", "", "b", "d")``; ``q^T k`` → ``("q", "k")``; an alias is its
    symbol's name. Never raises: text the tokenizer refuses has no order (the reading failed).
    """
    names = Names(vocabulary)
    try:
        tokens = tokenize(text)
    except (ReadError, ValueError, IndexError):
        return ()
    return tuple(itertools.islice(_names_in(tokens, names), MAX_WRITTEN))


def _names_in(tokens: list[Token], names: Names) -> Iterator[str]:
    for index, token in enumerate(tokens):
        if token.kind == "op" and token.text in _BOUNDARIES:
            yield BOUNDARY
        if token.kind != "name":
            continue
        subscripted = _subscripted(tokens, index)
        if subscripted is not None and names.kind(token.text + subscripted):
            yield _sympy_name(token.text + subscripted, names)
            continue
        if names.kind(token.text) in ("symbol", "vector"):
            yield _sympy_name(token.text, names)
            continue
        for start, end in names.split(token.text) or ():
            piece = token.text[start:end]
            if names.kind(piece) in ("symbol", "vector"):
                yield _sympy_name(piece, names)


def _subscripted(tokens: list[Token], index: int) -> str | None:
    """``x_1`` / ``x_{1}``: the digits after the name, which the parser merges into ``x1``."""
    following = [token.text for token in tokens[index + 1 : index + 5]]
    if following[:1] != ["_"] or len(following) < 2:
        return None
    if following[1] == "{" and len(following) >= 4 and following[3] == "}" and following[2].isdigit():
        return following[2]
    return following[1] if following[1].isdigit() else None


def _sympy_name(name: str, names: Names) -> str:
    """The name of the symbol the reader builds for ``name`` (an alias → its symbol)."""
    if name in names.vectors:
        return names.vector_name(name)
    symbol = names.symbols.get(name)
    return symbol.name if symbol is not None else name
