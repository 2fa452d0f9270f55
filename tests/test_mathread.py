"""The math reader: every notation the contract promises, every answer in hw9-problems.md,
and hostile input that must end as Unreadable, quickly."""

from __future__ import annotations

import contextlib
import pathlib
import random
import re
import time
from collections.abc import Iterator

import pytest
import sympy

from autograder.mathread import (
    MAX_CHARS,
    BigOReading,
    ListReading,
    Reading,
    Unreadable,
    Vocabulary,
    dot_symbol,
    read_big_o,
    read_expression,
    read_list,
)

d, mu, sigma, b, n, h, q, k, v, N, D, M = sympy.symbols("d mu sigma b n h q k v N D M", positive=True)
x1, x2, x3 = sympy.symbols("x1 x2 x3", real=True)
VOCABULARY = Vocabulary(
    {str(symbol): symbol for symbol in (d, mu, sigma, b, n, h, q, k, v, N, D, M, x1, x2, x3)},
    vectors=frozenset({"q", "k", "mu"}),
)
QK = dot_symbol("q", "k", VOCABULARY)
MU2 = dot_symbol("mu", "mu", VOCABULARY)
r2 = sympy.sqrt(2)


def same(value: sympy.Expr, expected: sympy.Expr) -> bool:
    return bool(value == expected or sympy.expand(value - expected) == 0)


# --- read_expression --------------------------------------------------------------------------

CONTRACT_EXAMPLES = [
    ("d*mu^2", d * mu**2),
    ("d*mu**2", d * mu**2),
    ("sqrt(d)", sympy.sqrt(d)),
    ("d^(1/2)", sympy.sqrt(d)),
    ("bnd", b * n * d),
    ("b d^2", b * d**2),
    ("2qk", 2 * QK),
    ("\\sqrt{d}", sympy.sqrt(d)),
    ("d\\mu^2", d * mu**2),
    ("\\|\\mu\\|_2^2", MU2),
    ("\\mu^T\\mu", MU2),
    ("√d", sympy.sqrt(d)),
    ("dμ²", d * mu**2),
    ("qᵀk", QK),
    ("q·k", QK),
]

PLAIN = [
    ("2*d", 2 * d),
    ("1/sqrt(d)", 1 / sympy.sqrt(d)),
    ("0.5", sympy.Rational(1, 2)),
    ("0.5*d", d / 2),
    ("-d", -d),
    ("−d", -d),
    ("d - −1", d + 1),
    ("2d", 2 * d),
    ("2(d+1)", 2 * d + 2),
    ("(b)(d)", b * d),
    ("d sqrt(d)", d ** sympy.Rational(3, 2)),
    ("sqrt d", sympy.sqrt(d)),
    ("dmu", d * mu),
    ("x1x2", x1 * x2),
    ("x_1", x1),
    ("x_{1}", x1),
    ("x₁", x1),
    ("x_1x_2", x1 * x2),
    ("d**0.5", sympy.sqrt(d)),
    ("d^0.5", sympy.sqrt(d)),
    ("d^-1", 1 / d),
    ("2^10", sympy.Integer(1024)),
    ("2^3^2", sympy.Integer(512)),
    ("1/2d", d / 2),
    ("bnd/h", b * n * d / h),
    ("abs(-d)", d),
    ("exp(d)", sympy.exp(d)),
    ("e^d", sympy.exp(d)),
    ("log(d)", sympy.log(d)),
    ("ln d", sympy.log(d)),
    ("max(b, d)", sympy.Max(b, d)),
    ("min(b,d)", sympy.Min(b, d)),
    ("  d  ", d),
    ("d.", d),
    ("`d*mu^2`", d * mu**2),
    ("sigma^2", sigma**2),
    ("n log n", n * sympy.log(n)),
]

GREEK = [
    ("μ", mu),
    ("µ", mu),  # the micro sign
    ("\\mu", mu),
    ("mu", mu),
    ("σ", sigma),
    ("\\sigma", sigma),
    ("\\sigma^2", sigma**2),
    ("dσ⁴", d * sigma**4),
]

LATEX = [
    ("$\\sqrt{d}$", sympy.sqrt(d)),
    ("$$\\sqrt{d}$$", sympy.sqrt(d)),
    ("\\(\\sqrt{d}\\)", sympy.sqrt(d)),
    ("\\[\\sqrt{d}\\]", sympy.sqrt(d)),
    ("\\sqrt[3]{d}", sympy.root(d, 3)),
    ("\\sqrt d", sympy.sqrt(d)),
    ("\\frac{b}{d}", b / d),
    ("\\frac12", sympy.Rational(1, 2)),
    ("\\dfrac{1}{\\sqrt{d}}", 1 / sympy.sqrt(d)),
    ("\\tfrac{b}{d}", b / d),
    ("\\mu^\\top\\mu", MU2),
    ("\\mu^{\\intercal}\\mu", MU2),
    ("\\mu^{T}\\mu", MU2),
    ("\\lVert\\mu\\rVert^2", MU2),
    ("\\left\\| \\mu \\right\\|^2", MU2),
    ("\\left( d + 1 \\right)^2", (d + 1) ** 2),
    ("\\left[ d + 1 \\right]", d + 1),
    ("b \\cdot n \\cdot d", b * n * d),
    ("b \\times d", b * d),
    ("{d}^{2}", d**2),
    ("d^{-1}", 1 / d),
    ("d\\,\\mu^2", d * mu**2),
    ("d\\;\\mu^2", d * mu**2),
    ("d\\!\\mu^2", d * mu**2),
    ("d\\quad\\mu^2", d * mu**2),
    ("d~\\mu^2", d * mu**2),
    ("\\mathrm{d}", d),
    ("\\text{d}\\,\\mu^2", d * mu**2),
    ("\\operatorname{dot}(q, k)", QK),
    ("\\exp(d)", sympy.exp(d)),
    ("\\exp{d}", sympy.exp(d)),
    ("\\log d", sympy.log(d)),
    ("\\ln(d)", sympy.log(d)),
    ("\\max(b, d)", sympy.Max(b, d)),
    ("\\max\\{b, d\\}", sympy.Max(b, d)),
    ("\\min(b, d)", sympy.Min(b, d)),
    ("\\sum_{i=1}^{d} \\mu_i^2", MU2),
    ("\\sum_{i=1}^{d} 1", d),
    ("\\sum_{i=1}^{d} \\mu^2", d * mu**2),
    ("\\sum_i q_i k_i", QK),
    ("\\sum\\limits_{i=1}^{d} q_i k_i", QK),
    ("\\sum_i=1^d \\mu_i^2", MU2),
    ("\\langle q, k\\rangle", QK),
    ("\\mathbf{q}^\\top \\mathbf{k}", QK),
    ("\\vec{q} \\cdot \\vec{k}", QK),
    ("\\begin{equation}\\sqrt{d}\\end{equation}", sympy.sqrt(d)),
]

UNICODE = [
    ("√(d+1)", sympy.sqrt(d + 1)),
    ("√2x1", r2 * x1),
    ("√2 x1 x2", r2 * x1 * x2),
    ("d²", d**2),
    ("d⁻¹", 1 / d),
    ("d⁽¹⁾", d),
    ("x₂", x2),
    ("x₁x₂", x1 * x2),
    ("b·n·d", b * n * d),
    ("b⋅d", b * d),
    ("b×d", b * d),
    ("‖μ‖²", MU2),
    ("‖μ‖", sympy.sqrt(MU2)),
    ("⟨q,k⟩", QK),
    ("∑_i q_i k_i", QK),
    ("Σ_i μ_i²", MU2),
    ("Σμ_i²", MU2),
    ("Σᵢ μᵢ²", MU2),
    ("Σ_i=1^d μ_i²", MU2),
    ("d\u200b*mu^2", d * mu**2),  # a zero-width space pasted from a document
]

VECTORS = [
    ("q^T k", QK),
    ("q^Tk", QK),
    ("q.k", QK),
    ("q \\cdot k", QK),
    ("q*k", QK),
    ("dot(q,k)", QK),
    ("dot(k, q)", QK),
    ("<q,k>", QK),
    ("q @ k", QK),
    ("q.T @ k", QK),
    ("q k", QK),
    ("qk", QK),
    ("2 q^T k", 2 * QK),
    ("q^T k / sqrt(d)", QK / sympy.sqrt(d)),
    ("\\frac{q^T k}{\\sqrt{d}}", QK / sympy.sqrt(d)),
    ("|mu|^2", MU2),
    ("|mu|", sympy.sqrt(MU2)),
    ("|d - 1|", sympy.Abs(d - 1)),
    ("norm(mu)^2", MU2),
    ("sum(mu_i^2)", MU2),
    ("sum(q_i k_i)", QK),
    ("mu^T mu", MU2),
    ("mu.T @ mu", MU2),
    ("2‖μ‖²", 2 * MU2),
    ("mu^2", mu**2),
    ("mu", mu),
    ("q + k", q + k),
]

EQUATIONS = [
    ("s = √d", sympy.sqrt(d)),
    ("E[q^Tk] = \\|\\mu\\|^2", MU2),
    ("E[qᵀk] = μᵀμ = Σ_i μ_i²", MU2),
    ("Var(q^T k) = d", d),
    ("\\mathbb{E}[q^\\top k] = d\\mu^2", d * mu**2),
    ("s := \\sqrt{d}", sympy.sqrt(d)),
]

Q1A = [
    ("‖μ‖²", MU2),
    ("\\|\\mu\\|^2", MU2),
    ("μᵀμ", MU2),
    ("\\sum_{i=1}^d \\mu_i^2", MU2),
    ("dot(mu, mu)", MU2),
    ("\\langle \\mu, \\mu \\rangle", MU2),
    ("d·μ²", d * mu**2),
    ("d mu^2", d * mu**2),
    ("dμ² + dσ²", d * mu**2 + d * sigma**2),
    ("d·μ", d * mu),
    ("μ²", mu**2),
]

Q1B = [
    ("d", d),
    ("d^2", d**2),
    ("1", sympy.Integer(1)),
    ("√d", sympy.sqrt(d)),
    ("d/2", d / 2),
    ("dσ⁴", d * sigma**4),
    ("d\\sigma^4", d * sigma**4),
]

Q1C = [
    ("√d", sympy.sqrt(d)),
    ("sqrt(d)", sympy.sqrt(d)),
    ("d^{1/2}", sympy.sqrt(d)),
    ("d**(1/2)", sympy.sqrt(d)),
    ("s = \\sqrt{d}", sympy.sqrt(d)),
    ("1/√d", 1 / sympy.sqrt(d)),
    ("\\frac{1}{\\sqrt{d}}", 1 / sympy.sqrt(d)),
    ("d", d),
    ("d²", d**2),
]

Q6BI = [
    ("(q^T k + 1)^2", (QK + 1) ** 2),
    ("(qᵀk + 1)²", (QK + 1) ** 2),
    ("(q·k+1)^2", (QK + 1) ** 2),
    ("(q.k+1)^2", (QK + 1) ** 2),
    ("(dot(q,k)+1)**2", (QK + 1) ** 2),
    ("(<q,k> + 1)^2", (QK + 1) ** 2),
    ("\\left(q^\\top k + 1\\right)^2", (QK + 1) ** 2),
    ("(\\langle q, k\\rangle + 1)^2", (QK + 1) ** 2),
    ("(\\sum_i q_i k_i + 1)^2", (QK + 1) ** 2),
    ("1 + 2 q^T k + (q^T k)^2", 1 + 2 * QK + QK**2),
    ("(q^T k)^2", QK**2),
    ("1 + q^Tk + (q^Tk)^2", 1 + QK + QK**2),
    ("sim(q, k) = (q^T k + 1)^2", (QK + 1) ** 2),
]

READS_AS = CONTRACT_EXAMPLES + PLAIN + GREEK + LATEX + UNICODE + VECTORS + EQUATIONS + Q1A + Q1B + Q1C + Q6BI


@pytest.mark.parametrize(("text", "expected"), READS_AS)
def test_reads_as(text: str, expected: sympy.Expr) -> None:
    reading = read_expression(text, VOCABULARY)
    assert isinstance(reading, Reading)
    assert same(reading.value, expected), f"{text!r} read as {reading.value}"
    assert reading.alternatives == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("√d", "sqrt(d)"), ("d^(1/2)", "sqrt(d)"), ("\\sqrt{d}", "sqrt(d)"), ("d**0.5", "sqrt(d)")],
)
def test_square_roots_are_one_expression(text: str, expected: str) -> None:
    assert read_expression(text, VOCABULARY).value == sympy.sqrt(d)
    assert str(read_expression(text, VOCABULARY).value) == expected


def test_vector_needs_no_scalar_declaration() -> None:
    vocabulary = Vocabulary({"d": d}, vectors=frozenset({"u", "w"}))
    assert read_expression("u^T w", vocabulary).value == dot_symbol("u", "w", vocabulary)
    assert read_expression("u^2", vocabulary).value == sympy.Symbol("u", real=True) ** 2


@pytest.mark.parametrize("text", ["\\varphi", "φ", "ϕ", "\\phi", "phi"])
def test_greek_variants(text: str) -> None:
    phi = sympy.Symbol("phi", real=True)
    assert read_expression(text, Vocabulary({"phi": phi})).value == phi


def test_greek_keys_in_the_vocabulary() -> None:
    vocabulary = Vocabulary({"μ": mu, "d": d})
    assert read_expression("d\\mu^2", vocabulary).value == d * mu**2


def test_declared_functions() -> None:
    vocabulary = Vocabulary({"x1": x1, "x2": x2}, functions=frozenset({"phi", "sim"}))
    phi = sympy.Function("phi")
    assert read_expression("phi(x1)*phi(x2)", vocabulary).value == phi(x1) * phi(x2)
    assert read_expression("sim(x1, x2)", vocabulary).value == sympy.Function("sim")(x1, x2)


def test_declared_multi_letter_names_win() -> None:
    vocabulary = Vocabulary({name: sympy.Symbol(name) for name in ("m", "u", "mu", "d")})
    assert read_expression("dmu", vocabulary).value == sympy.Symbol("d") * sympy.Symbol("mu")


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("q k", "read 'q k' as the inner product qᵀk"),
        ("qk", "read 'qk' as the inner product qᵀk"),
        ("2qk", "read 'qk' as the inner product qᵀk"),
        ("q*k", "inner product"),
        ("s = √d", "read the right-hand side of '='"),
        ("1/2d", "(1/2)·d"),
    ],
)
def test_notes(text: str, note: str) -> None:
    assert any(note in written for written in read_expression(text, VOCABULARY).notes)


@pytest.mark.parametrize("text", ["q^T k", "q·k", "dot(q, k)", "<q, k>", "q @ k", "d*mu^2"])
def test_no_notes_for_explicit_spellings(text: str) -> None:
    assert read_expression(text, VOCABULARY).notes == ()


@pytest.mark.parametrize(
    ("text", "alternatives"),
    [
        ("±√d", (sympy.sqrt(d), -sympy.sqrt(d))),
        ("\\pm\\sqrt{d}", (sympy.sqrt(d), -sympy.sqrt(d))),
        ("s = ±sqrt(d)", (sympy.sqrt(d), -sympy.sqrt(d))),
        ("d ± 1", (d + 1, d - 1)),
        ("1 \\pm q^T k", (1 + QK, 1 - QK)),
    ],
)
def test_plus_minus(text: str, alternatives: tuple[sympy.Expr, ...]) -> None:
    reading = read_expression(text, VOCABULARY)
    assert reading.alternatives == alternatives
    assert reading.value == alternatives[0]


# --- read_list --------------------------------------------------------------------------------

FEATURES = (
    1,
    r2 * x1,
    r2 * x2,
    r2 * x3,
    x1**2,
    x2**2,
    x3**2,
    r2 * x1 * x2,
    r2 * x1 * x3,
    r2 * x2 * x3,
)

LIST_READS_AS = [
    ("[1, 4, 3]", (1, 4, 3)),
    ("[1,4,3]", (1, 4, 3)),
    ("(1,4,3)", (1, 4, 3)),
    ("1, 4, 3", (1, 4, 3)),
    ("[1 4 3]", (1, 4, 3)),
    ("[1; 4; 3]", (1, 4, 3)),
    ("[1, 4, 3,]", (1, 4, 3)),
    ("\\begin{bmatrix}1\\\\4\\\\3\\end{bmatrix}", (1, 4, 3)),
    ("\\begin{pmatrix} 1 & 4 & 3 \\end{pmatrix}", (1, 4, 3)),
    ("1 & 4 & 3", (1, 4, 3)),
    ("\\left[1, 4, 3\\right]", (1, 4, 3)),
    ("[1,4,3]^T", (1, 4, 3)),
    ("[1, 4, 3]ᵀ", (1, 4, 3)),
    ("v = [1, 4, 3]", (1, 4, 3)),
    ("v_2 = [1, 4, 3].", (1, 4, 3)),
    ("$[1, 4, 3]$", (1, 4, 3)),
    ("[2, 0, 1]", (2, 0, 1)),
    ("[0, −1, 4]", (0, -1, 4)),
    ("[−1, 0]", (-1, 0)),
    ("[1 0 -1]", (1, 0, -1)),
    ("[1 - 1]", (0,)),
    ("143", (143,)),
    ("[143]", (143,)),
    ("[0.5, 1/2]", (sympy.Rational(1, 2), sympy.Rational(1, 2))),
    ("[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3]", FEATURES),
    (
        "[1, sqrt(2)*x1, sqrt(2)*x2, sqrt(2)*x3, x1^2, x2^2, x3^2, sqrt(2)*x1*x2, sqrt(2)*x1*x3, sqrt(2)*x2*x3]",
        FEATURES,
    ),
    (
        "\\left[1, \\sqrt{2}x_1, \\sqrt{2}x_2, \\sqrt{2}x_3, x_1^2, x_2^2, x_3^2, "
        "\\sqrt{2}x_1x_2, \\sqrt{2}x_1x_3, \\sqrt{2}x_2x_3\\right]",
        FEATURES,
    ),
    ("φ(x) = (1, √2 x1, √2 x2, √2 x3, x1², x2², x3², √2 x1 x2, √2 x1 x3, √2 x2 x3)", FEATURES),
    ("[1, √2 x1 x2, x1^2]", (1, r2 * x1 * x2, x1**2)),
]


@pytest.mark.parametrize(("text", "expected"), LIST_READS_AS)
def test_list_reads_as(text: str, expected: tuple[object, ...]) -> None:
    reading = read_list(text, VOCABULARY)
    assert isinstance(reading, ListReading)
    assert len(reading.items) == len(expected), reading.items
    for item, want in zip(reading.items, expected, strict=True):
        assert same(item, sympy.sympify(want)), f"{text!r}: {item} != {want}"


SHAPES_READ_AS = [
    ("[h, d, q]", (h, d, q)),
    ("[d, q]", (d, q)),
    ("[h, q]", (h, q)),
    ("(h, d, q)", (h, d, q)),
    ("[d, k]", (d, k)),
    ("[h,d,k]", (h, d, k)),
    ("h × d × q", (h, d, q)),
    ("h x d x q", (h, d, q)),
    ("hxdxq", (h, d, q)),
    ("h \\times d \\times q", (h, d, q)),
    ("R^{h×d×q}", (h, d, q)),
    ("\\mathbb{R}^{h \\times d \\times q}", (h, d, q)),
    ("ℝ^{h×d×q}", (h, d, q)),
    ("W_q ∈ ℝ^{h×d×q}", (h, d, q)),
    ("W_q \\in \\mathbb{R}^{h \\times d \\times q}", (h, d, q)),
    ("A: [h, d, q]", (h, d, q)),
    ("[h, d, d/h]", (h, d, d / h)),
    ("d × k", (d, k)),
]


@pytest.mark.parametrize(("text", "expected"), SHAPES_READ_AS)
def test_shapes_read_as(text: str, expected: tuple[sympy.Expr, ...]) -> None:
    assert read_list(text, VOCABULARY, times_separator=True).items == expected


def test_times_is_a_product_outside_shapes() -> None:
    assert read_list("h × d", VOCABULARY).items == (h * d,)


def test_list_notes() -> None:
    assert "read the right-hand side of '='" in read_list("v = [1, 4, 3]", VOCABULARY).notes
    assert read_list("[1, 4, 3]^T", VOCABULARY).notes == ("ignored the transpose of the list",)


# --- read_big_o -------------------------------------------------------------------------------

BIG_O_READS_AS = [
    # q4.f
    ("O(bd^2 + bnd)", (b * d**2 + b * n * d,), ()),
    ("O(b*d^2 + b*n*d)", (b * d**2 + b * n * d,), ()),
    ("O(b d^2 + b n d)", (b * d**2 + b * n * d,), ()),
    ("O(bd² + bnd)", (b * d**2 + b * n * d,), ()),
    ("$\\mathcal{O}(bd^2 + bnd)$", (b * d**2 + b * n * d,), ()),
    ("O(bd + bhd)", (b * d + b * h * d,), ()),
    ("O(bnd^2)", (b * n * d**2,), ()),
    ("O(bnd)", (b * n * d,), ()),
    ("O(bd²+bnd) FLOPs", (b * d**2 + b * n * d,), ()),
    ("bd^2 + bnd", (b * d**2 + b * n * d,), ()),
    # q4.g
    ("O(d^2 + bd + bnk)", (d**2 + b * d + b * n * k,), ()),
    ("O(d^2 + bd + bnd/h)", (d**2 + b * d + b * n * d / h,), ()),
    ("O\\left(d^2 + bd + \\frac{bnd}{h}\\right)", (d**2 + b * d + b * n * d / h,), ()),
    ("O(d² + bd + bnd)", (d**2 + b * d + b * n * d,), ()),
    # q6.c
    ("O(N^2(D + M))", (N**2 * (D + M),), ()),
    ("O(N^2 \\max(D, M))", (N**2 * sympy.Max(D, M),), ()),
    ("O(N²D)", (N**2 * D,), ()),
    ("time: O(N^2 D) per step", (N**2 * D,), ()),
    ("O(N^2 + N(D + M))", (N**2 + N * (D + M),), ()),
    ("O(N^2)", (N**2,), ()),
    ("Θ(N^2 D)", (N**2 * D,), ()),
    ("\\Theta(N^2 (D+M))", (N**2 * (D + M),), ()),
    ("O(N²D + N²M) = O(N² max(D,M))", (N**2 * D + N**2 * M, N**2 * sympy.Max(D, M)), ()),
    # q6.d
    ("O(N D^2 M)", (N * D**2 * M,), ()),
    ("O(ND^3)", (N * D**3,), ()),
    ("O(ND + D^3)", (N * D + D**3,), ()),
    ("O(ND^2 + D^3)", (N * D**2 + D**3,), ()),
    ("O(ND^2)", (N * D**2,), ()),
    ("O(N D^2 M) = O(N D^3) assuming M ≈ D", (N * D**2 * M, N * D**3), ((M, D),)),
    ("O(ND^3) if M = D", (N * D**3,), ((M, D),)),
    ("O(N D^3) with M \\approx D", (N * D**3,), ((M, D),)),
    ("O(ND^3), M ~ D", (N * D**3,), ((M, D),)),
    ("O(ND^3) since M \\sim D", (N * D**3,), ((M, D),)),
    ("O(N D^3) where M≈D", (N * D**3,), ((M, D),)),
    ("O(N^2 D), same as O(N^2 M) when M ≈ D", (N**2 * D, N**2 * M), ((M, D),)),
    # others
    ("O(n log n)", (n * sympy.log(n),), ()),
    ("O(n \\log n)", (n * sympy.log(n),), ()),
]


@pytest.mark.parametrize(("text", "bounds", "assumptions"), BIG_O_READS_AS)
def test_big_o_reads_as(
    text: str,
    bounds: tuple[sympy.Expr, ...],
    assumptions: tuple[tuple[sympy.Expr, sympy.Expr], ...],
) -> None:
    reading = read_big_o(text, VOCABULARY)
    assert isinstance(reading, BigOReading)
    assert len(reading.bounds) == len(bounds), reading.bounds
    for bound, want in zip(reading.bounds, bounds, strict=True):
        assert same(bound, want), f"{text!r}: {bound} != {want}"
    assert reading.assumptions == assumptions


def test_big_o_notes() -> None:
    assert "read Θ as O" in read_big_o("Θ(N^2 D)", VOCABULARY).notes
    assert "read as O(bd^2 + bnd)" in read_big_o("bd^2 + bnd", VOCABULARY).notes


# --- unreadable -------------------------------------------------------------------------------

UNREADABLE = [
    ("z", "unknown name 'z': it is not defined in this question, whose symbols are b, D, d"),
    ("d + z", "unknown name 'z'"),
    ("bzd", "unknown name 'z'"),
    ("x_4", "unknown name 'x_4'"),
    ("foo(d)", "unknown function 'foo'"),
    ("d +* 2", "unexpected '*'"),
    ("sqrt(", "unbalanced '(': missing ')'"),
    ("(d + 1", "unbalanced '(': missing ')'"),
    ("d + 1)", "unbalanced ')'"),
    ("(d]", "closed by ']'"),
    ("d +", "incomplete: nothing after '+'"),
    ("[1, 4, 3]", "unexpected ','"),
    ("d, mu", "unexpected ','"),
    ("2 3", "two numbers side by side"),
    ("d^T^", "incomplete"),
    ("‖μ", "unbalanced '‖'"),
    ("<q, k", "unbalanced '<'"),
    ("dot(d, b)", "needs two vectors"),
    ("q × k", "cross product"),
    ("q k^T", "outer product"),
    ("q_i", "is a component of q"),
    ("Σ_i q_i^3", "could only read a sum"),
    ("\\sum_i \\mu^2", "a sum needs its range"),
    ("\\sum_{i=1}^d q_j k_j", "not the summation index"),
    ("‖μ‖_1", "only the 2-norm"),
    ("d ± 1 ± 2", "only one '±'"),
    ("2 * ±d", "'±' can only be used for the whole answer"),
    ("\\hat{d}", "unknown LaTeX command '\\hat'"),
    ("d'", "unexpected character '''"),
    ("d # comment", "unexpected character '#'"),
    ("lambda: 0", "unknown name 'lambda'"),
    ("1/0", "undefined"),
    ("log(0)", "undefined"),
    ("d^100", "exponent too large (at most 64)"),
    ("d^(-65)", "exponent too large"),
    ("10^50", "number too large"),
    ("1" * 41, "number too long"),
    ("s = ", "nothing after '='"),
    ("", "empty"),
    ("   ", "empty"),
    ("$$", "nothing to read"),
    ("()", "empty brackets"),
    ("d\x00", "control character U+0000"),
    ("\\begin{tabular}d\\end{tabular}", "unknown environment"),
]


@pytest.mark.parametrize(("text", "fragment"), UNREADABLE)
def test_unreadable(text: str, fragment: str) -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression(text, VOCABULARY)
    assert fragment in caught.value.message
    assert caught.value.hint


HOSTILE = [
    ("__import__('os').system('x')", "unexpected"),
    ("9^9^9^9", "exponent too large (at most 64)"),
    ("9**9**9**9", "exponent too large"),
    ("10^64^64", "too large"),
    ("((10^30)^2)^2", "number too large"),
    ("x" * 100_000, "answer too long (100,000 characters; at most 2000)"),
    ("(" * 10_000, "answer too long"),
    ("(" * 1000 + "d" + ")" * 999, "nested too deeply"),
    ("√" * 1999 + "d", "nested too deeply"),
    ("-" * 1999 + "d", "nested too deeply"),
    ("d^" * 999 + "d", "nested too deeply"),
    ("\\frac" * 300 + "{d}{d}", "nested too deeply"),
    ("‖" * 1000 + "d" + "‖" * 999, "nested too deeply"),
    ("d+" * 999 + "d", "answer too complex"),
    ("x1" * 1000, "answer too complex"),
    ("b" * 1999, "answer too complex"),
    ("z" * 1999, "unknown name"),
    ("max(" + ",".join(["d"] * 500) + ")", "too many arguments"),
    ("().__class__", "empty brackets"),
    ("().__class__.__bases__[0].__subclasses__()", "empty brackets"),
    ("eval('1')", "unexpected character"),
    ("exec", "unknown name"),
    ("import os", "unknown name"),
    ("Symbol('x')", "unexpected character"),
    ("\\input{/etc/passwd}", "unknown LaTeX command"),
    ("\\mathrm{" * 245, "nested too deeply"),
    ("\\text{" * 220 + "d" + "}" * 220, "nested too deeply"),
    ("\\begin{bmatrix}" * 100, "nested too deeply"),
    ("\\" * 1999, ""),
    ("d +* 2", "unexpected '*'"),
    ("sqrt(", "unbalanced"),
]


@pytest.mark.parametrize(("text", "fragment"), HOSTILE)
@pytest.mark.parametrize("reader", [read_expression, read_list, read_big_o])
def test_hostile_input_is_unreadable_quickly(text: str, fragment: str, reader: object) -> None:
    started = time.perf_counter()
    with pytest.raises(Unreadable) as caught:
        reader(text, VOCABULARY)  # type: ignore[operator]
    assert time.perf_counter() - started < 1.0
    if reader is read_expression:
        assert fragment in caught.value.message


SOUP_WORDS = (
    r"d mu q k x1 x_ 2 0.5 √ \sqrt \frac { } ( ) [ ] ^ _ * / + - · . T ᵀ ² ⁻ ‖ | < > , = ± Σ "
    r"\sum i \mu \left( \right) $ O ≈ M D max dot sum e \text{ \begin{bmatrix} \\ & "
    r"\end{bmatrix} x ℝ \in 0 9 ₁ \top @ log norm abs sqrt \, ~"
)
SOUP = [*SOUP_WORDS.split(), " "]


@pytest.mark.parametrize("reader", [read_expression, read_list, read_big_o])
def test_token_soup_is_read_or_unreadable(reader: object) -> None:
    """Random mixes of every token kind: a reading or Unreadable, never anything else."""
    generator = random.Random(9)
    for _ in range(600):
        text = "".join(generator.choice(SOUP) for _ in range(generator.randint(1, 30)))
        started = time.perf_counter()
        try:
            reader(text, VOCABULARY)  # type: ignore[operator]
        except Unreadable as unreadable:
            assert not unreadable.message.startswith("could not read this answer"), text
        assert time.perf_counter() - started < 1.0, text


@pytest.mark.parametrize("value", [b"d*mu^2", None, 42, ["d"]])
@pytest.mark.parametrize("reader", [read_expression, read_list, read_big_o])
def test_non_text_is_unreadable(value: object, reader: object) -> None:
    with pytest.raises(Unreadable, match="not text"):
        reader(value, VOCABULARY)  # type: ignore[operator]


def test_big_o_unreadable() -> None:
    with pytest.raises(Unreadable) as caught:
        read_big_o("O(bd^2 + bnd", VOCABULARY)
    assert "missing its closing bracket" in caught.value.message
    assert caught.value.position == 1
    with pytest.raises(Unreadable, match="unknown name"):
        read_big_o("O(bzd)", VOCABULARY)
    with pytest.raises(Unreadable, match="empty"):
        read_big_o("O()", VOCABULARY)


def test_list_unreadable() -> None:
    with pytest.raises(Unreadable, match="empty item"):
        read_list("[1, , 3]", VOCABULARY)
    with pytest.raises(Unreadable, match="empty"):
        read_list("[]", VOCABULARY)
    with pytest.raises(Unreadable, match="unknown name 'z'"):
        read_list("[1, z, 3]", VOCABULARY)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("d + z", 4),
        ("bzd", 1),
        ("d +* 2", 3),
        ("sqrt(", 4),
        ("2 * (d + 1", 4),
        ("d^100", 2),
        ("E[qᵀk] = d + zz", 13),
        ("dμ² + ω", 6),
        ("\\frac{d}{\\hat{d}}", 9),
    ],
)
def test_positions_point_at_the_problem(text: str, position: int) -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression(text, VOCABULARY)
    assert caught.value.position == position
    assert caught.value.text == text


def test_unreadable_survives_context_managers() -> None:
    @contextlib.contextmanager
    def nothing() -> Iterator[None]:
        yield

    with pytest.raises(Unreadable, match="unknown name"), nothing():
        read_expression("z", VOCABULARY)


def test_explain_shows_caret_and_hint() -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression("d + z", VOCABULARY)
    explained = caught.value.explain()
    lines = explained.splitlines()
    assert lines[0].startswith("unknown name 'z'")
    assert lines[1] == "    d + z"
    assert lines[2] == "        ^"
    assert "An accepted way to write it: 2*b*D^2, sqrt(b) or \\sqrt{b}" in explained
    assert str(caught.value) == explained


@pytest.mark.parametrize(
    ("reader", "text", "hint"),
    [
        (read_big_o, "O(bzd)", "O(n^2 + n*m)"),
        (read_list, "[1, z]", "[2, 7, 5]"),
        (
            lambda text, vocabulary: read_list(text, vocabulary, times_separator=True),
            "[h, z]",
            "a × b × 2",
        ),
    ],
)
def test_hints_of_each_kind(reader: object, text: str, hint: str) -> None:
    with pytest.raises(Unreadable) as caught:
        reader(text, VOCABULARY)  # type: ignore[operator]
    assert hint in caught.value.hint
    assert hint in caught.value.explain()


def test_exponent_hint() -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression("9^9^9^9", VOCABULARY)
    assert "d^2" in caught.value.hint


# --- rubric: answers with explanations around them ----------------------------------------------

PROSE_AROUND_AN_EXPRESSION = [
    # prose after the answer: the cut comes before the side of '=' is chosen
    ("$s = \\sqrt{d}$, since $\\mathrm{Var}(q^\\top k / s) = d / s^2 = 1$.", sympy.sqrt(d)),
    ("s = \\sqrt{d} \\text{ since } \\mathrm{Var}(q^\\top k) = d", sympy.sqrt(d)),
    ("s = \\sqrt{d}\\text{, since Var}(q^Tk)=d", sympy.sqrt(d)),
    ("s=\\sqrt{d}, \\quad \\text{because } \\mathrm{Var}(q^\\top k / s) = d/s^2 = 1", sympy.sqrt(d)),
    ("s = √d since Var(qᵀk/s) = d/s² = 1", sympy.sqrt(d)),
    ("s = \\sqrt{d}, because Var(q^T k) = d and dividing by s scales the variance by 1/s^2.", sympy.sqrt(d)),
    ("s = \\sqrt{d} (taking the positive root)", sympy.sqrt(d)),
    ("s = d \\text{ since } \\mathrm{Var}(q^\\top k) = \\sqrt{d}", d),
    ("(q^T k + 1)^2, i.e. the degree-2 polynomial kernel with c = 1", (QK + 1) ** 2),
    ("(q^T k + 1)^2 where the constant is 1", (QK + 1) ** 2),
    ("\\mu^T\\mu \\text{ (or } d\\mu^2 \\text{ for scalar } \\mu)", MU2),
    ("d; the variance of each term is 1", d),
    ("d. Each of the d terms has variance 1.", d),
    ("√d \\qquad \\text{so that the variance is } 1", sympy.sqrt(d)),
    # prose before the answer
    ("The variance is d.", d),
    ("The expectation is ||mu||^2 since q and k are independent.", MU2),
    ("The expectation of q^T k is ||mu||^2", MU2),
    ("Answer: d", d),
    ("We get √d", sympy.sqrt(d)),
    ("The scale equals \\sqrt{d}", sympy.sqrt(d)),
    ("We choose s = √d.", sympy.sqrt(d)),
    # the last side of an '=' chain is still the answer; nothing here is prose
    ("E[q^T k] = \\|\\mu\\|^2", MU2),
    ("\\text{Var}(q^Tk) = d", d),
    ("\\operatorname{Var}(q^\\top k) = d", d),
    ("O = max(d, sigma)", sympy.Max(d, sigma)),
    ("d\\quad\\mu^2", d * mu**2),
    ("(d + 1)(d - 1)", (d + 1) * (d - 1)),
    ("q . k", QK),
]


@pytest.mark.parametrize(("text", "expected"), PROSE_AROUND_AN_EXPRESSION)
def test_prose_around_an_expression(text: str, expected: sympy.Expr) -> None:
    reading = read_expression(text, VOCABULARY)
    assert same(reading.value, expected), f"{text!r} read as {reading.value}"


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("s = √d since Var(qᵀk/s) = d/s² = 1", "read 's = √d'; the rest was taken as explanation"),
        ("The variance is d.", "read 'd'; the rest was taken as explanation"),
        ("s = \\sqrt{d} (taking the positive root)", "read the right-hand side of '='"),
    ],
)
def test_prose_notes(text: str, note: str) -> None:
    assert note in read_expression(text, VOCABULARY).notes


def test_prose_keeps_plus_minus() -> None:
    reading = read_expression("s = \\pm\\sqrt{d}, but s must be positive? not sure", VOCABULARY)
    assert reading.alternatives == (sympy.sqrt(d), -sympy.sqrt(d))


PROSE_MESSAGES = [
    ("The answer", 0),
    ("and", 0),
    ("s = sqrt(d) and z", 12),
    ("sqrt(d) is the answer we need", 8),
]


@pytest.mark.parametrize(("text", "position"), PROSE_MESSAGES)
def test_prose_that_cannot_be_read_says_so(text: str, position: int) -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression(text, VOCABULARY)
    assert caught.value.message.startswith("this looks like prose: write only the expression")
    assert "explanations are fine after a comma" in caught.value.message
    assert caught.value.position == position


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("The variance is z", "unknown name 'z'"),
        ("exec", "unknown name 'exec'"),
        ("bzd", "unknown name 'z'"),
        ("\\sqrt{d_k}", "unknown name 'd_k'"),
        ("d_{k} + 1", "unknown name 'd_{k}'"),
    ],
)
def test_unknown_names_are_not_called_prose(text: str, fragment: str) -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression(text, VOCABULARY)
    assert fragment in caught.value.message


PROSE_AROUND_A_LIST = [
    ("The output is [1, 4, 3].", (1, 4, 3), False),
    ("[1, 4, 3] (the value of key k2, whose score 11 is the largest)", (1, 4, 3), False),
    ("The output is v2 = [1, 4, 3].", (1, 4, 3), False),
    ("[d, k] (shared by all heads)", (d, k), True),
    ("\\mathbb{R}^{d\\times k}, shared across heads", (d, k), True),
    ("h × d × q, one slice per head", (h, d, q), True),
    ("⟨1, 4, 3⟩", (1, 4, 3), False),
    ("\\langle 1, 4, 3 \\rangle", (1, 4, 3), False),
]


@pytest.mark.parametrize(("text", "expected", "shape"), PROSE_AROUND_A_LIST)
def test_prose_around_a_list(text: str, expected: tuple[object, ...], shape: bool) -> None:
    reading = read_list(text, VOCABULARY, times_separator=shape)
    assert reading.items == tuple(sympy.sympify(item) for item in expected)


def test_inner_product_in_angle_brackets_is_not_a_list() -> None:
    assert read_list("<q, k>", VOCABULARY).items == (QK,)


# --- rubric: ASCII spellings ---------------------------------------------------------------------

ASCII_SPELLINGS = [
    ("||mu||^2", MU2),
    ("||mu||_2^2", MU2),
    ("||\\mu||^2", MU2),
    ("||μ||²", MU2),
    ("2||mu||^2", 2 * MU2),
    ("||mu||", sympy.sqrt(MU2)),
    ("|\\|\\mu\\||^2", MU2),
    ("mu' * mu", MU2),
    ("(q'k + 1)^2", (QK + 1) ** 2),
    ("d//2", sympy.floor(d / 2)),  # Python's floor division
]


@pytest.mark.parametrize(("text", "expected"), ASCII_SPELLINGS)
def test_ascii_spellings(text: str, expected: sympy.Expr) -> None:
    assert same(read_expression(text, VOCABULARY).value, expected)


@pytest.mark.parametrize("text", ["+-sqrt(d)", "+/- sqrt(d)", "+- √d", "\\pm\\sqrt{d}", "s = +/-sqrt(d)"])
def test_ascii_plus_minus(text: str) -> None:
    reading = read_expression(text, VOCABULARY)
    assert reading.alternatives == (sympy.sqrt(d), -sympy.sqrt(d))


# --- rubric: sums --------------------------------------------------------------------------------

SUMS = [
    ("sum_i mu_i^2", MU2),
    ("sum_{i=1}^d mu_i^2", MU2),
    ("Σ_i μ_i²", MU2),
    ("sum_i q_i k_i", QK),
    ("\\mu_1^2 + \\mu_2^2 + \\dots + \\mu_d^2", MU2),
    ("mu_1^2 + ... + mu_d^2", MU2),
    ("μ₁² + μ₂² + … + μ_d²", MU2),
    ("\\mu_{1}^2 + \\cdots + \\mu_{d}^2", MU2),
    ("q_1 k_1 + ... + q_d k_d", QK),
    ("q_1 k_1 + q_2 k_2 + \\ldots + q_D k_D", QK),
    ("2 mu_1^2 + ... + 2 mu_d^2", 2 * MU2),
    # Σ_i μ_i is a wrong answer for E[qᵀk] but a readable one: d·μ under the scalar reading
    # when the range is given, the symbol Σmu when it is not.
    ("\\sum_{i=1}^d \\mu_i", d * mu),
    ("\\sum_i \\mu_i", sympy.Symbol("Σmu", real=True)),
    ("mu_1 + ... + mu_d", d * mu),
]


@pytest.mark.parametrize(("text", "expected"), SUMS)
def test_sums(text: str, expected: sympy.Expr) -> None:
    assert same(read_expression(text, VOCABULARY).value, expected)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("mu_1", "'mu_1' is a component of mu"),
        ("mu_1^2 + mu_2^2", "is a component of mu"),
        ("mu_1^2 + ... + mu_5^2", "components 1, 2, …, d"),
        ("mu_2^2 + ... + mu_d^2", "components 1, 2, …, d"),
        ("mu_1^2 + ... + q_d k_d", "one pattern"),
        ("mu_1^2 + ... + ... + mu_d^2", "a + b + … + z"),
        ("mu_1^3 + ... + mu_d^3", "could only read a sum"),
        ("d + ... + 1", "each term needs components with one index"),
    ],
)
def test_sums_that_cannot_be_read(text: str, fragment: str) -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression(text, VOCABULARY)
    assert fragment in caught.value.message


# --- rubric: names with underscores, aliases -----------------------------------------------------

ALIASES = Vocabulary(
    {"h": h, "num_heads": h, "d": d, "d_model": d, "q": q, "k": k, "query": q},
    vectors=frozenset({"q", "k", "query"}),
)

NAMES_IN_SHAPES = [
    ("[num_heads, d, q]", (h, d, q)),
    ("[h, d_model, d/h]", (h, d, d / h)),
    ("(h, d, d//h)", (h, d, sympy.floor(d / h))),
    ("[d, d//h]", (d, sympy.floor(d / h))),
    ("num_heads × d_model × q", (h, d, q)),
    ("d_{model} \\times k", (d, k)),
]


@pytest.mark.parametrize(("text", "expected"), NAMES_IN_SHAPES)
def test_names_in_shapes(text: str, expected: tuple[sympy.Expr, ...]) -> None:
    assert read_list(text, ALIASES, times_separator=True).items == expected


def test_aliases_of_one_vector_are_one_vector() -> None:
    assert read_expression("query^T k", ALIASES).value == read_expression("q^T k", ALIASES).value
    assert read_expression("d_model/num_heads", ALIASES).value == d / h


def test_unknown_underscore_name() -> None:
    with pytest.raises(Unreadable, match="unknown name 'd_model'"):
        read_list("[h, d_model, d/h]", VOCABULARY, times_separator=True)


# --- rubric: big-O sums and assumptions ------------------------------------------------------------

C = sympy.Symbol("C", positive=True)
BIG_O_VOCABULARY = Vocabulary({str(symbol): symbol for symbol in (b, d, n, h, k, N, D, M, C)})

BIG_O_RUBRIC = [
    ("O(bd^2) + O(bnd)", (b * d**2 + b * n * d,), ()),
    (
        "\\mathcal{O}(bd^2) + \\mathcal{O}(bnd) = \\mathcal{O}(bd^2 + bnd)",
        (b * d**2 + b * n * d, b * d**2 + b * n * d),
        (),
    ),
    ("3 O(bd^2) + 2 \\cdot O(bnd)", (b * d**2 + b * n * d,), ()),
    ("2O(N^2 D)", (N**2 * D,), ()),
    ("O(NCM) with C = O(D^2)", (N * C * M,), ((C, D**2),)),
    ("O(NCM), C = O(D^2)", (N * C * M,), ((C, D**2),)),
    ("O(N^2 D) as long as M = O(D)", (N**2 * D,), ((M, D),)),
    ("O(d^2 + bd + bnd) where k = d/h", (d**2 + b * d + b * n * d,), ((k, d / h),)),
    ("O(NCM) where C = D^2", (N * C * M,), ((C, D**2),)),
    ("O(N^2 D) assuming M ≈ N^2", (N**2 * D,), ((M, N**2),)),
    ("O(N^2 D) assuming M ≤ D", (N**2 * D,), ((M, D),)),
    ("O(N^2 D) assuming M << D", (N**2 * D,), ((M, D),)),
    ("O(N^2 D) assuming M \\leq D", (N**2 * D,), ((M, D),)),
    ("O(N D^3) where M≈D and C = D^2", (N * D**3,), ((M, D), (C, D**2))),
    ("O(N D^3) if M = D, which is typical", (N * D**3,), ((M, D),)),
    ("O(N^2 D) (assuming M ≈ D)", (N**2 * D,), ((M, D),)),
    ("T = O(N^2 D)", (N**2 * D,), ()),
    ("C = O(D^2)", (D**2,), ()),
    ("The cost is bd^2 + bnd.", (b * d**2 + b * n * d,), ()),
]


@pytest.mark.parametrize(("text", "bounds", "assumptions"), BIG_O_RUBRIC)
def test_big_o_rubric(
    text: str,
    bounds: tuple[sympy.Expr, ...],
    assumptions: tuple[tuple[sympy.Expr, sympy.Expr], ...],
) -> None:
    reading = read_big_o(text, BIG_O_VOCABULARY)
    assert len(reading.bounds) == len(bounds), reading.bounds
    for bound, want in zip(reading.bounds, bounds, strict=True):
        assert same(bound, want), f"{text!r}: {bound} != {want}"
    assert reading.assumptions == assumptions


def test_big_o_rubric_notes() -> None:
    assert "read a sum of O(…) terms as one bound" in read_big_o("O(bd^2) + O(bnd)", VOCABULARY).notes
    notes = read_big_o("O(N^2 D) assuming M ≤ D", VOCABULARY).notes
    assert any("upper bound M ≤ D means M = O(D)" in note for note in notes)


# --- rubric: prose costs no time -----------------------------------------------------------------

PROSE_HOSTILE = [
    "()" * 999,
    "(a b c d)" * 200,
    "d, " * 600,
    "d since " * 200,
    "The is " * 250,
    "\\text{since}" * 150,
    "d:" * 999,
    "mu_1 + ... + " * 100 + "mu_d",
    "d " + ", the" * 300,
    "O(n) assuming M ≈ D " * 80,
    "M ≈ D D D D D D D D " * 90,
    "O(n) + " * 250 + "O(n)",
    "\\quad the " * 150,
]


@pytest.mark.parametrize("text", PROSE_HOSTILE)
@pytest.mark.parametrize("reader", [read_expression, read_list, read_big_o])
def test_prose_handling_is_bounded(text: str, reader: object) -> None:
    # A guard against runaway work (the same second as the other hostile inputs), not a
    # benchmark: bench/ measures speed. Typical cost here is ~20 ms.
    started = time.perf_counter()
    with contextlib.suppress(Unreadable):
        reader(text, VOCABULARY)  # type: ignore[operator]
    assert time.perf_counter() - started < 1.0, text[:40]


# --- security ----------------------------------------------------------------------------------

FORBIDDEN = re.compile(r"\b(eval|exec|sympify|parse_expr|parse_latex|compile|__import__)\s*\(")


def test_reader_source_never_evaluates_text() -> None:
    package = pathlib.Path(__file__).parents[1] / "autograder" / "mathread"
    for path in package.glob("*.py"):
        code = path.read_text(encoding="utf-8")
        code = re.sub(r"re\.compile\(", "", code)
        assert not FORBIDDEN.search(code), f"{path.name} calls {FORBIDDEN.search(code)}"


def test_reading_does_not_use_sympy_parsers(monkeypatch: pytest.MonkeyPatch) -> None:
    import sympy.parsing.sympy_parser as sympy_parser

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a string parser was called")

    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden, raising=False)
    monkeypatch.setattr(sympy_parser, "parse_expr", forbidden)
    for text, expected in READS_AS[:40]:
        assert same(read_expression(text, VOCABULARY).value, expected)
    assert read_list("[1, 4, 3]", VOCABULARY).items == (1, 4, 3)
    assert read_big_o("O(bnd)", VOCABULARY).bounds == (b * n * d,)


def test_limit_constant_is_used() -> None:
    assert read_expression("d" + " " * (MAX_CHARS - 1), VOCABULARY).value == d
    with pytest.raises(Unreadable, match="too long"):
        read_expression("d" + " " * MAX_CHARS, VOCABULARY)
