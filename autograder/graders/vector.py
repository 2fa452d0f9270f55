"""``vector``: a list of numbers, right when it has the reference's length and
every component is within tolerance. Feedback says which components differ.

Params: ``abs_tol``, ``rel_tol``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sympy

from autograder.graders._math import show, typeset_items
from autograder.graders.base import GraderKind
from autograder.mathread import ListReading, Unreadable, read_list, read_matrix
from autograder.mathread.typeset import quiet
from autograder.problem import Part
from autograder.result import Outcome

CORRECT = "Correct."
WRONG_LENGTH = "Expected a vector of {expected} numbers; yours has {got} ({shown})."
WRONG_COMPONENTS = "The vector has the right length, but {which} {verb} not right."
NOT_A_NUMBER = "component {index} ({text}) is not a number"


@dataclass(frozen=True)
class Params:
    abs_tol: float = 1e-6
    """Largest accepted difference of each component from the reference's."""
    rel_tol: float = 1e-9
    """Largest accepted difference relative to the reference component (added to ``abs_tol``)."""
    named: dict[str, str] = field(default_factory=dict)
    """Vectors the question names (``v2: [2, 7, 5]``): an answer that only names one
    (``v2``, ``v_2``, ``$\\mathbf{v}_2$``) reads as its value."""


_DECORATION = re.compile(r"\\(mathbf|vec|boldsymbol|mathrm|bm)\b|[\s${}_\\]")


def read(text: str, part: Part) -> ListReading:
    params: Params = part.params
    name = _DECORATION.sub("", text).rstrip(".")
    if name in params.named:
        named = read_list(params.named[name], part.vocabulary)
        return ListReading(named.items, (f"read {name} as {params.named[name]}",))
    _not_a_matrix(text, part)
    reading = read_list(text, part.vocabulary)
    for index, item in enumerate(reading.items, start=1):
        if not item.is_number or not item.is_real:
            raise Unreadable(
                f"Expected numbers only, but {NOT_A_NUMBER.format(index=index, text=show(item))}.",
                text,
                hint="[1, 2, 3]",
            )
    return reading


def _not_a_matrix(text: str, part: Part) -> None:
    """``[[2, 7], [1, 8]]`` or a 2×2 ``bmatrix`` is a matrix: never silently flattened to a vector.

    A single row or column (``\\begin{bmatrix} 1 \\\\ 4 \\end{bmatrix}``) is a vector."""
    try:
        shape = read_matrix(text, part.vocabulary).shape
    except Unreadable:
        return
    if min(shape) > 1:
        raise Unreadable(f"Expected a vector, but this is a {shape[0]}×{shape[1]} matrix.", text, hint="[1, 2, 3]")


def differing(answer: ListReading, reference: ListReading, params: Params) -> list[int]:
    """1-based positions of the components that are not within tolerance."""
    wrong = []
    for index, (mine, expected) in enumerate(zip(answer.items, reference.items, strict=True), start=1):
        a, b = float(sympy.N(mine)), float(sympy.N(expected))
        if abs(a - b) > params.abs_tol + params.rel_tol * abs(b):
            wrong.append(index)
    return wrong


def matches(answer: ListReading, other: ListReading, part: Part) -> bool:
    return len(answer.items) == len(other.items) and not differing(answer, other, part.params)


def grade(answer: ListReading, reference: ListReading, part: Part) -> Outcome:
    if len(answer.items) != len(reference.items):
        message = WRONG_LENGTH.format(expected=len(reference.items), got=len(answer.items), shown=show_reading(answer))
        return Outcome("incorrect", 0.0, message, "vector:wrong_length")
    wrong = differing(answer, reference, part.params)
    if not wrong:
        return Outcome("correct", 1.0, CORRECT, "vector:equal")
    which = ("component " if len(wrong) == 1 else "components ") + ", ".join(map(str, wrong))
    verb = "is" if len(wrong) == 1 else "are"
    return Outcome("incorrect", 0.0, WRONG_COMPONENTS.format(which=which, verb=verb), "vector:different")


def show_reading(reading: ListReading) -> str:
    return "[" + ", ".join(show(item) for item in reading.items) + "]"


def typeset_reading(reading: ListReading) -> str:
    return typeset_items(reading.items, reading.written)


KIND = GraderKind(
    name="vector",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show_reading,
    typeset=quiet(typeset_reading),
    example="[1, 2, 3]",
)
