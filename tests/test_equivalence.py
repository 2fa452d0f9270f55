"""compare(): structure, then random numbers, then sympy; undecidable is said, not guessed."""

from __future__ import annotations

import pytest
import sympy

from autograder.equivalence import compare

d = sympy.Symbol("d", positive=True, integer=True)
mu = sympy.Symbol("mu", real=True)
sigma = sympy.Symbol("sigma", positive=True)
x = sympy.Symbol("x", real=True)

EQUAL = [
    (sympy.sqrt(d), d ** sympy.Rational(1, 2), "structure"),
    (sympy.sqrt(d**2), d, "structure"),
    ((x + 1) ** 2, x**2 + 2 * x + 1, "symbolic"),
    (sympy.sin(x) ** 2 + sympy.cos(x) ** 2, sympy.Integer(1), "symbolic"),
    (sympy.log(d**2), 2 * sympy.log(d), "symbolic"),
]

DIFFERENT = [
    (d * mu**2 + d * sigma**2, d * mu**2),
    (1 / sympy.sqrt(d), sympy.sqrt(d)),
    (d**2, d),
    (sympy.sqrt(x**2), x),  # |x| ≠ x for a real x that may be negative
    # Past a float's range: complex() gives inf, and inf - x > tol * inf is False ("agrees").
    (sympy.exp(sympy.Integer(10) ** 40), sympy.sqrt(d)),
    ((((d**64) ** 64) ** 64) ** 64, sympy.sqrt(d)),
]


@pytest.mark.parametrize(("a", "b", "method"), EQUAL)
def test_equal(a: sympy.Expr, b: sympy.Expr, method: str) -> None:
    result = compare(a, b)
    assert result.equal is True
    assert result.method == method


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different(a: sympy.Expr, b: sympy.Expr) -> None:
    assert compare(a, b).equal is False


def test_undecidable_is_reported_as_none() -> None:
    f = sympy.Function("f")
    result = compare(f(x) + 1, f(x) * 2)
    assert result.equal is None
    assert result.method == "none"
