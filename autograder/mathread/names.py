"""The names an answer may use, and how a run of letters splits into them."""

from __future__ import annotations

import sympy

from autograder.mathread.api import Vocabulary
from autograder.mathread.normalize import canonical_name

#: Functions every answer may use, besides the vocabulary's own.
#: Constants that a run of letters may contain as a piece, as declared names are.
CONSTANT_PIECES = frozenset({"pi"})
BUILTIN_FUNCTIONS = frozenset({"sqrt", "exp", "log", "ln", "max", "min", "abs", "dot", "norm", "sum", "floor", "ceil"})


class Names:
    """A vocabulary keyed by canonical spelling (``α``, ``\\alpha`` and ``alpha`` are one name)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.symbols: dict[str, sympy.Symbol] = {
            canonical_name(name): symbol for name, symbol in vocabulary.symbols.items()
        }
        self.vectors = frozenset(canonical_name(name) for name in vocabulary.vectors)
        self.functions = frozenset(canonical_name(name) for name in vocabulary.functions)
        self.callables = BUILTIN_FUNCTIONS | self.functions
        # π is a constant inside a run too (``πt`` is π·t), unless the question declares a pi
        self._pieces = frozenset(self.symbols) | self.vectors | self.callables | CONSTANT_PIECES
        self._lengths = sorted({len(piece) for piece in self._pieces})

    def _pieces_at(self, run: str, start: int) -> list[int]:
        """The lengths of the declared names that ``run`` has at ``start``."""
        return [size for size in self._lengths if run[start : start + size] in self._pieces]

    def declared(self) -> str:
        """The answer's own names, for a message: ``alpha, n, x``."""
        own = set(self.symbols) | self.vectors | self.functions
        return ", ".join(sorted(own, key=lambda name: (name.lower(), name))) or "(none)"

    def kind(self, name: str) -> str:
        if name in self.vectors:
            return "vector"
        if name in self.symbols:
            return "symbol"
        if name in self.callables:
            return "function"
        return ""

    def vector_name(self, name: str) -> str:
        """The vector an alias stands for: two names declared as one symbol are one vector."""
        symbol = self.symbols.get(name)
        if symbol is not None and symbol.name != name and canonical_name(symbol.name) in self.vectors:
            return canonical_name(symbol.name)
        return name

    def scalar(self, name: str) -> sympy.Symbol:
        """The scalar a name reads as (a vector's "scalar reading" included)."""
        symbol = self.symbols.get(name)
        return symbol if symbol is not None else sympy.Symbol(name, real=True)

    def split(self, run: str) -> list[tuple[int, int]] | None:
        """``bnd`` → b, n, d: the split of ``run`` into the fewest declared names, or None."""
        size = len(run)
        best: list[tuple[int, int] | None] = [None] * (size + 1)  # (pieces, previous cut)
        best[0] = (0, -1)
        for start in range(size):
            here = best[start]
            if here is None:
                continue
            for length in self._pieces_at(run, start):
                end = start + length
                if end <= size:
                    candidate = (here[0] + 1, start)
                    known = best[end]
                    if known is None or candidate[0] < known[0]:
                        best[end] = candidate
        if best[size] is None:
            return None
        cuts: list[tuple[int, int]] = []
        end = size
        while end > 0:
            entry = best[end]
            assert entry is not None
            cuts.append((entry[1], end))
            end = entry[1]
        return cuts[::-1]

    def unknown_part(self, run: str) -> tuple[int, int]:
        """The first stretch of ``run`` that no split reaches, for the message."""
        reachable = [False] * (len(run) + 1)
        reachable[0] = True
        for start in range(len(run)):
            if reachable[start]:
                for length in self._pieces_at(run, start):
                    reachable[start + length] = True
        first = max(index for index, ok in enumerate(reachable) if ok)
        splits_from = [False] * (len(run) + 1)
        splits_from[len(run)] = True
        for start in range(len(run) - 1, first, -1):
            splits_from[start] = any(splits_from[start + length] for length in self._pieces_at(run, start))
        end = next(index for index in range(first + 1, len(run) + 1) if splits_from[index])
        if run[first:end].isdigit():
            return 0, len(run)
        return first, end
