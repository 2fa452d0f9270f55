"""Typeset math: readings → MathML in the student's order, statements from Markdown and
LaTeX, and the allow-list every MathML string passes before a page shows it.

The pages themselves are opened in Chromium by tests/test_browser.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy

from autograder.graders import REGISTRY
from autograder.mathread import Vocabulary, read_big_o, read_expression, read_list, read_matrix
from autograder.render.env import environment, pointed
from autograder.render.mathml import ATTRIBUTES, ELEMENTS, clean, inline, latex, markdown, mathml
from autograder.render.records import RECORD_FILE, GradedPart, GradedQuestion, GradedSubmission
from tests.test_reports import graded_out  # noqa: F401 (the graded OUT folder, shared with test_reports)

NAMES = ("N", "D", "d", "b", "n", "mu", "sigma", "x1", "x2")
VOCABULARY = Vocabulary({name: sympy.Symbol(name, positive=True) for name in NAMES}, frozenset({"q", "k", "w"}))


def _typeset(kind: str, reader: Callable[[str, Vocabulary], Any]) -> Callable[[str], str]:
    typeset = REGISTRY[kind].typeset
    assert typeset is not None, f"{kind} has no typeset hook"
    return lambda text: typeset(reader(text, VOCABULARY))


SYMBOLIC = _typeset("symbolic", read_expression)
COMPLEXITY = _typeset("complexity", read_big_o)
SHAPE = _typeset("shape", read_list)
VECTOR = _typeset("vector", read_list)
MATRIX = _typeset("matrix", read_matrix)
NUMERIC = _typeset("numeric", read_expression)

N2 = "<msup><mi>N</mi><mn>2</mn></msup>"
Q_T_K = '<msup><mi>q</mi><mi mathvariant="normal">T</mi></msup><mi>k</mi>'
K_T_Q = '<msup><mi>k</mi><mi mathvariant="normal">T</mi></msup><mi>q</mi>'


@pytest.mark.parametrize(
    ("typeset", "text", "fragments"),
    [
        # the student's order of factors and terms, both ways round
        (SYMBOLIC, "N^2 D", [N2, "<mi>D</mi>"]),
        (SYMBOLIC, "D N^2", ["<mi>D</mi>", N2]),
        (SYMBOLIC, "sigma^2 + mu", ["<mi>σ</mi>", "<mi>μ</mi>"]),
        (SYMBOLIC, "mu + sigma^2", ["<mi>μ</mi>", "<mi>σ</mi>"]),
        (SYMBOLIC, "d mu^2 + d sigma^2", ["<mi>d</mi>", "<mi>μ</mi>", "<mo>+</mo>", "<mi>d</mi>", "<mi>σ</mi>"]),
        (SYMBOLIC, "d sigma^2 + d mu^2", ["<mi>d</mi>", "<mi>σ</mi>", "<mo>+</mo>", "<mi>d</mi>", "<mi>μ</mi>"]),
        (SYMBOLIC, "sigma^2 d + 1 + mu", ["<mi>σ</mi>", "<mi>d</mi>", "<mo>+</mo><mi>μ</mi>", "<mo>+</mo><mn>1</mn>"]),
        # inner products in the order written, kept in brackets under a power
        (SYMBOLIC, "(q^T k)^2", ["<msup><mrow><mo>(</mo>", Q_T_K, "<mo>)</mo></mrow><mn>2</mn></msup>"]),
        (SYMBOLIC, "(k^T q)^2", [K_T_Q]),
        (SYMBOLIC, "dot(q, k)/sqrt(d)", ["<mfrac>", Q_T_K, "<msqrt><mi>d</mi></msqrt>"]),
        (SYMBOLIC, "w^T w + 1", ["<mo>‖</mo><mi>w</mi><mo>‖</mo>", "<mn>2</mn>", "<mo>+</mo><mn>1</mn>"]),
        # roots and fractions
        (SYMBOLIC, "sqrt(d)", ["<msqrt><mi>d</mi></msqrt>"]),
        (SYMBOLIC, "d^(1/2)", ["<msqrt><mi>d</mi></msqrt>"]),
        (SYMBOLIC, "\\frac{1}{\\sqrt{d}}", ["<mfrac><mn>1</mn><msqrt><mi>d</mi></msqrt></mfrac>"]),
        (SYMBOLIC, "N D / 2", ["<mfrac>", "<mi>N</mi>", "<mi>D</mi>", "<mn>2</mn></mfrac>"]),
        (SYMBOLIC, "x1 + x2", ["<msub><mi>x</mi><mi>1</mi></msub>", "<msub><mi>x</mi><mi>2</mi></msub>"]),
        (SYMBOLIC, "±sqrt(d)", ["<msqrt>", "<mtext> or </mtext>", "<mo>-</mo><msqrt>"]),
        # big-O: the bound in the order written, and its assumptions
        (COMPLEXITY, "O(N^2 D)", ["<mi>O</mi><mo>(</mo>", N2, "<mi>D</mi>", "<mo>)</mo>"]),
        (
            COMPLEXITY,
            "O(b n d + b d + d^2)",
            ["<mi>b</mi>", "<mi>n</mi>", "<mi>d</mi>", "<mo>+</mo>", "<msup><mi>d</mi>"],
        ),
        (COMPLEXITY, "O(N D) = O(D N)", ["<mi>N</mi>", "<mi>D</mi>", "<mo>=</mo>"]),
        (
            COMPLEXITY,
            "O(d^2 + bd + bnd)",
            ["<msup><mi>d</mi>", "<mi>b</mi><mo>⁢</mo><mi>d</mi>", "<mi>b</mi><mo>⁢</mo><mi>n</mi><mo>⁢</mo><mi>d</mi>"],
        ),
        (SYMBOLIC, "(N + D)^2 d", ["<mi>N</mi><mo>+</mo><mi>D</mi>", "<mi>d</mi>"]),
        # lists, shapes, matrices, numbers
        (SHAPE, "[b, N, D]", ["<mo>[</mo><mi>b</mi><mo>,</mo><mi>N</mi><mo>,</mo><mi>D</mi><mo>]</mo>"]),
        (VECTOR, "[2, 0, 1]", ["<mo>[</mo><mn>2</mn><mo>,</mo><mn>0</mn><mo>,</mo><mn>1</mn><mo>]</mo>"]),
        (MATRIX, "[[1, 2], [3, 4]]", ["<mtable><mtr><mtd><mn>1</mn></mtd><mtd><mn>2</mn></mtd></mtr><mtr>"]),
        (NUMERIC, "1/3", ["<mfrac><mn>1</mn><mn>3</mn></mfrac>"]),
        (NUMERIC, "0.25", ["<mn>0.25</mn>"]),
        (NUMERIC, "9.54e-7", ["<mn>9.54</mn><mo>·</mo><msup><mn>10</mn><mrow><mo>-</mo><mn>7</mn></mrow></msup>"]),
        (NUMERIC, "≈ 0.12", ["<mo>≈</mo><mn>0.12</mn>"]),
    ],
)
def test_a_reading_is_typeset_in_the_order_written(
    typeset: Callable[[str], str], text: str, fragments: list[str]
) -> None:
    markup = typeset(text)
    assert markup.startswith('<math display="inline">') and markup.endswith("</math>")
    shown = clean(markup)  # what a page shows: the allow-listed, re-built markup
    assert shown, markup
    position = 0
    for fragment in fragments:
        found = shown.find(fragment, position)
        assert found >= 0, f"{fragment!r} not after position {position} in {shown}"
        position = found + len(fragment)


@pytest.mark.parametrize(("first", "second"), [("N^2 D", "D N^2"), ("(q^T k)^2", "(k^T q)^2"), ("mu + d", "d + mu")])
def test_the_display_order_never_changes_the_reading(first: str, second: str) -> None:
    a, b = read_expression(first, VOCABULARY), read_expression(second, VOCABULARY)
    assert a == b and a.value == b.value  # graded (and grouped) the same
    assert REGISTRY["symbolic"].show(a) == REGISTRY["symbolic"].show(b)
    assert SYMBOLIC(first) != SYMBOLIC(second)  # only the typeset order differs


def test_typeset_identifiers_are_escaped() -> None:
    hostile = sympy.Symbol("<script>alert(1)</script>")
    markup = REGISTRY["symbolic"].typeset(read_expression("d", Vocabulary({"d": hostile})))  # type: ignore[misc]
    assert "<script" not in markup and "<script" not in clean(markup)
    assert "&lt;script&gt;" in clean(markup)


# --- the allow-list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<math display="inline"><mi>x</mi></math>', '<math display="inline"><mi>x</mi></math>'),
        ("<math><mi>a&lt;b</mi></math>", "<math><mi>a&lt;b</mi></math>"),  # text stays escaped
        (
            '<math><mi onclick="alert(1)" style="x" mathvariant="bold">x</mi></math>',
            '<math><mi mathvariant="bold">x</mi></math>',
        ),
        ('<math xmlns="http://www.w3.org/1998/Math/MathML"><mn>1</mn></math>', "<math><mn>1</mn></math>"),
        ("<math><mo>&InvisibleTimes;</mo></math>", "<math><mo>\u2062</mo></math>"),  # HTML entity → character
        ("<math><mi>x</mi><script>alert(1)</script></math>", ""),
        ("<math><semantics><annotation-xml>x</annotation-xml></semantics></math>", ""),
        ('<math><mi href="javascript:alert(1)">x</mi></math>', "<math><mi>x</mi></math>"),
        ('<math><svg xmlns="http://www.w3.org/2000/svg"/></math>', ""),
        ("<svg><mi>x</mi></svg>", ""),
        ("<mi>x</mi>", ""),  # a fragment is not a <math> element
        ('<!DOCTYPE math [<!ENTITY a "aaaa">]><math><mi>&a;</mi></math>', ""),
        ("<math><mi>x</mi>", ""),  # not well-formed
        ("", ""),
    ],
)
def test_only_allow_listed_mathml_reaches_a_page(markup: str, expected: str) -> None:
    assert clean(markup) == expected
    assert str(mathml(markup)) == expected


def test_the_allow_list_has_no_scripting_or_links() -> None:
    assert not ELEMENTS & {"script", "annotation", "annotation-xml", "semantics", "maction", "a", "foreignObject"}
    assert not {name for name in ATTRIBUTES if name.startswith("on")} | (
        ATTRIBUTES & {"href", "style", "src", "class", "id"}
    )


# --- statements and prompts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fragments"),
    [
        ("\\sqrt{d}", ["<msqrt>", "<mi>d</mi>"]),
        ("\\frac{q^\\top k}{\\sqrt{d}}", ["<mfrac>", "<mi>q</mi>", "<msqrt>"]),
        ("\\mathbb{R}^{N \\times D}", ["<msup><mi>ℝ</mi>", "<mo>×</mo>"]),
        ("\\mathcal{N}(\\mu, \\sigma^2)", ["<mi>μ</mi>", "<msup><mi>σ</mi><mn>2</mn></msup>"]),
        ("x \\le 3", ["<mo>≤</mo>"]),
        ("\\begin{bmatrix}1 & 2\\\\3 & 4\\end{bmatrix}", ["<mtable>", "<mtd><mn>4</mn></mtd>"]),
    ],
)
def test_statement_latex_becomes_mathml(source: str, fragments: list[str]) -> None:
    html = str(markdown(f"Let ${source}$ be given."))
    assert html.startswith('<p>Let <math display="inline">') and "$" not in html
    for fragment in fragments:
        assert fragment in html


@pytest.mark.parametrize("source", ["\\foo{x}", "\\frac{a}", "{x", "\\begin{nothing}x\\end{nothing}"])
def test_latex_the_converter_cannot_read_is_shown_as_code(source: str) -> None:
    html = latex(source)
    assert html.startswith('<code class="latex">$') and "<math" not in html
    assert str(markdown(f"see ${source}$ here")).count("<code") == 1


def test_display_math_is_a_block() -> None:
    html = str(markdown("Scale by\n\n$$\\frac{1}{\\sqrt{d}}$$\n\nas shown."))
    assert '<math display="block">' in html and "<mfrac>" in html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Use `torch.softmax(x, dim=-1)` here.", "<code>torch.softmax(x, dim=-1)</code>"),
        ("- first\n- second", "<li>second</li>"),
        ("*emphasis* and **strong**", "<em>emphasis</em> and <strong>strong</strong>"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src="http://example.com/x.png">', "&lt;img src="),
        ("costs $5 and $10 a month", "costs $5 and $10 a month"),  # prices, not math
        ("`$x$` in code", "<code>$x$</code>"),
        ("![plot](http://example.com/p.png)", "!"),  # images disabled: a page loads nothing
    ],
)
def test_statement_markdown(source: str, expected: str) -> None:
    html = str(markdown(source))
    assert expected in html
    assert "<script" not in html and "<img" not in html


def test_a_prompt_keeps_code_as_written() -> None:
    html = str(inline("self.W_k = nn.Linear(d_model, ___(a)___) with `x*y` and $\\sqrt{d}$, *not* emphasis"))
    assert html.startswith("self.W_k = nn.Linear(d_model, ___(a)___) with <code>x*y</code>")
    assert "<msqrt>" in html and "*not*" in html and "<p>" not in html


# --- carets ---------------------------------------------------------------------------------------

UNREADABLE = "Your answer could not be read.\nunexpected '#'\n    d # 2\n      ^\nAn accepted way to write it: d^2"


@pytest.mark.parametrize(
    ("text", "expected"), [(UNREADABLE, True), ("x ^ 2 is a power", False), ("", False), (None, False)]
)
def test_a_message_with_a_caret_line_is_pointed(text: str | None, expected: bool) -> None:
    assert pointed(text) is expected


def _record(**part: Any) -> GradedSubmission:
    fields: dict[str, Any] = {
        "id": "q1.a", "question": "q1", "title": "Size", "max_score": 1.0, "score": 0.0, "verdict": "incorrect",
        "feedback": "Not equivalent.", "answer_raw": "D N^2", "answer_as_read": "D*N^2", "prompt": "Find `f`.",
    }  # fmt: skip
    statement = "Let $x \\in \\mathbb{R}^{N}$.\n\n- one `item`\n\n<script>alert(1)</script>"
    return GradedSubmission("s1", (GradedQuestion("q1", "Q", statement, (GradedPart(**{**fields, **part}),)),))


def test_feedback_page_typesets_the_answer_and_points_in_monospace() -> None:
    typeset = SYMBOLIC("N^2 D")
    page = (
        environment().get_template("feedback.html").render(record=_record(as_read_math=typeset), show_solutions=False)
    )
    assert '<span class="as-read-math" title="D*N^2"><math display="inline">' in page
    assert '<code class="as-read">D*N^2</code>' in page  # the plain notation stays beside it
    assert "<li>one <code>item</code></li>" in page and "&lt;script&gt;" in page and "<script" not in page
    assert '<p class="prompt">Find <code>f</code>.</p>' in page

    unread = _record(verdict="unreadable", answer_as_read=None, feedback=UNREADABLE, answer_raw="d # 2")
    page = environment().get_template("feedback.html").render(record=unread, show_solutions=False)
    (block,) = re.findall(r'<pre class="feedback pointed">(.*?)</pre>', page, re.DOTALL)
    lines = block.splitlines()
    assert lines[3].index("^") == lines[2].index("#")  # the caret under the character, in monospace


def test_feedback_page_refuses_markup_that_is_not_allow_listed() -> None:
    record = _record(as_read_math="<math><mi>x</mi><script>alert(1)</script></math>")
    page = environment().get_template("feedback.html").render(record=record, show_solutions=False)
    assert "<script" not in page and "as-read-math" not in page.split("</style>")[1]
    assert '<code class="as-read">D*N^2</code>' in page  # the plain reading instead


def test_references_are_typeset_where_shown() -> None:
    record = _record(reference="N^2 D", reference_math=SYMBOLIC("N^2 D"), show_reference=True)
    page = environment().get_template("feedback.html").render(record=record, show_solutions=False)
    assert '<p class="reference-math"><math display="inline">' in page and "<pre>N^2 D</pre>" in page


def test_a_graded_record_keeps_the_typeset_answer_and_reference(graded_out: Path) -> None:  # noqa: F811
    """End to end: ``grade`` typesets answers as read and the reference readings into result.json."""
    record = json.loads((graded_out / "03-typical-mistakes" / RECORD_FILE).read_text(encoding="utf-8"))
    parts = {part["id"]: part for question in record["questions"] for part in question["parts"]}
    scale = parts["q1.c"]  # a symbolic part: 1/sqrt(d) as read, and its reference
    assert "<mfrac>" in clean(scale["as_read_math"]) and clean(scale["reference_math"])
    assert all(clean(part["as_read_math"]) for part in parts.values() if part["as_read_math"])
    assert not parts["q2.b"]["as_read_math"]  # free text is not math


@pytest.mark.parametrize("kind", ["symbolic", "numeric", "complexity", "vector", "shape", "feature_map", "matrix"])
def test_a_typeset_failure_never_costs_a_grade(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Typesetting runs while an answer is read: a printer surprise shows the plain text instead."""

    def broken(*args: object) -> str:
        raise RecursionError("printer surprise")

    monkeypatch.setattr("autograder.mathread.typeset._expression", broken)
    monkeypatch.setattr("autograder.mathread.typeset.number", broken)
    reader = {"complexity": read_big_o, "matrix": read_matrix, "symbolic": read_expression, "numeric": read_expression}
    typeset = REGISTRY[kind].typeset
    assert typeset is not None
    assert typeset(reader.get(kind, read_list)("1", VOCABULARY)) == ""
