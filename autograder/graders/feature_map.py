"""``feature_map``: a list of components φ(x), right when φ(x)ᵀφ(y) equals
the spec's kernel K(x, y) identically. Order, signs and any orthogonal re-mix
of the components are therefore all fine; feedback shows the difference
polynomial φ(x)ᵀφ(y) − K(x, y).

Params: ``variables`` (the names components use, e.g. x1, x2, x3),
``partners`` (the second argument's names, y1, y2, y3), ``kernel`` (in both),
``size_name`` (the name an answer for a general size gives the number of variables, e.g. D:
``[1, x_1, …, x_D]`` is then written out at D = len(variables), see
:mod:`autograder.mathread.elision`; an elision that cannot be expanded is unreadable, never guessed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy

from autograder.equivalence import expandable
from autograder.graders import _examples
from autograder.graders._math import show, symbol_names, typeset_items
from autograder.graders.base import GraderKind
from autograder.mathread import ListReading, Unreadable, Vocabulary, elision, read_expression, read_list
from autograder.mathread.typeset import quiet
from autograder.problem import Part
from autograder.result import Outcome

CORRECT = "Correct: φ(x)ᵀφ(y) equals the kernel for all x and y."
CORRECT_ROUNDED = (
    "Correct: φ(x)ᵀφ(y) equals the kernel up to the rounding of your decimals (write √2 exactly to be safe)."
)
DIFFERENCE = "φ(x)ᵀφ(y) does not equal the kernel K(x, y). The difference φ(x)ᵀφ(y) − K(x, y) is:\n    {difference}"
TOO_HIGH = "Component {index} ({component}) has degree {degree}, but the kernel has degree {kernel_degree} in {names}."
TOO_LARGE = (
    "φ(x)ᵀφ(y) is too large to expand and compare with the kernel (it multiplies out to thousands of terms); "
    "an instructor will grade it."
)
MAX_COMPONENTS = 64
MAX_SHOWN_TERMS = 8
EXACT_DEGREE_LIMIT = 8
ROUNDING = 0.02
"""Coefficients of φ(x)ᵀφ(y) − K smaller than this come from rounded decimals (1.414 for √2)."""


@dataclass(frozen=True)
class Params:
    variables: tuple[str, ...]
    """The declared symbols φ is a function of (``[x1, x2]``): the components of x."""
    partners: tuple[str, ...]
    """One name per variable for the components of y (``[y1, y2]``), used only in ``kernel``."""
    kernel: str
    """K(x, y) as math in the variables and partners (``(x1*y1 + x2*y2 + 1)^2``)."""
    size_name: str = ""
    """The name of the number of variables in an answer written for a general size (``D`` in
    ``[1, x_1, …, x_D]``), which is then written out for the spec's variables; empty: no elision is read."""
    kernel_expr: sympy.Expr = field(default=sympy.S.Zero, metadata={"internal": True})
    swap: dict[sympy.Symbol, sympy.Symbol] = field(default_factory=dict, metadata={"internal": True})


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    if len(params.variables) != len(params.partners):
        raise ValueError("variables and partners must have the same length")
    missing = [name for name in params.variables if name not in vocabulary.symbols]
    if missing:
        raise ValueError(f"variables {missing} must be declared under symbols")
    partners = {name: sympy.Symbol(name, real=True) for name in params.partners}
    extended = Vocabulary({**vocabulary.symbols, **partners}, vocabulary.vectors, vocabulary.functions)
    kernel = read_expression(params.kernel, extended).value
    swap = {vocabulary.symbols[x]: partners[y] for x, y in zip(params.variables, params.partners, strict=True)}
    return replace(params, kernel_expr=kernel, swap=swap)


def read(text: str, part: Part) -> ListReading:
    params: Params = part.params
    if params.size_name and elision.has_elision(text):
        written, note = elision.expand(text, params.variables, params.size_name)
        reading = read_list(written, part.vocabulary)
        reading = replace(reading, notes=(note, *reading.notes))
    else:
        reading = read_list(text, part.vocabulary)
    if len(reading.items) > MAX_COMPONENTS:
        raise Unreadable(f"φ has {len(reading.items)} components; at most {MAX_COMPONENTS} are read.", text)
    return reading


def inner_product(reading: ListReading, params: Params) -> sympy.Expr:
    """φ(x)ᵀφ(y) for the components as read."""
    return sympy.Add(*(item * item.xreplace(params.swap) for item in reading.items))


def difference(reading: ListReading, params: Params) -> sympy.Expr:
    return sympy.expand(inner_product(reading, params) - params.kernel_expr)


def matches(answer: ListReading, other: ListReading, part: Part) -> bool:
    xs = frozenset(part.params.swap)
    degrees = [max((degree_bound(item, xs) or 0 for item in r.items), default=0) for r in (answer, other)]
    if degrees[0] != degrees[1] or degrees[0] > EXACT_DEGREE_LIMIT:
        return False  # cannot be the same inner product; and never expand huge powers
    mine, theirs = inner_product(answer, part.params), inner_product(other, part.params)
    if not expandable(mine, theirs):
        return False  # other symbols to high powers, (N + D)^64·x1: not expanded either
    return bool(sympy.expand(mine - theirs) == 0)


def grade(answer: ListReading, reference: ListReading, part: Part) -> Outcome:
    params: Params = part.params
    too_high = _degree_problem(answer, params)
    if too_high:
        return Outcome("incorrect", 0.0, too_high, "feature_map:degree")
    if not expandable(inner_product(answer, params), params.kernel_expr):
        return Outcome("needs_review", 0.0, TOO_LARGE, "feature_map:too_large")
    outcome = _identity(answer, params)
    expanded = [note for note in answer.notes if note.startswith(elision.EXPANDED_START)]
    if expanded:
        shown = f"{expanded[0][0].upper()}{expanded[0][1:]}: {show_reading(answer)}."
        return replace(outcome, feedback=f"{shown} {outcome.feedback}")
    return outcome


def _identity(answer: ListReading, params: Params) -> Outcome:
    diff = difference(answer, params)
    if diff == 0:
        return Outcome("correct", 1.0, CORRECT, "feature_map:identity")
    if _rounding_only(diff):
        return Outcome("correct", 1.0, CORRECT_ROUNDED, "feature_map:identity_rounded")
    return Outcome("incorrect", 0.0, DIFFERENCE.format(difference=_short(diff)), "feature_map:difference")


def _degree_problem(answer: ListReading, params: Params) -> str:
    """Refuse components of too high a degree before expanding their products."""
    xs = frozenset(params.swap)
    kernel_degree = degree_bound(params.kernel_expr, xs)
    if kernel_degree is None:
        return ""
    for index, item in enumerate(answer.items, start=1):
        degree = degree_bound(item, xs)
        if degree is None or degree <= kernel_degree:
            continue
        if degree <= EXACT_DEGREE_LIMIT and expandable(item):  # cheap: the bound may overstate (cancellation)
            degree = sympy.Poly(item, *sorted(xs, key=str)).total_degree()
        if degree > kernel_degree:
            names = ", ".join(sorted(str(x) for x in xs))
            return TOO_HIGH.format(
                index=index, component=show(item), degree=degree, kernel_degree=kernel_degree, names=names
            )
    return ""


def degree_bound(expr: sympy.Expr, xs: frozenset[sympy.Symbol]) -> int | None:
    """An upper bound of the total degree in ``xs``, read off the tree without expanding
    (``(x1 + x2)^16`` costs nothing); None when the expression is not a polynomial in them."""
    if expr.is_Symbol:
        return 1 if expr in xs else 0
    if expr.is_Number or not (expr.free_symbols & xs):
        return 0
    if expr.is_Add:
        parts = [degree_bound(arg, xs) for arg in expr.args]
        return None if None in parts else max(p for p in parts if p is not None)
    if expr.is_Mul:
        parts = [degree_bound(arg, xs) for arg in expr.args]
        return None if None in parts else sum(p for p in parts if p is not None)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
        base = degree_bound(expr.base, xs)
        return None if base is None else base * int(expr.exp)
    return None


def _rounding_only(diff: sympy.Expr) -> bool:
    """Only tiny coefficients left: the student rounded √2 (1.41421356, read as an exact fraction)."""
    coefficients = [term.as_coeff_Mul()[0] for term in sympy.Add.make_args(diff)]
    return all(abs(float(c)) < ROUNDING for c in coefficients)


def _short(expr: sympy.Expr) -> str:
    if expr.has(sympy.Float) or any(r.q > 1000 for r in expr.atoms(sympy.Rational)):
        expr = expr.evalf(4)
    terms = sympy.Add.make_args(expr)
    text = " + ".join(show(term) for term in terms[:MAX_SHOWN_TERMS]).replace("+ -", "- ")
    if len(terms) > MAX_SHOWN_TERMS:
        text += f" + … ({len(terms) - MAX_SHOWN_TERMS} more terms)"
    return text


def show_reading(reading: ListReading) -> str:
    return "[" + ", ".join(show(item) for item in reading.items) + "]"


def typeset_reading(reading: ListReading) -> str:
    return typeset_items(reading.items, reading.written)


def names(reading: ListReading) -> set[str]:
    return set().union(*(symbol_names(item) for item in reading.items)) if reading.items else set()


KIND = GraderKind(
    name="feature_map",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show_reading,
    typeset=quiet(typeset_reading),
    example="[1, x1 + x2, x3^2/2]",
    example_for=_examples.components,
    prepare=prepare,
    names=names,
)
