"""Readings → presentation MathML, in the student's own order of terms and factors.

Built with sympy's presentation MathML printer from the *reading* (never from student
markup): identifiers and text are XML-escaped by the printer's DOM, and the render layer
checks every element against an allow-list before a page shows it
(:mod:`autograder.render.mathml`). Grading never sees any of this: the printer only
re-orders how an evaluated expression is *shown*, by the order in which the answer first
wrote its names (:attr:`~autograder.mathread.Reading.written`), so ``N^2 D`` is shown
``N²D`` and ``q^T k`` is shown ``qᵀk`` although sympy keeps ``D*N**2`` and ``(k·q)``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from html import escape
from typing import Any, TypeVar

import sympy
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE

from autograder.mathread.order import BOUNDARY

#: The names :func:`~autograder.mathread.dot_symbol` gives inner products and squared norms.
_DOT = re.compile(r"^\((?P<first>[^·()]+)·(?P<second>[^·()]+)\)$")
_NORM = re.compile(r"^‖(?P<name>[^‖]+)‖²$")
R = TypeVar("R")
_LAST = 10**6
"""The rank of a name the answer never wrote (a summation placeholder): after the others."""


class OrderedPrinter(MathMLPresentationPrinter):  # type: ignore[misc]
    """sympy's presentation printer, with terms and factors in the order they were written.

    ``written`` is :func:`~autograder.mathread.order.written_names` of the answer: every name
    as written, terms separated. A term (or a product) is placed where the stretch of text
    that writes all its names is: preferably inside one written term, else the shortest
    stretch (:meth:`window`); a product's factors follow the order of their names in that
    stretch, numbers first. Ties keep sympy's order, so the result is deterministic; without
    ``written`` an expression prints as sympy prints it.
    """

    def __init__(self, written: Sequence[str]) -> None:
        super().__init__({"order": "old"})
        self.written = tuple(written)
        self._windows: dict[frozenset[str], tuple[int, int]] = {}
        # sympy's printer writes text nodes unescaped (it patches minidom so that its own
        # entities pass): escape every text here, keeping only well-formed entity references
        create = self.dom.createTextNode
        self.dom.createTextNode = lambda data: create(_escaped(str(data)))

    # --- ordering ---------------------------------------------------------

    def window(self, names: frozenset[str]) -> tuple[int, int]:
        """The stretch ``(first, last)`` of :attr:`written` where ``names`` were written
        together: the first written term holding them all, else the shortest stretch."""
        known = frozenset(name for name in names if name in self.written)
        if not known:
            return (_LAST, _LAST)
        if known not in self._windows:
            self._windows[known] = _window(self.written, known)
        return self._windows[known]

    def names_of(self, expr: Any) -> frozenset[str]:
        return frozenset(name for symbol in getattr(expr, "free_symbols", ()) for name in _names(symbol))

    def rank(self, expr: Any) -> tuple[int, int]:
        return self.window(self.names_of(expr))

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:
        terms = list(expr.args) if expr.is_Add else list(expr.as_ordered_terms())  # args: no costly sort
        numbers = [term for term in terms if term.is_number]
        others = sorted((term for term in terms if not term.is_number), key=self.rank)
        return [*others, *numbers]

    def _factor_order(self, factors: Sequence[Any], whole: frozenset[str]) -> list[Any]:
        """Factors by where their names first stand in the whole product's stretch."""
        first, last = self.window(whole)
        stretch = self.written[first : last + 1] if first != _LAST else ()

        def key(factor: Any) -> tuple[int, int]:
            names = self.names_of(factor)
            inside = [index for index, name in enumerate(stretch) if name in names]
            return (min(inside), 0) if inside else (_LAST, self.rank(factor)[0])

        return sorted(factors, key=key)

    def _print_Mul(self, expr: Any) -> Any:
        mrow = self.dom.createElement("mrow")
        if expr.could_extract_minus_sign():
            mrow.appendChild(self._operator("-"))
            expr = -expr
        numerator, denominator = sympy.fraction(expr)
        if denominator is not sympy.S.One:
            fraction = self.dom.createElement("mfrac")
            fraction.appendChild(self._print(numerator))
            fraction.appendChild(self._print(denominator))
            mrow.appendChild(fraction)
            return mrow
        coefficient, factors = expr.as_coeff_mul()
        ordered = self._factor_order(factors, self.names_of(expr))
        if coefficient != 1:
            mrow.appendChild(self._print(coefficient))
            mrow.appendChild(self._operator(self.mathml_tag(expr)))
        for index, factor in enumerate(ordered):
            if index:
                mrow.appendChild(self._operator(self.mathml_tag(expr)))
            mrow.appendChild(self.parenthesize(factor, PRECEDENCE["Mul"]))
        return mrow

    # --- inner products and norms, in the order written -----------------------

    def _print_Symbol(self, sym: Any, style: str = "plain") -> Any:
        dot = _DOT.match(sym.name)
        if dot:
            pair = frozenset((dot["first"], dot["second"]))
            start, end = self.window(pair)
            stretch = self.written[start : end + 1] if start != _LAST else ()
            written = [name for name in stretch if name in pair]
            first, second = (
                (dot["first"], dot["second"])
                if not written or written[0] == dot["first"]
                else (dot["second"], dot["first"])
            )
            mrow = self.dom.createElement("mrow")
            transposed = self.dom.createElement("msup")
            transposed.appendChild(self._name(first))
            transposed.appendChild(self._identifier("T", normal=True))
            mrow.appendChild(transposed)
            mrow.appendChild(self._name(second))
            return mrow
        norm = _NORM.match(sym.name)
        if norm:
            squared = self.dom.createElement("msup")
            inside = self.dom.createElement("mrow")
            inside.appendChild(self._operator("‖"))
            inside.appendChild(self._name(norm["name"]))
            inside.appendChild(self._operator("‖"))
            squared.appendChild(inside)
            squared.appendChild(self._print(2))
            return squared
        return super()._print_Symbol(sym, style)

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> Any:
        """``(qᵀk)²`` and ``(‖w‖²)²``: a composite symbol under a power keeps its brackets."""
        composite = isinstance(item, sympy.Symbol) and (_DOT.match(item.name) or _NORM.match(item.name))
        if level >= PRECEDENCE["Pow"] and composite:
            mrow = self.dom.createElement("mrow")
            mrow.appendChild(self._l_paren())
            mrow.appendChild(self._print(item))
            mrow.appendChild(self._r_paren())
            return mrow
        return super().parenthesize(item, level, strict)

    # --- small builders ---------------------------------------------------

    def _operator(self, text: str) -> Any:
        element = self.dom.createElement("mo")
        element.appendChild(self.dom.createTextNode(text))
        return element

    def _name(self, name: str) -> Any:
        """A vector's name as sympy typesets a symbol of that name (``mu`` → μ, ``q_1`` → q₁)."""
        return self._print(sympy.Symbol(name))

    def _identifier(self, text: str, *, normal: bool = False) -> Any:
        element = self.dom.createElement("mi")
        if normal:
            element.setAttribute("mathvariant", "normal")
        element.appendChild(self.dom.createTextNode(text))
        return element


_NOT_AN_ENTITY = re.compile(r"&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")


def _escaped(data: str) -> str:
    """``<``, ``>`` and a bare ``&`` escaped; sympy's ``&InvisibleTimes;`` / ``&#xB7;`` kept."""
    return _NOT_AN_ENTITY.sub("&amp;", data).replace("<", "&lt;").replace(">", "&gt;")


def quiet(typeset: Callable[[R], str]) -> Callable[[R], str]:
    """A ``typeset`` hook that never costs a grade: it runs while an answer is read, so any
    failure (a sympy surprise, a recursion limit) shows the plain reading instead."""

    @functools.wraps(typeset)
    def hook(reading: R) -> str:
        try:
            return typeset(reading)
        except Exception:  # display only: the page falls back to the plain text
            return ""

    return hook


def _names(symbol: Any) -> tuple[str, ...]:
    """The written names a symbol stands for: both vectors of an inner product."""
    name = str(getattr(symbol, "name", ""))
    dot = _DOT.match(name)
    if dot:
        return (dot["first"], dot["second"])
    norm = _NORM.match(name)
    return (norm["name"],) if norm else (name,)


def _window(written: tuple[str, ...], names: frozenset[str]) -> tuple[int, int]:
    """See :meth:`OrderedPrinter.window`; ``names`` all occur in ``written``."""
    start = 0
    for end in [*(index for index, name in enumerate(written) if name == BOUNDARY), len(written)]:
        if names <= set(written[start:end]):
            return _shortest(written, names, start, end)
        start = end + 1
    return _shortest(written, names, 0, len(written))


def _shortest(written: tuple[str, ...], names: frozenset[str], start: int, end: int) -> tuple[int, int]:
    """The shortest stretch of ``written[start:end]`` holding every name (the earliest of equals)."""
    best = (start, end - 1)
    last_seen: dict[str, int] = {}
    for index in range(start, end):
        if written[index] in names:
            last_seen[written[index]] = index
            if len(last_seen) == len(names):
                first = min(last_seen.values())
                if index - first < best[1] - best[0]:
                    best = (first, index)
    return best


def expression(expr: Any, written: Sequence[str] = ()) -> str:
    """One sympy expression as a MathML fragment (an ``<mrow>``, no ``<math>``)."""
    return _expression(expr, tuple(written))


@lru_cache(maxsize=4096)
def _expression(expr: Any, written: tuple[str, ...]) -> str:
    """Cached: a class gives the same few answers, in the same few orders, hundreds of times."""
    printer = OrderedPrinter(written)
    # sympy writes two HTML-only entities; a page must not depend on entity tables (nor XML
    # parsers on them), and e is the letter a student typed
    printed = str(printer.doprint(expr))
    return printed.replace("&InvisibleTimes;", "&#8290;").replace("&ExponentialE;", "e")


def text(words: str) -> str:
    """Words between formulas (``or``, ``assuming``), escaped."""
    return f"<mtext>{escape(words)}</mtext>"


def operator(symbol: str) -> str:
    return f"<mo>{escape(symbol)}</mo>"


def number(shown: str) -> str:
    """A number as shown in plain text (``0.1216``, ``9.54e-07``, ``1/3``)."""
    if "/" in shown:
        top, bottom = shown.split("/", 1)
        return f"<mfrac><mn>{escape(top)}</mn><mn>{escape(bottom)}</mn></mfrac>"
    if shown.startswith("-"):
        return f"<mrow><mo>-</mo><mn>{escape(shown[1:])}</mn></mrow>"
    return f"<mn>{escape(shown)}</mn>"


def row(*pieces: str) -> str:
    return "<mrow>" + "".join(pieces) + "</mrow>"


def bracketed(items: Iterable[str], opener: str = "[", closer: str = "]") -> str:
    """``[a, b, c]``: a list of fragments."""
    inner = operator(",").join(items)
    return row(operator(opener), inner, operator(closer))


def called(name: str, argument: str) -> str:
    """``O(…)``: a name applied to a fragment."""
    return row(f"<mi>{escape(name)}</mi>", operator("("), argument, operator(")"))


def table(rows: Iterable[Iterable[str]]) -> str:
    """A matrix in brackets."""
    body = "".join("<mtr>" + "".join(f"<mtd>{cell}</mtd>" for cell in cells) + "</mtr>" for cells in rows)
    return row(operator("["), f"<mtable>{body}</mtable>", operator("]"))


def math(fragment: str) -> str:
    """The ``<math>`` element a page shows inline."""
    return f'<math display="inline">{fragment}</math>'
