"""module_behaviour: the student's whole class for Q3(b), run in the sandbox, then run again
beside the reference implementation with the same grader-chosen weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from autograder.graders import _modules
from autograder.result import PartResult
from autograder.sandbox import RunResult
from tests.conftest import HW9_REFERENCE

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
    (RunResult("timeout", error_type="timeout", error_message="stopped after 5 s"), "incorrect", "did not finish"),
    (RunResult("memory", error_type="MemoryError", error_message="used more than 1536 MB"), "incorrect", "memory"),
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
