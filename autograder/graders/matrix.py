"""``matrix``: a matrix, right when it has the reference's shape and every entry is
the reference's entry (numbers within tolerance, expressions by meaning).

Accepted spellings are those of :func:`autograder.mathread.read_matrix`: nested lists
``[[2, 7], [1, 8]]``, ``[2 7; 1 8]``, LaTeX ``bmatrix``/``pmatrix``/``array``; entries may
be expressions (``1/2``, ``\\sqrt{2}``, or in the declared names). A shape mismatch says
both shapes ("your matrix is 2×3, the answer is 2×2"); wrong entries are named by
position, never by value. An entry that cannot be compared goes to an instructor.

Params: ``abs_tol``, ``rel_tol``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sympy

from autograder.equivalence import compare
from autograder.graders._math import show
from autograder.graders.base import GraderKind
from autograder.mathread import MatrixReading, read_matrix
from autograder.mathread import typeset as layout
from autograder.mathread.typeset import quiet
from autograder.problem import Part, ProblemSet
from autograder.result import Outcome

CORRECT = "Correct."
WRONG_SHAPE = "Your matrix is {got}, the answer is {expected}."
WRONG_ENTRIES = "The matrix has the right shape, but {which} {verb} not right."
UNDECIDED = "The autograder could not decide whether entry {where} is right."
#: Format examples, tried in order; the first that is no known answer of the part is shown.
EXAMPLES = (
    "[[1, 2], [3, 4]] or \\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}",
    "[[2, 0], [1, 5]] or \\begin{bmatrix} 2 & 0 \\\\ 1 & 5 \\end{bmatrix}",
    "[[7, 1], [0, 9]] or \\begin{bmatrix} 7 & 1 \\\\ 0 & 9 \\end{bmatrix}",
)


@dataclass(frozen=True)
class Params:
    abs_tol: float = 1e-6
    """Largest accepted absolute difference of a numeric entry."""
    rel_tol: float = 1e-9
    """Largest accepted difference of a numeric entry relative to the reference's (added to ``abs_tol``)."""
    reference: MatrixReading | None = field(default=None, metadata={"internal": True})
    """The part's reference reading (filled at bind), so the format example is never the answer."""


def read(text: str, part: Part) -> MatrixReading:
    return read_matrix(text, part.vocabulary)


def size(shape: tuple[int, int]) -> str:
    return f"{shape[0]}×{shape[1]}"


def same_entry(mine: sympy.Expr, expected: sympy.Expr, params: Params) -> bool | None:
    """Numbers within tolerance; anything with a name by meaning (None: undecided)."""
    if mine.is_number and expected.is_number:
        a, b = complex(sympy.N(mine)), complex(sympy.N(expected))
        return abs(a - b) <= params.abs_tol + params.rel_tol * abs(b)
    return compare(mine, expected).equal


def entries(answer: MatrixReading, reference: MatrixReading, params: Params) -> list[tuple[int, int, bool | None]]:
    """(row, column, same?) for every entry, 1-based; the shapes must be equal."""
    return [
        (row, column, same_entry(mine, expected, params))
        for row, (mine_row, expected_row) in enumerate(zip(answer.rows, reference.rows, strict=True), start=1)
        for column, (mine, expected) in enumerate(zip(mine_row, expected_row, strict=True), start=1)
    ]


def matches(answer: MatrixReading, other: MatrixReading, part: Part) -> bool:
    if answer.shape != other.shape:
        return False
    return all(same is True for _, _, same in entries(answer, other, part.params))


def grade(answer: MatrixReading, reference: MatrixReading, part: Part) -> Outcome:
    if answer.shape != reference.shape:
        message = WRONG_SHAPE.format(got=size(answer.shape), expected=size(reference.shape))
        return Outcome("incorrect", 0.0, message, "matrix:wrong_shape")
    compared = entries(answer, reference, part.params)
    wrong = [f"({row}, {column})" for row, column, same in compared if same is False]
    if wrong:
        which = ("entry " if len(wrong) == 1 else "entries ") + ", ".join(wrong)
        verb = "is" if len(wrong) == 1 else "are"
        return Outcome("incorrect", 0.0, WRONG_ENTRIES.format(which=which, verb=verb), "matrix:different")
    undecided = [(row, column) for row, column, same in compared if same is None]
    if undecided:
        return Outcome("needs_review", 0.0, UNDECIDED.format(where=undecided[0]), "matrix:undecided")
    return Outcome("correct", 1.0, CORRECT, "matrix:equal")


def show_reading(reading: MatrixReading) -> str:
    return "[" + ", ".join("[" + ", ".join(show(entry) for entry in row) + "]" for row in reading.rows) + "]"


def typeset_reading(reading: MatrixReading) -> str:
    rows = ([layout.expression(entry, reading.written) for entry in row] for row in reading.rows)
    return layout.math(layout.table(rows))


def bind(part: Part, problems: ProblemSet, readings: Mapping[str, Any]) -> Params:
    """Keep the reference reading, for :func:`example_for`."""
    reference = readings.get(part.id)
    params: Params = part.params
    return replace(params, reference=reference if isinstance(reference, MatrixReading) else None)


def example_for(part: Part) -> str:
    """The first of :data:`EXAMPLES` that is, by meaning, neither the reference nor a rule's answer."""
    params: Params = part.params
    known = [params.reference, *(reading for rule in part.rules for reading in rule.readings)]
    known_matrices = [reading for reading in known if isinstance(reading, MatrixReading)]
    for example in EXAMPLES:
        candidate = read_matrix(example.split(" or ")[0], part.vocabulary)
        if not any(matches(candidate, reading, part) for reading in known_matrices):
            return example
    return "[[a, b], [c, d]] (one row per bracket) or \\begin{bmatrix} a & b \\\\ c & d \\end{bmatrix}"


KIND = GraderKind(
    name="matrix",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show_reading,
    typeset=quiet(typeset_reading),
    example=EXAMPLES[0],
    example_for=example_for,
    bind=bind,
)
