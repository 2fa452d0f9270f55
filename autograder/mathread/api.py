"""The public types of the math reader: what goes in, what comes out.

Text written in plain, LaTeX or Unicode notation goes in, together with the
:class:`Vocabulary` a question declares; a sympy expression comes out, or
:class:`Unreadable` is raised with a message, a position and an accepted
spelling. Student text is never evaluated as Python: the reader tokenizes and
parses it itself and builds sympy objects with sympy's constructors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy

#: Hard limits that keep hostile answers cheap; an answer beyond them is Unreadable.
MAX_CHARS = 2000
MAX_DEPTH = 40
MAX_NODES = 600
MAX_EXPONENT = 64
MAX_INTEGER_DIGITS = 40


@dataclass(frozen=True)
class Vocabulary:
    """The names an answer may use, as declared by the question's spec."""

    symbols: Mapping[str, sympy.Symbol] = field(default_factory=dict)
    """Scalar names (``n``, ``alpha``, ``x1``) and the sympy symbol each reads as."""

    vectors: frozenset[str] = frozenset()
    """Names that denote vectors (``q``, ``k``, ``w``). ``q^T k``, ``q·k``,
    ``dot(q, k)``, ``<q, k>``, ``‖q‖²`` and ``Σ_i q_i k_i`` read as the scalar
    symbol :func:`dot_symbol`; a vector name standing alone reads as the scalar
    symbol of the same name (the homework's "scalar reading")."""

    functions: frozenset[str] = frozenset()
    """Extra function names (``phi``, ``sim``), read as unevaluated sympy functions."""


def dot_symbol(a: str, b: str, vocabulary: Vocabulary) -> sympy.Symbol:
    """The scalar symbol that stands for the inner product of vectors ``a`` and ``b``.

    The order of ``a`` and ``b`` does not matter: ``dot(q, k)`` and ``dot(k, q)``
    give the same symbol.
    """
    first, second = sorted((a, b))
    # The name is what students see in "read as": ‖w‖² and (k·q) print unambiguously
    # inside larger expressions, e.g. (k·q)^2 + 1.
    name = f"‖{first}‖²" if first == second else f"({first}·{second})"
    return sympy.Symbol(name, real=True)


@dataclass(frozen=True)
class Unreadable(Exception):
    """An answer (or part of one) that the reader could not read."""

    message: str
    """What could not be read, in a sentence for a student."""
    text: str = ""
    """The text that was being read."""
    position: int | None = None
    """Offset of the problem in ``text``, when there is one place to point at."""
    hint: str = ""
    """An accepted way to write this kind of answer, e.g. ``sqrt(d)``."""

    def __str__(self) -> str:
        return self.explain()

    def explain(self) -> str:
        """The message, the text with a caret under the problem, and the hint."""
        lines = [self.message]
        if self.text and self.position is not None and len(self.text) <= 200:
            one_line = self.text.replace("\n", " ")
            lines.append(f"    {one_line}")
            lines.append("    " + " " * min(self.position, len(one_line)) + "^")
        if self.hint:
            lines.append(f"An accepted way to write it: {self.hint}")
        return "\n".join(lines)


_EXCEPTION_ATTRIBUTES = frozenset({"__traceback__", "__cause__", "__context__", "__suppress_context__", "__notes__"})
_frozen_setattr = Unreadable.__setattr__


def _unreadable_setattr(self: Unreadable, name: str, value: object) -> None:
    # Python itself sets these on any exception it re-raises (contextlib, pytest, `raise
    # ... from`): a frozen dataclass would turn that into FrozenInstanceError.
    if name in _EXCEPTION_ATTRIBUTES:
        object.__setattr__(self, name, value)
    else:
        _frozen_setattr(self, name, value)


Unreadable.__setattr__ = _unreadable_setattr  # type: ignore[method-assign,assignment]


@dataclass(frozen=True)
class Reading:
    """An expression as read, with what a student should know about how it was read."""

    value: sympy.Expr
    """The expression. For ``±x`` see :attr:`alternatives`."""
    alternatives: tuple[sympy.Expr, ...] = ()
    """Non-empty when the answer gives several values at once (``±√d`` reads as
    ``(sqrt(d), -sqrt(d))``); ``value`` is then the first of them."""
    notes: tuple[str, ...] = ()
    """How ambiguous text was understood, e.g. "read 'u v' as the inner product uᵀv",
    "read the right-hand side of '='"."""
    approximate: bool = False
    """The answer says it is approximate: its value follows ``≈`` (``x ≈ 0.12``, ``≈ 0.12``)."""
    written: tuple[str, ...] = field(default=(), compare=False)
    """The declared names as the answer writes them, terms apart (:func:`~autograder.mathread.order.written_names`):
    display only, so the typeset reading keeps the student's order of terms and factors."""


@dataclass(frozen=True)
class ListReading:
    """A list (vector components, or the axes of a tensor shape) as read."""

    items: tuple[sympy.Expr, ...]
    """The items in order; a single value given where a list was expected is a one-item list."""
    notes: tuple[str, ...] = ()
    """How ambiguous text was understood, e.g. "read the right-hand side of '='"."""
    written: tuple[str, ...] = field(default=(), compare=False)
    """The declared names as the answer writes them, terms apart (:func:`~autograder.mathread.order.written_names`):
    display only, so the typeset reading keeps the student's order of terms and factors."""


@dataclass(frozen=True)
class MatrixReading:
    """A matrix as read: its rows, all of the same length."""

    rows: tuple[tuple[sympy.Expr, ...], ...]
    """The entries row by row; a flat list is one row."""
    notes: tuple[str, ...] = ()
    """How ambiguous text was understood."""
    written: tuple[str, ...] = field(default=(), compare=False)
    """The declared names as the answer writes them, terms apart (:func:`~autograder.mathread.order.written_names`):
    display only, so the typeset reading keeps the student's order of terms and factors."""

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return len(self.rows), len(self.rows[0]) if self.rows else 0


@dataclass(frozen=True)
class BigOReading:
    """A complexity answer as read: the bound(s) and the assumptions stated with them."""

    bounds: tuple[sympy.Expr, ...]
    """The argument of each ``O(…)`` found, in order (``O(a) = O(b)`` gives both)."""
    assumptions: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    """Stated approximations such as "assuming M ≈ D", as ``(M, D)`` pairs."""
    notes: tuple[str, ...] = ()
    """How the text was understood, e.g. "read Θ as O"."""
    written: tuple[str, ...] = field(default=(), compare=False)
    """The declared names as the answer writes them, terms apart (:func:`~autograder.mathread.order.written_names`):
    display only, so the typeset reading keeps the student's order of terms and factors."""
