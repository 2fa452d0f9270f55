"""What write-ups say must be gradable: the notations a typed write-up or a model's chat
answer uses, graded through the real HW9 specs, each with the reading shown to its author.

Typeset code (``$W\\_o$``, ``\\texttt{…}``, backticks), einsum arrows written as TeX or
Unicode, a matrix product where an einsum is asked (a spec option), ``q^Tk^2`` with vectors,
feature maps for general D with elisions, kernel attention in row-wise sum notation,
symbols the question does not define, and Q3(b) as changed lines.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace

import pytest

from autograder.api import AnswerKey, load_key
from autograder.grading import grade_part
from autograder.result import PartResult
from autograder.submission import Answer
from tests.conftest import HW9_PROBLEMS, HW9_REFERENCE

Grade = Callable[[str, str], PartResult]


def _with_params(hw9_key: AnswerKey, answer_id: str, **changes: object) -> Callable[[str], PartResult]:
    """Grade with the part's params changed (a spec option the HW9 YAML leaves off)."""
    part = hw9_key.problems.part(answer_id)
    part = replace(part, params=replace(part.params, **changes))
    return lambda text: grade_part(part, Answer(text), hw9_key.readings.get(answer_id))


# --- 3. code typeset in LaTeX or Markdown -------------------------------------------------

TYPESET_CODE = [
    # (answer id, answer, how it is read)
    ("q3.a.h", "$W_o$", "W_o"),
    ("q3.a.h", r"$W\_o$", "W_o"),
    ("q3.a.h", r"\texttt{self.W\_o}", "W_o"),
    ("q3.a.h", "`self.W_o`", "W_o"),
    ("q3.a.h", r"$\mathtt{W\_o}$", "W_o"),
    ("q3.a.h", r"self.\mathtt{W\_o}", "W_o"),
    ("q3.a.a", r"$d\_model$", "d_model"),
    ("q3.a.a", r"\texttt{d\_model}", "d_model"),
    ("q3.a.a", r"\texttt{self.d\_k} * \texttt{num\_heads}", "num_heads * self.d_k"),
    ("q3.a.e", r"$\mathrm{softmax}$", "softmax"),
    ("q3.a.e", r"\texttt{torch.softmax}", "softmax"),
    ("q3.a.g", r"$\texttt{self.num\_heads}$", "self.num_heads"),
    ("q4.d", '"b d, d k -> b k"', 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", "bd,dk−>bk", 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", "bd,dk→bk", 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", r"bd,dk \to bk", 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", r"$bd,dk \rightarrow bk$", 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", r'torch.einsum("bd,dk \to bk", x, W_k)', 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", r'\texttt{torch.einsum("bd,dk->bk", x, W\_k)}', 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.c", '"b d, h d q → b h q"', 'einsum("bd,hdq->bhq", x, W_q)'),
    ("q4.c", "`torch.einsum('bd,hdq->bhq', x, W_q)`", 'einsum("bd,hdq->bhq", x, W_q)'),
]


@pytest.mark.parametrize(("answer_id", "text", "shown"), TYPESET_CODE)
def test_typeset_code_is_read_as_the_code(grade_hw9: Grade, answer_id: str, text: str, shown: str) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "correct", result.feedback
    assert result.answer_as_read == shown


TYPESET_WRONG = [
    ("q3.a.h", r"$W\_v$", "incorrect"),
    ("q3.a.a", r"\texttt{self.d\_k}", "incorrect"),
    ("q4.d", r"bd,dk \to bhk", "incorrect"),
    ("q4.d", "bd,hdk→bhk", "incorrect"),
    # Not code: a TeX command the reader does not strip stays unreadable, with the reason.
    ("q3.a.h", r"\mathbf{W_o}", "unreadable"),
    ("q4.d", r"bd,dk \leadsto bk", "unreadable"),
]


@pytest.mark.parametrize(("answer_id", "text", "verdict"), TYPESET_WRONG)
def test_typeset_wrong_code_stays_wrong(grade_hw9: Grade, answer_id: str, text: str, verdict: str) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == verdict, result.feedback
    assert result.score == 0


# --- 4. a matrix product where an einsum is asked ---------------------------------------------

MATMULS = [
    ("q4.d", "x @ W_k", 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", "torch.matmul(x, W_k)", 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", "x.matmul(W_k)", 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.d", "`k = x @ W_k`", 'einsum("bd,dk->bk", x, W_k)'),
    ("q4.e", "np.matmul(x, W_v)", 'einsum("bd,dv->bv", x, W_v)'),
]


@pytest.mark.parametrize(("answer_id", "text", "einsum"), MATMULS)
def test_a_matmul_is_accepted_as_its_einsum_when_the_spec_allows(
    grade_hw9: Grade, answer_id: str, text: str, einsum: str
) -> None:
    result = grade_hw9(answer_id, text)  # hw9 q4.c-e set accept_matmul
    assert result.verdict == "correct", result.feedback
    assert result.answer_as_read is not None and einsum in result.answer_as_read
    assert f"as {einsum}, the einsum it computes" in result.feedback


@pytest.mark.parametrize(("answer_id", "text", "einsum"), MATMULS)
def test_without_the_option_a_matmul_is_incorrect_and_says_an_einsum_is_asked(
    hw9_key: AnswerKey, answer_id: str, text: str, einsum: str
) -> None:
    result = _with_params(hw9_key, answer_id, accept_matmul=False)(text)
    assert result.verdict == "incorrect"
    assert "asks for an einsum call" in result.feedback
    assert einsum in result.feedback  # the einsum it would be, so the student sees how to write it


MATMUL_WRONG = [
    # (answer id, answer, verdict, feedback fragment)
    ("q4.d", "W_k @ x", "incorrect", "pairs axis k of W_k with axis b of x"),
    ("q4.c", "x @ W_q", "incorrect", "Your result has shape [h, b, q]"),
    ("q4.d", "x @ W_q", "unreadable", "W_q is not an operand"),
    ("q4.d", "x @ (W_k + 1)", "unreadable", "Pass the operands of einsum by name"),
]


@pytest.mark.parametrize(("answer_id", "text", "verdict", "fragment"), MATMUL_WRONG)
def test_a_wrong_matmul_is_explained(
    hw9_key: AnswerKey, answer_id: str, text: str, verdict: str, fragment: str
) -> None:
    result = _with_params(hw9_key, answer_id, accept_matmul=True)(text)
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback


# --- 5. q^Tk^2 with declared vectors ------------------------------------------------------

VECTOR_POWERS = [
    # (answer, verdict, the reading shown)
    ("q^Tk^2 + 2q^Tk + 1", "correct", "(k·q)^2 + 2*(k·q) + 1"),
    ("1 + 2 q^T k + q^T k^2", "correct", "(k·q)^2 + 2*(k·q) + 1"),
    (r"q^\top k^2 + 2 q^\top k + 1", "correct", "(k·q)^2 + 2*(k·q) + 1"),
    ("qᵀk² + 2qᵀk + 1", "correct", "(k·q)^2 + 2*(k·q) + 1"),
    ("q·k^2 + 2 q·k + 1", "correct", "(k·q)^2 + 2*(k·q) + 1"),
    ("q^Tk^2", "incorrect", "(k·q)^2"),  # the spec's rule for the homogeneous kernel
    ("q^T k^2 + q^T k + 1", "incorrect", "(k·q)^2 + (k·q) + 1"),
    ("2q^Tk^2 + 1", "incorrect", "2*(k·q)^2 + 1"),
]


@pytest.mark.parametrize(("text", "verdict", "shown"), VECTOR_POWERS)
def test_a_power_after_a_vector_squares_the_inner_product(
    grade_hw9: Grade, text: str, verdict: str, shown: str
) -> None:
    result = grade_hw9("q6.b.i", text)
    assert result.verdict == verdict, result.feedback
    assert result.answer_as_read == shown
    if not result.rule_matched:  # a spec rule's message replaces the grader's feedback
        assert "as (q^T k)^2: a power of the vector k is not defined" in result.feedback


def test_a_power_of_a_vector_alone_keeps_its_scalar_reading(grade_hw9: Grade) -> None:
    # μ may be read as one scalar mean (the homework allows dμ²); nothing precedes it here.
    result = grade_hw9("q1.a", "d*mu^2")
    assert result.verdict == "correct"
    assert "not defined" not in result.feedback
    assert grade_hw9("q6.b.i", "k^2 + 2q^Tk + 1").verdict == "incorrect"


# --- 1. a feature map written for general D ------------------------------------------------

PHI_EXPANDED = "[1, sqrt(2)*x1, sqrt(2)*x2, sqrt(2)*x3, x1^2, x2^2, x3^2, sqrt(2)*x1*x2, sqrt(2)*x1*x3, sqrt(2)*x2*x3]"

GENERAL_D_RIGHT = [
    "φ(x) = [1, √2 x_1, …, √2 x_D, x_1^2, …, x_D^2, √2 x_1x_2, …, √2 x_{D-1}x_D]",
    r"$[1, \sqrt{2}x_1, \ldots, \sqrt{2}x_D, x_1^2, \cdots, x_D^2, \sqrt{2}x_1x_2, \dots, \sqrt{2}x_{D-1}x_D]$",
    r"\phi(x) = \begin{bmatrix} 1 \\ \sqrt{2} x_1 \\ \vdots \\ \sqrt{2} x_D \\ x_1^2 \\ \vdots \\ x_D^2 \\ "
    r"\sqrt{2} x_1 x_2 \\ \sqrt{2} x_1 x_3 \\ \vdots \\ \sqrt{2} x_{D-1} x_D \end{bmatrix}",
    "[1, √2 x_1, √2 x_2, ..., √2 x_D, x_1², ..., x_D², √2 x_1 x_2, ..., √2 x_{D - 1} x_{D}]",
    r"(1, \sqrt{2}x_{1}, \dots, \sqrt{2}x_{D}, x_{1}^{2}, \dots, x_{D}^{2}, "
    r"\sqrt{2}x_{1}x_{2}, \dots, \sqrt{2}x_{D-1}x_{D})^T",
]


GEMINI_PHI = (  # ../shared/writeups/gemini-hw9-chat.txt, 6(b)(ii): the argument named q, 1 last
    r"$$\phi(q) = [q_1^2, \dots, q_D^2, \sqrt{2}q_1q_2, \dots, \sqrt{2}q_{D-1}q_D, "
    r"\sqrt{2}q_1, \dots, \sqrt{2}q_D, 1]$$"
)


def test_a_general_feature_map_of_another_argument_name_is_read_in_the_specs_variables(grade_hw9: Grade) -> None:
    result = grade_hw9("q6.b.ii", GEMINI_PHI)
    assert result.verdict == "correct", result.feedback
    assert "with q_i read as x_i" in result.feedback
    assert result.answer_as_read is not None and result.answer_as_read.startswith("[x1^2, x2^2, x3^2, sqrt(2)*x1*x2")


@pytest.mark.parametrize("text", GENERAL_D_RIGHT)
def test_a_feature_map_for_general_d_is_written_out_at_the_specs_d(grade_hw9: Grade, text: str) -> None:
    result = grade_hw9("q6.b.ii", text)
    assert result.verdict == "correct", result.feedback
    assert result.answer_as_read == PHI_EXPANDED
    assert result.feedback.startswith("Read the list for general D at D = 3 (10 components): [1, sqrt(2)*x1")


def test_a_wrong_general_feature_map_is_graded_on_its_expansion(grade_hw9: Grade) -> None:
    result = grade_hw9("q6.b.ii", "[1, x_1, …, x_D, x_1^2, …, x_D^2, x_1x_2, …, x_{D-1}x_D]")
    assert result.verdict == "incorrect"
    assert result.note == "missing_sqrt2"  # the spec's rule for the factors, on the written-out list
    assert result.answer_as_read == "[1, x1, x2, x3, x1^2, x2^2, x3^2, x1*x2, x1*x3, x2*x3]"


AMBIGUOUS_ELISIONS = [
    # (answer, what the message says)
    ("[1, √2 x_1, …, √2 x_D, x_1^2, …, x_D]", "differ in more than the indices of x"),
    ("[1, x_1, …, x_D, x_1x_2, …, x_Dx_D]", "do not increase the same way"),
    ("[1, x_1, …, x_5]", "is not between 1 and D = 3"),
    ("[…, x_D^2]", "needs a component on each side"),
    ("[1, x_1 + … + x_D]", "inside one component"),
]


@pytest.mark.parametrize(("text", "fragment"), AMBIGUOUS_ELISIONS)
def test_an_elision_that_cannot_be_expanded_is_unreadable_never_guessed(
    grade_hw9: Grade, text: str, fragment: str
) -> None:
    result = grade_hw9("q6.b.ii", text)
    assert result.verdict == "unreadable"
    assert fragment in result.feedback
    assert "write the components out" in result.feedback
    assert result.score == 0


# --- 2. kernel attention in row-wise sum notation and in math-notation matrix form --------------

KERNEL_ATTENTION_RIGHT = [
    # (answer, the reading shown starts with)
    ("V'_i = Σ_j φ(Q_i)ᵀφ(K_j)V_j / Σ_j φ(Q_i)ᵀφ(K_j)", "[row i] (Σ_j phi(Q_i)ᵀ·phi(K_j)·V_j) / "),
    (
        r"V'_i = \frac{\sum_{j=1}^{N} \phi(Q_i)^\top \phi(K_j) V_j}{\sum_{j=1}^{N} \phi(Q_i)^\top \phi(K_j)}",
        "[row i] (Σ_j phi(Q_i)ᵀ·phi(K_j)·V_j) / ",
    ),
    (
        r"$V'_i = \frac{\phi(Q_i)^T \sum_{j=1}^N \phi(K_j) V_j^T}{\phi(Q_i)^T \sum_{j=1}^N \phi(K_j)}$",
        "[row i] (phi(Q_i)ᵀ·(Σ_j phi(K_j)·V_jᵀ)) / ",
    ),
    (r"V'_i = \frac{\sum_j \varphi(Q_i)^{T} \varphi(K_j) V_j}{\sum_j \varphi(Q_i)^{T} \varphi(K_j)}", "[row i]"),
    ("φ(Q)(φ(K)ᵀV) / (φ(Q)(φ(K)ᵀ1))", "(phi(Q)·(phi(K)ᵀ·V)) / (phi(Q)·(phi(K)ᵀ·1))"),
    (r"V' = \frac{\phi(Q)(\phi(K)^T V)}{\phi(Q)\phi(K)^T \mathbf{1}}", "(phi(Q)·(phi(K)ᵀ·V)) / "),
    ("φ(Q)(φ(K)ᵀV) ⊘ (φ(Q)φ(K)ᵀ1_N)", "(phi(Q)·(phi(K)ᵀ·V)) / "),
    (r"\phi(Q)\phi(K)^TV / (\phi(Q)\phi(K)^T1)", "(phi(Q)·phi(K)ᵀ·V) / "),
]


ROWS_AS_ROWS = [
    # The chat's 6(b)(iii): rows written as row vectors, Q_{i·}
    r"$$V'_i = \frac{\phi(Q_{i\cdot}) \left( \sum_{j=1}^N \phi(K_{j\cdot})^T V_{j\cdot} \right)}"
    r"{\phi(Q_{i\cdot}) \left( \sum_{j=1}^N \phi(K_{j\cdot})^T \right)}$$",
    "V'_i = φ(Q_{i,:})(Σ_j φ(K_{j,:})ᵀV_{j,:}) / Σ_j φ(Q_{i,:})φ(K_{j,:})ᵀ",
    # plain subscripts that only compute with rows as row vectors
    "V'_i = φ(Q_i)(Σ_j φ(K_j)ᵀV_j) / (φ(Q_i) Σ_j φ(K_j)ᵀ)",
]


@pytest.mark.parametrize("text", ROWS_AS_ROWS)
def test_rows_written_as_row_vectors_are_read_so(grade_hw9: Grade, text: str) -> None:
    result = grade_hw9("q6.b.iii", text)
    assert result.verdict == "correct", result.feedback
    assert result.answer_as_read is not None and result.answer_as_read.startswith("[row i] (phi(Q_i")


@pytest.mark.parametrize(("text", "shown"), KERNEL_ATTENTION_RIGHT)
def test_kernel_attention_in_math_notation_is_compared_by_value(grade_hw9: Grade, text: str, shown: str) -> None:
    result = grade_hw9("q6.b.iii", text)
    assert result.verdict == "correct", result.feedback
    assert result.answer_as_read is not None and result.answer_as_read.startswith(shown)
    assert f"read as {result.answer_as_read}" in result.feedback


KERNEL_ATTENTION_WRONG = [
    # (answer, verdict, feedback fragment)
    ("V'_i = Σ_j φ(Q_i)ᵀφ(K_j)V_j", "incorrect", "This is only the numerator"),  # the spec's known_wrong
    ("φ(Q)(φ(K)ᵀV)", "incorrect", "This is only the numerator"),
    ("V'_i = Σ_j φ(Q_i)ᵀφ(K_j)V_j / Σ_j φ(Q_j)ᵀφ(K_j)", "incorrect", "check the normalizer"),
    ("V'_i = Σ_j φ(Q_i)ᵀφ(K_j)V_j / Σ_j φ(K_j)", "incorrect", "do not fit row by row"),
    ("QK^TV", "incorrect", "different values"),
    ("V'_i = Σ_j φ(Q_i)ᵀφ(K_j)V_j / Σ_i φ(Q_i)ᵀφ(K_j)", "unreadable", "uses the indices i, j outside any sum"),
    (r"\mathrm{softmax}(QK^T)V", "unreadable", "'softmax' is not a declared matrix or feature map"),
    (r"\phi(Q) \otimes V", "unreadable", "This looks like math notation"),
    ("Σ_a Σ_b Σ_c Σ_e φ(Q_a)ᵀφ(K_b)", "unreadable", "at most 3 sums inside one another"),
]


@pytest.mark.parametrize(("text", "verdict", "fragment"), KERNEL_ATTENTION_WRONG)
def test_wrong_or_ambiguous_kernel_attention_is_explained(
    grade_hw9: Grade, text: str, verdict: str, fragment: str
) -> None:
    result = grade_hw9("q6.b.iii", text)
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback
    assert result.score == 0


# --- 6. a symbol the question does not define ------------------------------------------------

UNDEFINED = [
    # (answer id, answer, the name, the question's symbols listed)
    ("q1.c", r"\sqrt{d_k}", "d_k", "d, k, mu, q, sigma"),
    ("q1.b", "n", "n", "d, k, mu, q, sigma"),
    ("q1.a", r"d \mu^2 + \tau", "tau", "d, k, mu, q, sigma"),
    ("q6.b.i", "(q^T k + c)^2", "c", "C, D, k, M, N, phi, q, sim, x1, x2, x3"),
]


@pytest.mark.parametrize(("answer_id", "text", "name", "symbols"), UNDEFINED)
def test_an_undefined_symbol_is_named_with_the_questions_symbols(
    grade_hw9: Grade, answer_id: str, text: str, name: str, symbols: str
) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "unreadable"
    assert f"unknown name '{name}': it is not defined in this question, whose symbols are {symbols}" in result.feedback


# The YAML-only way to give credit for a symbol the question does not define: declare it for the
# part only (part-level ``symbols:``) and give a rule that mentions it (or an answer using it).
FOREIGN_SYMBOL_RULE = """
    symbols:
      d_k: positive integer
    rules:
      - mentions: [d_k]
        credit: 0.5
        note: foreign_d_k
        message: >-
          d_k is the transformer paper's name; this question calls the dimension d. With d for d_k
          your scale is right.
"""


@pytest.fixture(scope="module")
def foreign_symbol_key(tmp_path_factory: pytest.TempPathFactory) -> AnswerKey:
    folder = tmp_path_factory.mktemp("foreign")
    problems = folder / "problems"
    shutil.copytree(HW9_PROBLEMS, problems)
    spec = problems / "q1.yaml"
    text = spec.read_text(encoding="utf-8")
    marker = '    kind: symbolic\n    rules:\n      - answer: "±sqrt(d)"'
    assert marker in text
    text = text.replace(marker, "    kind: symbolic" + FOREIGN_SYMBOL_RULE + '      - answer: "±sqrt(d)"')
    spec.write_text(text, encoding="utf-8")
    return load_key(problems=problems, reference=HW9_REFERENCE)


FOREIGN = [
    # (answer, verdict, score of 2)
    (r"\sqrt{d_k}", "partial", 1.0),
    ("s = √d_k", "partial", 1.0),
    ("d_k", "partial", 1.0),  # the rule mentions d_k: it gives its credit to any answer with it
    (r"\sqrt{d}", "correct", 2.0),
    (r"\sqrt{n}", "unreadable", 0.0),
]


@pytest.mark.parametrize(("text", "verdict", "score"), FOREIGN)
def test_a_rule_gives_partial_credit_for_a_symbol_declared_for_the_part_only(
    foreign_symbol_key: AnswerKey, text: str, verdict: str, score: float
) -> None:
    part = foreign_symbol_key.problems.part("q1.c")
    result = grade_part(part, Answer(text), foreign_symbol_key.readings.get("q1.c"))
    assert result.verdict == verdict, result.feedback
    assert result.score == score
    if verdict == "partial":
        assert "d_k is the transformer paper's name" in result.feedback


# --- 7. Q3(b) as changed lines -------------------------------------------------------------

W_V = "self.W_v = nn.Linear(in_features=d_model, out_features=2 * d_model)"
W_O = "self.W_o = nn.Linear(2 * d_model, d_model)"
SPLIT = "return x.view(batch_size, seq_length, self.num_heads, -1).transpose(1, 2)"
COMBINE = "return x.transpose(1, 2).contiguous().view(batch_size, seq_length, -1)"

CHANGED_LINES = [
    # (answer, verdict, feedback fragment)
    (f"{W_V}\n{W_O}\n{SPLIT}\n{COMBINE}", "correct", "Correct: your class runs"),
    # the question's own change (base_changes) is applied: the other changes alone are the answer
    (f"{W_O}\n{SPLIT}\n{COMBINE}", "correct", "Correct: your class runs"),
    (
        r"\texttt{self.W\_o = nn.Linear(2 * d\_model, d\_model)}; nothing else needs to change.",
        "incorrect",
        "split_heads",
    ),
    (
        f"    {W_V}\n    {W_O}\n\n    def split_heads(self, x):\n        {SPLIT}\n"
        f"    def combine_heads(self, x):\n        # any number of heads\n        {COMBINE}\n",
        "correct",
        "Correct: your class runs",
    ),
    (f"```python\n{W_V}\n{W_O}\n```", "incorrect", "raised in split_heads"),  # W_o alone does not run
    (f"{W_O}\nreturn output", "needs_review", "(return output) matches 2 statements of mha_template.py"),
    (f"{W_O}\nself.W_x = nn.Linear(2 * d_model, d_model)", "needs_review", "matches no statement of mha_template.py"),
    (f"{W_O}\nself.W_o = nn.Linear(d_model, d_model)", "needs_review", "both replace line 19"),
    (f"{W_O}\nfor head in range(3): pass", "needs_review", "only single statements can be placed"),
]


@pytest.mark.parametrize(("text", "verdict", "fragment"), CHANGED_LINES)
def test_changed_lines_are_applied_to_the_template_and_run(
    grade_hw9: Grade, text: str, verdict: str, fragment: str
) -> None:
    result = grade_hw9("q3.b", text)
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback
    if verdict != "needs_review":
        assert result.feedback.startswith("Read as changes to mha_template.py: line 19 → " + W_O)
        assert result.answer_as_read is not None and "changed line" in result.answer_as_read
    else:
        assert "could not be applied to mha_template.py" in result.feedback
        assert result.score == 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Change W_o so that it takes 2 * d_model inputs.", "not valid Python"),
        ("x = 1", "No class named MultiHeadAttention"),  # no line of it is a line of the class
    ],
)
def test_what_is_not_changed_lines_of_the_class_stays_unreadable(grade_hw9: Grade, text: str, fragment: str) -> None:
    result = grade_hw9("q3.b", text)
    assert result.verdict == "unreadable"
    assert fragment in result.feedback


def test_a_class_pasted_without_its_imports_runs_with_the_templates(grade_hw9: Grade) -> None:
    reference = (HW9_REFERENCE / "mha.py").read_text(encoding="utf-8")
    body = "\n".join(line for line in reference.splitlines() if not line.startswith(("import", "from")))
    result = grade_hw9("q3.b", body)
    assert result.verdict == "correct", result.feedback
    assert result.feedback.startswith("Run with the imports of mha_template.py")
