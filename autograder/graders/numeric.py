"""``numeric``: one number (it may be written as an expression, ``1/2`` or
``\\sqrt{2}``, or in scientific notation, ``1.2e-1``), right within tolerance.

An approximate answer (``≈ 0.1216``, ``x ≈ 0.12``) is graded like any other number: the
tolerance already says how close is close enough. Params: ``abs_tol``, ``rel_tol``, ``unit``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from autograder.graders._math import show
from autograder.graders.base import GraderKind
from autograder.mathread import Reading, Unreadable, read_expression
from autograder.mathread import typeset as layout
from autograder.mathread.typeset import quiet
from autograder.problem import Part
from autograder.result import Outcome

CORRECT = "Correct."
NOT_CLOSE = "Not the expected value (yours is {value})."


@dataclass(frozen=True)
class Params:
    abs_tol: float = 0.0
    """Largest accepted absolute difference from the reference value. 0 by default: an
    absolute tolerance larger than a small reference (``9.5e-7``) would accept any small
    answer, so ``validate`` reports one that is at least the reference's size."""
    rel_tol: float = 1e-6
    """Largest accepted difference relative to the reference value (added to ``abs_tol``)."""
    unit: tuple[str, ...] = ()
    """Words that may follow the number (``[pixels, px]``: "10 pixels", "10px"); any other
    word after the number is unreadable, with a message naming it."""


def read(text: str, part: Part) -> Reading:
    params: Params = part.params
    reading = read_expression(text, part.vocabulary, units=params.unit)
    if not reading.value.is_number or not reading.value.is_real:
        raise Unreadable(f"Expected a number, but '{show(reading.value)}' is not one.", text, hint=example_for(part))
    return reading


def close(a: Reading, b: Reading, params: Params) -> bool:
    x, y = float(sympy.N(a.value)), float(sympy.N(b.value))
    return abs(x - y) <= params.abs_tol + params.rel_tol * abs(y)


def matches(answer: Reading, other: Reading, part: Part) -> bool:
    return close(answer, other, part.params)


def grade(answer: Reading, reference: Reading, part: Part) -> Outcome:
    if close(answer, reference, part.params):
        return Outcome("correct", 1.0, CORRECT, "numeric:equal")
    return Outcome("incorrect", 0.0, NOT_CLOSE.format(value=show_reading(answer)), "numeric:different")


MAX_SHOWN_DENOMINATOR = 1000
"""A fraction is shown as one (``1/3``) when its denominator is at most this and it is no
terminating decimal; ``0.25``, ``1.216e-1`` and ``1/4`` are shown as decimals."""


def show_reading(reading: Reading) -> str:
    """``1/3``, ``0.1216``, ``9.54e-07``; ``≈ 0.12`` when the answer said it is approximate."""
    value = reading.value
    if value.is_Rational and (value.q == 1 or (value.q <= MAX_SHOWN_DENOMINATOR and not _terminates(value.q))):
        shown = show(value)  # 3, 1/3
    else:
        shown = f"{float(sympy.N(value)):.6g}"  # 0.25, 0.1216, 9.54e-07, 1.41421
    return f"≈ {shown}" if reading.approximate else shown


def typeset_reading(reading: Reading) -> str:
    """The number as :func:`show_reading` writes it, typeset: ``1/3`` as a fraction,
    ``9.54e-07`` as ``9.54·10⁻⁷``, ``≈`` kept."""
    shown = show_reading(reading).removeprefix("≈ ")
    mantissa, _, exponent = shown.partition("e")
    body = layout.number(mantissa)
    if exponent:
        power = f"<msup><mn>10</mn>{layout.number(str(int(exponent)))}</msup>"
        body = layout.row(body, layout.operator("·"), power)
    return layout.math(layout.row(layout.operator("≈"), body) if reading.approximate else body)


def check_reference(part: Part, reference: Reading) -> str | None:
    """For ``validate``: an absolute tolerance at least the size of a non-zero reference would
    give full credit to 0 and to every other small answer."""
    params: Params = part.params
    value = abs(float(sympy.N(reference.value)))
    if value and params.abs_tol >= value:
        return (
            f"abs_tol {params.abs_tol:g} is at least the reference's size ({value:.3g}), so 0 and any answer "
            "that small would earn full credit; lower abs_tol or rely on rel_tol"
        )
    return None


def _terminates(denominator: int) -> bool:
    """Is p/denominator a terminating decimal (only 2s and 5s divide the denominator)?"""
    for factor in (2, 5):
        while denominator % factor == 0:
            denominator //= factor
    return denominator == 1


def example_for(part: Part) -> str:
    """``0.25 or 1/4``, with the part's unit when it declares one (``0.25 pixels``)."""
    params: Params = part.params
    if params.unit:
        return f"0.25 {params.unit[0]}, or 1/4"
    return "0.25 or 1/4"


KIND = GraderKind(
    name="numeric",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show_reading,
    typeset=quiet(typeset_reading),
    example="0.25 or 1/4",
    example_for=example_for,
    check_reference=check_reference,
)
