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

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from html import escape
from typing import Any

import sympy
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE

#: The names :func:`~autograder.mathread.dot_symbol` gives inner products and squared norms.
_DOT = re.compile(r"^\((?P<first>[^·()]+)·(?P<second>[^·()]+)\)$")
_NORM = re.compile(r"^‖(?P<name>[^‖]+)‖²$")
_LAST = 10**6
"""The rank of a name the answer never wrote (a summation placeholder): after the others."""


class OrderedPrinter(MathMLPresentationPrinter):  # type: ignore[misc]
    """sympy's presentation printer, with terms and factors sorted by where they were written.

    ``ranks`` maps a symbol name to the position of its first appearance in the answer;
    a term or factor ranks by its names' positions, earliest first. Ties keep sympy's order, so the result is
    deterministic; an expression without ranks prints exactly as sympy prints it.
    """

    def __init__(self, ranks: Mapping[str, int]) -> None:
        super().__init__({"order": "old"})
        self.ranks = dict(ranks)
        # sympy's printer writes text nodes unescaped (it patches minidom so that its own
        # entities pass): escape every text here, keeping only well-formed entity references
        create = self.dom.createTextNode
        self.dom.createTextNode = lambda data: create(_escaped(str(data)))

    # --- ordering ---------------------------------------------------------

    def rank(self, expr: Any) -> tuple[int, ...]:
        """Where a term's names were written, earliest first: ``d μ²`` before ``d σ²`` when μ
        came first; a number has no names (first among factors)."""
        return tuple(sorted(self._symbol_rank(symbol) for symbol in getattr(expr, "free_symbols", ())))

    def _symbol_rank(self, symbol: Any) -> int:
        name = str(getattr(symbol, "name", ""))
        dot = _DOT.match(name)
        if dot:
            return min(self.ranks.get(dot["first"], _LAST), self.ranks.get(dot["second"], _LAST))
        norm = _NORM.match(name)
        return self.ranks.get(norm["name"] if norm else name, _LAST)

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:
        terms = list(expr.args) if expr.is_Add else list(expr.as_ordered_terms())  # args: no costly sort
        numbers = [term for term in terms if term.is_number]
        others = sorted((term for term in terms if not term.is_number), key=self.rank)
        return [*others, *numbers]

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
        ordered = sorted(factors, key=self.rank)
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
            first, second = sorted((dot["first"], dot["second"]), key=lambda name: self.ranks.get(name, _LAST))
            mrow = self.dom.createElement("mrow")
            transposed = self.dom.createElement("msup")
            transposed.appendChild(self._identifier(first))
            transposed.appendChild(self._identifier("T", normal=True))
            mrow.appendChild(transposed)
            mrow.appendChild(self._identifier(second))
            return mrow
        norm = _NORM.match(sym.name)
        if norm:
            squared = self.dom.createElement("msup")
            inside = self.dom.createElement("mrow")
            inside.appendChild(self._operator("‖"))
            inside.appendChild(self._identifier(norm["name"]))
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


def ranks(written: Sequence[str]) -> dict[str, int]:
    return {name: index for index, name in enumerate(written)}


def expression(expr: Any, written: Sequence[str] = ()) -> str:
    """One sympy expression as a MathML fragment (an ``<mrow>``, no ``<math>``)."""
    return _expression(expr, tuple(written))


@lru_cache(maxsize=4096)
def _expression(expr: Any, written: tuple[str, ...]) -> str:
    """Cached: a class gives the same few answers, in the same few orders, hundreds of times."""
    printer = OrderedPrinter(ranks(written))
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
