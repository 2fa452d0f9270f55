"""``token``: the blanks of HW9's MultiHeadAttention class, judged by structure."""

from __future__ import annotations

import builtins
import re
from pathlib import Path
from typing import Any

import pytest

from autograder.graders import token
from autograder.grading import decide
from autograder.mathread import Unreadable
from autograder.problem import Part
from autograder.spec import SpecError, load_question

SPEC = """
id: q3
parts:
  a:
    kind: token
    alternatives: ["num_heads * self.d_k", "self.num_heads * self.d_k"]
    aliases: {self.d_model: d_model}
  d:
    kind: token
  e:
    kind: token
    strip_prefix: ["torch."]
    aliases:
      nn.functional.softmax: softmax
      torch.nn.functional.softmax: softmax
      F.softmax: softmax
    rules:
      - answer: argmax
        note: argmax
        message: argmax returns indices, not weights.
  g:
    kind: token
    alternatives: ["-1"]
  h:
    kind: token
    strip_prefix: ["self."]
"""
REFERENCE = {"a": "d_model", "d": "Q", "e": "softmax", "g": "self.num_heads", "h": "W_o"}

ACCEPTED = [
    ("a", "d_model"),
    ("a", "self.d_model"),
    ("a", "num_heads * self.d_k"),
    ("a", "self.d_k * num_heads"),
    ("a", "self.d_k * self.num_heads"),
    ("a", "(self.d_k)*(num_heads)"),
    ("a", "`d_model`"),
    ("a", "d_model,"),
    ("a", "'d_model'"),
    ("e", "softmax"),
    ("e", "torch.softmax"),
    ("e", "nn.functional.softmax"),
    ("e", "torch.nn.functional.softmax"),
    ("e", "F.softmax"),
    ("e", "``torch.softmax``"),
    ("g", "self.num_heads"),
    ("g", "-1"),
    ("h", "W_o"),
    ("h", "self.W_o"),
    ("h", " self . W_o "),
]

# A tensor's .size(i) and .shape[i] are one thing in PyTorch; indexing with a number reads.
SIZE_SPELLINGS = [
    ("self.conv.weight.size(0)", "self.conv.weight.shape[0]", True),
    ("x.shape[-1]", "x.size(-1)", True),
    ("x.size()", "x.shape", True),
    ("x.shape[0]", "x.shape[1]", False),
    ("x.size(0)", "y.size(0)", False),
]

REJECTED = [
    ("a", "d_k"),
    ("a", "self.d_k"),
    ("a", "num_heads"),
    ("a", "num_heads + self.d_k"),
    ("a", "2 * d_model"),
    ("d", "K"),
    ("d", "q"),
    ("e", "argmax"),
    ("e", "sigmoid"),
    ("e", "log_softmax"),
    ("e", "torch.argmax"),
    ("e", "softmax(attn_scores, dim=-1)"),
    ("g", "num_heads"),
    ("g", "self.d_k"),
    ("g", "1"),
    ("h", "W_v"),
    ("h", "self.W_q"),
]

UNREADABLE = [
    "__import__('os').system('x')",
    "__import__('os')",
    "lambda: 0",
    "[x for x in y]",
    "x" * 100_000,
    "a if b else c",
    "x[0:2]",
    "x[i, j]",
    "d_model == 512",
    "f(x)(y)",
    "f(x).g",
    "'a' + 'b'",
    "import os",
    "d_model; x",
    "(((",
    "d_model ** 2",
    "Q @ K",
    "f(**kwargs)",
    "d_model, num_heads",
    "True",
    "x\x00",
]


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Part]:
    path: Path = tmp_path_factory.mktemp("spec") / "q3.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return {part.id.split(".", 1)[1]: part for part in load_question(path).parts}


def grade(parts: dict[str, Part], blank: str, text: str) -> Any:
    part = parts[blank]
    return token.grade(token.read(text, part), token.read(REFERENCE[blank], part), part)


@pytest.mark.parametrize(("blank", "text"), ACCEPTED)
def test_accepted(parts: dict[str, Part], blank: str, text: str) -> None:
    outcome = grade(parts, blank, text)
    assert (outcome.verdict, outcome.credit) == ("correct", 1.0), outcome.feedback


@pytest.mark.parametrize(("blank", "text"), REJECTED)
def test_rejected(parts: dict[str, Part], blank: str, text: str) -> None:
    outcome = grade(parts, blank, text)
    assert (outcome.verdict, outcome.credit) == ("incorrect", 0.0)
    shown = token.show(token.read(text, parts[blank]))
    assert token.INCORRECT.format(shown=shown) in outcome.feedback


@pytest.mark.parametrize("text", UNREADABLE, ids=lambda text: text[:30])
def test_unreadable(parts: dict[str, Part], text: str) -> None:
    with pytest.raises(Unreadable) as caught:
        token.read(text, parts["a"])
    assert caught.value.message


@pytest.mark.parametrize(("written", "other", "same"), SIZE_SPELLINGS)
def test_size_and_shape_are_one_spelling(parts: dict[str, Part], written: str, other: str, same: bool) -> None:
    part = parts["a"]
    assert token.matches(token.read(written, part), token.read(other, part), part) is same


def test_a_long_answer_is_refused_before_parsing(parts: dict[str, Part]) -> None:
    with pytest.raises(Unreadable) as caught:
        token.read("x" * 100_000, parts["a"])
    assert caught.value.message == token.TOO_LONG.format(length=100_000, limit=token.MAX_CHARS)


def test_unreadable_points_at_the_offending_syntax(parts: dict[str, Part]) -> None:
    with pytest.raises(Unreadable) as caught:
        token.read("num_heads * x[0:2]", parts["a"])
    assert caught.value.message == token.NOT_ALLOWED.format(what="a slice")
    assert caught.value.position == len("num_heads * x[")


def test_reading_never_evaluates(parts: dict[str, Part], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("student text was evaluated")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    assert token.read("F.softmax(x, dim=-1)", parts["e"]).text == "softmax(x, dim=-1)"


CANONICAL = [
    ("self.d_k*num_heads", "num_heads * self.d_k"),
    ("num_heads * (self.d_k * 1)", "1 * num_heads * self.d_k"),
    ("d_model // (num_heads)", "d_model // num_heads"),
    ("a - (b - c)", "a - (b - c)"),
    ("(a + b) * c", "(a + b) * c"),
    ("c * (b + a)", "(a + b) * c"),
    ("- 1", "-1"),
    ("softmax(input=x, dim=-1)", "softmax(dim=-1, input=x)"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_show_gives_the_canonical_fragment(parts: dict[str, Part], text: str, canonical: str) -> None:
    assert token.show(token.read(text, parts["a"])) == canonical


def test_repeated_prefix_is_removed_and_said(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "e", "torch.softmax")
    assert token.REMOVED_PREFIX.format(prefix="torch.") in outcome.feedback


def test_alternative_says_how_it_was_read(parts: dict[str, Part]) -> None:
    outcome = grade(parts, "a", "self.d_k*num_heads")
    assert outcome.note == "token:alternative"
    assert token.CORRECT_ALTERNATIVE.format(shown="num_heads * self.d_k") in outcome.feedback


MISSPELT = [
    ("e", "sofmax", "softmax"),
    ("e", "torch.sofmax", "softmax"),
    ("g", "self.num_head", "self.num_heads"),
    ("h", "W_O", "W_o"),
    ("d", "q", "Q"),
]


@pytest.mark.parametrize(("blank", "text", "suggestion"), MISSPELT)
def test_misspelling_gets_did_you_mean(parts: dict[str, Part], blank: str, text: str, suggestion: str) -> None:
    outcome = grade(parts, blank, text)
    assert outcome.verdict == "incorrect"
    name = token.show(token.read(text, parts[blank]))
    assert token.DID_YOU_MEAN.format(name=name, suggestion=suggestion) in outcome.feedback
    assert outcome.note == "token:misspelt"


# A different real name is a wrong answer: suggesting the accepted one would give it away.
NOT_A_TYPO = [("g", "num_heads"), ("e", "log_softmax"), ("e", "argmax"), ("h", "W_q"), ("a", "d_k")]


@pytest.mark.parametrize(("blank", "text"), NOT_A_TYPO)
def test_a_different_name_gets_no_suggestion(parts: dict[str, Part], blank: str, text: str) -> None:
    outcome = grade(parts, blank, text)
    assert "did you mean" not in outcome.feedback
    assert outcome.note == "token:different"


def test_spec_rules_match_by_canonical_form(parts: dict[str, Part]) -> None:
    part = parts["e"]
    reference = token.read("softmax", part)
    outcome = decide(part, token.read("torch.argmax", part), reference)
    assert outcome.rule_matched and outcome.note == "argmax"
    assert not token.matches(token.read("argmax", part), reference, part)


def test_names_are_the_dotted_names_used(parts: dict[str, Part]) -> None:
    assert token.names(token.read("num_heads * self.d_k", parts["a"])) == {"num_heads", "self.d_k"}
    assert token.names(token.read("F.softmax(x, dim=-1)", parts["e"])) == {"softmax", "x"}


BAD_SPECS = [
    ('alternatives: ["lambda: 0"]', "alternatives[0]: cannot read"),
    ("aliases: {F.softmax: 'torch softmax'}", "is not a dotted Python name"),
    ("strip_prefix: ['self.norm = nn.']", "strip_prefix: 'self.norm = nn.' is not a dotted name"),
    ("strip_prefix: ['.']", "strip_prefix: '.' is not a dotted name"),
]


@pytest.mark.parametrize(("params", "message"), BAD_SPECS)
def test_bad_params_are_spec_errors(tmp_path: Path, params: str, message: str) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(f"id: q\nparts:\n  a:\n    kind: token\n    {params}\n", encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(message)):
        load_question(path)


def test_position_counts_characters_not_bytes(parts: dict[str, Part]) -> None:
    with pytest.raises(Unreadable) as caught:
        token.read("μ * x[0:2]", parts["a"])
    assert caught.value.position == len("μ * x[")


# (a blank as written, its canonical text): the code kinds read blanks with the wider syntax of
# _blanks, and the canonical text is what runs in the template, so it must mean the same code.
BLANK_CANONICAL = [
    ("x.tanh( )", "x.tanh()"),
    ("self.conv(x).relu()", "self.conv(x).relu()"),
    ("x.sum(keepdim=True, dim=1)", "x.sum(dim=1, keepdim=True)"),
    ("x@W", "x @ W"),
    ("(x @ W) @ V", "x @ W @ V"),
    ("x @ (W @ V)", "x @ (W @ V)"),
    ("(h * 2).view(-1)", "(2 * h).view(-1)"),
    ("(-1).abs()", "(-1).abs()"),
    ("x[ : , -1 ]", "x[:, -1]"),
    ("x[0:2, ::2]", "x[0:2, ::2]"),
    ("x[..., None]", "x[..., None]"),
    ("(x, h)", "(x, h)"),
    ("(x,)", "(x,)"),
    ("[h] + [x]", "[h] + [x]"),
    ("a / b * c", "(a / b) * c"),
    ("c * (a // b)", "(a // b) * c"),
    ("torch.flatten(x, start_dim=1)", "torch.flatten(x, start_dim=1)"),
    ("h*(h>0)", "(h > 0) * h"),
    ("(h > 0) * h", "(h > 0) * h"),
    ("0<x<=1", "0 < x <= 1"),
    ("x + 1 > 2 * h", "x + 1 > 2 * h"),
    # + keeps its order in a blank: its operands may be sequences, where order is meaning
    ("x.shape[:1] + x.shape[2:]", "x.shape[:1] + x.shape[2:]"),
    ("x.shape[2:] + x.shape[:1]", "x.shape[2:] + x.shape[:1]"),
    ("(x > 0) == (h < 1)", "(x > 0) == (h < 1)"),
    ("-x >= 0", "-x >= 0"),
    ("nn.ReLU()(h)", "nn.ReLU()(h)"),
    ("nn.Softmax(dim = 1)(x).sum()", "nn.Softmax(dim=1)(x).sum()"),
    ("nn.Linear(4, 2)(x)(h)", "nn.Linear(4, 2)(x)(h)"),
]


@pytest.mark.parametrize(("text", "canonical"), BLANK_CANONICAL)
def test_blank_fragments_keep_their_meaning_in_canonical_form(text: str, canonical: str) -> None:
    fragment = token.read_fragment(text, token.Params())
    assert fragment.text == canonical
    assert token.read_fragment(fragment.text, token.Params()).text == canonical  # a fixed point


@pytest.mark.parametrize("text", ["x @ W", "x[:, -1]", "(x, h)", "f(x).relu()", "x.sum(keepdim=True)"])
def test_the_token_kind_itself_keeps_its_narrower_syntax(parts: dict[str, Part], text: str) -> None:
    token.read_fragment(text, token.Params())  # a blank of a code template may hold it
    with pytest.raises(Unreadable) as caught:
        token.read(text, parts["a"])
    assert caught.value.message.startswith("Only names (x, self.size)")


# (aliases, strip_prefix, answer, canonical text, a prefix removed): aliases apply first, then
# a prefix the template writes is removed from the leading name only.
ALIASES_THEN_PREFIX = [
    ({"torch.nn": "nn"}, ["nn."], "torch.nn.LayerNorm", "LayerNorm", True),
    ({"torch.nn": "nn"}, ["nn."], "nn.LayerNorm", "LayerNorm", True),
    ({"torch.nn": "nn"}, ["nn."], "LayerNorm", "LayerNorm", False),
    ({"torch.nn": "nn"}, ["nn."], "torch.nn.LayerNorm(d)", "LayerNorm(d)", True),
    ({"F": "torch.nn.functional"}, ["torch."], "F.relu", "nn.functional.relu", True),
    ({"nn": "torch.nn"}, ["torch."], "nn.GELU", "nn.GELU", True),
    ({"nn": "torch.nn"}, ["torch."], "torch.nn.GELU", "nn.GELU", True),
    ({}, ["torch.nn.", "nn."], "torch.nn.LayerNorm", "LayerNorm", True),
    ({}, ["torch . nn ."], "torch.nn.LayerNorm", "LayerNorm", True),
    ({}, ["self."], "self.size * 2", "2 * size", True),
    ({}, ["self."], "2 * self.size", "2 * self.size", False),  # the answer does not start with it
    ({}, ["torch."], "torchvision.relu", "torchvision.relu", False),  # a whole name, not a piece of one
    ({}, ["torch."], "x.relu(torch.ones(2))", "x.relu(torch.ones(2))", False),
]


@pytest.mark.parametrize(("aliases", "prefixes", "text", "canonical", "removed"), ALIASES_THEN_PREFIX)
def test_strip_prefix_applies_after_aliases(
    aliases: dict[str, str], prefixes: list[str], text: str, canonical: str, removed: bool
) -> None:
    fragment = token.read_fragment(text, token.Params(aliases=aliases, strip_prefix=tuple(prefixes)))
    assert fragment.text == canonical
    assert any("Read without the template's own prefix" in note for note in fragment.notes) == removed


def test_a_token_part_with_an_alias_and_a_prefix_accepts_the_full_path(tmp_path: Path) -> None:
    spec = "id: q\nparts:\n  a:\n    kind: token\n    aliases: {torch.nn: nn}\n    strip_prefix: [nn.]\n"
    (tmp_path / "q.yaml").write_text(spec, encoding="utf-8")
    part = load_question(tmp_path / "q.yaml").parts[0]
    reference = token.read("LayerNorm", part)
    for text in ("torch.nn.LayerNorm", "nn.LayerNorm", "LayerNorm"):
        assert token.grade(token.read(text, part), reference, part).verdict == "correct", text
    assert token.grade(token.read("torch.nn.BatchNorm1d", part), reference, part).verdict == "incorrect"
