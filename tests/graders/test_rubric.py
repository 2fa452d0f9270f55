"""``rubric``: free-text answers (HW9 Q2.b and Q6.a, HW10 Q2.d, a generic spec), scored by the ideas they show."""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from autograder.graders import rubric
from autograder.mathread import Unreadable
from autograder.problem import Part
from autograder.result import Outcome, PartResult
from autograder.spec import SpecError, load_question

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


# --- Free text is never falsely accepted: denials, retractions, hedges, misconceptions anywhere ----------
#
# (answer id, text, verdict, label). Labels: ``right`` (the idea, stated plainly), ``contradicts`` (the
# idea, then denied, retracted or contradicted somewhere), ``hedged``, ``misconception`` (asserts a listed
# wrong idea), ``negated_misconception`` (rejects a listed wrong idea), ``double_negation``. The hw9
# parts are graded through the engine with the real specs; ``argmax_training`` and ``sim_condition``
# are the generic spec above.
HW9_RIGHT = [
    # Right answers whose wording looks like a denial or a hedge and is not one.
    (
        "hw10:q2.d",
        "The cell state is additive and the forget gate stays near 1, so the gradient flows backwards through "
        "time almost unchanged.",
        "correct",
        "right",
    ),
    (
        "q2.b",
        "Only the selected value gets a gradient, the keys don't: argmax is piecewise constant, so W_Q and W_K "
        "cannot be learned.",
        "correct",
        "right",
    ),
    (
        "q2.b",
        "Argmax is piecewise constant: small changes to the scores have no effect on the output, so the gradient "
        "is zero almost everywhere, and the queries and keys cannot be learned. With softmax, training works fine.",
        "correct",
        "right",
    ),
    (
        "hw10:q2.d",
        "Additive cell-state updates gated by the forget gate mean the gradient is not squashed by tanh at every "
        "step, as it is in a vanilla RNN, where it is multiplied by W_h each time.",
        "correct",
        "right",
    ),
    ("q6.a", "sim(q,k) > 0 for all q, k.", "correct", "right"),
    ("q6.a", "The denominator Σ_j sim(Q_i, K_j) has to be different from zero for every i.", "correct", "right"),
    ("q6.a", "V'_i is finite as long as the normalizer Σ_j sim(Q_i,K_j) is nonzero.", "correct", "right"),
    ("q6.a", "sim must be strictly positive (e.g. exp(q^T k)), so the denominator can never be 0.", "correct", "right"),
    (
        "q6.a",
        "Why does V'_i blow up? Because we divide by Σ_j sim(Q_i, K_j). So that sum must not be 0.",
        "correct",
        "right",
    ),
    (
        "q2.b",
        "Argmax is piecewise constant, so its derivative wrt the scores is zero almost everywhere. Therefore no "
        "gradient reaches W_Q and W_K, and they cannot be learned.",
        "correct",
        "right",
    ),
    (
        "q2.b",
        "Using argmax instead of softmax makes the attention piecewise constant, so the gradient wrt the scores "
        "is zero and the queries and keys cannot be learned.",
        "correct",
        "right",
    ),
    (
        "q2.b",
        "Argmax is not differentiable: its derivative with respect to the scores is 0 wherever it is defined. "
        "Hence the queries and keys receive no gradient and can never be learned.",
        "correct",
        "right",
    ),
]
HW9_NEGATED_MISCONCEPTION = [
    ("q6.a", "sim ≥ 0 is not enough, we need sim > 0.", "correct", "negated_misconception"),
    (
        "q6.a",
        "The normalization Σ_j sim(Q_i, K_j) must not be zero; note that sim ≥ 0 would not guarantee this.",
        "correct",
        "negated_misconception",
    ),
    ("q6.a", "sim must be strictly positive rather than non-negative.", "correct", "negated_misconception"),
    (
        "q6.a",
        "The denominator Σ_j sim(Q_i, K_j) must be nonzero; it is NOT true that any positive-definite kernel works.",
        "correct",
        "negated_misconception",
    ),
    (
        "q2.b",
        "Argmax is piecewise constant so the keys and queries cannot be learned. It is not true that argmax "
        "trains faster.",
        "correct",
        "negated_misconception",
    ),
    # Which of the two the denial is about cannot be told here: the kernel is rejected, sim ≥ 0 stands.
    (
        "q6.a",
        "sim ≥ 0 works and a PSD kernel is not needed, the sum must be non-zero.",
        "needs_review",
        "misconception",
    ),
]
HW9_CONTRADICTS = [
    ("q6.a", "sim(q,k) > 0 for all q, k. However sim > 0 is not sufficient.", "needs_review", "contradicts"),
    ("q6.a", "sim(q,k) > 0 for all q, k, but that is not the condition.", "needs_review", "contradicts"),
    ("q6.a", "sim(q,k) > 0 for all q, k. This is wrong.", "needs_review", "contradicts"),
    ("q6.a", "The sum of sim values must be nonzero, which does not hold in general.", "needs_review", "contradicts"),
    ("q6.a", "The denominator must not be zero. A positive sim isn't required.", "needs_review", "contradicts"),
    ("q6.a", "It is not necessary that the denominator be nonzero.", "needs_review", "contradicts"),
    ("q6.a", "Requiring sim(q,k) > 0 won't be enough.", "needs_review", "contradicts"),
    ("q6.a", "One could require sim(q,k) > 0, but that's not it.", "needs_review", "contradicts"),
    ("q6.a", "People claim sim > 0 for all q, k, but I disagree.", "needs_review", "contradicts"),
    (
        "q6.a",
        "sim(q,k) > 0 isn't the condition; the condition is that sim is symmetric.",
        "needs_review",
        "contradicts",
    ),
    (
        "q2.b",
        "argmax is piecewise constant, so its gradient is zero almost everywhere; W_Q and W_K cannot be learned. "
        "Actually the gradient is not zero.",
        "needs_review",
        "contradicts",
    ),
    (
        "q2.b",
        "The gradient vanishes so the keys cannot be learned. However, the gradient does not vanish in practice.",
        "needs_review",
        "contradicts",
    ),
    (
        "q2.b",
        "argmax is piecewise constant, so W_Q and W_K cannot be learned. Actually that is wrong, the gradient "
        "flows fine.",
        "needs_review",
        "contradicts",
    ),
    (
        "q2.b",
        "It is false that argmax is piecewise constant; the keys cannot be learned though.",
        "needs_review",
        "contradicts",
    ),
    ("q6.a", "The denominator must be non-zero. Never mind, that is not how it works.", "needs_review", "contradicts"),
    ("q6.a", "sim > 0 for all q and k, or not.", "needs_review", "contradicts"),
    (
        "q2.b",
        "The gradient is zero almost everywhere so the keys cannot be learned. "
        "Actually, no: the keys are trained as usual.",
        "needs_review",
        "contradicts",
    ),
    (
        "hw10:q2.d",
        "The cell state is updated additively and the forget gate keeps it near 1. That is a common myth though.",
        "needs_review",
        "contradicts",
    ),
    (
        "hw10:q2.d",
        "Because of the additive update and the forget gate, gradients survive; "
        "though in fact the forget gate plays no role.",
        "needs_review",
        "contradicts",
    ),
]
HW9_HEDGED = [
    ("q6.a", "Maybe sim(q,k) > 0 for all q, k.", "needs_review", "hedged"),
    ("q6.a", "sim(q,k) > 0 for all q, k? I'm not sure.", "needs_review", "hedged"),
    ("q6.a", "Is sim(q,k) > 0 enough? I think not.", "needs_review", "hedged"),
    ("q6.a", "I'm not sure, perhaps the denominator must be nonzero.", "needs_review", "hedged"),
    (
        "q2.b",
        "The gradient is zero almost everywhere, so the keys cannot be learned. I'm not sure though.",
        "needs_review",
        "hedged",
    ),
    ("q2.b", "I guess the gradient is zero so the keys cannot be learned.", "needs_review", "hedged"),
]
HW9_MISCONCEPTION = [
    ("q6.a", "sim > 0 everywhere, and sim ≥ 0 suffices.", "needs_review", "misconception"),
    ("q6.a", "The denominator must be nonzero, so sim must be a PSD kernel.", "needs_review", "misconception"),
    ("q6.a", "sim(q,k) > 0 is not required; sim just has to be a kernel.", "needs_review", "misconception"),
    (
        "q2.b",
        "argmax is piecewise constant so W_Q and W_K cannot be learned, but argmax trains faster.",
        "needs_review",
        "misconception",
    ),
    (
        "q2.b",
        "argmax is piecewise constant, which means queries cannot be learned; also argmax learns faster.",
        "needs_review",
        "misconception",
    ),
    # The opposite of an idea, said without a negation, is a misconception of its own.
    (
        "q2.b",
        "argmax is piecewise constant so W_Q and W_K cannot be learned. In fact argmax is differentiable.",
        "needs_review",
        "misconception",
    ),
    (
        "q6.a",
        "The sum Σ_j sim(Q_i,K_j) must be nonzero. Scratch that, any function works.",
        "needs_review",
        "misconception",
    ),
    (
        "hw10:q2.d",
        "The cell state is updated additively through the forget gate, but the gradient is still repeatedly "
        "multiplied by W_h.",
        "needs_review",
        "misconception",
    ),
]
HW9_DOUBLE_NEGATION = [
    # "not insufficient" means sufficient; a keyword grader cannot be sure of that, so it asks.
    ("q6.a", "sim(q, k) > 0 is not insufficient.", "needs_review", "double_negation"),
    (
        "q6.a",
        "The denominator must be non-zero: sim > 0 is sufficient but not necessary.",
        "needs_review",
        "double_negation",
    ),
]
GENERIC = [
    ("argmax_training", ARGMAX_FULL, "correct", "right"),
    ("argmax_training", ARGMAX_FULL + " This is wrong, though.", "needs_review", "contradicts"),
    ("argmax_training", ARGMAX_FULL + " But the gradient is not zero.", "needs_review", "contradicts"),
    (
        "argmax_training",
        "Perhaps argmax is piecewise constant, so the keys cannot be learned.",
        "needs_review",
        "hedged",
    ),
    ("argmax_training", ARGMAX_FULL + " It is a myth that argmax trains faster.", "correct", "negated_misconception"),
    ("argmax_training", "It trains faster. " + ARGMAX_FULL, "needs_review", "misconception"),
    # A contrast sets a negated phrase apart when the same words are asserted after it...
    (
        "argmax_training",
        "Softmax is not piecewise constant, but argmax is piecewise constant, so the keys cannot be learned.",
        "correct",
        "right",
    ),
    # ...but asserted first and negated after the contrast, they are taken back,
    (
        "argmax_training",
        "Argmax is piecewise constant, but it is not piecewise constant at ties, so the keys cannot be learned.",
        "needs_review",
        "contradicts",
    ),
    # and another idea's words negated are a contradiction whatever the order.
    (
        "argmax_training",
        "The gradient is not zero, but argmax is piecewise constant, so the keys cannot be learned.",
        "needs_review",
        "contradicts",
    ),
    ("sim_condition", SIM_SUM_UNICODE + "; sim ≥ 0 is not enough.", "correct", "negated_misconception"),
    ("sim_condition", SIM_SUM_UNICODE + ", but that does not hold.", "needs_review", "contradicts"),
    (
        "sim_condition",
        SIM_POSITIVE + ". A positive sim is not sufficient, sim ≥ 0 is.",
        "needs_review",
        "misconception",
    ),
]
FREE_TEXT = (
    HW9_RIGHT + HW9_NEGATED_MISCONCEPTION + HW9_CONTRADICTS + HW9_HEDGED + HW9_MISCONCEPTION + HW9_DOUBLE_NEGATION
)
NEVER_CORRECT = ("contradicts", "hedged", "misconception")


@pytest.fixture(scope="module")
def hw10_parts() -> dict[str, Part]:
    """The hw10 rubric parts, by ``hw10:<id>`` (free text needs no reference answers)."""
    question = load_question(Path(__file__).resolve().parents[2] / "problems" / "hw10" / "q2.yaml")
    return {f"hw10:{part.id}": part for part in question.parts if part.kind == "rubric"}


@pytest.fixture
def grade_any(
    parts: dict[str, Part], hw10_parts: dict[str, Part], grade_hw9: Callable[[str, str], PartResult]
) -> Callable[[str, str], str]:
    """(key, text) → verdict: a generic part above, an hw10 part, or an hw9 part through the engine."""

    def verdict(key: str, text: str) -> str:
        if key in parts or key in hw10_parts:
            return grade({**parts, **hw10_parts}[key], text).verdict
        return grade_hw9(key, text).verdict

    return verdict


@pytest.mark.parametrize(
    ("key", "text", "verdict", "label"),
    FREE_TEXT + GENERIC,
    ids=[f"{c[0]}:{c[3]}:{c[1][:50]}" for c in FREE_TEXT + GENERIC],
)
def test_free_text_variants(
    grade_any: Callable[[str, str], str], key: str, text: str, verdict: str, label: str
) -> None:
    graded = grade_any(key, text)
    assert graded == verdict, f"{label}: {text}"
    if label in NEVER_CORRECT:
        assert graded != "correct"


def test_the_table_is_big_enough_and_has_every_label() -> None:
    assert len(FREE_TEXT) >= 30
    labels = {case[3] for case in FREE_TEXT + GENERIC}
    assert labels == {"right", "contradicts", "hedged", "misconception", "negated_misconception", "double_negation"}


def test_no_answer_that_asserts_a_misconception_or_denies_an_idea_is_correct(
    grade_any: Callable[[str, str], str],
) -> None:
    """Every answer of these tests (this file's and the other tables of this module) that
    asserts a wrong idea, denies a required one or hedges is graded anything but correct."""
    wrong = [(key, text) for key, text, _, label in FREE_TEXT + GENERIC if label in NEVER_CORRECT]
    wrong += [(key, text) for key, text, verdict, *_ in CASES if verdict != "correct"]
    assert len(wrong) > 30
    accepted = [(key, text) for key, text in wrong if grade_any(key, text) == "correct"]
    assert accepted == []


def test_a_contradicted_idea_is_named_and_earns_nothing_yet(parts: dict[str, Part]) -> None:
    params: rubric.Params = parts["argmax_training"].params
    outcome = grade(parts["argmax_training"], ARGMAX_FULL + " But the gradient is not zero.")
    zero_gradient = params.concepts[0]
    assert outcome.verdict == "needs_review"
    assert rubric.CONTRADICTED.format(description=zero_gradient.description) in outcome.feedback
    assert rubric.FOUND.format(description=zero_gradient.description) not in outcome.feedback
    # Only the idea nothing contradicts counts toward the provisional score.
    assert outcome.credit == 0.5
    assert rubric.PROVISIONAL_CREDIT.format(percent="50%") in outcome.feedback
    assert outcome.note == "rubric:+no_learning_qk,~zero_gradient,-smooth_relaxation"


def test_a_rejected_misconception_is_not_held_against_the_answer(parts: dict[str, Part]) -> None:
    params: rubric.Params = parts["sim_condition"].params
    outcome = grade(parts["sim_condition"], SIM_SUM_UNICODE + "; sim ≥ 0 is not enough.")
    assert outcome.verdict == "correct"
    assert all(misconception.message not in outcome.feedback for misconception in params.misconceptions)
    assert (outcome.note, outcome.highlights[-1][2]) == ("rubric:+denominator_nonzero", "denied:nonnegative_only")


def test_a_misconception_the_grader_cannot_place_goes_to_review(parts: dict[str, Part]) -> None:
    # "not" inside the match, and the pattern matches without it: claimed or rejected?
    outcome = grade(parts["argmax_training"], ARGMAX_FULL + " Argmax is not smooth and trains faster.")
    assert outcome.verdict == "needs_review"
    assert rubric.UNSURE_MISCONCEPTION in outcome.feedback
    assert "?faster" in outcome.note


def test_a_hedge_with_no_idea_in_its_sentence_sends_the_answer_to_review(parts: dict[str, Part]) -> None:
    outcome = grade(parts["argmax_training"], ARGMAX_FULL + " I'm not sure.")
    assert (outcome.verdict, outcome.credit) == ("needs_review", 1.0)
    assert rubric.HEDGED in outcome.feedback
    assert outcome.note.endswith(",?hedge")
    # A question alone is rhetorical, not a hedge.
    assert grade(parts["argmax_training"], "Why? " + ARGMAX_FULL).verdict == "correct"


HIGHLIGHTS = [
    (
        "argmax_training",
        "argmax is piecewise constant, so the keys cannot be learned",
        [("piecewise constant", "zero_gradient"), ("keys cannot be learned", "no_learning_qk")],
    ),
    (
        "argmax_training",
        "argmax is piecewise constant, so the keys cannot be learned. But argmax is not piecewise constant.",
        [
            ("piecewise constant", "zero_gradient"),
            ("keys cannot be learned", "no_learning_qk"),
            ("piecewise constant", "denied:zero_gradient"),
        ],
    ),
    ("sim_condition", "sim(q, k) ≥ 0", [("≥ 0", "!nonnegative_only")]),
    (
        "sim_condition",
        "sim ≥ 0 is not enough; sim > 0",
        [("≥ 0", "denied:nonnegative_only"), ("sim > 0", "denominator_nonzero")],
    ),
]


@pytest.mark.parametrize(("key", "text", "marked"), HIGHLIGHTS)
def test_highlights_mark_what_was_found_denied_and_wrong(
    parts: dict[str, Part], key: str, text: str, marked: list[tuple[str, str]]
) -> None:
    reading = rubric.read(text, parts[key])
    outcome = rubric.grade(reading, None, parts[key])
    shown = rubric.show(reading)
    assert [(shown[start:end], label) for start, end, label in outcome.highlights] == marked
    spans = [(start, end) for start, end, _ in outcome.highlights]
    assert spans == sorted(spans)
    assert all(end <= next_start for (_, end), (next_start, _) in pairwise(spans))


def test_highlights_stay_inside_what_is_shown(parts: dict[str, Part]) -> None:
    text = "x " * 230 + "argmax is piecewise constant, so its gradient is zero"
    reading = rubric.read(text, parts["argmax_training"])
    outcome = rubric.grade(reading, None, parts["argmax_training"])
    shown = rubric.show(reading)
    assert shown.endswith(" …") and len(reading.text) > rubric.SHOWN_CHARS
    assert outcome.highlights and all(0 <= start < end <= rubric.SHOWN_CHARS for start, end, _ in outcome.highlights)
    assert shown[outcome.highlights[0][0] : outcome.highlights[0][1]] == "piecewise constant"
    assert outcome.highlights[-1][1] == rubric.SHOWN_CHARS  # "its gradient is zero" is cut where show cuts


GROUPED = [
    ("sim(q,k) > 0 for all q, k.", "Sim(q, k) > 0  for all q,k"),
    ("The keys can't be learned!", "the keys cant be learned"),
    (r"$\sum_j sim(Q_i, K_j) \neq 0$", "Σ_j sim(Q_i,K_j) ≠ 0."),
]
NOT_GROUPED = [("sim > 0", "sim ≥ 0"), ("sim ≠ 0", "sim = 0"), ("the gradient is zero", "the gradient is not zero")]


@pytest.mark.parametrize(("one", "other"), GROUPED)
def test_group_key_ignores_case_spacing_and_punctuation(parts: dict[str, Part], one: str, other: str) -> None:
    part = parts["sim_condition"]
    assert rubric.KIND.group_key is rubric.group_key
    assert rubric.group_key(rubric.read(one, part)) == rubric.group_key(rubric.read(other, part))


@pytest.mark.parametrize(("one", "other"), NOT_GROUPED)
def test_group_key_keeps_what_changes_the_meaning(parts: dict[str, Part], one: str, other: str) -> None:
    part = parts["sim_condition"]
    assert rubric.group_key(rubric.read(one, part)) != rubric.group_key(rubric.read(other, part))


def test_the_engine_records_highlights_and_the_group(grade_hw9: Callable[[str, str], PartResult]) -> None:
    result = grade_hw9("q6.a", "  Sim(q,k) > 0 for all q, k.")
    assert result.verdict == "correct"
    assert result.group == "sim q k > 0 for all q k"
    assert result.answer_as_read is not None
    assert [result.answer_as_read[start:end] for start, end, _ in result.highlights] == ["Sim(q,k) > 0"]
