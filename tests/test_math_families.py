"""Notation families found by a blind test of an unseen homework (issue 9): every member of a
family is read, not only the spelling that was seen.

Superscript and subscript characters, words of explanation after the final value, words
that make a number approximate, shapes as PyTorch prints them, and definitions stated after
an answer.
"""

from __future__ import annotations

import pytest
import sympy

from autograder.mathread import Unreadable, Vocabulary, read_big_o, read_expression, read_list, read_matrix
from autograder.mathread.normalize import _SUBSCRIPTS, _SUPERSCRIPTS, TRANSPOSE

NAMES = "B T d h n x D H W C M N"
SYMBOLS = {name: sympy.Symbol(name, positive=True) for name in NAMES.split()}
B, T, d, h, n, x, D, H, W, C, M, N = SYMBOLS.values()
beta, t, m = (sympy.Symbol(name, positive=True) for name in ("beta", "t", "m"))
VOCABULARY = Vocabulary({**SYMBOLS, "beta": beta, "beta_1": beta, "t": t, "m": m, "m_t": m, "x_in": x})


def reads(text: str, vocabulary: Vocabulary = VOCABULARY, **options: object) -> sympy.Expr:
    return read_expression(text, vocabulary, **options).value  # type: ignore[arg-type]


# --- superscripts and subscripts -------------------------------------------------------------

SCRIPT_LETTERS = sorted(
    (char, value) for char, value in _SUPERSCRIPTS.items() if value.isalpha() and value != TRANSPOSE
)


@pytest.mark.parametrize(("char", "letter"), SCRIPT_LETTERS)
def test_every_superscript_letter_is_an_exponent(char: str, letter: str) -> None:
    base = "y" if letter != "y" else "z"
    names = Vocabulary({base: sympy.Symbol(base), letter: sympy.Symbol(letter)})
    assert reads(base + char, names) == sympy.Symbol(base) ** sympy.Symbol(letter)


@pytest.mark.parametrize(("char", "letter"), sorted((c, v) for c, v in _SUBSCRIPTS.items() if v.isalpha()))
def test_every_subscript_letter_names_a_subscripted_name(char: str, letter: str) -> None:
    declared = sympy.Symbol("declared")
    names = Vocabulary({f"y_{letter}": declared})
    assert reads("y" + char, names) == declared


def test_the_families_are_complete() -> None:
    superscripts = set("ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵁⱽᵂ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ᵅᵝᵞᵟᶿᶲ")
    subscripts = set("ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ₀₁₂₃₄₅₆₇₈₉₊₋₍₎ᵦᵧᵨᵩᵪ")
    assert superscripts <= set(_SUPERSCRIPTS)
    assert subscripts <= set(_SUBSCRIPTS)
    assert _SUPERSCRIPTS["ᵀ"] == TRANSPOSE


SCRIPTS = [
    ("m_t / (1 − β₁ᵗ)", "m/(1 - beta^t)"),
    ("mₜ/(1 − βᵗ)", "m/(1 - beta^t)"),
    ("m/(1-β₁ᵗ)", "m/(1 - beta_1^t)"),
    ("βᵗ⁻¹", "beta^(t-1)"),
    ("x⁽ⁿ⁺¹⁾", "x^(n+1)"),
    ("n²ᵗ", "n^(2t)"),
    ("xᴺ", "x^N"),
    ("2ᵈʰ", "2^(d h)"),
    ("xᵢₙ + 1", "x_in + 1"),
    ("x²", "x^2"),
    ("x⁻¹", "1/x"),
]


@pytest.mark.parametrize(("text", "plain"), SCRIPTS)
def test_unicode_scripts_read_as_their_plain_spelling(text: str, plain: str) -> None:
    assert reads(text) == reads(plain)


# --- words after the final value ---------------------------------------------------------------

TRAILING = [
    ("The block has 8d^2 + 7d parameters.", 8 * d**2 + 7 * d),
    ("8d^2 + 7d parameters", 8 * d**2 + 7 * d),
    ("It has 8d^2 + 7d learnable parameters in total.", 8 * d**2 + 7 * d),
    ("The cost is 2n per step", 2 * n),
    ("3.16e-3 in magnitude", sympy.Rational(316, 100000)),
    ("Each gate has 4 matrices, so the total is 4H(D+H+1)", 4 * H * (D + H + 1)),  # the conclusion
    ("8d^2 + 7d d", 15 * d**2),  # a declared name is never dropped
    ("2 B T", 2 * B * T),  # nor a run of letters that splits into declared names
]


@pytest.mark.parametrize(("text", "value"), TRAILING)
def test_words_after_the_value_end_it(text: str, value: sympy.Expr) -> None:
    reading = read_expression(text, VOCABULARY)
    assert sympy.expand(reading.value - value) == 0
    if reading.value.free_symbols <= {d} and "parameters" in text:
        assert any("left out the words" in note for note in reading.notes)


@pytest.mark.parametrize(
    ("text", "units", "fragment"),
    [
        ("sqrt(d) is the answer we need", None, "this looks like prose"),  # a sentence, not a noun phrase
        ("3.75 during training, 3.0 at test time", (), "this looks like prose"),  # two values
        ("0.1216 pixels", (), "unknown unit 'pixels'"),  # one word after a number is a unit
        ("56 parameters", ("GB",), "unknown unit 'parameters'"),
    ],
)
def test_words_that_are_not_left_out(text: str, units: tuple[str, ...] | None, fragment: str) -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression(text, VOCABULARY, units=units)
    assert fragment in caught.value.message


def test_a_declared_multi_letter_name_at_the_end_stays_a_factor() -> None:
    params = sympy.Symbol("params")
    names = Vocabulary({"n": n, "params": params})
    assert reads("8n params", names) == 8 * n * params


# --- approximately ---------------------------------------------------------------------------

APPROXIMATE = [
    ("about 56 GB", 56, ("GB",)),
    ("approximately 56", 56, ()),
    ("approx. 56", 56, ()),
    ("Approximately 0.5", sympy.Rational(1, 2), ()),
    ("roughly -0.5", sympy.Rational(-1, 2), ()),
    ("around 3.16e-3", sympy.Rational(316, 100000), ()),
    ("The first update is about 3.16e-3 in magnitude.", sympy.Rational(316, 100000), ()),
    ("~0.12", sympy.Rational(3, 25), ()),
    ("it is ~ 0.12", sympy.Rational(3, 25), ()),
    ("∼ 0.12", sympy.Rational(3, 25), ()),
    ("circa 56 gigabytes", 56, ("GB", "gigabytes")),
]


@pytest.mark.parametrize(("text", "value", "units"), APPROXIMATE)
def test_approximation_words_mean_approximately(text: str, value: object, units: tuple[str, ...]) -> None:
    reading = read_expression(text, VOCABULARY, units=units)
    assert reading.value == value
    assert reading.approximate


@pytest.mark.parametrize(("text", "value"), [("d~=~3", 3), ("56", 56), ("around d", d), ("x about", x)])
def test_no_approximation_without_a_marker_before_a_number(text: str, value: object) -> None:
    try:
        reading = read_expression(text, VOCABULARY)
    except Unreadable:
        assert not text[0].isdigit() and "~" not in text  # prose without a number stays unreadable
        return
    assert reading.value == value
    assert not reading.approximate


def test_two_approximate_values_stay_unreadable() -> None:
    with pytest.raises(Unreadable):
        read_expression("about 3 here, about 4 there", VOCABULARY, units=())


# --- torch.Size ----------------------------------------------------------------------------------

SIZES = [
    ("torch.Size([B, T])", (B, T)),
    ("Size([B, T])", (B, T)),
    ("torch.Size((B, T))", (B, T)),
    ("torch.Size([B, T, 2*d])", (B, T, 2 * d)),
    ("torch.Size([B])", (B,)),
    ("The means have shape torch.Size([B, T]).", (B, T)),
    ("x.shape is torch.Size([B, T])", (B, T)),
]


@pytest.mark.parametrize(("text", "items"), SIZES)
@pytest.mark.parametrize("times", [True, False])
def test_a_pytorch_size_is_its_list(text: str, items: tuple[object, ...], times: bool) -> None:
    reading = read_list(text, VOCABULARY, times_separator=times)
    assert reading.items == items
    assert any("torch.Size" in note for note in reading.notes)


@pytest.mark.parametrize("text", ["torch.Size([B, T]) + 1", "torch([B, T])", "torch.Size[B, T]"])
def test_only_a_whole_pytorch_size_is_a_list(text: str) -> None:
    with pytest.raises(Unreadable):
        read_list(text, VOCABULARY, times_separator=True)


# --- definitions after the answer --------------------------------------------------------------

DEFINED = [
    ("k·d with k = h", h * d),
    ("k d, where k = h", h * d),
    ("n_tok d^2 where n_tok = BT", B * T * d**2),
    ("a + b where a = B and b = T", B + T),
    ("a + b, with a = B, b = 2T", B + 2 * T),
    ("k*d for k := h", h * d),
    ("4H(D+H+1), where H is the hidden size", 4 * H * (D + H + 1)),  # defines nothing
    ("sqrt(d), where d is the width", sympy.sqrt(d)),
    ("k d where k = 2h.", 2 * h * d),
]


@pytest.mark.parametrize(("text", "value"), DEFINED)
def test_a_defined_name_is_replaced_by_its_definition(text: str, value: sympy.Expr) -> None:
    reading = read_expression(text, VOCABULARY)
    assert sympy.expand(reading.value - value) == 0
    if "is the" not in text:
        assert any("by its definition" in note for note in reading.notes)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("8d^2 + 7d where d = 2", "'d = 2' gives d, a name of the question, another value"),
        ("k d with d = h", "a name of the question"),
        ("[B, 2HW] where H = 3", "a name of the question"),
    ],
)
def test_a_definition_of_a_declared_name_is_never_applied_silently(text: str, fragment: str) -> None:
    reader = read_list if text.startswith("[") else read_expression
    with pytest.raises(Unreadable) as caught:
        reader(text, VOCABULARY)
    assert fragment in caught.value.message


def test_restating_a_declared_name_is_fine() -> None:
    names = Vocabulary({**SYMBOLS, "d_k": d})
    assert reads("sqrt(d_k) where d_k = d", names) == sympy.sqrt(d)


def test_definitions_in_lists_matrices_and_big_o() -> None:
    assert read_list("[B, w] where w = 2HW", VOCABULARY, times_separator=True).items == (B, 2 * H * W)
    assert read_matrix("[[a, 0], [0, a]] with a = 2", VOCABULARY).rows == ((2, 0), (0, 2))
    bound = read_big_o("O(n_tok d^2) where n_tok = BT", VOCABULARY)
    assert bound.bounds == (B * T * d**2,)
    assert bound.assumptions == ()


def test_big_o_keeps_a_clause_about_a_declared_name_as_an_assumption() -> None:
    reading = read_big_o("O(NCM) with C = O(D)", VOCABULARY)
    assert reading.bounds == (N * C * M,)
    assert reading.assumptions == ((C, D),)


def test_an_unreadable_definition_reports_the_text_as_written() -> None:
    with pytest.raises(Unreadable) as caught:
        read_expression("k d + zz where k = h", VOCABULARY)
    assert caught.value.text == "k d + zz where k = h"
    assert "zz" in caught.value.message


@pytest.mark.parametrize(
    ("text", "readable"),
    [
        ("sqrt(k) where k = d/h", True),  # what the spec's substitute says: a restatement
        ("sqrt(k) where k = d", False),  # another value
    ],
)
def test_a_definition_the_spec_substitutes_is_a_restatement(text: str, readable: bool) -> None:
    k = sympy.Symbol("k", positive=True)
    names = Vocabulary({**SYMBOLS, "k": k})
    known = {k: d / h}
    if readable:
        assert read_expression(text, names, known=known).value == sympy.sqrt(k)
        as_list = "[B, sqrt(k)]" + text.removeprefix("sqrt(k)")
        assert read_list(as_list, names, known=known).items == (B, sympy.sqrt(k))
    else:
        with pytest.raises(Unreadable, match="a name of the question"):
            read_expression(text, names, known=known)


@pytest.mark.parametrize(
    "text",
    ["~" + " " * 1998 + "x", "d" + " " * 1990 + "since x", "d where x = " * 150, "8d " + "parameters " * 180],
)
def test_long_runs_stay_cheap(text: str) -> None:
    import time

    started = time.perf_counter()
    for reader in (read_expression, read_list, read_big_o):
        try:
            reader(text[:2000], VOCABULARY)
        except Unreadable as error:
            assert error.message
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("name", ["cos", "sin", "tan", "tanh", "arctan", "det"])
def test_latex_operator_names_are_names(name: str) -> None:
    names = Vocabulary(SYMBOLS, functions=frozenset({name}))
    assert reads(rf"\{name}\left(\frac{{x}}{{2}}\right)", names) == reads(f"{name}(x/2)", names)
    with pytest.raises(Unreadable, match="unknown"):
        reads(rf"\{name}(x)")  # not declared: unreadable, as the plain spelling is


@pytest.mark.parametrize(
    ("text", "plain"),
    [("πt", "pi*t"), ("2πt/T", "2*pi*t/T"), ("cos(πt)", "cos(pi*t)"), ("1 + cos(2πt/T)", "1 + cos(2*pi*t/T)")],
)
def test_pi_is_a_constant_inside_a_run_of_letters(text: str, plain: str) -> None:
    names = Vocabulary(VOCABULARY.symbols, functions=frozenset({"cos"}))
    assert reads(text, names) == reads(plain, names)
    assert sympy.pi in reads(text, names).atoms(sympy.NumberSymbol)


def test_a_declared_pi_keeps_its_meaning() -> None:
    pi = sympy.Symbol("pi")
    assert reads("pi t", Vocabulary({"pi": pi, "t": t})) == pi * t
