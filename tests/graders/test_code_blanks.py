"""code_blanks: each blank of the Q3 class is judged by running the class with it (sandbox)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from autograder.api import AnswerKey, load_key
from autograder.graders import _modules, code_blanks
from autograder.graders.token import Fragment
from autograder.grading import grade_part
from autograder.result import PartResult
from autograder.sandbox import RunResult
from autograder.submission import Answer

Grade = Callable[[str, str], PartResult]

# Blanks that behave like the reference although they are spelt differently.
BEHAVES_LIKE_REFERENCE = [
    ("q3.a.a", "self.d_model"),
    ("q3.a.a", "num_heads * self.d_k"),
    ("q3.a.a", "self.d_k*self.num_heads"),
    ("q3.a.b", "self.num_heads * self.d_k"),
    ("q3.a.c", "self.d_model"),
    ("q3.a.e", "torch.softmax"),
    ("q3.a.e", "nn.functional.softmax"),
    ("q3.a.e", "special.softmax"),
    ("q3.a.g", "-1"),
    ("q3.a.g", "d_model // self.d_k"),
    ("q3.a.g", "x.size(2) // self.d_k"),
    ("q3.a.h", "self.W_o"),
    ("q3.a.a", "int(math.sqrt(d_model * d_model))"),
    ("q3.a.a", "self.W_q.out_features"),
    ("q3.a.a", "max(d_model, 1)"),
]


@pytest.mark.parametrize(("answer_id", "text"), BEHAVES_LIKE_REFERENCE)
def test_blanks_that_behave_like_the_reference_are_correct(grade_hw9: Grade, answer_id: str, text: str) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "correct", result.feedback
    assert result.feedback.startswith("Correct")


# (blank, answer, a fragment of the feedback that explains what the code did)
MISBEHAVES = [
    ("q3.a.a", "d_k", "NameError: name 'd_k' is not defined"),
    ("q3.a.a", "self.d_k", "does not run"),
    ("q3.a.c", "num_heads", "does not run"),
    ("q3.a.d", "V", "output differs from the reference's"),
    ("q3.a.e", "sigmoid", "unexpected keyword argument 'dim'"),
    ("q3.a.e", "log_softmax", "log-probabilities"),
    ("q3.a.e", "sofmax", "has no attribute 'sofmax'"),
    ("q3.a.d", "math.sqrt(self.d_k) * Q", "output differs from the reference's"),
    ("q3.a.f", "K", "output differs from the reference's"),
    ("q3.a.g", "self.d_k", "invalid for input of size"),
    ("q3.a.h", "W_v", "output differs from the reference's"),
]


@pytest.mark.parametrize(("answer_id", "text", "fragment"), MISBEHAVES)
def test_blanks_that_misbehave_are_explained(grade_hw9: Grade, answer_id: str, text: str, fragment: str) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "incorrect", result.feedback
    assert fragment in result.feedback
    assert result.score == 0


def test_a_wrong_blank_costs_only_its_own_part(grade_hw9: Grade) -> None:
    # (e) is graded with the reference's (a)-(d) and (f)-(h): a wrong (e) never touches them.
    assert grade_hw9("q3.a.e", "argmax").verdict == "incorrect"
    assert grade_hw9("q3.a.a", "self.d_model").verdict == "correct"


@pytest.mark.parametrize(
    "text", ["__import__('os').system('id')", "d_model); import os; os.system('id'", "lambda: 0", "x" * 1000]
)
def test_blanks_that_are_not_fragments_never_reach_the_template(grade_hw9: Grade, text: str) -> None:
    result = grade_hw9("q3.a.a", text)
    assert result.verdict == "unreadable"


def _sandbox(monkeypatch: pytest.MonkeyPatch, *results: RunResult) -> list[dict[str, Any]]:
    """Record every sandbox run asked for; the first ones get ``results``, the others really run."""
    queue = list(results)
    asked: list[dict[str, Any]] = []
    real = _modules.run_module

    def recording(source: str, payload: dict[str, Any], filename: str = "submission.py", **options: Any) -> RunResult:
        asked.append({"source": source, "filename": filename, **options})
        return queue.pop(0) if queue else real(source, payload, filename, **options)

    monkeypatch.setattr(_modules, "run_module", recording)
    return asked


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Every sandbox run asked for while the test runs (the runs still happen)."""
    yield _sandbox(monkeypatch)


# (blank, a hostile blank, what its sentence names): refused, never run.
HOSTILE_BLANKS = [
    ("q3.a.a", "exec(bytes(range(105, 107)))", "exec is a Python built-in"),
    ("q3.a.a", "eval(chr(49) + chr(50))", "eval is a Python built-in"),
    ("q3.a.a", "d_model + len(chr(105) + chr(100))", "chr is a Python built-in"),
    ("q3.a.a", "getattr(self, d_model)", "getattr is a Python built-in"),
    ("q3.a.a", "__import__(d_model)", "__import__ starts with an underscore"),
    ("q3.a.a", "torch.load(d_model)", "'load' is one of the names a blank never needs"),
    ("q3.a.a", "torch.from_file(d_model, 0, 1)", "'from_file' is one of the names"),
    ("q3.a.a", "torch.sys.modules", "torch.sys is not one of the namespaces"),
    ("q3.a.a", "F.torch.load", "'torch' is one of the names"),
    ("q3.a.a", "self.__dict__", "__dict__ starts with an underscore"),
    ("q3.a.a", "open(d_model)", "open is a Python built-in"),
    ("q3.a.a", "lambda: d_model", "a lambda"),
    ("q3.a.a", "d_model + len('abc')", "text in quotes"),
    ("q3.a.a", "vars(self)", "vars is a Python built-in"),
    ("q3.a.a", "torch.utils.cpp_extension.load_inline", "torch.utils is not one of the namespaces"),
    ("q3.a.d", "Q.untyped_storage()", "'untyped_storage' is one of the names"),
    ("q3.a.d", "Q.reshape(list(torch.empty(400, dtype=torch.uint8)))", "'empty' is one of the names"),
    ("q3.a.d", "Q.new_empty(400)", "'new_empty' is one of the names"),
    ("q3.a.e", "torch.load", "torch.load may not appear in a blank"),
    ("q3.a.e", "from_file", "torch.from_file may not appear in a blank"),
    ("q3.a.h", "__dict__", "__dict__ starts with an underscore"),
    ("q3.a.h", "self.load_state_dict", "self.load_state_dict may not appear in a blank"),
]


# Readable, but through a namespace that does not exist (torch.F.softmax): wrong, and never run either.
NEVER_RUN = [
    *((answer_id, text, "unreadable", fragment) for answer_id, text, fragment in HOSTILE_BLANKS),
    ("q3.a.e", "F.softmax", "incorrect", "torch.F is not one of the namespaces"),
]


@pytest.mark.parametrize(("answer_id", "text", "verdict", "fragment"), NEVER_RUN)
def test_hostile_blanks_are_refused_and_never_run(
    grade_hw9: Grade, runs: list[dict[str, Any]], answer_id: str, text: str, verdict: str, fragment: str
) -> None:
    result = grade_hw9(answer_id, text)
    assert (result.verdict, result.score) == (verdict, 0)
    assert fragment in result.feedback
    assert runs == []


def test_the_allow_list_holds_in_grade_too(hw9_key: AnswerKey, runs: list[dict[str, Any]]) -> None:
    # A reading that never went through read (a bug elsewhere) still never runs.
    part = hw9_key.problems.part("q3.a.a")
    fragment = Fragment(text="open(d_model)", names=frozenset({"open", "d_model"}))
    outcome = code_blanks.grade(fragment, hw9_key.readings["q3.a.a"], part)
    assert outcome.verdict == "unreadable"
    assert "open is a Python built-in" in outcome.feedback
    assert runs == []


@pytest.mark.parametrize(
    ("answer_id", "text", "name"), [("q3.a.a", "d_k", "d_k"), ("q3.a.d", "q", "q"), ("q3.a.b", "2 * D", "D")]
)
def test_a_name_the_template_does_not_bind_there_is_a_name_error_without_running(
    grade_hw9: Grade, runs: list[dict[str, Any]], answer_id: str, text: str, name: str
) -> None:
    result = grade_hw9(answer_id, text)
    assert (result.verdict, result.score) == ("incorrect", 0)
    assert f"NameError: name '{name}' is not defined" in result.feedback
    assert runs == []


def test_the_spec_rule_still_explains_a_name_from_another_method(grade_hw9: Grade) -> None:
    result = grade_hw9("q3.a.g", "num_heads")
    assert result.verdict == "incorrect"
    assert "no local variable num_heads" in result.feedback


def test_the_filled_template_runs_from_memory(grade_hw9: Grade, runs: list[dict[str, Any]]) -> None:
    # The template holds the other blanks' reference answers: no file of it for the child to read.
    code_blanks._REFERENCE_RUNS.clear()
    assert grade_hw9("q3.a.a", "self.d_model").verdict == "correct"
    assert len(runs) == 6  # for each of the two builds: the reference twice (its weights, then ours), the blank
    assert all(run["hide_source"] is True for run in runs)


KILLED = RunResult(
    "crashed", error_type="crashed", error_message="killed by signal SIGSEGV before returning a result", signal=11
)
UNCONFINED = RunResult("refused", error_type="unconfined", error_message="Student code was not run: no isolation")


def test_a_failed_reference_run_is_never_kept(hw9_key: AnswerKey, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_blanks, "_REFERENCE_RUNS", {})
    part = hw9_key.problems.part("q3.a.a")
    asked = _sandbox(monkeypatch, KILLED)
    first = grade_part(part, Answer("self.d_model"), hw9_key.readings["q3.a.a"])
    assert first.verdict == "needs_review"
    assert "killed by signal SIGSEGV" in first.feedback
    assert code_blanks._REFERENCE_RUNS == {}
    # The next student's blank runs the reference again, and is graded.
    second = grade_part(part, Answer("self.d_model"), hw9_key.readings["q3.a.a"])
    assert second.verdict == "correct", second.feedback
    assert len(asked) == 7  # the failed reference; then, for each of two builds, the reference twice and the blank
    assert len(code_blanks._REFERENCE_RUNS) == 2


# A student's run that the sandbox refused, or that something killed the student's limits do not
# explain, is for an instructor; running out of time or memory is the blank's doing.
STUDENT_RUNS = [
    (KILLED, "needs_review", "killed by signal SIGSEGV"),
    (UNCONFINED, "needs_review", "Student code was not run"),
    (RunResult("timeout", error_type="timeout", error_message="stopped after 5 s"), "incorrect", "time limit"),
    (RunResult("memory", error_type="MemoryError", error_message="used more than 1536 MB"), "incorrect", "memory"),
]


@pytest.mark.parametrize(("run", "verdict", "fragment"), STUDENT_RUNS)
def test_a_run_that_is_not_the_students_doing_goes_to_review(
    grade_hw9: Grade, monkeypatch: pytest.MonkeyPatch, run: RunResult, verdict: str, fragment: str
) -> None:
    assert grade_hw9("q3.a.c", "self.d_model").verdict == "correct"  # the reference run is kept
    _sandbox(monkeypatch, run)
    result = grade_hw9("q3.a.c", "self.d_model")
    assert (result.verdict, result.score) == (verdict, 0)
    assert fragment in result.feedback


# Constants that fit only the default build (d_model 12, 3 heads): run again with another width.
CONSTANTS = [("q3.a.a", "12"), ("q3.a.b", "12"), ("q3.a.c", "12"), ("q3.a.g", "3")]


@pytest.mark.parametrize(("answer_id", "text"), CONSTANTS)
def test_a_constant_that_fits_only_one_width_is_wrong(grade_hw9: Grade, answer_id: str, text: str) -> None:
    result = grade_hw9(answer_id, text)
    assert result.verdict == "incorrect", result.feedback
    assert "MultiHeadAttention(20, 4)" in result.feedback
    assert "Size(" not in result.feedback  # the reference's shapes are the answer: never quoted


# ------------------------------------------------ a template of another module (a CNN block)

# Words that belong to another homework: a CNN student must never read them.
FOREIGN_WORDS = ("sequence", "mask", "residual", "attention", "head")

# (blank, answer, verdict, what the feedback says)
CONV_BLANKS = [
    ("a", "out_channels", "correct", "Correct."),
    ("a", "self.out_channels", "correct", "the class behaves exactly like the reference"),
    ("b", "3 // 2", "correct", "behaves exactly like the reference"),
    ("c", "self.conv(x)", "correct", "Correct."),
    ("a", "4", "incorrect", "ConvBlock(2, 5)"),  # a constant that fits only the first build
    (
        "b",
        "0",
        "incorrect",
        "the output is a tensor of shape [2, 4, 6, 6] instead of a tensor of shape [2, 4, 8, 8] on N 2, C 3, H 8, W 8",
    ),
    ("b", "2", "incorrect", "instead of a tensor of shape [2, 4, 8, 8]"),
    ("c", "self.conv(x) * 2", "incorrect", "output differs from the reference's (largest difference"),
    ("c", "self.conv(x).view(3, -1)", "incorrect", "the forward pass fails on N 2, C 3, H 8, W 8: RuntimeError"),
    ("a", "in_channels", "incorrect", "conv.bias, conv.weight do not have the shapes the rest of the class needs"),
    ("c", "y", "incorrect", "NameError: name 'y' is not defined where blank (c) stands"),
    # A comparison as a mask, and a module built and applied in the blank.
    ("c", "self.conv(x) * (self.conv(x) > 0)", "correct", "behaves exactly like the reference"),
    ("c", "nn.Identity()(self.conv(x))", "correct", "behaves exactly like the reference"),
    ("c", "self.conv(x) * (self.conv(x) < 0)", "incorrect", "output differs from the reference's"),
    # built in forward, it is float32 among float64 inputs: it runs and fails, and the student reads why
    ("c", "nn.Conv2d(3, 4, 3, padding=1)(x)", "incorrect", "fails on N 2, C 3, H 8, W 8: RuntimeError"),
]


# A function template: plain numbers in, a number out, no weights.
SIZE_BLANKS = [
    ("formula.k", "kernel", "correct", "Correct."),
    # filled in as one operand: n - (kernel + 0 * stride), not n - kernel + 0 * stride
    ("formula.k", "kernel + 0 * stride", "correct", "the function behaves exactly like the reference"),
    ("formula.k", "3", "incorrect", "output differs from the reference's (largest difference 1) on n "),
    ("formula.k", "kernel // (padding - padding)", "incorrect", "calling conv_output_size fails on n 32, kernel 3"),
]


@pytest.mark.parametrize(
    ("blank", "text", "verdict", "fragment"), [*(("block." + row[0], *row[1:]) for row in CONV_BLANKS), *SIZE_BLANKS]
)
def test_blanks_of_a_convolution_template_are_judged_by_running_it(
    grade_code: Grade, blank: str, text: str, verdict: str, fragment: str
) -> None:
    result = grade_code(f"m.{blank}", text)
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback
    assert "Size(" not in result.feedback  # the reference's shapes are the answer: never quoted
    lowered = result.feedback.lower()
    assert not [word for word in FOREIGN_WORDS if word in lowered], result.feedback


def test_every_reference_filled_build_runs(code_key: AnswerKey, hw9_key: AnswerKey) -> None:
    for key, answer_id in ((code_key, "m.block.a"), (hw9_key, "q3.a.g")):
        part = key.problems.part(answer_id)
        assert code_blanks.check_reference(part, key.readings[answer_id]) is None


# (blank, a broken reference answer for it, what validate is told)
BROKEN_REFERENCE_BLANKS = [
    ("q3.a.g", "g", "num_heads", "reference blank (g) does not run on batch 2, sequence length 5, no mask: NameError"),
    ("q3.a.g", "g", "num_heads", "in split_heads"),
    # the error shows where it is raised, not which blank caused it: the line is named, no culprit
    ("q3.a.a", "a", "d_model + 1", "mha_template.py (failing at the line of blank (g)) does not run on batch 2"),
    ("m.block.a", "a", "out_channel", "reference blank (a) does not run: NameError: name 'out_channel' is not defined"),
    (
        "m.block.b",
        "b",
        "in_channels // 0",
        "conv_template.py (failing at the line of blanks (a), (b)) does not run: ZeroDivisionError",
    ),
    (
        "m.block.c",
        "c",
        "self.conv(x).view(7)",
        "(failing at the line of blank (c)) does not run on N 2, C 3, H 8, W 8: RuntimeError",
    ),
]


@pytest.mark.parametrize(("answer_id", "blank", "text", "fragment"), BROKEN_REFERENCE_BLANKS)
def test_a_reference_blank_that_does_not_run_is_named(
    code_key: AnswerKey, hw9_key: AnswerKey, answer_id: str, blank: str, text: str, fragment: str
) -> None:
    key = hw9_key if answer_id.startswith("q3") else code_key
    part = key.problems.part(answer_id)
    params = dataclasses.replace(part.params, fills={**part.params.fills, blank: text})
    broken = dataclasses.replace(part, params=params)
    sentence = code_blanks.check_reference(broken, key.readings[answer_id])
    assert sentence is not None and fragment in sentence, sentence


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("x @ self.W + self.b", "correct"),
        ("torch.addmm(self.b, x, self.W)", "correct"),
        ("x @ self.W", "incorrect"),  # the template's bias starts at zero: only grader weights tell
        ("x @ self.W - self.b", "incorrect"),
        ("x @ self.W + self.b.abs()", "incorrect"),
    ],
)
def test_a_blank_is_judged_with_grader_chosen_weights_not_the_templates_zeros(
    grade_code: Grade, text: str, verdict: str
) -> None:
    result = grade_code("m.affine.y", text)
    assert result.verdict == verdict, result.feedback


# ------------------------------------------------ initial_parameters: a blank that sets where a class starts

GATE_TEMPLATE = """import torch
from torch import nn


class Gate(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.scale = nn.Parameter(torch.___(s)___(d))

    def forward(self, x):
        return x * self.scale
"""


def gate_key(tmp_path: Path, compare: list[str]) -> AnswerKey:
    problems, reference = tmp_path / "problems", tmp_path / "reference"
    problems.mkdir()
    reference.mkdir()
    (problems / "gate_template.py").write_text(GATE_TEMPLATE, encoding="utf-8")
    (problems / "set.yaml").write_text("title: Gates\nreference: ../reference\n", encoding="utf-8")
    (problems / "g.yaml").write_text(
        "id: g\nparts:\n  s:\n    kind: code_blanks\n    template: gate_template.py\n    blank: s\n"
        "    class_name: Gate\n    init_args: [4]\n    strip_prefix: [torch.]\n"
        "    inputs: [{name: x, shape: [N, d]}]\n    sizes: {N: 2, d: 'init_args[0]'}\n"
        f"    compare: {compare}\n",
        encoding="utf-8",
    )
    (reference / "answers.yaml").write_text("g:\n  s: ones\n", encoding="utf-8")
    return load_key(problems=problems)


# (blank, compare, verdict, what the feedback says)
GATE_BLANKS = [
    ("ones", ["shape", "values", "initial_parameters"], "correct", "Correct."),
    ("torch.ones", ["shape", "values", "initial_parameters"], "correct", "Correct"),
    ("zeros", ["shape", "values"], "correct", "behaves exactly like the reference"),  # the reference's weights load
    ("zeros", ["shape", "values", "initial_parameters"], "incorrect", "scale does not start at the reference's values"),
    ("randn", ["shape", "values", "initial_parameters"], "incorrect", "scale does not start"),
    ("ones_like", ["shape", "values", "initial_parameters"], "incorrect", "does not run"),
]


@pytest.mark.parametrize(("text", "compare", "verdict", "fragment"), GATE_BLANKS)
def test_initial_parameters_judges_the_values_a_blank_makes_a_class_start_at(
    tmp_path: Path, text: str, compare: list[str], verdict: str, fragment: str
) -> None:
    key = gate_key(tmp_path, compare)
    part = key.problems.part("g.s")
    result = grade_part(part, Answer(text), key.readings.get("g.s"))
    assert result.verdict == verdict, result.feedback
    assert fragment in result.feedback


def test_a_forbidden_name_in_a_blank_is_incorrect_before_it_runs(
    code_key: AnswerKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    part = code_key.problems.part("m.affine.y")
    part = dataclasses.replace(part, params=dataclasses.replace(part.params, forbidden=("addmm", "torch.matmul")))
    monkeypatch.setattr(_modules, "run_module", _refuse_to_run)
    for text, name in (
        ("torch.addmm(self.b, x, self.W)", "addmm"),
        ("torch.matmul(x, self.W) + self.b", "torch.matmul"),
    ):
        result = grade_part(part, Answer(text), code_key.readings["m.affine.y"])
        assert (result.verdict, result.note) == ("incorrect", "code_blanks:forbidden"), result.feedback
        assert f"not to use {name} in blank (y)" in result.feedback


def _refuse_to_run(*args: object, **kwargs: object) -> object:
    raise AssertionError("a forbidden blank must never run")
