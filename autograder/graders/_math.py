"""Small helpers shared by the math-based grader kinds (no grading logic)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from autograder.mathread import Vocabulary, read_expression
from autograder.mathread import typeset as layout


def show(expr: sympy.Expr) -> str:
    """Plain notation a student can read back: ``n*x^2``, ``sqrt(n)``."""
    return str(sympy.sstr(expr)).replace("**", "^")


def typeset(expr: sympy.Expr, written: Sequence[str] = ()) -> str:
    """One expression as a MathML ``<math>`` element, terms and factors in the order written."""
    return layout.math(layout.expression(expr, written))


def typeset_items(items: Sequence[sympy.Expr], written: Sequence[str] = ()) -> str:
    """``[a, b, c]`` (vector components, tensor axes, feature-map components) as MathML."""
    return layout.math(layout.bracketed(layout.expression(item, written) for item in items))


def read_substitutions(raw: Mapping[str, str], vocabulary: Vocabulary) -> dict[sympy.Symbol, sympy.Expr]:
    """``{k: "d/h"}`` from a spec → ``{Symbol('k'): d/h}``; unknown names are a ValueError."""
    result: dict[sympy.Symbol, sympy.Expr] = {}
    for name, text in raw.items():
        if name not in vocabulary.symbols:
            raise ValueError(f"substitute: '{name}' is not a declared symbol")
        result[vocabulary.symbols[name]] = read_expression(str(text), vocabulary).value
    return result


def substitute(expr: sympy.Expr, substitutions: Mapping[sympy.Symbol, sympy.Expr]) -> sympy.Expr:
    return expr.subs(substitutions) if substitutions else expr


def symbol_names(expr: sympy.Expr) -> set[str]:
    return {symbol.name for symbol in expr.free_symbols}


def describe_names(names: set[str]) -> str:
    return ", ".join(sorted(names))
