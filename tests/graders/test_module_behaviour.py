"""module_behaviour: the student's whole class for Q3(b), run in the sandbox, then run again
beside the reference implementation with the same grader-chosen weights."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from autograder.api import AnswerKey
from autograder.graders import _modules, module_behaviour
from autograder.grading import grade_part
from autograder.problem import Part
from autograder.result import PartResult
from autograder.sandbox import RunResult
from autograder.spec import SpecError, build_dataclass, build_vocabulary
from autograder.submission import Answer
from tests.conftest import HW9_REFERENCE
from tests.graders.conftest import CODE_KINDS

Grade = Callable[[str, str], PartResult]
REFERENCE = (HW9_REFERENCE / "mha.py").read_text(encoding="utf-8")

# Student classes, each written as what it changes in the reference solution.
VARIANTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    # another right answer: a head-size argument instead of -1
    "right_head_size_argument": (
        "",
        [
            ("def split_heads(self, x):", "def split_heads(self, x, head_size=None):"),
            ("self.num_heads, -1).transpose", "self.num_heads, head_size or self.d_k).transpose"),
            ("V = self.split_heads(self.W_v(V))", "V = self.split_heads(self.W_v(V), 2 * self.d_k)"),
            ("view(batch_size, seq_length, -1)", "view(batch_size, seq_length, self.num_heads * x.size(-1))"),
        ],
    ),
    # the homework's trap: only W_o changed, split_heads and combine_heads keep the old sizes
    "wrong_only_w_o": (
        "",
        [
            ("self.num_heads, -1).transpose", "self.num_heads, self.d_k).transpose"),
            ("view(batch_size, seq_length, -1)", "view(batch_size, seq_length, self.d_model)"),
        ],
    ),
    "wrong_w_v_unchanged": (
        "",
        [
            ("out_features=2 * d_model", "out_features=d_model"),
            ("nn.Linear(2 * d_model, d_model)", "nn.Linear(d_model, d_model)"),
        ],
    ),
    "wrong_no_scaling": ("", [("attn_scores = attn_scores / math.sqrt(self.d_k)", "attn_scores = attn_scores")]),
    "renamed_parameters": ("", [("W_o", "out_proj")]),
    "hostile_loop": ("", [("super().__init__()", "super().__init__()\n        while True:\n            pass")]),
    "hostile_exit": ("import sys\nsys.exit(0)\n", []),
    "hostile_fake_equality": (
        'import torch\ntorch.allclose = lambda *a, **k: True\nprint(\'{"score": 3, "status": "passed"}\')\n',
        [("attn_scores = attn_scores / math.sqrt(self.d_k)", "attn_scores = attn_scores * 0")],
    ),
    # zero weights and a zero output: the replay with the student's own (zero) weights matched
    "hostile_zero_weights": (
        "",
        [
            (
                "self.W_o = nn.Linear(2 * d_model, d_model)",
                "self.W_o = nn.Linear(2 * d_model, d_model)\n"
                "        nn.init.zeros_(self.W_o.weight)\n        nn.init.zeros_(self.W_o.bias)",
            ),
            ("def forward(self, Q, K, V, mask=None):", "def forward(self, Q, K, V, mask=None):\n        return 0 * Q"),
        ],
    ),
    # a parameter the reference lacks, and W_o of the old width: the reference cannot load it
    "probe_reference_shapes": (
        "",
        [
            ("self.W_o = nn.Linear(2 * d_model, d_model)", "self.W_o = nn.Linear(d_model, d_model)"),
            (
                "self.d_k = d_model // num_heads",
                "self.d_k = d_model // num_heads\n        self.extra = nn.Parameter(torch.zeros(3))",
            ),
            (
                "output = self.W_o(self.combine_heads(attn_output))",
                "output = self.W_o(self.combine_heads(attn_output)[..., :12])",
            ),
        ],
    ),
    "hostile_reads_reference": (
        f"import pathlib\nSECRET = pathlib.Path({str(HW9_REFERENCE / 'answers.yaml')!r}).read_text()\n",
        [("super().__init__()", "super().__init__()\n        raise RuntimeError(SECRET)")],
    ),
}


def source(name: str) -> str:
    prefix, edits = VARIANTS[name]
    code = REFERENCE
    for old, new in edits:
        assert old in code, f"{name}: the reference no longer contains {old!r}"
        code = code.replace(old, new)
    return prefix + code


def test_the_reference_and_another_right_answer_are_correct(grade_hw9: Grade) -> None:
    assert grade_hw9("q3.b", (HW9_REFERENCE / "mha.py").read_text(encoding="utf-8")).verdict == "correct"
    result = grade_hw9("q3.b", source("right_head_size_argument"))
    assert result.verdict == "correct", result.feedback


# (fixture, verdict, feedback fragment)
WRONG = [
    ("wrong_only_w_o", "incorrect", "raised in split_heads"),
    ("wrong_only_w_o", "incorrect", "invalid for input of size"),
    ("wrong_w_v_unchanged", "incorrect", "W_v.out_features is 12, but the question fixes it to 24"),
    ("wrong_no_scaling", "incorrect", "it computes something else"),
    ("renamed_parameters", "needs_review", "cannot compare"),
    ("hostile_exit", "incorrect", "could not be created"),
    ("hostile_fake_equality", "incorrect", "it computes something else"),
    ("hostile_zero_weights", "incorrect", "it computes something else"),
]


def test_the_reference_s_own_errors_and_shapes_are_never_quoted(grade_hw9: Grade) -> None:
    result = grade_hw9("q3.b", source("probe_reference_shapes"))
    assert result.verdict == "needs_review", result.feedback
    assert "cannot compare" in result.feedback
    assert "Size(" not in result.feedback and "24" not in result.feedback  # the reference's W_o is 12 × 24


@pytest.mark.parametrize(("fixture", "verdict", "fragment"), WRONG)
def test_wrong_and_hostile_classes_get_their_verdict(
    grade_hw9: Grade, fixture: str, verdict: str, fragment: str
) -> None:
    result = grade_hw9("q3.b", source(fixture))
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback
    assert result.score < result.max_score
    assert '"score": 3' not in result.feedback


def test_an_infinite_loop_times_out_and_the_next_run_still_works(grade_hw9: Grade) -> None:
    result = grade_hw9("q3.b", source("hostile_loop"))
    assert result.verdict == "incorrect"
    assert "did not finish" in result.feedback
    assert grade_hw9("q3.b", source("right_head_size_argument")).verdict == "correct"


@pytest.mark.skipif(
    _modules.sandbox().mode == "rlimits",
    reason="without Landlock or bubblewrap the project's files are not hidden from student code",
)
def test_student_code_cannot_read_the_reference(grade_hw9: Grade) -> None:
    secret = (HW9_REFERENCE / "answers.yaml").read_text(encoding="utf-8").splitlines()[3]
    result = grade_hw9("q3.b", source("hostile_reads_reference"))
    assert result.verdict == "incorrect"
    assert secret not in result.feedback
    assert "No such file" in result.feedback or "Permission denied" in result.feedback  # bwrap, Landlock


UNREADABLE = [
    ("def f(:\n", "not valid Python"),
    ("x = 1\n", "No class named MultiHeadAttention"),
    ("class MultiHeadAttention:\n" + "    x = (" * 200 + ")" * 200, "could not be read"),
]


@pytest.mark.parametrize(("text", "fragment"), UNREADABLE)
def test_code_that_is_not_a_class_is_unreadable(grade_hw9: Grade, text: str, fragment: str) -> None:
    result = grade_hw9("q3.b", text)
    assert result.verdict == "unreadable"
    assert fragment in result.feedback


# A run the sandbox refused, or that something killed the class's own limits do not explain,
# is for an instructor; running out of time or memory is the class's doing.
STUDENT_RUNS = [
    (
        RunResult("crashed", error_type="crashed", error_message="killed by signal SIGSEGV", signal=11),
        "needs_review",
        "killed by signal SIGSEGV",
    ),
    (
        RunResult("refused", error_type="unconfined", error_message="Student code was not run: no isolation"),
        "needs_review",
        "Student code was not run",
    ),
    (
        RunResult("timeout", error_type="timeout", error_message="stopped after 5 s"),
        "incorrect",
        "Your class did not finish within the time limit while being built or called: stopped after 5 s.",
    ),
    (
        RunResult("memory", error_type="MemoryError", error_message="used more than 1536 MB"),
        "incorrect",
        "Your class ran out of memory while being built or called: used more than 1536 MB.",
    ),
]


@pytest.mark.parametrize(("run", "verdict", "fragment"), STUDENT_RUNS)
def test_a_run_that_is_not_the_students_doing_goes_to_review(
    grade_hw9: Grade, monkeypatch: pytest.MonkeyPatch, run: RunResult, verdict: str, fragment: str
) -> None:
    def fake(source: str, payload: dict[str, Any], filename: str = "submission.py", **options: Any) -> RunResult:
        return run

    monkeypatch.setattr(_modules, "run_module", fake)
    result = grade_hw9("q3.b", source("right_head_size_argument"))
    assert (result.verdict, result.score) == (verdict, 0)
    assert fragment in result.feedback
    assert "could not be created" not in result.feedback  # one child builds and calls: where it stopped is unknown


# (part, a run its limits stopped, the sentence): a function is only called, a class built and called.
TIMEOUT = RunResult("timeout", error_message="stopped after 5 s")
OUT_OF_MEMORY = RunResult("memory", error_message="used more than 1536 MB")
STOPPED_RUNS = [
    ("m.size", TIMEOUT, "Your function did not finish within the time limit while being called: stopped after 5 s."),
    ("m.dist", OUT_OF_MEMORY, "Your function ran out of memory while being called"),
    ("m.cnn", TIMEOUT, "Your class did not finish within the time limit while being built or called"),
    ("m.lstm", RunResult("memory"), "Your class ran out of memory while being built or called."),
]


@pytest.mark.parametrize(("part", "run", "sentence"), STOPPED_RUNS)
def test_a_run_stopped_by_its_limits_says_only_what_is_known(
    grade_code: Grade, monkeypatch: pytest.MonkeyPatch, part: str, run: RunResult, sentence: str
) -> None:
    def fake(source: str, payload: dict[str, Any], filename: str = "submission.py", **options: Any) -> RunResult:
        return run

    reference = (CODE_REFERENCE / FILES[part.split(".")[1]]).read_text(encoding="utf-8")
    monkeypatch.setattr(_modules, "run_module", fake)
    result = grade_code(part, reference)
    assert (result.verdict, result.score) == ("incorrect", 0)
    assert sentence in result.feedback
    assert "could not be created" not in result.feedback


# ------------------------------------------------ any module: no attention in sight

CODE_REFERENCE = CODE_KINDS / "reference"
FILES = {"cnn": "conv_block.py", "lstm": "lstm_step.py", "embed": "embedding.py", "size": "conv_size.py"}
FILES["dist"] = "distances.py"

# Words that belong to another homework: a CNN student must never read them.
FOREIGN_WORDS = ("sequence", "mask", "residual", "attention", "head")


def edited(part: str, edits: list[tuple[str, str]]) -> str:
    """The reference of ``m.<part>`` with each (old, new) replaced."""
    code = (CODE_REFERENCE / FILES[part]).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in code, f"{part}: the reference no longer contains {old!r}"
        code = code.replace(old, new)
    return code


# (part, name, edits of its reference, verdict, fragments the feedback holds)
ANY_MODULE = [
    ("cnn", "reference", [], "correct", ["computes what the reference computes"]),
    ("cnn", "right_clamp", [("torch.relu(self.conv(x))", "self.conv(x).clamp(min=0)")], "correct", []),
    ("cnn", "wrong_values", [("torch.relu", "torch.sigmoid")], "incorrect", ["computes something else", "N 2, C 3"]),
    (
        "cnn",
        "wrong_shape",
        [("padding=1", "padding=0")],
        "incorrect",
        ["is a tensor of shape [2, 4, 6, 6] on N 2, C 3, H 8, W 8; it must be a tensor of shape [2, 4, 8, 8]"],
    ),
    ("cnn", "crash", [("return torch", "x = x.view(7, -1)\n        return torch")], "incorrect", ["fails on N 2"]),
    ("cnn", "wrong_signature", [("def forward(self, x)", "def forward(self, x, y)")], "incorrect", ["'y'"]),
    (
        "cnn",
        "detached",
        [("self.conv(x))", "self.conv(x.detach()))")],
        "incorrect",
        ["gradients with respect to the inputs differ", "(some are missing"],
    ),
    ("cnn", "no_bias", [("padding=1)", "padding=1, bias=False)")], "incorrect", ["has 108 parameters, not as many"]),
    (
        "cnn",
        "weights_detached",
        [
            (
                "torch.relu(self.conv(x))",
                "torch.relu(nn.functional.conv2d(x, self.conv.weight.detach(), self.conv.bias, padding=1))",
            )
        ],
        "incorrect",
        ["the gradients of the weights differ"],
    ),
    ("lstm", "reference", [], "correct", []),
    (
        "lstm",
        "right_tuple_returned",
        [("h, c = self.cell(x, state)\n        return h, c", "return self.cell(x, state)")],
        "correct",
        [],
    ),
    (
        "lstm",
        "wrong_order",
        [("return h, c", "return c, h")],
        "incorrect",
        ["computes something else (largest difference", "on N 2, input 4, hidden 6)"],
    ),
    (
        "lstm",
        "wrong_shape",
        [("return h, c", "return h")],
        "incorrect",
        [
            "shape [2, 6] on N 2, input 4, hidden 6; "
            "it must be a tuple (a tensor of shape [2, 6], a tensor of shape [2, 6])"
        ],
    ),
    ("lstm", "crash", [("return h, c", "return h.view(-1, 5), c")], "incorrect", ["fails on N 2", "forward, line"]),
    (
        "lstm",
        "wrong_signature",
        [("def forward(self, x, state)", "def forward(self, x, h, c)"), ("(x, state)", "(x, (h, c))")],
        "incorrect",
        ["missing 1 required positional argument: 'c'"],
    ),
    ("embed", "reference", [], "correct", []),
    ("embed", "wrong_values", [(" * math.sqrt(self.dim)", "")], "incorrect", ["on 2 sentences of 7 tokens"]),
    ("embed", "wrong_shape", [("(tokens)", "(tokens).sum(-1)")], "incorrect", ["shape [2, 7] on 2 sentences"]),
    ("embed", "crash", [("(tokens)", "(tokens.double())")], "incorrect", ["fails on 2 sentences of 7 tokens"]),
    ("embed", "wrong_signature", [("def forward(self, tokens)", "def forward(self)")], "incorrect", ["TypeError"]),
    ("size", "reference", [], "correct", ["your function runs"]),
    (
        "size",
        "right_int",
        [("(n + 2 * padding - kernel) // stride", "int((n + 2 * padding - kernel) / stride)")],
        "correct",
        [],
    ),
    (
        "size",
        "wrong_values",
        [(" + 1", "")],
        "incorrect",
        ["computes something else", "n 32, kernel 3, padding 1, stride 1"],
    ),
    (
        "size",
        "wrong_shape",
        [("return (", "return [("), ("+ 1", "+ 1]")],
        "incorrect",
        ["is a tuple (a plain number) on n 32, kernel 3, padding 1, stride 1; it must be a plain number"],
    ),
    (
        "size",
        "crash",
        [("return", "raise ValueError('no')\n    return")],
        "incorrect",
        ["Calling conv_output_size fails"],
    ),
    ("size", "wrong_signature", [("kernel, padding=0, stride=1", "kernel")], "incorrect", ["unexpected keyword"]),
    ("dist", "reference", [], "correct", []),
    (
        "dist",
        "right_expanded",
        [("((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)", "(x * x).sum(1)[:, None] + (y * y).sum(1) - 2 * x @ y.T")],
        "correct",
        [],
    ),
    ("dist", "wrong_values", [(" ** 2", ".abs()")], "incorrect", ["computes something else (largest difference"]),
    (
        "dist",
        "wrong_shape",
        [(".sum(-1)", ".sum(-1).T")],
        "incorrect",
        ["shape [4, 3] on N 3, D 2, M 4; it must be a tensor of shape [3, 4]"],
    ),
    (
        "dist",
        "detached",
        [("(x[:, None, :]", "(x.detach()[:, None, :]")],
        "incorrect",
        ["gradients with respect to the inputs"],
    ),
]


@pytest.mark.parametrize(
    ("part", "name", "edits", "verdict", "fragments"), ANY_MODULE, ids=[f"{row[0]}-{row[1]}" for row in ANY_MODULE]
)
def test_any_module_or_function_is_graded_in_its_own_words(
    grade_code: Grade, part: str, name: str, edits: list[tuple[str, str]], verdict: str, fragments: list[str]
) -> None:
    result = grade_code(f"m.{part}", edited(part, edits))
    assert result.verdict == verdict, result.feedback
    for fragment in fragments:
        assert fragment in result.feedback
    lowered = result.feedback.lower()
    assert not [word for word in FOREIGN_WORDS if word in lowered], result.feedback


@pytest.mark.parametrize(
    ("part", "text", "fragment"),
    [
        ("m.size", "def conv_size(n, kernel):\n    return n\n", "No function named conv_output_size"),
        ("m.cnn", "class Conv(nn.Module):\n    pass\n", "No class named ConvBlock"),
        ("m.lstm", "def f(:\n", "not valid Python"),
    ],
)
def test_code_without_the_declared_name_is_unreadable(grade_code: Grade, part: str, text: str, fragment: str) -> None:
    result = grade_code(part, text)
    assert result.verdict == "unreadable"
    assert fragment in result.feedback


def test_the_reference_checks_itself_on_every_case(code_key: AnswerKey) -> None:
    for answer_id in ("m.cnn", "m.lstm", "m.embed", "m.size", "m.dist"):
        part = code_key.problems.part(answer_id)
        assert module_behaviour.check_reference(part, code_key.readings[answer_id]) is None, answer_id


# (part, broken reference, what the sentence says)
BROKEN_REFERENCES = [
    (
        "cnn",
        [("super().__init__()", "super().__init__()\n        raise ValueError('unfinished')")],
        "does not run: ValueError: unfinished",
    ),
    (
        "cnn",
        [("padding=1", "padding=0")],
        "returns a tensor of shape [2, 4, 6, 6] on N 2, C 3, H 8, W 8, not the declared output_shape",
    ),
    (
        "lstm",
        [("return h, c", "return h.view(5, -1), c")],
        "the reference LSTMStep fails on N 2, input 4, hidden 6: RuntimeError",
    ),
    ("size", [("def conv_output_size", "def output_size")], "defines no 'conv_output_size'"),
]


def test_a_reference_without_the_fixed_attributes_is_named(hw9_key: AnswerKey) -> None:
    part = hw9_key.problems.part("q3.b")
    unchanged = module_behaviour.Code(source("wrong_w_v_unchanged"))
    sentence = module_behaviour.check_reference(part, unchanged)
    assert sentence == "the reference MultiHeadAttention has W_v.out_features = 12, but attributes fixes it to 24"


@pytest.mark.parametrize(("part", "edits", "fragment"), BROKEN_REFERENCES)
def test_a_broken_reference_is_named_with_where_it_fails(
    code_key: AnswerKey, part: str, edits: list[tuple[str, str]], fragment: str
) -> None:
    problem = code_key.problems.part(f"m.{part}")
    sentence = module_behaviour.check_reference(problem, module_behaviour.Code(edited(part, edits)))
    assert sentence is not None and fragment in sentence, sentence


def test_the_hw9_reference_checks_itself(hw9_key: AnswerKey) -> None:
    part = hw9_key.problems.part("q3.b")
    assert module_behaviour.check_reference(part, hw9_key.readings["q3.b"]) is None


# (declaration, what the spec error says): each a clear sentence at spec load, never a crash.
X = {"name": "x", "shape": ["N"]}
BAD_SPECS: list[tuple[dict[str, Any], str]] = [
    ({"inputs": [X]}, "give either class_name"),
    ({"class_name": "M", "function": "f", "inputs": [X]}, "give either class_name"),
    ({"class_name": "M"}, "inputs: declare"),
    ({"class_name": "M", "inputs": [X]}, "unknown size 'N'"),
    ({"class_name": "M", "inputs": [{"name": "x", "shape": ["N +"]}], "sizes": {"N": 2}}, "cannot read 'N +'"),
    ({"class_name": "M", "inputs": [{"name": "x", "dtype": "int8"}]}, "dtype must be one of float, long, bool"),
    ({"class_name": "M", "inputs": [{"name": "x", "values": "1-5"}]}, "a range LOW..HIGH"),
    ({"class_name": "M", "inputs": [{"name": "x", "values": "5..1"}]}, "the range 5..1 is empty"),
    ({"class_name": "M", "inputs": [X], "sizes": {"N": 2}, "compare": ["outputs"]}, "'outputs' is not one of"),
    (
        {"function": "f", "inputs": [X], "sizes": {"N": 2}, "compare": ["parameter_count"]},
        "a function has no parameters",
    ),
    ({"class_name": "M", "inputs": [X], "sizes": {"N": 2}, "cases": [{"M": 3}]}, "'M' is neither a size"),
    (
        {"class_name": "M", "inputs": [X, {"name": "m", "mask": "N"}], "sizes": {"N": 2}, "cases": [{"m": "full"}]},
        "mask variant",
    ),
    ({"class_name": "M", "inputs": [X, X], "sizes": {"N": 2}}, "x declared twice"),
    (
        {"class_name": "M", "inputs": [X], "sizes": {"N": "init_args[2]"}, "init_args": [1]},
        "unknown size 'init_args[2]'",
    ),
    ({"class_name": "M", "inputs": [X], "sizes": {"N": 5000}, "output_shape": ["N", "K"]}, "unknown size 'K'"),
    ({"class_name": "M", "inputs": [{"name": "x", "shape": ["N", "N"]}], "sizes": {"N": 5000}}, "at most 1,000,000"),
    (
        {"class_name": "M", "inputs": [{"name": "x", "tensor": False, "shape": ["N"]}], "sizes": {"N": 2}},
        "has no shape",
    ),
    ({"class_name": "M", "init_args": [{"a": 1}], "inputs": [X], "sizes": {"N": 2}}, "must be a number"),
    ({"class_name": "M", "inputs": [X], "sizes": {"N": 2}, "describe": "{N} images of {H} pixels"}, "{H} is neither"),
    ({"class_name": "M", "inputs": [X], "sizes": {"N": 2}, "describe": "{N images"}, "describe: "),
    ({"class_name": "M", "inputs": [{"name": "x", "shape": ["N - 3"]}], "sizes": {"N": 2}}, "N - 3 is negative"),
    ({"class_name": "M", "inputs": [{"name": "k", "tensor": False}], "cases": [{"k": [1, 2]}]}, "must be a number"),
    ({"class_name": "M", "inputs": [X], "sizes": {"N": 2.5}}, "cannot read '2.5' as a size"),
]


@pytest.mark.parametrize(("declaration", "fragment"), BAD_SPECS)
def test_a_bad_declaration_is_a_located_spec_error(declaration: dict[str, Any], fragment: str) -> None:
    with pytest.raises(SpecError) as caught:
        build_dataclass(module_behaviour.Params, declaration, "m.yaml: parts.b")
    assert fragment in str(caught.value)
    assert "m.yaml: parts.b" in str(caught.value)


# (sizes, case, how the case is named)
X_NC = [{"name": "x", "shape": ["N", "C"]}]
PADDED = [{"name": "tokens", "shape": ["N", "T"], "dtype": "long"}, {"name": "keep", "mask": "T", "dtype": "bool"}]

# (inputs, sizes, case, describe, how the case is named)
DESCRIPTIONS = [
    (X_NC, {"N": 2, "C": 3}, {}, "", "N 2, C 3"),
    (X_NC, {"N": 2, "C": "init_args[0] * 2"}, {"N": 4}, "", "N 4, C 6"),
    (X_NC, {"N": 2, "C": 3}, {}, "{N} rows of {C}", "2 rows of 3"),
    (PADDED, {"N": 2, "T": 5}, {"keep": "padding"}, "", "N 2, T 5, a padding keep"),
    (PADDED, {"N": 2, "T": 5}, {"T": 3}, "{N} sentences, {keep}", "2 sentences, no keep"),
]


@pytest.mark.parametrize(("inputs", "sizes", "case", "describe", "words"), DESCRIPTIONS)
def test_a_case_is_named_by_its_sizes_and_variants(
    inputs: list[dict[str, Any]], sizes: dict[str, Any], case: dict[str, Any], describe: str, words: str
) -> None:
    declaration = {"class_name": "M", "init_args": [3], "inputs": inputs, "sizes": sizes, "cases": [case]}
    params = build_dataclass(module_behaviour.Params, {**declaration, "describe": describe}, "here")
    (resolved,) = _modules.builds(params)
    assert _modules.describe_case(params, resolved) == words


def test_a_padding_mask_over_a_named_size_has_one_row_per_batch_entry() -> None:
    declaration = {"class_name": "M", "inputs": PADDED, "sizes": {"N": 3, "T": 4}, "cases": [{"keep": "padding"}]}
    params = build_dataclass(module_behaviour.Params, declaration, "here")
    ((tokens, keep),) = [call["args"] for call in _modules.calls(params, _modules.builds(params))]
    assert tokens["dtype"] == "long" and all(0 <= t <= 9 for row in tokens["tensor"] for t in row)
    assert keep["dtype"] == "bool"
    rows = [row[0][0] for row in keep["tensor"]]
    assert len(rows) == 3 and all(len(row) == 4 and row[0] == 1 and sorted(row, reverse=True) == row for row in rows)


# Student code runs next to the harness: it can rewrite how the report is written.
# Forged reports: no values, a shape far too large for the grader to build weights of, values
# that do not fit their shape, a negative size.
FORGERIES = [
    "lambda tensor: {'values': 0}",
    "lambda tensor: {'shape': [30000, 30000], 'values': 0}",
    "lambda tensor: {'shape': [2, 3], 'values': [[0.0, 1.0]]}",
    "lambda tensor: {'shape': [-1], 'values': []}",
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_code_that_rewrites_the_report_gets_no_credit(grade_code: Grade, forgery: str) -> None:
    tampering = f"import sys\nsys.modules['autograder.sandbox.harness'].encode_tensor = {forgery}\n"
    result = grade_code("m.cnn", tampering + edited("cnn", []))
    assert (result.verdict, result.score) == ("incorrect", 0), result.feedback
    assert "did the code change the grader?" in result.feedback


@pytest.mark.parametrize(
    ("part", "fragment"),
    [("cnn", "its parameters (their names or shapes) do not fit"), ("size", "the reference could not be run")],
)
def test_a_reference_that_fails_sends_a_working_answer_to_review(code_key: AnswerKey, part: str, fragment: str) -> None:
    problem = code_key.problems.part(f"m.{part}")
    failing = module_behaviour.Code(edited(part, []) + "\nraise RuntimeError('the reference is broken')\n")
    outcome = module_behaviour.grade(code_key.readings[f"m.{part}"], failing, problem)
    assert (outcome.verdict, outcome.credit) == ("needs_review", 0.5)
    assert fragment in outcome.feedback and "broken" not in outcome.feedback


# (edits of the CNN reference, what the state-dict comparison says): names, never the reference's shapes
STATE_DICTS = [
    ([("padding=1)", "padding=1)\n        self.extra = nn.Linear(2, 2)")], "not expected: extra.bias, extra.weight"),
    ([("padding=1)", "padding=1, bias=False)")], "missing: conv.bias"),
    ([("kernel_size=3, padding=1", "kernel_size=(3, 1), padding=(1, 0)")], "conv.weight has another shape"),
]


@pytest.mark.parametrize(("edits", "fragment"), STATE_DICTS)
def test_the_state_dict_is_compared_by_name_and_shape(
    code_key: AnswerKey, edits: list[tuple[str, str]], fragment: str
) -> None:
    part = code_key.problems.part("m.cnn")
    params = dataclasses.replace(part.params, compare=("state_dict", "shape", "values"))
    result = grade_part(
        dataclasses.replace(part, params=params), Answer(edited("cnn", edits)), code_key.readings["m.cnn"]
    )
    assert (result.verdict, result.note) == ("incorrect", "module:state_dict"), result.feedback
    assert fragment in result.feedback
    assert "[4, 3, 3, 3]" not in result.feedback  # the reference's shapes


# ------------------------------------------------ initial_parameters: where a class starts

NORM = """
import torch
from torch import nn


class ScaleNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))
        self.register_buffer("shift", torch.zeros(d))

    def forward(self, x):
        rms = torch.sqrt((x * x).mean(-1, keepdim=True) + self.eps)
        return x / rms * self.weight + self.shift
"""
START = "nn.Parameter(torch.ones(d))"

# (what the class does differently, compare, verdict, what the feedback says)
STARTS = [
    ([], ["shape", "values", "initial_parameters"], "correct", "Correct"),
    ([(START, "nn.Parameter(torch.ones(d) * 1.0)")], ["shape", "values", "initial_parameters"], "correct", "Correct"),
    ([(START, "nn.Parameter(torch.zeros(d))")], ["shape", "values"], "correct", "Correct"),  # the default cannot see it
    (
        [(START, "nn.Parameter(torch.zeros(d))")],
        ["shape", "values", "initial_parameters"],
        "incorrect",
        "weight does not start at the values the question asks for",
    ),
    (
        [(START, "nn.Parameter(torch.randn(d))")],
        ["shape", "values", "initial_parameters"],
        "incorrect",
        "weight does not start at the values",
    ),
    (
        [(START, "nn.Parameter(torch.full((d,), 1.5))")],
        ["shape", "values", "initial_parameters"],
        "incorrect",
        "weight does not start",
    ),
    (
        [(START, "nn.Parameter(torch.ones(d) + 1e-9)")],
        ["shape", "values", "initial_parameters"],
        "correct",
        "Correct",
    ),  # within tolerance
    (
        [('"shift", torch.zeros(d)', '"shift", torch.ones(d)')],
        ["shape", "values", "initial_parameters"],
        "incorrect",
        "shift does not start",
    ),  # a buffer counts too
    (
        [(START, "nn.Parameter(torch.zeros(d))"), ('"shift", torch.zeros(d)', '"shift", torch.ones(d)')],
        ["initial_parameters", "shape", "values"],
        "incorrect",
        "shift, weight do not start",
    ),
    (
        [("self.weight", "self.scale")],
        ["shape", "values", "initial_parameters"],
        "needs_review",
        "(missing: weight; not expected: scale)",
    ),
    (
        [(START, "nn.Parameter(torch.ones(d, 1))"), ("* self.weight", "* self.weight[:, 0]")],
        ["shape", "values", "initial_parameters"],
        "needs_review",
        "(weight has another shape)",
    ),
    (
        # a forward that rewrites its own weight cannot hide how it started
        [("    def forward(self, x):\n", "    def forward(self, x):\n        self.weight.data.fill_(1.0)\n"),
         (START, "nn.Parameter(torch.zeros(d))")],
        ["shape", "values", "initial_parameters"],
        "incorrect",
        "weight does not start",
    ),
]  # fmt: skip


def norm_part(compare: list[str]) -> Part:
    raw = {
        "class_name": "ScaleNorm",
        "init_args": [6],
        "inputs": [{"name": "x", "shape": ["N", "d"]}],
        "sizes": {"N": 3, "d": "init_args[0]"},
        "compare": compare,
    }
    return Part(
        id="n.a",
        question="n",
        title="a",
        prompt="",
        points=1.0,
        kind="module_behaviour",
        params=build_dataclass(module_behaviour.Params, raw, "test"),
        vocabulary=build_vocabulary({}, [], "test"),
    )


@pytest.mark.parametrize(("edits", "compare", "verdict", "fragment"), STARTS)
def test_initial_parameters_compares_where_parameters_and_buffers_start(
    edits: list[tuple[str, str]], compare: list[str], verdict: str, fragment: str
) -> None:
    code = NORM
    for old, new in edits:
        assert old in code
        code = code.replace(old, new)
    part = norm_part(compare)
    reference = module_behaviour.read(NORM, part)
    outcome = module_behaviour.grade(module_behaviour.read(code, part), reference, part)
    assert outcome.verdict == verdict, outcome.feedback
    assert fragment in outcome.feedback
    assert "1.0" not in outcome.feedback and "[6]" not in outcome.feedback  # never the reference's values or shapes


def test_initial_parameters_is_refused_for_a_function() -> None:
    raw = {"function": "f", "inputs": [{"name": "x", "shape": [2]}], "compare": ["initial_parameters"]}
    with pytest.raises(SpecError, match="a function has no parameters"):
        build_dataclass(module_behaviour.Params, raw, "test")


def test_a_forward_that_returns_nothing_is_told_so(grade_code: Callable[[str, str], PartResult]) -> None:
    source = (
        "import torch\nfrom torch import nn\n\n\nclass ConvBlock(nn.Module):\n"
        "    def __init__(self, in_channels, out_channels):\n        super().__init__()\n"
        "        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)\n\n"
        "    def forward(self, x):\n        y = torch.relu(self.conv(x))\n"
    )
    result = grade_code("m.cnn", source)
    assert result.verdict == "incorrect"
    assert "None (nothing was returned)" in result.feedback
    assert "plain number" not in result.feedback


def test_a_class_that_lies_about_its_parameters_is_read_by_nn_modules_own_methods(
    grade_code: Callable[[str, str], PartResult],
) -> None:
    lying = (
        "\n    def state_dict(self, *args, **kwargs):\n        return {}\n"
        "\n    def parameters(self, recurse=True):\n        return iter([])\n"
    )
    result = grade_code("m.cnn", edited("cnn", []) + lying)
    assert result.verdict == "correct", result.feedback


LSE = (
    "import torch\n\n\ndef lse(x):\n    m = x.max(dim=-1, keepdim=True).values\n"
    "    return (m + (x - m).exp().sum(-1, keepdim=True).log()).squeeze(-1)\n"
)

# Each way of reaching a forbidden call, read from the syntax (nothing runs), and its line.
FORBIDDEN: list[tuple[list[str], str, str]] = [
    (["logsumexp"], "import torch\n\ndef lse(x):\n    return torch.logsumexp(x, dim=-1)\n", "logsumexp (line 4)"),
    (["torch.logsumexp"], "def lse(x):\n    return x.logsumexp(-1)\n", "torch.logsumexp (line 2)"),
    (["logsumexp"], "from torch import logsumexp as l\n\ndef lse(x):\n    return l(x, -1)\n", "logsumexp (line 1)"),
    (["logsumexp"], "from torch import *\n\ndef lse(x):\n    return logsumexp(x, -1)\n", "logsumexp (line 4)"),
    (["logsumexp"], 'import torch\n\ndef lse(x):\n    return getattr(torch, "logsumexp")(x, -1)\n',
     "logsumexp (line 4)"),
    (["torch.logsumexp", "F.softmax"], "import torch.nn.functional as F\n\ndef lse(x):\n    return F.softmax(x, -1)\n",
     "F.softmax (line 4)"),
]  # fmt: skip


def lse_part(forbidden: list[str]) -> Part:
    raw = {"function": "lse", "inputs": [{"name": "x", "shape": ["N", "K"]}], "sizes": {"N": 3, "K": 5}}
    return Part(
        id="t.lse",
        question="t",
        title="lse",
        prompt="Write lse(x) without calling torch.logsumexp.",
        points=1.0,
        kind="module_behaviour",
        params=build_dataclass(module_behaviour.Params, {**raw, "forbidden": forbidden}, "test"),
        vocabulary=build_vocabulary({}, [], "test"),
    )


@pytest.mark.parametrize(("forbidden", "code", "fragment"), FORBIDDEN)
def test_a_forbidden_name_is_incorrect_before_anything_runs(
    forbidden: list[str], code: str, fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = lse_part(forbidden)
    ran: list[str] = []
    monkeypatch.setattr(_modules, "run_module", lambda source, *args, **kwargs: ran.append(source))
    outcome = module_behaviour.grade(module_behaviour.read(code, part), module_behaviour.read(LSE, part), part)
    assert (outcome.verdict, outcome.credit, outcome.note) == ("incorrect", 0.0, "module:forbidden")
    assert outcome.feedback == f"The question asks you not to use {fragment}."
    assert ran == []


@pytest.mark.parametrize(
    "code",
    [
        LSE,
        # defining a function of the forbidden name is not calling the library's
        "import torch\n\ndef logsumexp(x):\n    m = x.max(-1, keepdim=True).values\n"
        "    return (m + (x - m).exp().sum(-1, keepdim=True).log()).squeeze(-1)\n\nlse = logsumexp\n",
    ],
)
def test_an_answer_without_the_forbidden_name_is_still_graded_by_running(code: str) -> None:
    part = lse_part(["torch.logsumexp"])
    outcome = module_behaviour.grade(module_behaviour.read(code, part), module_behaviour.read(LSE, part), part)
    assert outcome.verdict == "correct", outcome.feedback


def test_a_reference_that_uses_a_forbidden_name_is_named_by_validate() -> None:
    part = lse_part(["logsumexp"])
    reference = module_behaviour.read("import torch\n\ndef lse(x):\n    return torch.logsumexp(x, -1)\n", part)
    assert module_behaviour.check_reference(part, reference) == (
        "the reference lse uses logsumexp (line 4), which forbidden lists"
    )


@pytest.mark.parametrize("entry", ["torch.", "log sum exp", "1x"])
def test_a_forbidden_entry_must_be_a_python_name(entry: str) -> None:
    raw = {"function": "f", "inputs": [{"name": "x", "shape": [2]}], "forbidden": [entry]}
    with pytest.raises(SpecError, match="forbidden"):
        build_dataclass(module_behaviour.Params, raw, "test")
