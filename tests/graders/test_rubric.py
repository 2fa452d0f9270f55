"""``rubric``: free-text answers to HW9 Q2.b and Q6.a, scored by the ideas they show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder.graders import rubric
from autograder.mathread import Unreadable
from autograder.result import Outcome
from autograder.spec import Part, SpecError, load_question

# Patterns in the style of problems/hw9 (kept here so these tests do not move with the specs).
SPEC = r"""
id: q
parts:
  argmax_training:
    kind: rubric
    concepts:
      - id: zero_gradient
        credit: 0.5
        description: argmax is piecewise constant, so its gradient is zero almost everywhere.
        patterns:
          - 'gradients?\W+(\w+\W+){0,6}?(is|are|be|become|becomes)\W+(\w+\W+){0,2}?(zero|0|vanish\w*|undefined|none)'
          - 'gradients?\W+(\w+\W+){0,3}?vanish'
          - '(zero|vanishing|no|null|0)\W+(\w+\W+){0,2}?(gradient|derivative)s?'
          - '(not|non)[- ]?differentiable'
          - 'piece-?wise constant'
          - 'derivatives?\W+(\w+\W+){0,4}?(is|are)\W+(\w+\W+){0,2}?(zero|0|undefined)'
      - id: no_learning_qk
        credit: 0.5
        description: so no gradient reaches the queries and keys; they cannot be learned.
        patterns:
          - '(quer(y|ies)|keys?|W_?Q|W_?K|projections?)\W+(\w+\W+){0,12}?(not|never|cannot|can''t|no longer|won''t)\W+(\w+\W+){0,3}?(learn|learned|trained|train|updated|update)'
          - '(no|zero) (gradient|signal|update)s?\W+(\w+\W+){0,6}?(to|for|reach\w*|into|through)\W+(\w+\W+){0,4}?(quer|keys?|W_?Q|W_?K|projection|score)'
      - id: smooth_relaxation
        credit: 0
        required: false
        description: (optional) softmax is the smooth relaxation of argmax.
        patterns: ['smooth (relaxation|approximation)']
    misconceptions:
      - id: faster
        patterns: ['(argmax|it)\W+(\w+\W+){0,4}?(trains|converges|learns) faster']
        message: argmax does not speed up learning.
  sim_condition:
    kind: rubric
    concepts:
      - id: denominator_nonzero
        credit: 1
        description: the denominator Σ_j sim(Q_i, K_j) must never vanish.
        patterns:
          - '(sum|Σ|denominator)\W+(\w+\W+){0,12}?(≠|non-?zero|not (equal to |be )?(zero|0)|never (be )?(zero|0|vanish)|positive|> ?0)'
          - '≠ ?0'
          - 'sim\w*\W+(\w+\W+){0,8}?(> ?0|strictly positive|(is|be|are|always|must be) positive)'
    misconceptions:
      - id: nonnegative_only
        patterns: ['≥ ?0', 'non-?negative']
        message: sim ≥ 0 alone is not enough.
      - id: kernel_is_enough
        patterns: ['(psd|positive semi-?definite|mercer) kernel', 'must be a kernel']
        message: Being a (PSD) kernel is not enough.
"""  # noqa: E501 (regular expressions in the spec cannot be wrapped)

ARGMAX_FULL = (
    "Argmax is piecewise constant in the scores, so its gradient is zero almost everywhere "
    "(and undefined at ties). No gradient flows back to the queries and keys, so W_Q and W_K "
    "cannot be learned; only the selected value gets a gradient."
)
ARGMAX_LLM = (
    "Replacing softmax with argmax makes the attention operation non-differentiable. The "
    "argmax output is a one-hot selection that does not change under small perturbations of "
    "the scores, so the derivative of the output with respect to the attention logits is zero "
    "almost everywhere. Consequently, the query and key projections receive no gradient signal "
    "and cannot be trained by backpropagation; softmax is exactly the smooth relaxation that "
    "avoids this."
)
ARGMAX_ONLY_VANISH = "With argmax the gradients vanish."
ARGMAX_TIES = (
    "The problem is ties: if two keys get the same score, argmax has to pick one of them "
    "arbitrarily, which makes the output jump around during training."
)
ARGMAX_SOFTMAX_ONLY = (
    "Softmax turns the scores into a probability distribution, so the output is a weighted "
    "average of all the values and every key contributes."
)
ARGMAX_NEGATED = (
    "Argmax is not piecewise constant, and its gradient is not zero, so training works just like with softmax."
)
ARGMAX_FASTER = ARGMAX_FULL + " On the other hand argmax trains faster because it is sparse."

SIM_SUM_LATEX = r"$\sum_j sim(Q_i, K_j) \neq 0$ for every i"
SIM_SUM_ASCII = "sum_j sim(Q_i, K_j) != 0 for all i"
SIM_SUM_UNICODE = "∑_j sim(Q_i, K_j) ≠ 0"
SIM_POSITIVE = "sim(q,k) > 0 for all q, k like exp"
SIM_POSITIVE_LATEX = r"\mathrm{sim}(q, k) \gt 0 for all q, k"
SIM_NONNEGATIVE = "sim ≥ 0"
SIM_NONNEGATIVE_ASCII = "sim(q, k) >= 0"
SIM_KERNEL = "sim must be a PSD kernel"
SIM_NEGATED = "The denominator is not positive in general."

# (part, answer, verdict, credit, concepts found, misconceptions found)
CASES = [
    ("argmax_training", ARGMAX_FULL, "correct", 1.0, {"zero_gradient", "no_learning_qk"}, set()),
    (
        "argmax_training",
        ARGMAX_LLM,
        "correct",
        1.0,
        {"zero_gradient", "no_learning_qk", "smooth_relaxation"},
        set(),
    ),
    ("argmax_training", ARGMAX_ONLY_VANISH, "needs_review", 0.5, {"zero_gradient"}, set()),
    ("argmax_training", ARGMAX_TIES, "needs_review", 0.0, set(), set()),
    ("argmax_training", ARGMAX_SOFTMAX_ONLY, "needs_review", 0.0, set(), set()),
    ("argmax_training", ARGMAX_NEGATED, "needs_review", 0.0, set(), set()),
    (
        "argmax_training",
        ARGMAX_FASTER,
        "needs_review",
        1.0,
        {"zero_gradient", "no_learning_qk"},
        {"faster"},
    ),
    ("sim_condition", SIM_SUM_LATEX, "correct", 1.0, {"denominator_nonzero"}, set()),
    ("sim_condition", SIM_SUM_ASCII, "correct", 1.0, {"denominator_nonzero"}, set()),
    ("sim_condition", SIM_SUM_UNICODE, "correct", 1.0, {"denominator_nonzero"}, set()),
    ("sim_condition", SIM_POSITIVE, "correct", 1.0, {"denominator_nonzero"}, set()),
    ("sim_condition", SIM_POSITIVE_LATEX, "correct", 1.0, {"denominator_nonzero"}, set()),
    ("sim_condition", SIM_NONNEGATIVE, "needs_review", 0.0, set(), {"nonnegative_only"}),
    ("sim_condition", SIM_NONNEGATIVE_ASCII, "needs_review", 0.0, set(), {"nonnegative_only"}),
    ("sim_condition", SIM_KERNEL, "needs_review", 0.0, set(), {"kernel_is_enough"}),
    ("sim_condition", SIM_NEGATED, "needs_review", 0.0, set(), set()),
]


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Part]:
    path: Path = tmp_path_factory.mktemp("spec") / "q.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return {part.id.split(".", 1)[1]: part for part in load_question(path).parts}


def grade(part: Part, text: str) -> Outcome:
    # The reference is only shown for free text, never compared: None stands in for it.
    return rubric.grade(rubric.read(text, part), None, part)


@pytest.mark.parametrize(
    ("key", "text", "verdict", "credit", "found", "wrong"),
    CASES,
    ids=[f"{case[0]}:{case[1][:40]}" for case in CASES],
)
def test_verdict_credit_and_feedback(
    parts: dict[str, Part],
    key: str,
    text: str,
    verdict: str,
    credit: float,
    found: set[str],
    wrong: set[str],
) -> None:
    part = parts[key]
    params: rubric.Params = part.params
    outcome = grade(part, text)
    assert (outcome.verdict, outcome.credit) == (verdict, credit), outcome.feedback
    for concept in params.concepts:
        if concept.id in found:
            assert rubric.FOUND.format(description=concept.description) in outcome.feedback
        else:  # a missing idea is pointed at, never given away
            hint = rubric.MISSING_HINTED.format(hint=concept.hint) if concept.hint else rubric.MISSING_UNNAMED
            assert hint in outcome.feedback
            assert concept.description not in outcome.feedback
    for misconception in params.misconceptions:
        assert (misconception.message in outcome.feedback) == (misconception.id in wrong)
    assert (rubric.NOTHING_FOUND in outcome.feedback) == (not found)
    assert (rubric.PROVISIONAL in outcome.feedback) == (verdict == "needs_review")


def test_provisional_score_is_stated(parts: dict[str, Part]) -> None:
    outcome = grade(parts["argmax_training"], ARGMAX_ONLY_VANISH)
    assert rubric.PROVISIONAL_CREDIT.format(percent="50%") in outcome.feedback
    assert outcome.note == "rubric:+zero_gradient,-no_learning_qk,-smooth_relaxation"


NEGATION = [
    # (text, counts?) for the concept zero_gradient / no_learning_qk
    ("argmax is piecewise constant", True),
    ("argmax is not piecewise constant", False),
    ("argmax is never piecewise constant", False),
    ("argmax isn't piecewise constant", False),
    ("argmax isn’t piecewise constant", False),
    ("its gradient is not zero", False),
    ("its gradient is zero", True),
    ("argmax is not differentiable", True),  # the negation is part of the pattern
    ("No, argmax is piecewise constant", True),  # a clause boundary ends the look-back
    ("the keys cannot be learned", True),
]


@pytest.mark.parametrize(("text", "counts"), NEGATION)
def test_simple_negations(parts: dict[str, Part], text: str, counts: bool) -> None:
    params: rubric.Params = parts["argmax_training"].params
    reading = rubric.read(text, parts["argmax_training"])
    found = any(rubric.present(patterns, reading.text) for patterns in params.concept_patterns)
    assert found == counts


NORMALIZED = [
    ("a != b", "a ≠ b"),
    ("a =/= b", "a ≠ b"),
    (r"a \neq b", "a ≠ b"),
    (r"a \ne b", "a ≠ b"),
    ("x >= 0", "x ≥ 0"),
    (r"x \geq 0", "x ≥ 0"),
    (r"x \ge 0", "x ≥ 0"),
    ("x ⩾ 0", "x ≥ 0"),
    (r"x \leq 0", "x ≤ 0"),
    (r"x \gt 0", "x > 0"),
    (r"\sum_j s", "Σ_j s"),
    ("∑_j s", "Σ_j s"),
    (r"$\mathrm{sim}(q, k)$", "sim(q, k)"),
    (r"\left( a \right)", "( a )"),
    ("can’t  be\n learned", "can't be learned"),
    ("x − y", "x - y"),
]


@pytest.mark.parametrize(("text", "normalized"), NORMALIZED)
def test_normalization(text: str, normalized: str) -> None:
    assert rubric.normalize(text) == normalized


def test_a_long_answer_is_unreadable(parts: dict[str, Part]) -> None:
    with pytest.raises(Unreadable) as caught:
        rubric.read("word " * 20_000, parts["argmax_training"])
    assert caught.value.message == rubric.TOO_LONG.format(length=100_000, limit=rubric.MAX_CHARS)
    assert caught.value.hint == rubric.KIND.example


def test_free_text_is_never_matched_by_meaning(parts: dict[str, Part]) -> None:
    part = parts["sim_condition"]
    reading = rubric.read(SIM_POSITIVE, part)
    assert not rubric.matches(reading, reading, part)
    assert rubric.KIND.needs_reference is False
    assert rubric.show(reading) == SIM_POSITIVE


BAD_SPECS = [
    (
        "concepts: [{id: c, credit: 1, description: d, patterns: ['(unclosed']}]",
        "concept 'c': patterns[0] is not a valid regular expression",
    ),
    (
        "concepts: [{id: c, credit: 0.7, description: d, patterns: [x]},"
        " {id: e, credit: 0.7, description: d, patterns: [y]}]",
        "the credits add up to 1.4",
    ),
    (
        "concepts: [{id: c, credit: 1, description: d, patterns: [x]}]\n"
        "    misconceptions: [{id: m, message: 'no', patterns: ['a[']}]",
        "misconception 'm': patterns[0]",
    ),
    ("concepts: [{id: c, credit: 1, description: d}]", "patterns"),
    ("concepts: []", "at least one concept"),
]


@pytest.mark.parametrize(("params", "message"), BAD_SPECS)
def test_bad_params_are_spec_errors(tmp_path: Path, params: str, message: str) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(f"id: q\nparts:\n  a:\n    kind: rubric\n    {params}\n", encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(message)):
        load_question(path)
