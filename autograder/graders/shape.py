"""``shape``: a tensor shape such as ``[b, t, c]``, right when it has the
reference's number of axes and each axis size is the same expression
(after the spec's substitutions, e.g. ``q = d/h``).

An axis written with floor division (``d // h``, ``⌊d/h⌋``) matches an exact quotient
(``d/h``) in the reference: a reference size ``d/h`` already states that ``h`` divides
``d``. When the reference itself rounds (``⌊(n + 2p - k)/s⌋ + 1``), rounding counts.

Params: ``substitute``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy

from autograder.equivalence import compare
from autograder.graders import _examples
from autograder.graders._math import read_substitutions, show, substitute, symbol_names, typeset_items
from autograder.graders.base import GraderKind
from autograder.mathread import ListReading, Vocabulary, read_list
from autograder.mathread.typeset import quiet
from autograder.problem import Part
from autograder.result import Outcome

CORRECT = "Correct."
WRONG_RANK = "Expected a shape with {expected} axes; yours has {got} ({shown})."
WRONG_AXES = "The number of axes is right, but the size of {which} is not."
UNDECIDED = "The autograder could not decide whether axis {index} has the expected size."


@dataclass(frozen=True)
class Params:
    substitute: dict[str, str] = field(default_factory=dict)
    """Declared symbol → value, applied to both shapes before comparing (``{q: d/h}``)."""
    substitutions: dict[sympy.Symbol, sympy.Expr] = field(default_factory=dict, metadata={"internal": True})


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    return replace(params, substitutions=read_substitutions(params.substitute, vocabulary))


def read(text: str, part: Part) -> ListReading:
    params = part.params  # the spec's substitutions: "[B, k] where k = d/h" restates the question
    known = params.substitutions if isinstance(params, Params) else {}
    return read_list(text, part.vocabulary, times_separator=True, known=known)


def _exact(size: sympy.Expr, expected: sympy.Expr) -> sympy.Expr:
    """``⌊d/h⌋`` as ``d/h`` when the expected size divides exactly (has no rounding itself)."""
    if expected.has(sympy.floor, sympy.ceiling):
        return size
    return size.replace(sympy.floor, lambda inner: inner).replace(sympy.ceiling, lambda inner: inner)


def compare_axes(answer: ListReading, reference: ListReading, part: Part) -> list[bool | None]:
    params: Params = part.params
    results: list[bool | None] = []
    for mine, expected in zip(answer.items, reference.items, strict=True):
        theirs = substitute(expected, params.substitutions)
        results.append(compare(_exact(substitute(mine, params.substitutions), theirs), theirs).equal)
    return results


def matches(answer: ListReading, other: ListReading, part: Part) -> bool:
    return len(answer.items) == len(other.items) and all(compare_axes(answer, other, part))


def grade(answer: ListReading, reference: ListReading, part: Part) -> Outcome:
    if len(answer.items) != len(reference.items):
        message = WRONG_RANK.format(expected=len(reference.items), got=len(answer.items), shown=show_reading(answer))
        return Outcome("incorrect", 0.0, message, "shape:wrong_rank")
    axes = compare_axes(answer, reference, part)
    wrong = [index for index, same in enumerate(axes, start=1) if same is False]
    if wrong:
        which = ("axis " if len(wrong) == 1 else "axes ") + ", ".join(
            f"{index} ({show(answer.items[index - 1])})" for index in wrong
        )
        return Outcome("incorrect", 0.0, WRONG_AXES.format(which=which), "shape:different")
    if None in axes:
        return Outcome("needs_review", 0.0, UNDECIDED.format(index=axes.index(None) + 1), "shape:undecided")
    return Outcome("correct", 1.0, CORRECT, "shape:equal")


def show_reading(reading: ListReading) -> str:
    return "[" + ", ".join(show(item) for item in reading.items) + "]"


def typeset_reading(reading: ListReading) -> str:
    return typeset_items(reading.items, reading.written)


def names(reading: ListReading) -> set[str]:
    return set().union(*(symbol_names(item) for item in reading.items)) if reading.items else set()


KIND = GraderKind(
    name="shape",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show_reading,
    typeset=quiet(typeset_reading),
    example="[a, b, 2]",
    example_for=_examples.dimensions,
    prepare=prepare,
    names=names,
)
