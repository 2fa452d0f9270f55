"""mathread.pycode: the one reader for Python-notation answers, its whitelist given as data."""

from __future__ import annotations

import ast
import builtins

import pytest

from autograder.mathread import Unreadable, pycode

#: Names, attribute chains, numbers, + - * and calls of names: no methods, no keywords.
NARROW = pycode.Syntax(
    nodes=pycode.EXPRESSION_NODES,
    operators=frozenset({ast.Add, ast.Sub, ast.Mult, ast.USub}),
    keywords=False,
    not_allowed="Found {what}.",
)
#: Also methods of values, @, keyword arguments, indexing, tuples, True/False/None and ...
WIDE = pycode.Syntax(
    nodes=pycode.EXPRESSION_NODES | pycode.INDEXING_NODES,
    operators=frozenset({ast.Add, ast.Sub, ast.Mult, ast.MatMult, ast.USub}),
    constants=frozenset({int, float, bool, type(None), type(...)}),
    methods=True,
    not_allowed="Found {what}.",
    explain={ast.BitXor: "^ is not a power here: write **."},
)
SYNTAXES = {"narrow": NARROW, "wide": WIDE}

# (syntax, answer, the expression read, as ast.unparse writes it)
ACCEPTED = [
    ("narrow", "x", "x"),
    ("narrow", "self.size", "self.size"),
    ("narrow", "2 * self.size - 1", "2 * self.size - 1"),
    ("narrow", "-x", "-x"),
    ("narrow", "torch.relu(x)", "torch.relu(x)"),
    ("narrow", "`x + 1`", "x + 1"),
    ("narrow", "x − 1", "x - 1"),
    ("narrow", "2 × x", "2 * x"),
    ("narrow", "x,", "x"),
    ("wide", "x.tanh()", "x.tanh()"),
    ("wide", "h.view(n, -1)", "h.view(n, -1)"),
    ("wide", "self.conv(x).relu()", "self.conv(x).relu()"),
    ("wide", "x @ w", "x @ w"),
    ("wide", "torch.flatten(x, start_dim=1)", "torch.flatten(x, start_dim=1)"),
    ("wide", "x.sum(dim=-1, keepdim=True)", "x.sum(dim=-1, keepdim=True)"),
    ("wide", "x[:, -1]", "x[:, -1]"),
    ("wide", "x[..., None]", "x[..., None]"),
    ("wide", "(a, b)", "(a, b)"),
    ("wide", "[a, b]", "[a, b]"),
    ("wide", "$x @ w$", "x @ w"),
    ("wide", r"\texttt{self.hidden\_size}", "self.hidden_size"),
    ("wide", "```python\nx.relu()\n```", "x.relu()"),
]


@pytest.mark.parametrize(("syntax", "text", "expected"), ACCEPTED)
def test_accepted_forms_are_read_as_checked_trees(syntax: str, text: str, expected: str) -> None:
    code = pycode.read(text, SYNTAXES[syntax])
    assert ast.unparse(code.tree) == expected


# (syntax, answer, the message, where the caret points)
REFUSED = [
    ("narrow", "x[0]", "Found indexing with [ ].", 0),
    ("narrow", "n * x[0]", "Found indexing with [ ].", 4),
    ("narrow", "μ * x[0]", "Found indexing with [ ].", 4),  # characters, not UTF-8 bytes
    ("narrow", "f(x).tanh()", "Found a call of something that is not a name, such as f(x)(y) or f(x).g(y).", 0),
    ("narrow", "f(x).shape", "Found an attribute (.shape) of a call.", 0),
    ("narrow", "f(x, dim=1)", "Found a keyword argument (dim=...).", 5),
    ("narrow", "x @ w", "Found the operator @.", 2),
    ("narrow", "x / w", "Found the operator /.", 2),
    ("narrow", "'x'", "Found text in quotes.", 0),
    ("narrow", "True", "Found True/False.", 0),
    ("narrow", "lambda: 0", "Found a lambda.", 0),
    ("narrow", "(a, b)", "Found several values separated by commas.", 0),
    ("wide", "f(x)(y)", "Found a call of something that is not a name or a method, such as f(x)(y).", 0),
    ("wide", "f(**options)", "Found **keyword unpacking.", 2),
    ("wide", "[x for x in y]", "Found a list comprehension.", 0),
    ("wide", "(y := 1)", "Found an assignment :=.", 1),
    ("wide", "f(*xs)", "Found a starred *argument.", 2),
    ("wide", "a if b else c", "Found an if-else expression.", 0),
    ("wide", "a < b", "Found a comparison.", 0),
    ("wide", "x ** 2", "Found the operator **.", 2),
    ("wide", "x ^ 2", "^ is not a power here: write **.", 2),
    ("wide", "x.f('a')", "Found text in quotes.", 4),
    ("wide", "{'a': 1}", "Found a dict { }.", 0),
    ("wide", "f'{x}'", "Found an f-string.", 0),
]


@pytest.mark.parametrize(("syntax", "text", "message", "caret"), REFUSED)
def test_refused_forms_say_what_and_where(syntax: str, text: str, message: str, caret: int) -> None:
    with pytest.raises(Unreadable) as caught:
        pycode.read(text, SYNTAXES[syntax])
    assert (caught.value.message, caught.value.position) == (message, caret)
    assert caught.value.explain().splitlines()[-1] == "    " + " " * caret + "^"


# (answer, the message, where Python's parser points)
NOT_PYTHON = [
    ("x +", "This is not a Python expression: invalid syntax.", 3),
    ("import os", "This is not a Python expression: invalid syntax.", 0),
    ("x; y", "This is not a Python expression: invalid syntax.", 1),
    ("(((", "This is not a Python expression: '(' was never closed.", 2),
]


@pytest.mark.parametrize(("text", "message", "caret"), NOT_PYTHON)
def test_text_python_cannot_parse_is_unreadable_with_the_parsers_place(text: str, message: str, caret: int) -> None:
    with pytest.raises(Unreadable) as caught:
        pycode.read(text, NARROW)
    assert (caught.value.message, caught.value.position) == (message, caret)


BIG = "+".join(["x"] * 120)
BOUNDS = [
    ("x" * 301, pycode.TOO_LONG.format(length=301, limit=300)),
    ("-" * 60 + "x", pycode.TOO_DEEP.format(depth=51, limit=50)),
    (BIG, pycode.TOO_BIG.format(count=sum(1 for _ in ast.walk(ast.parse(BIG, mode="eval"))), limit=400)),
    ("x\x00", "This is not a Python expression: source code string cannot contain null bytes."),
]


@pytest.mark.parametrize(("text", "message"), BOUNDS, ids=["long", "deep", "big", "null byte"])
def test_bounds_are_checked_before_the_tree_is_used(text: str, message: str) -> None:
    with pytest.raises(Unreadable) as caught:
        pycode.read(text, NARROW)
    assert caught.value.message == message


def test_what_is_not_text_is_unreadable_not_a_crash() -> None:
    with pytest.raises(Unreadable, match="not text"):
        pycode.read(42, NARROW)  # type: ignore[arg-type]


# (how it is written in prose, the code, quotes dropped too?)
UNWRAPPED = [
    ("  x  ", "x", False),
    ("`x`", "x", False),
    ("``x``", "x", False),
    ("```x.relu()```", "x.relu()", False),
    ("```python\nx.relu()\n```", "x.relu()", False),
    ("$x - 1$", "x - 1", False),
    ("$$x - 1$$", "x - 1", False),
    (r"\texttt{x\_1}", "x_1", False),
    ("x − 1", "x - 1", False),
    ("x – 1", "x - 1", False),
    ("a × b", "a * b", False),
    ("“ij”", '"ij"', False),
    ("‘ij’", "'ij'", False),
    ("x,", "x", False),
    ("`x`,", "x", False),
    ("'x'", "'x'", False),
    ("'x'", "x", True),
    ('"`x`"', "x", True),
]


@pytest.mark.parametrize(("text", "code", "quotes"), UNWRAPPED)
def test_code_typed_in_prose_is_unwrapped_in_one_place(text: str, code: str, quotes: bool) -> None:
    assert pycode.unwrap(text, quotes=quotes) == code


# (a name as written, the names declared, the suggestion)
MISSPELT = [
    ("q", ["Q", "K"], " (did you mean Q?)"),
    ("sigmod", ["sigmoid", "tanh"], " (did you mean sigmoid?)"),
    ("Hidden", ["hidden", "hiden"], " (did you mean hidden?)"),  # the same but for case comes first
    ("xyz", ["Q", "K"], ""),
]


@pytest.mark.parametrize(("name", "declared", "suggestion"), MISSPELT)
def test_did_you_mean_names_a_close_declared_name(name: str, declared: list[str], suggestion: str) -> None:
    assert pycode.did_you_mean(name, declared) == suggestion


def test_a_kind_refuses_more_with_the_same_caret() -> None:
    code = pycode.read("f(x) + g(y)", NARROW)
    assert isinstance(code.tree, ast.BinOp)
    error = code.refuse("g is not a declared function.", code.tree.right)
    assert (error.position, error.text) == (7, "f(x) + g(y)")


def test_reading_never_evaluates(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("student text was evaluated")

    # compile stays: ast.parse uses it to build the tree, which is only looked at.
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    assert pycode.dotted(pycode.read("os.system", WIDE).tree) == "os.system"
    with pytest.raises(Unreadable):
        pycode.read("__import__('os').system('x')", WIDE)
