"""``complexity``: big-O bounds compared by their canonical terms (HW9 Q4 f/g, Q6 c/d)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from autograder.graders import complexity
from autograder.graders.complexity import (
    ASSUMED,
    CORRECT,
    CORRECT_BY_VALUE,
    EXTRA_TERM,
    MISSING_TERM,
    NOT_ASSUMABLE,
    OVER_ESTIMATE,
    REPLACED,
    REPLACED_NAMED,
    SEVERAL_BOUNDS,
    UNDECIDED,
    UNDER_ESTIMATE,
    format_term,
)
from autograder.grading import decide
from autograder.result import Outcome
from autograder.spec import Part, SpecError, load_question

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
