"""Are two sympy expressions the same quantity? Cheapest test first.

1. structure: identical trees (``sqrt(d)`` read from ``√d`` and ``d^(1/2)``);
2. numbers: both evaluated at seeded random points that respect each symbol's
   assumptions; one clear difference proves them different;
3. symbols: ``simplify(a - b) == 0`` confirms an equality the numbers
   suggest. When sympy cannot confirm, agreement at every point (30 digits,
   several points) is still reported as equal, with the method saying so.
   An expansion estimated to be huge is not attempted (``too_large``): the
   reader bounds exponents, but ``(N + D + M + C + x1 + x2 + x3)^64`` is
   still 10⁸ terms, and sympy would spend minutes and gigabytes on it.

Time is bounded by the caller (each submission is graded in a child process
with a deadline and a memory limit); the reader already bounds expression
size and exponents.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

import mpmath
import sympy

Method = Literal["structure", "symbolic", "numeric", "too_large", "none"]
DIGITS = 30
TOLERANCE = mpmath.mpf("1e-12")
MAX_EXPANSION_TERMS = 2000
"""Most terms an exact comparison may expand to (estimated by :func:`expansion_size` first).
Measured: (a + b + … + g)^8, 3003 terms, takes sympy 1 s to expand; ^10, 8008 terms, 4 s."""


@dataclass(frozen=True)
class Comparison:
    equal: bool | None
    """True, False, or None when it cannot be decided."""
    method: Method


def compare(a: sympy.Expr, b: sympy.Expr, *, samples: int = 6, seed: int = 20261124) -> Comparison:
    """Compare two expressions; see the module docstring for the order of tests."""
    if a == b:
        return Comparison(True, "structure")
    numeric = _numeric(a, b, samples, seed)
    if numeric is False:
        return Comparison(False, "numeric")
    if not expandable(a, b):
        return Comparison(None, "too_large")
    if _symbolic_zero(a - b):
        return Comparison(True, "symbolic")
    if numeric is True:
        return Comparison(True, "numeric")
    return Comparison(None, "none")


def expandable(*exprs: sympy.Expr) -> bool:
    """Small enough for ``sympy.expand`` to finish quickly (see :data:`MAX_EXPANSION_TERMS`)?"""
    return sum(expansion_size(expr) for expr in exprs) <= MAX_EXPANSION_TERMS


def expansion_size(expr: sympy.Expr, cap: int = 10 * MAX_EXPANSION_TERMS) -> int:
    """At most how many terms ``sympy.expand(expr)`` gives, read off the tree without expanding
    (capped at ``cap``): a sum adds its terms' counts, a product multiplies them, and a sum of
    n terms to the power e has C(n + e - 1, e) monomials ((a + b + c)^64: 2145)."""
    if expr.is_Atom:
        return 1
    if isinstance(expr, sympy.Add):
        return min(cap, sum(expansion_size(arg, cap) for arg in expr.args))
    if isinstance(expr, sympy.Pow):
        base = expansion_size(expr.base, cap)
        exponent = expansion_size(expr.exp, cap)  # 2^(a + b) = 2^a·2^b
        power = 1
        if expr.exp.is_Rational:  # (a + b)^(5/2) expands as (a + b)^2·sqrt(a + b); 1/(a + b)^2 too
            power = max(1, abs(int(expr.exp.p)) // int(expr.exp.q))
        if base > 1 and power > 1:
            base = cap if power > cap else math.comb(power + base - 1, base - 1)
        return min(cap, base * exponent)
    size = 1
    for arg in expr.args:
        size = min(cap, size * expansion_size(arg, cap))
    return size


def sample_value(symbol: sympy.Symbol, rng: random.Random) -> sympy.Expr:
    """A random value the symbol's assumptions allow, away from special points (0, 1)."""
    if symbol.is_integer:
        low = 2 if symbol.is_positive or symbol.is_nonnegative else -9
        return sympy.Integer(rng.randint(low, 9))
    if symbol.is_positive or symbol.is_nonnegative:
        return sympy.Float(rng.uniform(0.3, 3.7), DIGITS)
    return sympy.Float(rng.uniform(-3.0, 3.0), DIGITS)


STEPS = (sympy.floor, sympy.ceiling, sympy.Mod, sympy.frac)
"""Functions constant between jumps: two expressions with them may agree at small random
integers and differ exactly where a jump falls (``64·floor(V/64) + 64`` and ``64·ceil(V/64)``
differ only at multiples of 64)."""
MAX_JUMP_BASES = 16
"""Most whole numbers of an expression whose multiples :func:`_jump_values` tries."""
STEPPED_SAMPLES = 4
"""How many times more points a comparison with :data:`STEPS` checks."""


def _numeric(a: sympy.Expr, b: sympy.Expr, samples: int, seed: int) -> bool | None:
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    rng = random.Random(seed)
    stepped = a.has(*STEPS) or b.has(*STEPS)
    jumps = _jump_values(a, b) if stepped else []
    if stepped:
        samples *= STEPPED_SAMPLES
    agreed = 0
    for index in range(samples * 2):
        point = {
            symbol: _stepped_value(symbol, rng, jumps, index) if stepped else sample_value(symbol, rng)
            for symbol in symbols
        }
        left = _evaluate(a, point)
        right = _evaluate(b, point)
        if left is None or right is None:
            continue
        scale = max(abs(left), abs(right), 1)
        if abs(left - right) > TOLERANCE * scale:
            return False
        agreed += 1
        if agreed >= samples:
            return True
    return None


def _jump_values(a: sympy.Expr, b: sympy.Expr) -> list[int]:
    """Where floor/ceil/mod of the expressions can jump: multiples of the whole numbers they
    contain (64 in ``V/64``), and one either side of each."""
    bases = sorted(
        {abs(int(n)) for r in (a.atoms(sympy.Rational) | b.atoms(sympy.Rational)) for n in (r.p, r.q) if abs(n) >= 2}
    )[-MAX_JUMP_BASES:]  # the largest: a jump of a big one (64) is the rarest at random
    values = {multiple * base + shift for base in bases for multiple in (1, 2, 3) for shift in (-1, 0, 1)}
    return sorted(value for value in values if value >= 1)


def _stepped_value(symbol: sympy.Symbol, rng: random.Random, jumps: list[int], index: int) -> sympy.Expr:
    """Every other point, an integer symbol takes a value where a jump may fall; else as usual,
    or from a wider range (real symbols too), so the steps themselves are crossed."""
    if symbol.is_integer and jumps and index % 2 == 0:
        return sympy.Integer(rng.choice(jumps))
    if index % 4 == 1:
        wide = max(jumps, default=9) * 2
        if symbol.is_integer:
            low = 2 if symbol.is_positive or symbol.is_nonnegative else -wide
            return sympy.Integer(rng.randint(low, wide))
        low_real = 0.3 if symbol.is_positive or symbol.is_nonnegative else -float(wide)
        return sympy.Float(rng.uniform(low_real, float(wide)), DIGITS)
    return sample_value(symbol, rng)


def _evaluate(expr: sympy.Expr, point: dict[sympy.Symbol, sympy.Expr]) -> mpmath.mpc | None:
    """The value at ``point`` as an mpmath complex: its exponent range is unbounded, so
    ``exp(10^40)`` stays a (huge) number instead of a Python ``inf`` that compares equal to
    everything (``inf - x > tolerance * inf`` is False)."""
    try:
        value = expr.evalf(DIGITS, subs=point)
        if not value.is_number or value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
            return None
        real, imaginary = value.as_real_imag()
        number = mpmath.mpc(mpmath.mpf(real), mpmath.mpf(imaginary))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        return None
    return number if mpmath.isfinite(number) else None


def _symbolic_zero(difference: sympy.Expr) -> bool:
    try:
        if sympy.expand(difference) == 0:
            return True
        return bool(sympy.simplify(difference) == 0)
    except (TypeError, ValueError, ZeroDivisionError, RecursionError, AttributeError, NotImplementedError):
        return False
