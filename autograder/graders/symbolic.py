"""``symbolic``: a math expression, right when it equals the reference as a
function of the declared symbols (√n ≡ n^(1/2), ‖w‖² ≡ wᵀw).

Params: ``substitute`` (applied to both sides first, e.g. ``{a: 1}`` when
the question fixes a = 1).

An approximate number (``≈ 0.33``) is not an exact answer: it is correct only when
the number is exactly the expected value (``≈ 0.25`` for 1/4), goes to an instructor
(``needs_review``, no provisional credit) when it is close to an expected number
(relative difference at most :data:`APPROXIMATION_REL_TOL`), and is incorrect otherwise,
with a message saying an exact expression is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy

from autograder.equivalence import compare
from autograder.graders import _examples
from autograder.graders._math import describe_names, read_substitutions, show, substitute, symbol_names
from autograder.graders.base import GraderKind
from autograder.mathread import Reading, Vocabulary, read_expression
from autograder.mathread import typeset as layout
from autograder.mathread.typeset import quiet
from autograder.problem import Part
from autograder.result import Outcome

CORRECT = "Correct."
CORRECT_NUMERIC = "Correct (checked at many random values of the variables)."
NOT_EQUIVALENT = "Not equivalent to the expected expression."
EXTRA_NAMES = "Your answer depends on {names}, which the expected answer does not."
MISSING_NAMES = "Your answer does not depend on {names}, but the expected answer does."
SEVERAL_VALUES = "Your answer gives {count} values ({values}); the question asks for one expression."
UNDECIDED = "The autograder could not decide whether your expression equals the expected one."
APPROXIMATE = "Your answer is an approximate value (≈ {value}); this question asks for an exact expression."
APPROXIMATE_CLOSE = APPROXIMATE + " It is close to the expected value, so an instructor will decide."
SHOWN_NOTES = ("read '",)
"""Notes of the reader that say how ambiguous text was understood (``read 'q^Tk^2' as (q^T k)^2``):
put before the feedback, so that the author can check the reading."""
APPROXIMATION_REL_TOL = 1e-2
"""How close (relatively) an approximate number must be to an expected number to be reviewed."""
TOO_LARGE = (
    "Your expression is too large to expand and compare exactly (it multiplies out to thousands of terms); "
    "an instructor will grade it."
)


@dataclass(frozen=True)
class Params:
    substitute: dict[str, str] = field(default_factory=dict)
    """Declared symbol → value, applied to both answers before comparing."""
    substitutions: dict[sympy.Symbol, sympy.Expr] = field(default_factory=dict, metadata={"internal": True})
    """``substitute`` as read (filled at load)."""


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    return replace(params, substitutions=read_substitutions(params.substitute, vocabulary))


def read(text: str, part: Part) -> Reading:
    # the spec's substitutions, so that "sqrt(k) where k = n/m" restates the question
    return read_expression(text, part.vocabulary, known=_known(part))


def _known(part: Part) -> dict[sympy.Symbol, sympy.Expr]:
    params = part.params
    return params.substitutions if isinstance(params, Params) else {}


def values(reading: Reading, part: Part) -> tuple[sympy.Expr, ...]:
    """The value(s) an answer gives, after the spec's substitutions."""
    params: Params = part.params
    raw = reading.alternatives or (reading.value,)
    return tuple(substitute(value, params.substitutions) for value in raw)


def matches(answer: Reading, other: Reading, part: Part) -> bool:
    mine, theirs = values(answer, part), values(other, part)
    if len(mine) != len(theirs):
        return False
    unmatched = list(theirs)
    for value in mine:
        for candidate in unmatched:
            if compare(value, candidate).equal:
                unmatched.remove(candidate)
                break
        else:
            return False
    return True


def grade(answer: Reading, reference: Reading, part: Part) -> Outcome:
    outcome = _grade(answer, reference, part)
    shown = [note for note in answer.notes if note.startswith(SHOWN_NOTES)]
    if not shown:
        return outcome
    notes = " ".join(f"{note[0].upper()}{note[1:]}." for note in shown)
    return replace(outcome, feedback=f"{notes} {outcome.feedback}")


def _grade(answer: Reading, reference: Reading, part: Part) -> Outcome:
    mine, expected = values(answer, part), values(reference, part)
    if len(mine) != len(expected):
        shown = ", ".join(show(value) for value in mine)
        return Outcome(
            "incorrect", 0.0, SEVERAL_VALUES.format(count=len(mine), values=shown), "symbolic:several_values"
        )
    if len(mine) > 1:
        same = matches(answer, reference, part)
        return (
            Outcome("correct", 1.0, CORRECT, "symbolic:equal")
            if same
            else Outcome("incorrect", 0.0, NOT_EQUIVALENT, "symbolic:different")
        )
    comparison = compare(mine[0], expected[0])
    if answer.approximate and mine[0].is_number and comparison.equal is not True:
        return approximation(mine[0], expected[0])
    if comparison.equal is True:
        message = CORRECT_NUMERIC if comparison.method == "numeric" else CORRECT
        return Outcome("correct", 1.0, message, f"symbolic:equal:{comparison.method}")
    if comparison.method == "too_large":
        return Outcome("needs_review", 0.0, TOO_LARGE, "symbolic:too_large")
    if comparison.equal is None:
        return Outcome("needs_review", 0.0, UNDECIDED, "symbolic:undecided")
    return Outcome("incorrect", 0.0, explain_difference(mine[0], expected[0]), "symbolic:different")


def approximation(mine: sympy.Expr, expected: sympy.Expr) -> Outcome:
    """``≈ 0.333`` for 1/3: an instructor decides; ``≈ 0.5`` for 1/3 or for ``d``: incorrect."""
    shown = show_number(mine)
    if expected.is_number:
        value, target = complex(sympy.N(mine)), complex(sympy.N(expected))
        if abs(value - target) <= APPROXIMATION_REL_TOL * abs(target):
            return Outcome("needs_review", 0.0, APPROXIMATE_CLOSE.format(value=shown), "symbolic:approximate_close")
    return Outcome("incorrect", 0.0, APPROXIMATE.format(value=shown), "symbolic:approximate")


def show_number(value: sympy.Expr) -> str:
    return show(value) if value.is_Integer else f"{float(sympy.N(value)):.6g}"


def explain_difference(mine: sympy.Expr, expected: sympy.Expr) -> str:
    """Name the variables that one side has and the other lacks; no answer is revealed."""
    extra = symbol_names(mine) - symbol_names(expected)
    missing = symbol_names(expected) - symbol_names(mine)
    sentences = [NOT_EQUIVALENT]
    if extra:
        sentences.append(EXTRA_NAMES.format(names=describe_names(extra)))
    if missing:
        sentences.append(MISSING_NAMES.format(names=describe_names(missing)))
    return " ".join(sentences)


def show_reading(reading: Reading) -> str:
    if reading.alternatives:
        return " or ".join(show(value) for value in reading.alternatives)
    return show(reading.value)


def typeset_reading(reading: Reading) -> str:
    """The reading as MathML in the student's order; ``±`` answers as ``a or b``."""
    values = reading.alternatives or (reading.value,)
    return layout.math(layout.text(" or ").join(layout.expression(value, reading.written) for value in values))


def names(reading: Reading) -> set[str]:
    found: set[str] = set()
    for value in reading.alternatives or (reading.value,):
        found |= symbol_names(value)
    return found


KIND = GraderKind(
    name="symbolic",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show_reading,
    typeset=quiet(typeset_reading),
    example="3*x^2 + y/2",
    example_for=_examples.expression,
    prepare=prepare,
    names=names,
)
