"""``complexity``: a big-O bound, right when it is the same bound as the reference.

Every free symbol is an independent size growing to infinity (all ≥ 1). A
bound is put in a canonical form: the spec's substitutions (and assumptions
the student may state, such as ``M = D``) are applied, ``max(a, b)`` becomes
``a + b``, products are distributed, numeric coefficients dropped, and every
term dominated by another is dropped: t1 is dominated by t2 when t1/t2 stays
bounded, i.e. for every variable its growth in t1 (power of x, then power of
log x) is at most its growth in t2. A constant term vanishes unless it is the
only one (O(1)). Two bounds are equivalent when their canonical sets of terms
are equal. A bound that cannot be put in this form (``2^n``, ``log(n + d)``,
``min(D, M)``) is compared as an expression with
:func:`autograder.equivalence.compare`; if that does not show them equal, the
answer goes to an instructor (``needs_review``).

Params: ``substitute`` (``{k: d/h}``, applied to both sides), ``assumable``
(``["M = D"]``: assumptions a student may state, then applied to both sides),
``term_names`` (``{"n*m": "the pairwise comparisons"}``, used in feedback).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import sympy

from autograder.equivalence import compare, expansion_size
from autograder.graders._examples import GREEK
from autograder.graders._math import read_substitutions, show, substitute, symbol_names
from autograder.graders.base import GraderKind
from autograder.mathread import BigOReading, Vocabulary, read_big_o, read_expression
from autograder.mathread import typeset as layout
from autograder.mathread.typeset import quiet
from autograder.problem import Part, ProblemSet
from autograder.result import Outcome, Verdict

CORRECT = "Correct."
CORRECT_BY_VALUE = "Correct (your bound is the same expression as the expected one)."
ASSUMED = "Graded assuming {assumption}, as you stated; the expected bound was simplified the same way."
NOT_ASSUMABLE = "You assumed {assumption}; the question does not allow that assumption, so it was not used."
NOT_NEEDED = "You stated {assumption}; the question does not make that assumption, and it does not change the grade."
CONTRADICTS = "You stated {assumption}, but in this question {spec}; your bound was graded with {spec}."
SEVERAL_BOUNDS = "Your answer gives several bounds: {bounds}; which one is your answer?"
ONE_IS_EXPECTED = "{bound} is the expected bound; an instructor will check which one you meant."
FINAL_BOUND = "Graded your final bound, {bound}; the bounds before it are parts of it."
NOT_EQUIVALENT = "Your bound is not equivalent to the expected one."
OVER_ESTIMATE = "Overall your bound grows faster than the expected one (an over-estimate)."
UNDER_ESTIMATE = "Overall your bound grows more slowly than the expected one (an under-estimate)."
MISSING_TERM = "Your bound is missing the term {term}{named}, which the expected bound has."
EXTRA_TERM = "Your bound has the term {term}, which no term of the expected bound covers: it grows faster than needed."
REPLACED_NAMED = "For {name}, the expected bound has {expected}; yours has {student}{direction}."
REPLACED = "Where the expected bound has {expected}, yours has {student}{direction}."
LARGER = ", which is larger"
SMALLER = ", which is smaller"
UNDECIDED = (
    "The autograder could not compare your bound with the expected one term by term; an instructor will check it."
)
SEVERAL_BOUNDS_CREDIT = 0.5
"""Provisional credit when bounds disagree but one of them is the expected one."""
MAX_TERMS = 128
"""Most terms a bound may have when multiplied out (powers of sums kept): beyond, it has no canonical form."""
MAX_EXPANSION = 2000
"""Most terms the expression comparison may have to expand (beyond: undecided)."""

_RELATION = re.compile(r"\s*(?:=|≈|∼|≃|~|\\approx|\\sim|\\simeq)\s*")
_IDENTIFIER = re.compile(r"[^\W\d_][\w]*")
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

Growth = tuple[Fraction, Fraction]
"""(power of x, power of log x) of one variable in a term."""
Term = tuple[tuple[str, Fraction, Fraction], ...]
"""A term without its coefficient: (variable, power, log power) sorted by name; () is 1."""
ONE: Term = ()


@dataclass(frozen=True)
class Params:
    substitute: dict[str, str] = field(default_factory=dict)
    """Declared symbol → value, applied to both bounds before comparing."""
    assumable: tuple[str, ...] = ()
    """Assumptions a student may state (``"M = D"``); stated ones are applied to both bounds."""
    term_names: dict[str, str] = field(default_factory=dict)
    """A term as math → what it counts, for feedback (``"n*m": "the pairwise comparisons"``)."""
    substitutions: dict[sympy.Symbol, sympy.Expr] = field(default_factory=dict, metadata={"internal": True})
    """``substitute`` as read (filled at load)."""
    assumptions: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = field(default=(), metadata={"internal": True})
    """``assumable`` as read: (symbol, value it is replaced by) (filled at load)."""
    named_terms: tuple[tuple[sympy.Expr, str], ...] = field(default=(), metadata={"internal": True})
    """``term_names`` as read, after ``substitute`` (filled at load)."""
    order: tuple[str, ...] = field(default=(), metadata={"internal": True})
    """Order in which variables are written in feedback (``b·n·d``), from the spec's own terms."""
    reference: BigOReading | None = field(default=None, metadata={"internal": True})
    """The part's reference reading (filled at bind), so that rules match the answer's bound."""


@dataclass(frozen=True)
class Form:
    """A bound in canonical form."""

    terms: frozenset[Term]
    """The non-dominated terms."""
    written: tuple[Term, ...]
    """The canonical terms of each top-level summand as written (before dropping dominated ones)."""


# --- prepare ------------------------------------------------------------------------------------


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    substitutions = read_substitutions(params.substitute, vocabulary)
    assumptions = tuple(_read_assumable(text, vocabulary) for text in params.assumable)
    named: list[tuple[sympy.Expr, str]] = []
    for text, name in params.term_names.items():
        value = substitute(read_expression(str(text), vocabulary).value, substitutions)
        form = canonical(value)
        if form is None or len(form.terms) != 1:
            raise ValueError(f"term_names: '{text}' is not a single term of a bound")
        named.append((value, str(name)))
    order = _display_order(params.term_names, vocabulary)
    return replace(
        params,
        substitutions=substitutions,
        assumptions=assumptions,
        named_terms=tuple(named),
        order=order,
    )


def _read_assumable(text: str, vocabulary: Vocabulary) -> tuple[sympy.Symbol, sympy.Expr]:
    sides = _RELATION.split(text.strip())
    if len(sides) != 2 or not all(sides):
        raise ValueError(f"assumable: '{text}' must be written 'symbol = value', e.g. 'M = D'")
    left = read_expression(sides[0], vocabulary).value
    right = read_expression(sides[1], vocabulary).value
    if not isinstance(left, sympy.Symbol):
        raise ValueError(f"assumable: the left side of '{text}' must be a declared symbol")
    return left, right


def _display_order(texts: Iterable[str], vocabulary: Vocabulary) -> tuple[str, ...]:
    """Variables in the order the spec writes them (``b*n*d``: b, n, d), then as declared."""
    declared = list(vocabulary.symbols)
    before: set[tuple[str, str]] = set()
    for text in texts:
        seen: list[str] = []
        for token in _IDENTIFIER.findall(str(text)):
            if token in vocabulary.symbols:
                names = [token]
            elif all(char in vocabulary.symbols for char in token):
                names = list(token)  # an implicit product such as bnd
            else:
                names = []
            for name in names:
                if name not in seen:
                    seen.append(name)
        for index, first in enumerate(seen):
            for second in seen[index + 1 :]:
                if (second, first) not in before:
                    before.add((first, second))
    order: list[str] = []
    remaining = list(declared)
    while remaining:
        free = [name for name in remaining if not any((other, name) in before for other in remaining)]
        chosen = free[0] if free else remaining[0]  # a cycle: fall back to declaration order
        order.append(chosen)
        remaining.remove(chosen)
    return tuple(order)


# --- canonical form -----------------------------------------------------------------------------


def _term(powers: Mapping[str, Growth]) -> Term:
    return tuple(sorted((name, p, q) for name, (p, q) in powers.items() if p != 0 or q != 0))


def _growths(term: Term) -> dict[str, Growth]:
    return {name: (p, q) for name, p, q in term}


def _times(a: Term, b: Term) -> Term:
    powers = _growths(a)
    for name, p, q in b:
        old = powers.get(name, (Fraction(0), Fraction(0)))
        powers[name] = (old[0] + p, old[1] + q)
    return _term(powers)


def _power(term: Term, exponent: Fraction) -> Term:
    return _term({name: (p * exponent, q * exponent) for name, p, q in term})


def dominated(small: Term, large: Term) -> bool:
    """``small / large`` stays bounded as every variable grows: per variable, growth ≤ (lex)."""
    mine, theirs = _growths(small), _growths(large)
    zero = (Fraction(0), Fraction(0))
    return all(mine.get(name, zero) <= theirs.get(name, zero) for name in set(mine) | set(theirs))


def reduce_terms(terms: Iterable[Term]) -> frozenset[Term]:
    """The terms no other term dominates; the constant only when it is the only term."""
    unique = list(set(terms))
    growths = [_growths(term) for term in unique]
    zero = (Fraction(0), Fraction(0))

    def below(mine: dict[str, Growth], theirs: dict[str, Growth]) -> bool:
        return all(g <= theirs.get(name, zero) for name, g in mine.items()) and all(
            zero <= g for name, g in theirs.items() if name not in mine
        )

    kept = {
        term
        for index, term in enumerate(unique)
        if not any(other != index and below(growths[index], growths[other]) for other in range(len(unique)))
    }
    if len(kept) > 1:
        kept.discard(ONE)
    return frozenset(kept)


def _exponent(value: sympy.Expr) -> Fraction | None:
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    if value.is_Float:
        return Fraction(str(value)).limit_denominator(10**6)
    return None


def _positive_number(value: sympy.Expr) -> bool:
    return bool(value.is_number and value.is_finite and value.is_positive)


def _without_max(expr: sympy.Expr) -> sympy.Expr:
    """max(a, b) ≍ a + b for sizes ≥ 0."""
    if not expr.has(sympy.Max):
        return expr
    result: sympy.Expr = expr.replace(sympy.Max, lambda *args: sympy.Add(*args))
    return result


def _terms(expr: sympy.Expr) -> frozenset[Term] | None:
    """The non-dominated terms of a positive expression, or None when it has no such form."""
    if expr.is_number:
        return frozenset({ONE}) if _positive_number(expr) else None
    if isinstance(expr, sympy.Symbol):
        return frozenset({_term({expr.name: (Fraction(1), Fraction(0))})})
    if isinstance(expr, sympy.Add):
        return _sum_terms(expr.args)
    if isinstance(expr, sympy.Mul):
        product: frozenset[Term] = frozenset({ONE})
        for factor in expr.args:
            if factor.is_number:
                if not _positive_number(factor):
                    return None
                continue
            terms = _terms(factor)
            if terms is None:
                return None
            product = reduce_terms(_times(a, b) for a in product for b in terms)
        return product
    if isinstance(expr, sympy.Pow):
        base, exponent_expr = expr.args
        exponent = _exponent(exponent_expr)
        if exponent is None:
            return None  # 2^n, n^n: not a polynomial-logarithmic term
        terms = _terms(base)
        if terms is None:
            return None
        if exponent == 0:
            return frozenset({ONE})
        if exponent < 0 and len(terms) > 1:
            return None  # 1/(a + b) behaves like min(1/a, 1/b): not a sum of terms
        # (a + b)^p ≍ a^p + b^p for p > 0
        return reduce_terms(_power(term, exponent) for term in terms)
    if isinstance(expr, sympy.log):
        return _log_terms(expr.args[0])
    return None


def _sum_terms(summands: Sequence[sympy.Expr]) -> frozenset[Term] | None:
    positive: list[Term] = []
    negative: list[Term] = []
    for summand in summands:
        coefficient, rest = summand.as_coeff_Mul()
        if not coefficient.is_extended_real:
            return None
        if coefficient == 0:
            continue
        terms = _terms(rest if coefficient > 0 else -summand)
        if terms is None:
            return None
        (positive if coefficient > 0 else negative).extend(terms)
    if not positive:
        return None
    for term in negative:  # n^2 - n is fine; n - n^2 or n^2 - n^2 is not
        if not any(term != other and dominated(term, other) for other in positive):
            return None
    return reduce_terms(positive)


def _log_terms(argument: sympy.Expr) -> frozenset[Term] | None:
    """log of a product of powers of variables: log(n^2 d) ≍ log n + log d."""
    if argument.is_number:
        return frozenset({ONE}) if bool(argument.is_number and (argument - 1).is_positive) else None
    if isinstance(argument, sympy.Add):
        return None  # a sum inside log: left to the fallback
    factors = argument.args if isinstance(argument, sympy.Mul) else (argument,)
    logs: list[Term] = []
    for factor in factors:
        if factor.is_number:
            if not _positive_number(factor):
                return None
            continue
        base, exponent_expr = factor.args if isinstance(factor, sympy.Pow) else (factor, sympy.Integer(1))
        exponent = _exponent(exponent_expr)
        if not isinstance(base, sympy.Symbol) or exponent is None or exponent <= 0:
            return None
        logs.append(_term({base.name: (Fraction(0), Fraction(1))}))
    return reduce_terms(logs) if logs else None


def _sizes(expr: sympy.Expr) -> sympy.Expr:
    """Every free symbol as a positive size of the same name (so log(n d) and sqrt(n d) split)."""
    mapping = {symbol: sympy.Symbol(symbol.name, positive=True) for symbol in expr.free_symbols}
    result: sympy.Expr = expr.xreplace(mapping)
    return result


def expansion_cost(expr: sympy.Expr) -> int:
    """How many terms expanding ``expr`` may give, at most (capped): (b + d + n)^64 is large."""
    return expansion_size(expr, cap=10 * MAX_EXPANSION)


def _comparable(*exprs: sympy.Expr) -> bool:
    """Small enough for :func:`compare` (which may expand and simplify) to finish quickly."""
    return all(expansion_cost(expr) <= MAX_EXPANSION for expr in exprs)


def _term_count(expr: sympy.Expr) -> int:
    """At most how many terms :func:`_terms` handles at once for ``expr`` (capped): it bounds the work."""
    cap = 10 * MAX_TERMS
    if expr.is_Atom:
        return 1
    if isinstance(expr, sympy.Pow):
        return _term_count(expr.base)  # (a + b)^p ≍ a^p + b^p: never expanded
    if isinstance(expr, sympy.Add):
        return min(cap, sum(_term_count(arg) for arg in expr.args))
    count = 1
    for arg in expr.args:
        count = min(cap, count * _term_count(arg))
    return count


@functools.lru_cache(maxsize=4096)
def canonical(expr: sympy.Expr) -> Form | None:
    """The canonical form of a bound's argument, or None when it has none (or too many terms)."""
    prepared = _without_max(_sizes(expr))
    if _term_count(prepared) > MAX_TERMS:
        return None
    terms = _terms(prepared)
    if terms is None:
        return None
    written: list[Term] = []
    for summand in sympy.Add.make_args(prepared):
        coefficient, rest = summand.as_coeff_Mul()
        summand_terms = _terms(rest) if coefficient > 0 else None
        written.extend(sorted(summand_terms or ()))
    return Form(terms, tuple(written))


# --- assumptions and bounds ---------------------------------------------------------------------

Assumption = tuple[sympy.Symbol, sympy.Expr]


@dataclass(frozen=True)
class Stated:
    """The assumptions a reading states, sorted by what grading does with them."""

    applied: tuple[Assumption, ...] = ()
    """Assumable ones, as the spec writes them: applied to both bounds."""
    contradicting: tuple[tuple[str, str], ...] = ()
    """(as stated, as the spec substitutes it) for an assumption on a substituted name that
    differs from the substitution (``k = d`` where the spec has ``k = d/h``): the spec wins."""
    ignored: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    """The others, not used. (Those the substitutions already imply, ``k = d/h``, are in none.)"""


def _same(a: sympy.Expr, b: sympy.Expr) -> bool:
    return bool(a == b) or _equivalent(a, b) is True


def _states(sides: tuple[sympy.Expr, sympy.Expr], assumable: Assumption, params: Params) -> bool:
    """Does an assumption (both sides substituted) say the assumable one, either way round?"""
    symbol, value = (substitute(side, params.substitutions) for side in assumable)
    left, right = sides
    return (_same(left, symbol) and _same(right, value)) or (_same(left, value) and _same(right, symbol))


def _stated(reading: BigOReading, params: Params) -> Stated:
    """What becomes of each assumption a reading states.

    After the spec's substitutions, an assumption whose sides are the same bound is already
    implied (``k = d/h``, ``C = D^2``, ``M ≈ D`` where the spec substitutes them): accepted
    silently. One equal to an ``assumable`` one applies (the reader gives ``M ≤ D``, ``M ≪ D``
    and ``M = O(D)`` as (M, D) too: under them N²(D + M) is Θ(N²D), as with M = D). One on a
    substituted name that differs from the substitution is overruled by it; any other is ignored.
    """
    applied: list[Assumption] = []
    contradicting: list[tuple[str, str]] = []
    ignored: list[tuple[sympy.Expr, sympy.Expr]] = []
    for left, right in reading.assumptions:
        sides = (substitute(left, params.substitutions), substitute(right, params.substitutions))
        if _same(*sides):
            continue
        assumable = next((known for known in params.assumptions if _states(sides, known, params)), None)
        if assumable is not None:
            if assumable not in applied:
                applied.append(assumable)
            continue
        fixed = next((side for side in (left, right) if side in params.substitutions), None)
        if isinstance(fixed, sympy.Symbol):
            spec = f"{show(fixed)} = {show(params.substitutions[fixed])}"
            contradicting.append((f"{show(left)} = {show(right)}", spec))
        elif (left, right) not in ignored:
            ignored.append((left, right))
    return Stated(tuple(applied), tuple(contradicting), tuple(ignored))


def _harmless(assumption: tuple[sympy.Expr, sympy.Expr], bounds: Iterable[sympy.Expr]) -> bool:
    """Would applying an ignored assumption leave every bound the same (``h = 8`` in O(bd²))?"""
    left, right = assumption
    if isinstance(left, sympy.Symbol):
        old, new = left, right
    elif isinstance(right, sympy.Symbol):
        old, new = right, left
    else:
        return False
    return all(_equivalent(bound, bound.subs(old, new)) is True for bound in bounds)


def _bounds(reading: BigOReading, params: Params, assumptions: Sequence[Assumption]) -> tuple[sympy.Expr, ...]:
    values = []
    for bound in reading.bounds:
        value = substitute(bound, params.substitutions)
        for symbol, replacement in assumptions:
            value = value.subs(symbol, substitute(replacement, params.substitutions))
        values.append(value)
    return tuple(values)


def _equivalent(a: sympy.Expr, b: sympy.Expr) -> bool | None:
    """Same bound? None when neither the canonical form nor the expressions decide it."""
    form_a, form_b = canonical(a), canonical(b)
    if form_a is not None and form_b is not None:
        return form_a.terms == form_b.terms
    if not _comparable(a, b):
        return None
    return True if compare(_sizes(a), _sizes(b)).equal is True else None


def _assumptions_of(*readings: BigOReading, params: Params) -> list[Assumption]:
    found: list[Assumption] = []
    for reading in readings:
        for assumption in _stated(reading, params).applied:
            if assumption not in found:
                found.append(assumption)
    return found


def _covers(last: sympy.Expr, earlier: Sequence[sympy.Expr]) -> bool:
    """Is every earlier bound part of the last one (each term ≤ one of its terms, or their sum)?"""
    form = canonical(last)
    if form is not None:
        forms = [canonical(bound) for bound in earlier]
        if all(f is not None and all(_covered(term, form.terms) for term in f.terms) for f in forms):
            return True
    return _equivalent(sympy.Add(*earlier), last) is True


def answer_index(bounds: Sequence[sympy.Expr], expected: sympy.Expr | None = None) -> int | None:
    """Which of a reading's bounds is its answer; None when that is not clear.

    One bound, or a chain of equivalent ones (``O(N²D + N²M) = O(N² max(D, M))``): the first.
    Bounds that differ: the last one when every earlier one is part of it (``QKᵀ costs O(N²D),
    ·V costs O(N²M), so O(N²(D + M)) in total``), unless an earlier one is the ``expected``
    bound and the last is not: then they are probably alternatives, which a person sorts out.
    """
    if len(bounds) <= 1 or all(_equivalent(bounds[0], bound) is True for bound in bounds[1:]):
        return 0 if bounds else None
    last, earlier = bounds[-1], bounds[:-1]
    if not _covers(last, earlier):
        return None
    alternatives = (
        expected is not None
        and _equivalent(last, expected) is not True
        and any(_equivalent(bound, expected) is True for bound in earlier)
    )
    return None if alternatives else len(bounds) - 1


def matches(answer: BigOReading, other: BigOReading, part: Part) -> bool:
    """The same answer bound (see :func:`answer_index`), with the assumable assumptions either states."""
    params: Params = part.params
    assumptions = _assumptions_of(answer, other, params=params)
    mine, theirs = _bounds(answer, params, assumptions), _bounds(other, params, assumptions)
    expected = None
    if params.reference is not None:
        reference = _bounds(params.reference, params, _assumptions_of(answer, params.reference, params=params))
        expected = reference[0] if reference else None
    index, their_index = answer_index(mine, expected), answer_index(theirs)
    if index is None or their_index is None:
        return False
    return _equivalent(mine[index], theirs[their_index]) is True


def bind(part: Part, problems: ProblemSet, readings: Mapping[str, Any]) -> Params:
    """Keep the part's reference reading, so that :func:`matches` can tell alternatives apart."""
    params: Params = part.params
    reference = readings.get(part.id)
    return replace(params, reference=reference if isinstance(reference, BigOReading) else None)


# --- grading ------------------------------------------------------------------------------------


def grade(answer: BigOReading, reference: BigOReading, part: Part) -> Outcome:
    params: Params = part.params
    stated = _stated(answer, params)
    assumptions = _assumptions_of(answer, reference, params=params)
    mine, expected = _bounds(answer, params, assumptions), _bounds(reference, params, assumptions)
    preface = [CONTRADICTS.format(assumption=said, spec=spec) for said, spec in stated.contradicting]
    for left, right in stated.ignored:
        text = f"{show(left)} ≈ {show(right)}"
        harmless = _harmless((left, right), (*mine, *expected))
        preface.append((NOT_NEEDED if harmless else NOT_ASSUMABLE).format(assumption=text))
    preface += [ASSUMED.format(assumption=f"{show(symbol)} = {show(value)}") for symbol, value in stated.applied]

    def outcome(verdict: Verdict, sentences: list[str], note: str, credit: float | None = None) -> Outcome:
        points = credit if credit is not None else 1.0 if verdict == "correct" else 0.0
        return Outcome(verdict, points, " ".join([*sentences[:1], *preface, *sentences[1:]]), note)

    if not mine or not expected:
        return outcome("needs_review", [UNDECIDED], "complexity:undecided")
    index = answer_index(mine, expected[0])
    if index is None:
        right = [_equivalent(bound, expected[0]) is True for bound in mine]
        if all(right):
            return outcome("correct", [CORRECT], "complexity:equivalent")
        shown = ", ".join(f"O({show(bound)})" for bound in answer.bounds)
        sentences = [SEVERAL_BOUNDS.format(bounds=shown)]
        if any(right):
            first = answer.bounds[right.index(True)]
            sentences.append(ONE_IS_EXPECTED.format(bound=f"O({show(first)})"))
        credit = SEVERAL_BOUNDS_CREDIT if any(right) else 0.0
        return outcome("needs_review", sentences, "complexity:several_bounds", credit)
    if index > 0:
        preface.insert(0, FINAL_BOUND.format(bound=f"O({show(answer.bounds[index])})"))
    bound = mine[index]
    form_mine, form_expected = canonical(bound), canonical(expected[0])
    if form_mine is None or form_expected is None:
        if _comparable(bound, expected[0]) and compare(_sizes(bound), _sizes(expected[0])).equal is True:
            return outcome("correct", [CORRECT_BY_VALUE], "complexity:equal:expression")
        return outcome("needs_review", [UNDECIDED], "complexity:undecided")
    if form_mine.terms == form_expected.terms:
        return outcome("correct", [CORRECT], "complexity:equivalent")
    sentences, note = explain_difference(form_mine, form_expected, _names(params, assumptions), params.order)
    return outcome("incorrect", sentences, note)


def _names(params: Params, assumptions: Sequence[tuple[sympy.Symbol, sympy.Expr]]) -> dict[Term, str]:
    """term_names as canonical terms, under the assumptions in force (the first name wins)."""
    names: dict[Term, str] = {}
    for value, name in params.named_terms:
        for symbol, replacement in assumptions:
            value = value.subs(symbol, substitute(replacement, params.substitutions))
        form = canonical(value)
        if form is not None and len(form.terms) == 1:
            names.setdefault(next(iter(form.terms)), name)
    return names


def _covered(term: Term, terms: Iterable[Term]) -> bool:
    return any(dominated(term, other) for other in terms)


def _grows_with(term: Term) -> frozenset[str]:
    return frozenset(name for name, p, q in term if (p, q) > (Fraction(0), Fraction(0)))


def explain_difference(
    mine: Form, expected: Form, names: Mapping[Term, str], order: Sequence[str]
) -> tuple[list[str], str]:
    """Sentences naming the terms that differ, in the student's terms, and a note for reports."""
    missing = [term for term in _sorted(expected.terms, order) if not _covered(term, mine.terms)]
    extra = [term for term in _sorted(mine.terms, order) if not _covered(term, expected.terms)]
    pairs: list[tuple[Term, Term]] = []
    # a term of yours that stands where an expected term with the same variables is
    for term in extra:
        partner = next((e for e in _sorted(expected.terms, order) if _grows_with(e) == _grows_with(term)), None)
        if partner is not None and all(partner != e for e, _ in pairs):
            pairs.append((partner, term))
    # an expected term you wrote with other powers (even if another of your terms absorbs it)
    for term in missing:
        if any(term == e for e, _ in pairs):
            continue
        written = [s for s in mine.written if s != term and _grows_with(s) == _grows_with(term)]
        if written:
            pairs.append((term, written[0]))
    paired_expected = {e for e, _ in pairs}
    paired_mine = {s for _, s in pairs}

    sentences = [NOT_EQUIVALENT]
    over = all(_covered(term, mine.terms) for term in expected.terms)
    under = all(_covered(term, expected.terms) for term in mine.terms)
    if over:
        sentences.append(OVER_ESTIMATE)
    elif under:
        sentences.append(UNDER_ESTIMATE)
    for e, s in pairs:
        direction = LARGER if dominated(e, s) else SMALLER if dominated(s, e) else ""
        shown = {
            "expected": format_term(e, order),
            "student": format_term(s, order),
            "direction": direction,
        }
        if e in names:
            sentences.append(REPLACED_NAMED.format(name=names[e], **shown))
        else:
            sentences.append(REPLACED.format(**shown))
    for term in missing:
        if term not in paired_expected:
            named = f" ({names[term]})" if term in names else ""
            sentences.append(MISSING_TERM.format(term=format_term(term, order), named=named))
    for term in extra:
        if term not in paired_mine:
            sentences.append(EXTRA_TERM.format(term=format_term(term, order)))
    note = "over_estimate" if over else "under_estimate" if under else "different"
    return sentences, f"complexity:{note}"


def _sorted(terms: Iterable[Term], order: Sequence[str]) -> list[Term]:
    return sorted(terms, key=lambda term: format_term(term, order))


# --- showing ------------------------------------------------------------------------------------


def _power_text(name: str, exponent: Fraction) -> str:
    if exponent == 1:
        return name
    if exponent == Fraction(1, 2):
        return f"√{name}"
    if exponent.denominator == 1:
        return name + str(exponent.numerator).translate(_SUPERSCRIPTS)
    return f"{name}^({exponent})"


def _log_text(name: str, exponent: Fraction) -> str:
    if exponent == 1:
        return f"log {name}"
    if exponent.denominator == 1:
        return f"(log {name})" + str(exponent.numerator).translate(_SUPERSCRIPTS)
    return f"(log {name})^({exponent})"


def format_term(term: Term, order: Sequence[str] = ()) -> str:
    """A term as a student writes it: ``b·n·d/h``, ``N²·D``, ``n·log n``, ``1``."""
    rank = {name: index for index, name in enumerate(order)}
    factors = sorted(term, key=lambda item: (rank.get(item[0], len(rank)), item[0]))
    top = [_power_text(name, p) for name, p, _ in factors if p > 0]
    top += [_log_text(name, q) for name, _, q in factors if q > 0]
    bottom = [_power_text(name, -p) for name, p, _ in factors if p < 0]
    bottom += [_log_text(name, -q) for name, _, q in factors if q < 0]
    numerator = "·".join(top) or "1"
    if not bottom:
        return numerator
    denominator = bottom[0] if len(bottom) == 1 else f"({'·'.join(bottom)})"
    return f"{numerator}/{denominator}"


def read(text: str, part: Part) -> BigOReading:
    return read_big_o(text, part.vocabulary)


# --- format example -----------------------------------------------------------------------------

MAX_EXAMPLE_POWER = 9
"""The example's leading power is raised until it is no known answer (``O(a^2 + a*b)``, ``O(a^3 + a*b)``…)."""


def _known_bounds(part: Part) -> list[sympy.Expr]:
    """Every bound the part knows as an answer: the reference (once bound) and each rule's."""
    params: Params = part.params
    readings = [params.reference] + [known for rule in part.rules for known in rule.readings]
    return [bound for known in readings if isinstance(known, BigOReading) for bound in _bounds(known, params, ())]


def _example_text(first: str, second: str, power: int) -> str:
    compact = f"{first}{second}" if len(first) == len(second) == 1 else f"{first} {second}"
    latex_first, latex_second = (f"\\{name}" if name in GREEK else name for name in (first, second))
    return (
        f"O({first}^{power} + {first}*{second}), O({first}^{power} + {compact}) "
        f"or \\mathcal{{O}}({latex_first}^{power} + {latex_first} {latex_second})"
    )


def _size_names(vocabulary: Vocabulary) -> list[str]:
    """One name per declared size, the shortest of its aliases (``b``, not ``batch_size``)."""
    spelled: dict[sympy.Symbol, str] = {}
    for name, symbol in vocabulary.symbols.items():
        if name in vocabulary.vectors:
            continue
        known = spelled.get(symbol)
        if known is None or (len(name), name) < (len(known), known):
            spelled[symbol] = name
    return sorted(spelled.values())


def example_for(part: Part) -> str:
    """A big-O format example in the part's own sizes that is, by meaning, none of its answers.

    The first candidate has the shape of :func:`_examples.big_o`, ``O(a^2 + a*b)``; when the
    reference or a rule's answer is that bound (after the part's substitutions), the power
    is raised until it is not, so the hint never gives an answer away.
    """
    params: Params = part.params
    sizes = _size_names(part.vocabulary)
    if not sizes:
        return _example_text("n", "m", 2)
    first, second = (sizes * 2)[:2]
    a, b = part.vocabulary.symbols[first], part.vocabulary.symbols[second]
    known = _known_bounds(part)
    for power in range(2, MAX_EXAMPLE_POWER + 1):
        candidate = substitute(a**power + a * b, params.substitutions)
        if all(_equivalent(candidate, bound) is False for bound in known):
            return _example_text(first, second, power)
    return "O(n^2 + n*m)"  # names no declared size: never an answer of this part


def show_reading(reading: BigOReading) -> str:
    text = " = ".join(f"O({show(bound)})" for bound in reading.bounds)
    if reading.assumptions:
        text += " assuming " + " and ".join(f"{show(left)} ≈ {show(right)}" for left, right in reading.assumptions)
    return text


def typeset_reading(reading: BigOReading) -> str:
    """``O(N²D)`` (bounds joined by ``=``, then the assumptions) in the student's order."""

    def shown(expr: sympy.Expr) -> str:
        return layout.expression(expr, reading.written)

    pieces = layout.operator("=").join(layout.called("O", shown(bound)) for bound in reading.bounds)
    if reading.assumptions:
        stated = (layout.row(shown(left), layout.operator("≈"), shown(right)) for left, right in reading.assumptions)
        pieces += layout.text(" assuming ") + layout.text(" and ").join(stated)
    return layout.math(layout.row(pieces))


def names(reading: BigOReading) -> set[str]:
    """The names the bounds use (not those only in a stated assumption)."""
    found: set[str] = set()
    for bound in reading.bounds:
        found |= symbol_names(bound)
    return found


KIND = GraderKind(
    name="complexity",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show_reading,
    typeset=quiet(typeset_reading),
    example="O(n^2 + n*m) or \\mathcal{O}(n \\log n)",
    example_for=example_for,
    prepare=prepare,
    bind=bind,
    names=names,
)
