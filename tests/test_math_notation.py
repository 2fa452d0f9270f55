"""The math a second homework needs, graded through real parts: floor and ceil in every
notation, scientific notation, ``≈``, matrices, units and the final value stated in prose.

The spec below is a small convolution/recurrent-network question written from
docs/spec.md; every answer goes through the part's grader as a submission's would.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sympy

from autograder import grading
from autograder.graders import REGISTRY, matrix
from autograder.mathread import Unreadable, Vocabulary, read_expression, read_list, read_matrix
from autograder.problem import Part, ProblemSet
from autograder.result import PartResult
from autograder.spec import load_question
from autograder.submission import Answer

SPEC = """
id: c
title: Convolutions and recurrences
symbols:
  n: positive integer
  p: positive integer
  k: positive integer
  s: positive integer
  B: positive integer
  H: positive integer
  W: positive integer
  D: positive integer
parts:
  size:
    kind: symbolic
  ratio:
    kind: numeric
    abs_tol: 0.001
  third:
    kind: symbolic
  pixels:
    kind: numeric
    unit: [pixels, px]
  weights:
    kind: matrix
    abs_tol: 0.01
  halves:
    kind: matrix
  out_shape:
    kind: shape
  total:
    kind: symbolic
"""

REFERENCE = {
    "size": "floor((n + 2*p - k)/s) + 1",
    "ratio": "0.1216",
    "third": "1/3",
    "pixels": "10",
    "weights": "[[4, 5], [6, 3]]",
    "halves": "[[1/2, sqrt(2)], [0, -1]]",
    "out_shape": "[B, 2*H*W]",
    "total": "4*H*(D + H + 1)",
}


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Part]:
    path = tmp_path_factory.mktemp("spec") / "c.yaml"
    path.write_text(SPEC, encoding="utf-8")
    loaded = {part.id.removeprefix("c."): part for part in load_question(path).parts}
    bound = {}
    for key, part in loaded.items():
        kind = REGISTRY[part.kind]
        if kind.bind is not None:
            reading = kind.read(REFERENCE[key], part)
            part = dataclasses.replace(part, params=kind.bind(part, ProblemSet("c", ()), {part.id: reading}))
        bound[key] = part
    return bound


def grade(parts: dict[str, Part], key: str, text: str) -> PartResult:
    part = parts[key]
    reference = REGISTRY[part.kind].read(REFERENCE[key], part)
    return grading.grade_part(part, Answer(text), reference)


# (part, answer, verdict, a fragment of the feedback or "")
VERDICTS = [
    # floor and ceil, every notation; // is floor division
    ("size", "⌊(n + 2p − k)/s⌋ + 1", "correct", ""),
    ("size", "floor((n+2*p-k)/s) + 1", "correct", ""),
    ("size", "(n + 2p - k) // s + 1", "correct", ""),
    ("size", r"\lfloor (n + 2p - k)/s \rfloor + 1", "correct", ""),
    ("size", r"\left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1", "correct", ""),
    ("size", r"$\left\lfloor\dfrac{n+2p-k}{s}\right\rfloor+1$", "correct", ""),
    ("size", "ceil((n + 2p - k + 1)/s)", "correct", ""),  # the same for integers
    ("size", r"\lceil (n + 2p - k + 1)/s\rceil", "correct", ""),
    ("size", "⌈(n + 2p − k + 1)/s⌉", "correct", ""),
    ("size", "(n + 2p - k)/s + 1", "incorrect", "Not equivalent"),  # no rounding
    ("size", "floor((n + 2p - k)/s + 1) + 1", "incorrect", ""),
    ("size", "ceil((n + 2p - k)/s) + 1", "incorrect", ""),
    ("size", "⌊(n + 2p − k)/s + 1", "unreadable", "missing '⌋'"),
    # scientific notation
    ("ratio", "1.216e-1", "correct", ""),
    ("ratio", "1.216E-1", "correct", ""),
    ("ratio", "1.2e-1", "incorrect", ""),  # 0.12 is 0.0016 away: outside abs_tol
    ("ratio", r"1.216 \times 10^{-1}", "correct", ""),
    ("ratio", "1.216·10^-1", "correct", ""),
    ("ratio", "1.216 × 10⁻¹", "correct", ""),
    ("ratio", "12.16e-2", "correct", ""),
    ("ratio", "1216e-4", "correct", ""),
    # ≈: an approximate value, within the part's tolerance
    ("ratio", "≈ 0.1216", "correct", ""),
    ("ratio", "x ≈ 0.1218", "correct", ""),
    (r"ratio", r"p \approx 0.1216", "correct", ""),
    ("ratio", "≈ 0.13", "incorrect", ""),
    ("third", "≈ 0.333", "needs_review", "approximate value"),  # not exact: an instructor decides
    ("third", "≈ 0.5", "incorrect", "exact expression"),
    ("third", "1/3", "correct", ""),
    ("third", "≈ 1/3", "correct", ""),  # the value given is exactly the answer
    # units
    ("pixels", "10 pixels", "correct", ""),
    ("pixels", "10px", "correct", ""),
    ("pixels", "10 Pixels.", "correct", ""),
    ("pixels", "the output is 10 pixels", "correct", ""),
    ("pixels", "= 10 px", "correct", ""),
    ("pixels", "12 pixels", "incorrect", ""),
    ("pixels", "10 cm", "unreadable", "unknown unit 'cm'"),
    ("pixels", "It is 10 pixels wide", "correct", ""),
    ("pixels", "10 px in total", "correct", ""),
    ("pixels", "10 cm wide", "unreadable", "unknown unit 'cm'"),
    ("ratio", "0.1216 pixels", "unreadable", "unknown unit 'pixels'"),  # this part declares none
    # matrices
    ("weights", "[[4, 5], [6, 3]]", "correct", ""),
    ("weights", r"\begin{bmatrix} 4 & 5 \\ 6 & 3 \end{bmatrix}", "correct", ""),
    ("weights", r"\begin{pmatrix} 4 & 5 \\ 6 & 3 \end{pmatrix}", "correct", ""),
    ("weights", r"\left[\begin{array}{cc} 4 & 5 \\ 6 & 3 \end{array}\right]", "correct", ""),
    ("weights", "[4 5; 6 3]", "correct", ""),
    ("weights", "((4, 5), (6, 3))", "correct", ""),
    ("weights", "[[4.001, 5], [6, 3]]", "correct", ""),  # within abs_tol 0.01
    ("weights", "[[4, 6], [5, 3]]^T", "correct", ""),
    ("weights", "[[4, 6], [5, 3]]", "incorrect", "entries (1, 2), (2, 1) are not right"),
    ("weights", "[[4, 5, 0], [6, 3, 0]]", "incorrect", "Your matrix is 2×3, the answer is 2×2"),
    ("weights", "[4, 5, 6, 3]", "incorrect", "Your matrix is 1×4, the answer is 2×2"),
    ("weights", "[[4, 5], [6]]", "unreadable", "row 2 of the matrix has 1 entry"),
    ("halves", r"\begin{bmatrix} \frac{1}{2} & \sqrt{2} \\ 0 & -1 \end{bmatrix}", "correct", ""),
    ("halves", "[[0.5, 2^(1/2)], [0, -1]]", "correct", ""),
    ("halves", "[[0.5, 1.41], [0, -1]]", "incorrect", "entry (1, 2) is not right"),
    # the final value stated in prose
    ("out_shape", "has shape (B, 2HW)", "correct", ""),
    ("out_shape", "The output is of shape (B, 2HW).", "correct", ""),
    ("total", "so the total is 4H(D+H+1)", "correct", ""),
    ("total", "Each gate has 4 matrices, so the total is 4H(D+H+1)", "correct", ""),
    ("total", "Each gate has 4 matrices. The total is 4HD + 4H^2 + 4H.", "correct", ""),
    ("total", "= 4H(D + H + 1)", "correct", ""),
    ("total", "4H(D+H+1), so the total is 4HD + 4H^2 + 4H", "correct", ""),  # the same value twice
    ("total", "it is 4H(D+H), so the total is 4H(D+H+1)", "unreadable", "two different final values"),
    ("total", "W = 3 and the total is 4H(D+H+1)", "correct", ""),
    # words after the final value, approximation words, torch.Size, definitions (unseen homework)
    ("total", "The cell has 4H(D+H+1) parameters.", "correct", ""),
    ("total", "4H(D+H+1) learnable parameters in total", "correct", ""),
    ("total", "4H(D+H+1), where H is the hidden size", "correct", ""),
    ("total", "4H(D+g) with g = H + 1", "correct", ""),
    ("total", "4H(D+H+1) where H = 2", "unreadable", "a name of the question"),
    ("pixels", "about 10 pixels", "correct", ""),
    ("pixels", "The output is roughly 10 pixels wide.", "correct", ""),
    ("pixels", "10 parameters", "unreadable", "unknown unit 'parameters'"),
    ("ratio", "approximately 0.1216", "correct", ""),
    ("ratio", "The ratio is about 0.1216 in magnitude.", "correct", ""),
    ("third", "about 0.333", "needs_review", "approximate value"),
    ("out_shape", "torch.Size([B, 2HW])", "correct", ""),
    ("out_shape", "torch.Size((B, 2*H*W))", "correct", ""),
    ("out_shape", "torch.Size([B, m]) where m = 2HW", "correct", ""),
    ("out_shape", "torch.Size([B, HW])", "incorrect", ""),
    ("size", "⌊(n + 2p − k)/s⌋ + 1 where the kernel is k", "correct", ""),
]


@pytest.mark.parametrize(("key", "text", "verdict", "fragment"), VERDICTS)
def test_verdicts(parts: dict[str, Part], key: str, text: str, verdict: str, fragment: str) -> None:
    result = grade(parts, key, text)
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback


NAMES = Vocabulary({name: sympy.Symbol(name, positive=True, integer=True) for name in "npksx"})
n, s, x = (NAMES.symbols[name] for name in "nsx")

# (text, value): how the reader reads each spelling
READS_AS = [
    ("7 // 2", sympy.Integer(3)),
    ("n // s", sympy.floor(n / s)),
    ("2*n // s * x", x * sympy.floor(2 * n / s)),  # left to right, as in Python
    ("floor(n/2)", sympy.floor(n / 2)),
    (r"\mathrm{floor}(n/2)", sympy.floor(n / 2)),
    (r"\operatorname{ceil}(n/2)", sympy.ceiling(n / 2)),
    ("⌈n/2⌉", sympy.ceiling(n / 2)),
    ("1.2e-1", sympy.Rational(3, 25)),
    ("1.2E+1", sympy.Integer(12)),
    ("6.02e23", sympy.Integer(602) * 10**21),
    ("1.2e−1", sympy.Rational(3, 25)),  # a Unicode minus
    ("2e", 2 * sympy.E),  # no digits after e: Euler's number
    ("2e - 1", 2 * sympy.E - 1),
    ("2e3x", 2000 * x),
    ("1.2 \\times 10^{-1}", sympy.Rational(3, 25)),
]


@pytest.mark.parametrize(("text", "value"), READS_AS)
def test_reads_as(text: str, value: sympy.Expr) -> None:
    assert read_expression(text, NAMES).value == value


def test_a_declared_e_keeps_scientific_notation_for_digits() -> None:
    names = Vocabulary({"e": sympy.Symbol("e", positive=True)})
    assert read_expression("2e", names).value == 2 * names.symbols["e"]
    assert read_expression("2e-1", names).value == sympy.Rational(1, 5)
    assert read_expression("2 e - 1", names).value == 2 * names.symbols["e"] - 1


@pytest.mark.parametrize(("text", "approximate"), [("≈ 0.12", True), ("x ≈ 0.12", True), ("0.12", False)])
def test_approximate_is_marked(text: str, approximate: bool) -> None:
    reading = read_expression(text, NAMES)
    assert reading.value == sympy.Rational(3, 25)
    assert reading.approximate is approximate


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1e200", "exponent too large"),
        ("≈", "nothing"),
        (r"\lfloor n", "missing '⌋'"),
        ("n ⌋", "unbalanced"),
    ],
)
def test_unreadable(text: str, fragment: str) -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression(text, NAMES)
    assert fragment in caught.value.message


def test_floor_brackets_in_a_list_are_an_item() -> None:
    assert read_list("[⌊n/2⌋, 3]", NAMES).items == (sympy.floor(n / 2), 3)
    assert read_list("⌊n/2⌋", NAMES).items == (sympy.floor(n / 2),)


@pytest.mark.parametrize(
    ("text", "rows"),
    [
        ("[[4, 5], [6, 3]]", ((4, 5), (6, 3))),
        ("[[4]]", ((4,),)),
        (r"\begin{bmatrix} 1 \\ 2 \end{bmatrix}", ((1,), (2,))),
        (r"\begin{bmatrix} 4 & 5 \\ 6 & 3 \\ \end{bmatrix}", ((4, 5), (6, 3))),
        (r"\begin{bmatrix} 1 & 2 \end{bmatrix}^\top", ((1,), (2,))),
        ("The result is [[4, 5], [6, 3]].", ((4, 5), (6, 3))),
        ("[[n, 2], [3, n^2]]", ((n, 2), (3, n**2))),
    ],
)
def test_matrix_reads_as(text: str, rows: tuple[tuple[object, ...], ...]) -> None:
    assert read_matrix(text, NAMES).rows == rows


def test_matrix_format_example_is_never_the_answer(parts: dict[str, Part]) -> None:
    part = parts["weights"]
    assert grading.example(part).startswith("[[1, 2], [3, 4]]")  # the reference is [[4, 5], [6, 3]]
    first = matrix.read("[[1, 2], [3, 4]]", part)
    as_answer = dataclasses.replace(part, params=matrix.bind(part, ProblemSet("c", ()), {part.id: first}))
    assert grading.example(as_answer).startswith("[[2, 0], [1, 5]]")


def test_the_docs_describe_the_notation() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "spec.md").read_text(encoding="utf-8")
    assert "## Math notation" in text
    for word in ("Floor", "Scientific notation", "≈", "Matrices", "Units", "final value in prose"):
        assert word in text.split("## Math notation", 1)[1]


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("[4, 5, 6]", "correct"),
        (r"\begin{bmatrix} 4 \\ 5 \\ 6 \end{bmatrix}", "correct"),  # a column is a vector
        (r"\begin{bmatrix} 4 & 5 & 6 \end{bmatrix}", "correct"),  # so is a row
        ("[[4, 5], [6, 3]]", "unreadable"),  # a matrix is never flattened into a vector
        (r"\begin{bmatrix} 4 & 5 \\ 6 & 3 \end{bmatrix}", "unreadable"),
    ],
)
def test_a_vector_part_does_not_flatten_a_matrix(tmp_path: Path, text: str, verdict: str) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("id: v\nparts:\n  a:\n    kind: vector\n", encoding="utf-8")
    part = load_question(path).parts[0]
    result = grading.grade_part(part, Answer(text), REGISTRY["vector"].read("[4, 5, 6]", part))
    assert result.verdict == verdict, result.feedback
    if verdict == "unreadable":
        assert "this is a 2×2 matrix" in result.feedback


# How a number is shown back to its author: a fraction only when it is a small one.
SHOWN = [
    ("1.216e-1", "0.1216"),
    ("9.54e-7", "9.54e-07"),
    ("1/3", "1/3"),
    ("0.25", "0.25"),
    ("1/4", "0.25"),
    ("2/7", "2/7"),
    ("12", "12"),
    ("≈ 0.1216", "≈ 0.1216"),
    ("x ≈ 0.12", "≈ 0.12"),
    (r"\sqrt{2}", "1.41421"),
]


@pytest.mark.parametrize(("text", "shown"), SHOWN)
def test_a_number_is_shown_as_written_not_as_a_long_fraction(parts: dict[str, Part], text: str, shown: str) -> None:
    part = parts["ratio"]
    kind = REGISTRY[part.kind]
    assert kind.show(kind.read(text, part)) == shown


def test_the_format_example_of_a_number_with_a_unit_shows_the_unit(parts: dict[str, Part]) -> None:
    assert grading.example(parts["pixels"]) == "0.25 pixels, or 1/4"
    assert grading.example(parts["ratio"]) == "0.25 or 1/4"


@pytest.mark.parametrize(
    ("abs_tol", "reference", "reported"), [(1e-6, "9.54e-7", True), (0.001, "0.1216", False), (0.5, "0", False)]
)
def test_validate_reports_an_absolute_tolerance_that_swallows_the_reference(
    parts: dict[str, Part], abs_tol: float, reference: str, reported: bool
) -> None:
    part = parts["ratio"]
    part = dataclasses.replace(part, params=dataclasses.replace(part.params, abs_tol=abs_tol))
    kind = REGISTRY["numeric"]
    assert kind.check_reference is not None
    problem = kind.check_reference(part, kind.read(reference, part))
    assert (problem is not None) == reported
    if reported:
        assert "0 and any answer that small would earn full credit" in str(problem)


def test_a_declared_elementary_function_is_the_real_one(tmp_path: Path) -> None:
    """``functions: [cos]`` makes cos the cosine, so answers with it are compared by value."""
    path = tmp_path / "q.yaml"
    path.write_text(
        "id: q\nsymbols: {eta: positive, t: nonnegative, S: positive}\nfunctions: [cos, tanh]\n"
        "parts:\n  a:\n    kind: symbolic\n",
        encoding="utf-8",
    )
    (part,) = load_question(path).parts
    kind = REGISTRY["symbolic"]
    reference = kind.read("eta/2*(1 + cos(pi*t/S))", part)
    assert (
        kind.grade(
            kind.read(r"\frac{\eta}{2}\left(1+\cos\left(\frac{\pi t}{S}\right)\right)", part), reference, part
        ).verdict
        == "correct"
    )
    assert kind.grade(kind.read("eta*cos(pi*t/(2*S))^2", part), reference, part).verdict == "correct"
    assert kind.grade(kind.read("eta/2*(1 - cos(pi*t/S))", part), reference, part).verdict == "incorrect"


_SIGMA = sympy.Symbol("sigma", positive=True)


# Without brackets, log/ln/exp take the power that follows (found by unseen homework 3:
# \log \sigma^2 had been read as log(σ)², costing a right answer its points).
@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r"\log \sigma^2", sympy.log(_SIGMA**2)),
        (r"\ln\sigma^2 + 1", sympy.log(_SIGMA**2) + 1),
        (r"-2\ln 2", -2 * sympy.log(2)),
        (r"\log(\sigma)^2", sympy.log(_SIGMA) ** 2),
        (r"\log 2\sigma", _SIGMA * sympy.log(2)),
        (r"\exp \sigma^2", sympy.exp(_SIGMA**2)),
    ],
)
def test_a_function_without_brackets_takes_the_power_that_follows(text: str, value: sympy.Expr) -> None:
    vocabulary = Vocabulary(symbols={"sigma": _SIGMA})
    assert sympy.simplify(read_expression(text, vocabulary).value - value) == 0
