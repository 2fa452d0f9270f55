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
from autograder.result import Outcome
from autograder.spec import Part

CORRECT = "Correct."
NOT_CLOSE = "Not the expected value (yours is {value})."


@dataclass(frozen=True)
class Params:
    abs_tol: float = 1e-6
    """Largest accepted absolute difference from the reference value."""
    rel_tol: float = 1e-6
    """Largest accepted difference relative to the reference value (added to ``abs_tol``)."""
    unit: tuple[str, ...] = ()
    """Words that may follow the number (``[pixels, px]``: "10 pixels", "10px"); any other
    word after the number is unreadable, with a message naming it."""


def read(text: str, part: Part) -> Reading:
    params: Params = part.params
    reading = read_expression(text, part.vocabulary, units=params.unit)
    if not reading.value.is_number or not reading.value.is_real:
        raise Unreadable(f"Expected a number, but '{show(reading.value)}' is not one.", text, hint="0.25 or 1/4")
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


def show_reading(reading: Reading) -> str:
    value = reading.value
    return show(value) if value.is_Rational else f"{float(sympy.N(value)):.6g}"


KIND = GraderKind(
    name="numeric",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show_reading,
    example="0.25 or 1/4",
)
