"""compare(): structure, then random numbers, then sympy; undecidable is said, not guessed."""

from __future__ import annotations

import random

import pytest
import sympy

from autograder.equivalence import compare, sample_value

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


# Rounding: integer-declared symbols are sampled as whole numbers, so floor and ceil are
# exercised at the values a size can take (a real sample would rarely hit the difference).
m = sympy.Symbol("m", positive=True, integer=True)
s = sympy.Symbol("s", positive=True, integer=True)
m_real = sympy.Symbol("m", positive=True)
s_real = sympy.Symbol("s", positive=True)

ROUNDING = [
    # (a, b, equal?)
    (sympy.floor(m / s) + 1, sympy.floor((m + s) / s), True),
    (sympy.floor(m / s) + 1, sympy.ceiling((m + 1) / s), True),  # true for integers only
    (sympy.floor(m_real / s_real) + 1, sympy.ceiling((m_real + 1) / s_real), False),
    (sympy.floor(m / s) + 1, m / s + 1, False),
    (sympy.floor(m / s), sympy.ceiling(m / s), False),
    (sympy.floor(m / 2) + sympy.ceiling(m / 2), m, True),
    (-sympy.ceiling(-m / s), sympy.floor(m / s), True),
]


@pytest.mark.parametrize(("a", "b", "equal"), ROUNDING)
def test_rounding_is_compared_at_whole_numbers(a: sympy.Expr, b: sympy.Expr, equal: bool) -> None:
    assert compare(a, b).equal is equal


def test_integer_symbols_are_sampled_as_integers() -> None:
    rng = random.Random(1)
    assert all(sample_value(m, rng).is_Integer for _ in range(50))
    assert not all(sample_value(m_real, rng).is_Integer for _ in range(50))


_V = sympy.Symbol("V", positive=True, integer=True)
_N, _P, _K, _S = (sympy.Symbol(name, positive=True, integer=True) for name in "npks")


# Floor and ceil are constant between jumps: two readings can agree at every small integer and
# differ exactly at a multiple of a constant of the expression, which is where the check looks.
@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        (64 * sympy.floor(_V / 64) + 64, 64 * sympy.ceiling(_V / 64), False),  # V = 64: 128 vs 64
        (64 * sympy.ceiling(_V / 64), -64 * sympy.floor(-_V / 64), True),
        (sympy.floor(_V / 10) + 1, sympy.ceiling((_V + 1) / 10), True),
        (sympy.floor(_V / 10), sympy.floor((_V - 1) / 10), False),  # V = 10
        (sympy.Mod(_V, 32), _V - 32 * sympy.floor(_V / 32), True),
        (sympy.floor((_N + 2 * _P - _K) / _S) + 1, sympy.ceiling((_N + 2 * _P - _K + 1) / _S), True),
        (sympy.floor((_N + 2 * _P - _K) / _S) + 1, (_N + 2 * _P - _K) / _S + 1, False),
    ],
)
def test_stepped_functions_are_checked_where_they_jump(a: sympy.Expr, b: sympy.Expr, equal: bool) -> None:
    assert compare(a, b).equal is equal
