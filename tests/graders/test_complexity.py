"""``complexity``: big-O bounds compared by their canonical terms (HW9 Q4 f/g, Q6 c/d)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import pytest

from autograder import grading
from autograder.api import AnswerKey
from autograder.graders import complexity
from autograder.graders._math import show
from autograder.graders.complexity import (
    ASSUMED,
    CONTRADICTS,
    CORRECT,
    CORRECT_BY_VALUE,
    EXTRA_TERM,
    FINAL_BOUND,
    MISSING_TERM,
    NOT_ASSUMABLE,
    NOT_NEEDED,
    ONE_IS_EXPECTED,
    OVER_ESTIMATE,
    REPLACED,
    REPLACED_NAMED,
    SEVERAL_BOUNDS,
    SEVERAL_BOUNDS_CREDIT,
    UNDECIDED,
    UNDER_ESTIMATE,
    format_term,
)
from autograder.grading import decide
from autograder.mathread import BigOReading, read_expression
from autograder.result import Outcome, PartResult
from autograder.spec import Part, ProblemSet, Rule, SpecError, load_question

SPEC = """
id: t
symbols:
  b: positive integer
  d: positive integer
  h: positive integer
  n: positive integer
  k: positive integer
  N: positive integer
  D: positive integer
  M: positive integer
  C: positive integer
parts:
  f:
    kind: complexity
    substitute: {k: d/h}
    term_names:
      "b*d^2": "the projections"
      "b*n*d": "the attention over the cache"
  g:
    kind: complexity
    substitute: {k: d/h}
    term_names:
      "d^2": "reading the weights"
      "b*d": "the current activations"
      "b*n*d/h": "the KV-cache read"
    rules:
      - answer: "O(d^2 + b d + b n d)"
        credit: 0.25
        note: mha_memory
        message: That is the multi-head figure.
  c:
    kind: complexity
    term_names:
      "N^2*D": "the scores"
      "N^2*M": "the weighted sum of the values"
  c_assume:
    kind: complexity
    assumable: ["M = D"]
    rules:
      - answers: ["O(N^2 D)"]
        credit: 0.5
        note: forgot_values
        message: Multiplying the weights by V costs N²·M more.
  d:
    kind: complexity
    substitute: {M: D, C: D^2}
  d_space:
    kind: complexity
    substitute: {M: D, C: D^2}
    rules:
      - answer: "O(N D^2 + D^3)"
        credit: 1
        note: stores_features
        message: Correct if the features are kept.
  plain:
    kind: complexity
"""

#: The reference answer of each part of SPEC.
REFERENCE = {
    "f": "O(bd^2 + bnd)",
    "g": "O(d^2 + bd + bnk)",
    "c": "O(N^2(D+M))",
    "c_assume": "O(N^2(D+M))",
    "d": "O(N D^3)",
    "d_space": "O(ND + D^3)",
}

#: (part, reference, answer): the same bound.
EQUIVALENT = [
    ("f", "O(bd^2 + bnd)", "O(b d^2 + b n d)"),
    ("f", "O(bd^2 + bnd)", "O(bnd + bd^2)"),
    ("f", "O(bd^2 + bnd)", "O(2bd^2 + 3bnd + bd)"),
    ("f", "O(bd^2 + bnd)", "O(b*d^2 + b*n*d)"),
    ("f", "O(bd^2 + bnd)", "O(bd² + bnd)"),
    ("f", "O(bd^2 + bnd)", "\\mathcal{O}(bd^2+bnd)"),
    ("f", "O(bd^2 + bnd)", "O(bd(d + n))"),
    ("f", "O(bd^2 + bnd)", "O(bd^2 + bnd + bnd/h)"),
    ("g", "O(d^2 + bd + bnk)", "O(d^2+bd+bnd/h)"),
    ("g", "O(d^2 + bd + bnk)", "O\\left(d^2 + bd + \\frac{bnd}{h}\\right)"),
    ("g", "O(d^2 + bd + bnk)", "O(d² + bd + bnd/h)"),
    ("c", "O(N^2(D+M))", "O(N^2 max(D,M))"),
    ("c", "O(N^2(D+M))", "O(N²D + N²M)"),
    ("c", "O(N^2(D+M))", "O(N^2 \\max(D, M))"),
    ("c", "O(N^2(D+M))", "O(N²D + N²M) = O(N^2 max(D,M))"),
    ("c", "O(N^2 + N(D+M))", "O(N^2 + ND + NM)"),
    ("c_assume", "O(N^2(D+M))", "O(N^2 D) assuming M ≈ D"),
    ("c_assume", "O(N^2(D+M))", "O(N^2 M) assuming M ~ D"),
    ("c_assume", "O(N^2 + N(D+M))", "O(N^2 + N D) assuming M ≈ D"),
    ("d", "O(N D^3)", "O(N D^2 M)"),
    ("d", "O(N D^3)", "O(N C M)"),
    ("d", "O(ND + D^3)", "O(ND + D^2 M)"),
    ("plain", "O(n log n)", "O(n log n + n)"),
    ("plain", "O(n log n)", "O(n log(n^2))"),
    ("plain", "O(n log n)", "O(n log_2 n)"),
    ("plain", "O(n^(3/2))", "O(n sqrt(n))"),
    ("plain", "O(n^(3/2))", "O(n^1.5)"),
    ("plain", "O(sqrt(n d))", "O(sqrt(n) sqrt(d))"),
    ("plain", "O(n d log(n d))", "O(n d log n + n d log d)"),
    ("plain", "O(n)", "O(n + 1)"),
    ("plain", "O(n^2)", "O(n^2 - n)"),
    ("plain", "O(1)", "O(5)"),
    ("plain", "O(d/h)", "O(3d/h + 1)"),
    ("plain", "O((n + d)^2)", "O(n^2 + d^2)"),
    ("plain", "O(2^n)", "O(2^n)"),
]

#: (part, reference, answer): different bounds.
NOT_EQUIVALENT = [
    ("f", "O(bd^2 + bnd)", "O(bd + bhd)"),
    ("f", "O(bd^2 + bnd)", "O(bnd^2)"),
    ("f", "O(bd^2 + bnd)", "O(bnd)"),
    ("g", "O(d^2 + bd + bnk)", "O(d^2 + bd + bnd)"),
    ("c", "O(N^2(D+M))", "O(N²D)"),
    ("c", "O(N^2(D+M))", "O(N D M)"),
    ("c", "O(N^2 + N(D+M))", "O(N^2)"),
    ("c_assume", "O(N^2(D+M))", "O(N^2 D) assuming M ≈ N"),
    ("d", "O(N D^3)", "O(N D^2)"),
    ("d", "O(ND + D^3)", "O(ND^2 + D^3)"),
    ("plain", "O(n log n)", "O(n)"),
    ("plain", "O(n log n)", "O(n (log n)^2)"),
    ("plain", "O(n^2)", "O(n^2 d)"),
    ("plain", "O(d^2)", "O(b n d)"),
    ("plain", "O(1)", "O(n)"),
]


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Part]:
    path = tmp_path_factory.mktemp("spec") / "t.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return {part.id.removeprefix("t."): part for part in load_question(path).parts}


def grade(parts: dict[str, Part], key: str, answer: str, reference: str | None = None) -> Outcome:
    part = parts[key]
    return complexity.grade(complexity.read(answer, part), complexity.read(reference or REFERENCE[key], part), part)


def built(part: Part, bounds: Sequence[str], assumptions: Sequence[tuple[str, str]] = ()) -> BigOReading:
    """A reading built directly: how the reader gives prose it reads (``M ≤ D`` → (M, D))."""

    def value(text: str) -> object:
        return read_expression(text, part.vocabulary).value

    return BigOReading(
        tuple(value(bound) for bound in bounds), tuple((value(left), value(right)) for left, right in assumptions)
    )


def grade_built(
    parts: dict[str, Part], key: str, bounds: Sequence[str], assumptions: Sequence[tuple[str, str]] = ()
) -> Outcome:
    part = parts[key]
    return complexity.grade(built(part, bounds, assumptions), complexity.read(REFERENCE[key], part), part)


def bound_part(parts: dict[str, Part], key: str) -> Part:
    """The part as the answer key gives it: bound to its reference reading."""
    part = parts[key]
    problems = ProblemSet("t", ())
    params = complexity.bind(part, problems, {part.id: complexity.read(REFERENCE[key], part)})
    return dataclasses.replace(part, params=params)


@pytest.mark.parametrize(("key", "reference", "answer"), EQUIVALENT)
def test_equivalent_bounds_are_correct(parts: dict[str, Part], key: str, reference: str, answer: str) -> None:
    outcome = grade(parts, key, answer, reference)
    assert (outcome.verdict, outcome.credit) == ("correct", 1.0), outcome.feedback
    part = parts[key]
    assert complexity.matches(complexity.read(answer, part), complexity.read(reference, part), part)
    assert complexity.matches(complexity.read(reference, part), complexity.read(answer, part), part)


@pytest.mark.parametrize(("key", "reference", "answer"), NOT_EQUIVALENT)
def test_different_bounds_are_incorrect(parts: dict[str, Part], key: str, reference: str, answer: str) -> None:
    outcome = grade(parts, key, answer, reference)
    assert (outcome.verdict, outcome.credit) == ("incorrect", 0.0), outcome.feedback
    part = parts[key]
    assert not complexity.matches(complexity.read(answer, part), complexity.read(reference, part), part)


def test_kv_cache_term_is_paired_with_the_students_term_and_named(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "g", "O(d^2 + bd + bnd)")
    expected = REPLACED_NAMED.format(
        name="the KV-cache read", expected="b·n·d/h", student="b·n·d", direction=complexity.LARGER
    )
    assert expected in outcome.feedback
    assert OVER_ESTIMATE in outcome.feedback
    assert outcome.note == "complexity:over_estimate"


def test_missing_term_is_named(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "c", "O(N^2 D)")
    assert MISSING_TERM.format(term="N²·M", named=" (the weighted sum of the values)") in outcome.feedback
    assert UNDER_ESTIMATE in outcome.feedback
    assert "N²·D" not in outcome.feedback  # the term the student got right is not discussed


def test_missing_term_without_a_name(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "c", "O(N^2)", "O(N^2 + N(D+M))")
    assert MISSING_TERM.format(term="N·D", named="") in outcome.feedback
    assert MISSING_TERM.format(term="N·M", named="") in outcome.feedback


def test_extra_term_is_named(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "c", "O(N^2 D M)")
    assert EXTRA_TERM.format(term="N²·D·M") in outcome.feedback
    assert OVER_ESTIMATE in outcome.feedback


def test_a_term_written_with_other_powers_is_paired_even_when_absorbed(
    parts: dict[str, Part],
) -> None:
    outcome = grade(parts, "f", "O(bd + bnd)")
    expected = REPLACED_NAMED.format(
        name="the projections", expected="b·d²", student="b·d", direction=complexity.SMALLER
    )
    assert expected in outcome.feedback
    assert UNDER_ESTIMATE in outcome.feedback


def test_pairing_without_a_term_name(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "plain", "O(n^3 + d)", "O(n^2 + d)")
    assert REPLACED.format(expected="n²", student="n³", direction=complexity.LARGER) in outcome.feedback


def test_incomparable_bound_is_neither_over_nor_under(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "f", "O(bd + bhd)")
    assert OVER_ESTIMATE not in outcome.feedback and UNDER_ESTIMATE not in outcome.feedback
    assert outcome.note == "complexity:different"
    assert EXTRA_TERM.format(term="b·h·d") in outcome.feedback


def test_stated_assumption_is_applied_and_said(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "c_assume", "O(N^2 D) assuming M ≈ D")
    assert outcome.verdict == "correct"
    assert outcome.feedback.startswith(CORRECT)
    assert ASSUMED.format(assumption="M = D") in outcome.feedback


def test_assumption_written_the_other_way_round(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "c_assume", "O(N^2 D), assuming D ≈ M")
    assert outcome.verdict == "correct"
    assert ASSUMED.format(assumption="M = D") in outcome.feedback


def test_assumption_that_is_not_assumable_is_ignored_and_said(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "c_assume", "O(N^2 D) assuming M ≈ N")
    assert outcome.verdict == "incorrect"
    assert NOT_ASSUMABLE.format(assumption="M ≈ N") in outcome.feedback
    assert "Graded assuming" not in outcome.feedback
    outcome = grade(parts, "c", "O(N^2 D) assuming M ≈ D")  # part c allows no assumption
    assert outcome.verdict == "incorrect"
    assert NOT_ASSUMABLE.format(assumption="M ≈ D") in outcome.feedback


def test_spec_rule_matches_by_meaning(parts: dict[str, Part]) -> None:
    part = parts["g"]
    reference = complexity.read(REFERENCE["g"], part)
    outcome = decide(part, complexity.read("O(bnd + d^2 + 2bd)", part), reference)
    assert (outcome.verdict, outcome.credit, outcome.note) == ("partial", 0.25, "mha_memory")
    assert outcome.rule_matched


def test_rule_without_assumption_does_not_override_correct_answer_with_assumption(
    parts: dict[str, Part],
) -> None:
    part = parts["c_assume"]
    reference = complexity.read(REFERENCE["c_assume"], part)
    assert decide(part, complexity.read("O(N^2 D) assuming M ≈ D", part), reference).verdict == "correct"
    outcome = decide(part, complexity.read("O(N^2 D)", part), reference)
    assert (outcome.verdict, outcome.note) == ("partial", "forgot_values")


def test_consistent_chain_is_graded_by_its_first_bound(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "c", "O(N^2 D + N^2 M) = O(N^2 max(D, M))")
    assert outcome.verdict == "correct"


def test_inconsistent_bounds_need_review(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "c", "O(N^2 D) = O(N^2 M)")
    assert outcome.verdict == "needs_review"
    assert outcome.note == "complexity:several_bounds"
    assert SEVERAL_BOUNDS.split("{")[0] in outcome.feedback
    assert "O(D*N^2), O(M*N^2)" in outcome.feedback


def test_non_polynomial_bound_falls_back_to_the_expression(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "plain", "O(2^n)", "O(2^n)")
    assert (outcome.verdict, outcome.feedback) == ("correct", CORRECT_BY_VALUE)


@pytest.mark.parametrize(
    ("reference", "answer"),
    [
        ("O(2^n)", "O(3 * 2^n)"),  # equivalent, but not in polynomial form: a person decides
        ("O(n)", "O(2^n)"),
        ("O(log(n + d))", "O(log n + log d)"),
        ("O(n)", "O(min(n, d))"),
        ("O(n)", "O(n - n^2)"),
    ],
)
def test_undecidable_bounds_need_review(parts: dict[str, Part], reference: str, answer: str) -> None:
    outcome = grade(parts, "plain", answer, reference)
    assert (outcome.verdict, outcome.credit, outcome.feedback) == ("needs_review", 0.0, UNDECIDED)
    part = parts["plain"]
    assert not complexity.matches(complexity.read(answer, part), complexity.read(reference, part), part)


def test_show_and_names(parts: dict[str, Part]) -> None:
    part = parts["c_assume"]
    reading = complexity.read("O(N^2 D) assuming M ≈ D", part)
    assert complexity.show_reading(reading) == "O(D*N^2) assuming M ≈ D"
    assert complexity.names(reading) == {"N", "D"}
    assert complexity.KIND.show is complexity.show_reading
    assert complexity.KIND.name == "complexity"


@pytest.mark.parametrize(
    ("term", "order", "shown"),
    [
        ((), (), "1"),
        ((("b", 1, 0), ("d", 1, 0), ("h", -1, 0), ("n", 1, 0)), ("b", "n", "d", "h"), "b·n·d/h"),
        ((("D", 1, 0), ("N", 2, 0)), ("N", "D"), "N²·D"),
        ((("n", 1, 1),), (), "n·log n"),
        ((("n", 0, 2),), (), "(log n)²"),
        ((("n", Fraction(1, 2), 0),), (), "√n"),
        ((("n", Fraction(3, 2), 0),), (), "n^(3/2)"),
        ((("h", -1, 0), ("k", -1, 0)), ("h", "k"), "1/(h·k)"),
    ],
)
def test_format_term(term: complexity.Term, order: tuple[str, ...], shown: str) -> None:
    typed = tuple((name, Fraction(p), Fraction(q)) for name, p, q in term)
    assert format_term(typed, order) == shown


def test_display_order_follows_the_spec_terms(parts: dict[str, Part]) -> None:
    assert parts["g"].params.order[:4] == ("b", "n", "d", "h")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ('term_names: {"b + d": "two terms"}', "not a single term"),
        ('assumable: ["M"]', "must be written 'symbol = value'"),
        ('assumable: ["2 = M"]', "must be a declared symbol"),
    ],
)
def test_bad_params_are_spec_errors(tmp_path: Path, params: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: x\nsymbols: {b: positive, d: positive, M: positive}\n"
        f"parts:\n  a:\n    kind: complexity\n    {params}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match=message):
        load_question(path)


# --- several bounds -----------------------------------------------------------------------------

#: (part, bounds, verdict): the last bound covers every earlier one, so it is the answer.
FINAL_BOUNDS = [
    ("c", ["N^2 D", "N^2 M", "N^2 (D + M)"], "correct"),  # QKᵀ costs …, ·V costs …, so … in total
    ("c", ["N^2 D", "N^2", "N^2 (D + M)"], "correct"),
    ("f", ["b d^2", "b n d", "b d^2 + b n d"], "correct"),
    ("f", ["b n d", "b d^2 + b n d"], "correct"),
    ("d", ["N D^2", "N C M"], "correct"),  # computing φ costs N·D², then N·C·M
    ("f", ["b d^2", "b n d^2"], "incorrect"),  # O(bd²) + O(bnd²) read as two bounds
    ("c", ["N^2", "N^2 D"], "incorrect"),  # the N×N matrix, then the scores
]


@pytest.mark.parametrize(("key", "bounds", "verdict"), FINAL_BOUNDS)
def test_the_final_bound_is_graded_when_it_covers_the_earlier_ones(
    parts: dict[str, Part], key: str, bounds: list[str], verdict: str
) -> None:
    part = parts[key]
    reading = built(part, bounds)
    outcome = complexity.grade(reading, complexity.read(REFERENCE[key], part), part)
    assert outcome.verdict == verdict, outcome.feedback
    final = FINAL_BOUND.format(bound=f"O({show(reading.bounds[-1])})")
    assert final in outcome.feedback
    assert SEVERAL_BOUNDS.split("{")[0] not in outcome.feedback


def test_llm_prose_with_partial_costs_then_the_total(parts: dict[str, Part]) -> None:
    text = "Computing QK^T costs O(N^2 D) and multiplying by V costs O(N^2 M), so O(N^2(D+M)) in total."
    outcome = grade(parts, "c", text)
    assert (outcome.verdict, outcome.credit) == ("correct", 1.0)
    assert outcome.feedback == f"{CORRECT} {FINAL_BOUND.format(bound='O(N^2*(D + M))')}"


def test_the_final_bound_may_be_the_sum_of_the_earlier_ones(parts: dict[str, Part]) -> None:
    part = parts["plain"]
    reading = built(part, ["2^n", "n^2", "2^n + n^2"])  # no canonical form: compared as a sum
    outcome = complexity.grade(reading, complexity.read("O(2^n + n^2)", part), part)
    assert outcome.verdict == "correct", outcome.feedback
    assert FINAL_BOUND.format(bound="O(2^n + n^2)") in outcome.feedback


def test_a_rule_matches_the_final_bound(parts: dict[str, Part]) -> None:
    part = bound_part(parts, "c_assume")
    reference = complexity.read(REFERENCE["c_assume"], part)
    text = "The scores cost O(N^2 D) and the softmax O(N^2), so O(N^2 D) in total."
    outcome = decide(part, complexity.read(text, part), reference)
    assert (outcome.verdict, outcome.credit, outcome.note) == ("partial", 0.5, "forgot_values")


#: (part, bounds, provisional credit): no bound is clearly the answer.
UNCLEAR_BOUNDS = [
    ("c", ["N^2 D", "N^2 M"], 0.0),
    ("c", ["N^2 D", "N^2 M", "N^2 D"], 0.0),  # the last misses N²M
    ("c", ["N^3", "N^2 (D + M)"], SEVERAL_BOUNDS_CREDIT),  # the last does not cover N³
    ("d_space", ["N D + D^3", "N D^2 + D^3"], SEVERAL_BOUNDS_CREDIT),  # alternatives: on the fly / stored
    ("d_space", ["N D^2 + D^3", "N D + D^3"], SEVERAL_BOUNDS_CREDIT),
]


@pytest.mark.parametrize(("key", "bounds", "credit"), UNCLEAR_BOUNDS)
def test_unclear_bounds_need_review(parts: dict[str, Part], key: str, bounds: list[str], credit: float) -> None:
    part = bound_part(parts, key)
    reading = built(part, bounds)
    reference = complexity.read(REFERENCE[key], part)
    outcome = complexity.grade(reading, reference, part)
    assert (outcome.verdict, outcome.credit, outcome.note) == ("needs_review", credit, "complexity:several_bounds")
    shown = ", ".join(f"O({show(bound)})" for bound in reading.bounds)
    assert SEVERAL_BOUNDS.format(bounds=shown) in outcome.feedback
    assert (ONE_IS_EXPECTED.split("}")[1] in outcome.feedback) == (credit > 0)
    # no rule may settle it either: the engine keeps the grader's verdict
    assert decide(part, reading, reference) == outcome


def test_alternative_space_bounds_list_both_and_name_the_expected_one(parts: dict[str, Part]) -> None:
    text = "O(ND + D^3) if phi is computed on the fly, O(ND^2 + D^3) if we store phi(Q), phi(K)"
    part = bound_part(parts, "d_space")
    outcome = decide(part, complexity.read(text, part), complexity.read(REFERENCE["d_space"], part))
    assert (outcome.verdict, outcome.credit) == ("needs_review", SEVERAL_BOUNDS_CREDIT)
    assert "O(D^3 + D*N), O(D^3 + D^2*N)" in outcome.feedback
    assert ONE_IS_EXPECTED.format(bound="O(D^3 + D*N)") in outcome.feedback


def test_hw9_several_bounds_through_the_answer_key(grade_hw9: Callable[[str, str], PartResult]) -> None:
    total = grade_hw9(
        "q6.c.time",
        "Computing QK^T costs O(N^2 D) and multiplying by V costs O(N^2 M), so O(N^2(D+M)) in total.",
    )
    assert (total.verdict, total.score) == ("correct", total.max_score)
    both = grade_hw9(
        "q6.d.space", "O(ND + D^3) if phi is computed on the fly, O(ND^2 + D^3) if we store phi(Q), phi(K)"
    )
    assert (both.verdict, both.score) == ("needs_review", SEVERAL_BOUNDS_CREDIT * both.max_score)


# --- assumptions --------------------------------------------------------------------------------

#: (part, bounds, assumptions): assumptions the spec's substitutions already make.
IMPLIED = [
    ("f", ["b d^2 + b n d"], [("k", "d/h")]),  # O(bd^2 + bnd) where k = d/h
    ("f", ["b d^2 + b n d"], [("d/h", "k")]),
    ("g", ["d^2 + b d + b n k"], [("k", "d/h")]),
    ("d", ["N D^2 M"], [("C", "D^2")]),  # O(N D^2 M) where C = D^2
    ("d", ["N D^3"], [("M", "D")]),  # O(ND^3) assuming M ≈ D
    ("d", ["N C M"], [("C", "D^2"), ("M", "D")]),
    ("d", ["N C M"], [("C", "2 D^2")]),  # the same bound
]


@pytest.mark.parametrize(("key", "bounds", "assumptions"), IMPLIED)
def test_assumptions_the_substitutions_imply_are_accepted_silently(
    parts: dict[str, Part], key: str, bounds: list[str], assumptions: list[tuple[str, str]]
) -> None:
    outcome = grade_built(parts, key, bounds, assumptions)
    assert (outcome.verdict, outcome.feedback) == ("correct", CORRECT)


def test_implied_assumption_does_not_hide_a_wrong_bound(parts: dict[str, Part]) -> None:
    part = parts["g"]
    reading = built(part, ["d^2 + b d + b n d"], [("k", "d/h")])  # the MHA figure, "where k = d/h"
    outcome = decide(part, reading, complexity.read(REFERENCE["g"], part))
    assert (outcome.verdict, outcome.note) == ("partial", "mha_memory")
    plain = complexity.grade(reading, complexity.read(REFERENCE["g"], part), part)
    assert "assum" not in plain.feedback and "stated" not in plain.feedback


@pytest.mark.parametrize(
    "assumption",
    [("M", "D"), ("D", "M")],
    ids=["M ≤ D, M << D, M = O(D)", "D ≥ M"],
)
def test_upper_bound_assumptions_apply_as_the_assumable_one(
    parts: dict[str, Part], assumption: tuple[str, str]
) -> None:
    outcome = grade_built(parts, "c_assume", ["N^2 D"], [assumption])
    assert (outcome.verdict, outcome.credit) == ("correct", 1.0)
    assert ASSUMED.format(assumption="M = D") in outcome.feedback
    assert "does not allow" not in outcome.feedback


def test_another_assumption_on_the_same_name_is_not_the_assumable_one(parts: dict[str, Part]) -> None:
    outcome = grade_built(parts, "c_assume", ["N^2 D"], [("M", "D^2")])  # O(N^2 D) where M = D^2
    assert outcome.verdict == "incorrect"
    assert NOT_ASSUMABLE.format(assumption="M ≈ D^2") in outcome.feedback
    assert "Graded assuming" not in outcome.feedback
    part = parts["c_assume"]
    reading = built(part, ["N^2 D"], [("M", "D^2")])
    decided = decide(part, reading, complexity.read(REFERENCE["c_assume"], part))
    assert (decided.verdict, decided.note) == ("partial", "forgot_values")


@pytest.mark.parametrize(
    ("key", "bounds", "assumption", "verdict", "stated", "spec"),
    [
        ("g", ["d^2 + b d + b n k"], ("k", "d"), "correct", "k = d", "k = d/h"),
        ("g", ["d^2 + b d + b n d"], ("k", "d"), "incorrect", "k = d", "k = d/h"),
        ("d", ["N C M"], ("C", "D"), "correct", "C = D", "C = D^2"),
    ],
)
def test_assumption_contradicting_a_substitution_is_overruled_and_said(
    parts: dict[str, Part],
    key: str,
    bounds: list[str],
    assumption: tuple[str, str],
    verdict: str,
    stated: str,
    spec: str,
) -> None:
    outcome = grade_built(parts, key, bounds, [assumption])
    assert outcome.verdict == verdict, outcome.feedback
    assert CONTRADICTS.format(assumption=stated, spec=spec) in outcome.feedback
    assert "does not allow" not in outcome.feedback


def test_contradicting_assumption_as_written(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "g", "O(d^2 + bd + bnk) where k = d")
    assert outcome.verdict == "correct"
    assert CONTRADICTS.format(assumption="k = d", spec="k = d/h") in outcome.feedback


@pytest.mark.parametrize(
    ("key", "bounds", "assumption", "sentence"),
    [
        ("f", ["b d^2 + b n d"], ("h", "8"), NOT_NEEDED.format(assumption="h ≈ 8")),  # no h in either bound
        ("f", ["b d^2 + b n d"], ("n", "1"), NOT_ASSUMABLE.format(assumption="n ≈ 1")),
        ("c_assume", ["N^2 D"], ("M", "N"), NOT_ASSUMABLE.format(assumption="M ≈ N")),
    ],
)
def test_ignored_assumptions_are_only_blamed_when_they_matter(
    parts: dict[str, Part], key: str, bounds: list[str], assumption: tuple[str, str], sentence: str
) -> None:
    outcome = grade_built(parts, key, bounds, [assumption])
    assert sentence in outcome.feedback
    other = NOT_ASSUMABLE if sentence.startswith(NOT_NEEDED.split("{")[0]) else NOT_NEEDED
    assert other.split("{")[0] not in outcome.feedback


# --- bounded time -------------------------------------------------------------------------------

SLOW = [
    ("f", "O((b+d+n)^64)", "incorrect"),
    ("f", "O((b+d+n)^64 + 2^n)", "needs_review"),
    ("f", "O(2^((b+d+n)^64))", "needs_review"),  # the expression comparison would expand it
    ("f", "O((b+d+n)^64) = O(bd^2 + bnd)", "needs_review"),
    ("f", "O(bd^2 + bnd) = O((b+d+n)^64 + 2^n)", "needs_review"),
    (
        "f",
        "O(" + "*".join(f"({x} + {y})" for x, y in itertools.combinations("bdhnkNDMC", 2)) + ")",  # 2^36 terms
        "needs_review",
    ),
    ("f", "O((b+d+h+n)^3 (b+d+h+n)^3 (b+d+h+n)^3)", "incorrect"),
]


@pytest.mark.parametrize(("key", "answer", "verdict"), SLOW)
def test_big_expressions_are_graded_quickly(parts: dict[str, Part], key: str, answer: str, verdict: str) -> None:
    part = parts[key]
    reference = complexity.read(REFERENCE[key], part)
    start = time.perf_counter()
    reading = complexity.read(answer, part)
    outcome = complexity.grade(reading, reference, part)
    complexity.matches(reading, reference, part)
    assert time.perf_counter() - start < 1.0
    assert outcome.verdict == verdict, outcome.feedback


def test_expansion_cost_counts_the_monomials(parts: dict[str, Part]) -> None:
    value = read_expression("(b + d + n)^64", parts["plain"].vocabulary).value
    assert complexity.expansion_cost(value) == math.comb(66, 2) > complexity.MAX_EXPANSION


#: (part, answer as written, verdict, share of the points, a sentence of the feedback or None): the
#: red team's answers, through the real reader, specs and reference.
HW9 = [
    ("q4.f", "O(bd^2) + O(bnd)", "correct", 1.0, None),
    ("q4.f", "O(bd^2 + bnd) where k = d/h", "correct", 1.0, None),
    ("q4.f", "O(bd^2 + bnd) where h = 8", "correct", 1.0, NOT_NEEDED.format(assumption="h ≈ 8")),
    ("q4.g", "O(d^2 + bd + bnk) where k = d", "correct", 1.0, CONTRADICTS.format(assumption="k = d", spec="k = d/h")),
    ("q4.g", "O(d^2 + bd + bnd) where k = d/h", "partial", 0.25, None),  # the MHA figure (rule)
    ("q6.c.time", "O(N^2 D) assuming M ≤ D", "correct", 1.0, ASSUMED.format(assumption="M = D")),
    ("q6.c.time", "O(N^2 D) assuming M << D", "correct", 1.0, ASSUMED.format(assumption="M = D")),
    ("q6.c.time", "O(N^2 D) as long as M = O(D)", "correct", 1.0, ASSUMED.format(assumption="M = D")),
    ("q6.c.time", "O(N^2 D) where M = D^2", "partial", 0.5, None),  # not M = D: the forgot_values rule
    ("q6.d.time", "O(ND^3) assuming M ≈ D", "correct", 1.0, None),
    ("q6.d.time", "O(N D^2 M) where C = D^2", "correct", 1.0, None),
    ("q6.d.time", "O(NCM) with C = O(D^2)", "correct", 1.0, None),
]


@pytest.mark.parametrize(("part_id", "text", "verdict", "share", "sentence"), HW9)
def test_hw9_answers_with_assumptions_and_several_bounds(
    grade_hw9: Callable[[str, str], PartResult],
    part_id: str,
    text: str,
    verdict: str,
    share: float,
    sentence: str | None,
) -> None:
    result = grade_hw9(part_id, text)
    assert (result.verdict, result.score) == (verdict, share * result.max_score), result.feedback
    assert "does not allow" not in result.feedback
    if sentence is not None:
        assert sentence in result.feedback
    elif verdict == "correct":
        assert result.feedback == CORRECT


def test_a_reading_without_bounds_needs_review(parts: dict[str, Part]) -> None:
    part = parts["c"]
    outcome = complexity.grade(BigOReading(()), complexity.read(REFERENCE["c"], part), part)
    assert (outcome.verdict, outcome.credit) == ("needs_review", 0.0)


# --- the format example never gives an answer away ----------------------------------------------

HW9_COMPLEXITY_PARTS = ["q4.f", "q4.g", "q6.c.time", "q6.c.space", "q6.d.time", "q6.d.space"]


def _same_bound(part: Part, example: str, known: BigOReading) -> bool:
    """Is the example's first spelling, read with the part's grader, the known bound?"""
    shown = example.split("), ")[0] + ")"
    return complexity.matches(complexity.read(shown, part), known, part)


@pytest.mark.parametrize("answer_id", HW9_COMPLEXITY_PARTS)
def test_hw9_format_example_is_neither_reference_nor_rule(hw9_key: AnswerKey, answer_id: str) -> None:
    part = hw9_key.problems.part(answer_id)
    example = grading.example(part)
    assert example.startswith("O(")
    known = [hw9_key.readings[answer_id], *(reading for rule in part.rules for reading in rule.readings)]
    assert not any(_same_bound(part, example, reading) for reading in known)
    for spelling in example.replace(" or ", ", ").split(", O"):
        complexity.read(spelling if spelling.startswith(("O", "\\")) else "O" + spelling, part)  # all readable


@pytest.mark.parametrize(
    ("reference", "rules", "expected"),
    [
        ("O(b d^2 + b n d)", "", "O(C^2 + C*D)"),  # the old fixed hint, q4.f's answer, is not shown
        ("O(C^2 + C D)", "", "O(C^3 + C*D)"),  # the first candidate is the answer: next power
        ("O(C^2 + C D)", "O(C^3 + C D)", "O(C^4 + C*D)"),  # …and a rule's answer is skipped too
        ("O(3 C D + C^2/2 + C)", "", "O(C^3 + C*D)"),  # the same bound by meaning, spelt otherwise
    ],
)
def test_format_example_avoids_known_answers(parts: dict[str, Part], reference: str, rules: str, expected: str) -> None:
    part = parts["plain"]
    if rules:
        rule = Rule("known", answers=(rules,), readings=(complexity.read(rules, part),))
        part = dataclasses.replace(part, rules=(rule,))
    params = complexity.bind(part, ProblemSet("t", ()), {part.id: complexity.read(reference, part)})
    example = complexity.example_for(dataclasses.replace(part, params=params))
    assert example.startswith(expected)
