"""The one reader for answers written in Python notation: code text → a checked tree, or Unreadable.

Several kinds take a short piece of code as the answer (a blank of a code
template, an einsum call, a numpy-like matrix formula). They all read it here,
so that the bounds, the error messages with their caret, the "did you mean"
and the clean-up of code typed in prose exist once.

How: the text is cleaned (:func:`unwrap`), bounded in length, parsed with
:func:`ast.parse` in ``eval`` mode (one expression, no statements), bounded in
size and depth, and every node is checked against the kind's :class:`Syntax`,
a whitelist given as data (node types, operators, constant types, call forms,
keyword arguments). What comes out is a :class:`Code`: the tree, guaranteed to
hold only what the whitelist names. The kind then gives that tree its meaning
(a canonical fragment, an einsum, a matrix formula) and uses
:meth:`Code.refuse` for any further refusal, so every message points at the
offending place the same way.

Security: the text is parsed, never compiled, executed or evaluated; nothing
here imports, calls or looks up a name of the answer.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from autograder.mathread.api import Unreadable

TOO_LONG = "The answer is {length:,} characters long; at most {limit} characters are read here."
NOT_PYTHON = "This is not a Python expression: {detail}."
NOT_ALLOWED = "{what} cannot be used here."
TOO_DEEP = "The answer is nested too deeply ({depth} levels; at most {limit} are read)."
TOO_BIG = "The expression has {count} parts; at most {limit} are read."
DID_YOU_MEAN = " (did you mean {name}?)"

#: What a student typing code in prose often writes instead of the ASCII character.
_CHARACTERS = str.maketrans(
    {
        "\u2212": "-",  # minus sign
        "\u2013": "-",  # en dash, typed by word processors for a minus
        "\u00d7": "*",  # multiplication sign
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u00a0": " ",  # no-break space
        "\u2009": " ",  # thin space
        "\u2192": "->",  # rightwards arrow, typed for an einsum's ->
        "\u27f6": "->",  # long rightwards arrow
    }
)
#: Marks that surround code in prose: Markdown, TeX maths. Longest first.
_MARKS = ("```", "``", "`", "$$", "$")
_QUOTES = ('"', "'")
_TEXTTT = re.compile(
    r"\\(?:texttt|verb|code|mintinline\{\w+\}|mathtt|mathrm|mathit|mathsf|textrm|textsf|text|operatorname)"
    r"\{(.*)\}",
    re.DOTALL,
)
#: The same wrappers around a piece of an answer (``\\texttt{self.d\\_k} * \\texttt{num\\_heads}``).
_TEXTTT_PIECE = re.compile(
    r"\\(?:texttt|verb|code|mathtt|mathrm|mathit|mathsf|textrm|textsf|text|operatorname)\{([^{}]*)\}"
)
_FENCE_LANGUAGE = re.compile(r"\A(?:python|py)[ \t]*\n")

#: How a node that is not allowed is named in a message (others by their Python name).
_WHAT = {
    "Lambda": "a lambda",
    "ListComp": "a list comprehension",
    "SetComp": "a set comprehension",
    "DictComp": "a dict comprehension",
    "GeneratorExp": "a generator expression",
    "Subscript": "indexing with [ ]",
    "Tuple": "several values separated by commas",
    "List": "a list [ ]",
    "Dict": "a dict { }",
    "Set": "a set { }",
    "Compare": "a comparison",
    "BoolOp": "and/or",
    "IfExp": "an if-else expression",
    "NamedExpr": "an assignment :=",
    "JoinedStr": "an f-string",
    "FormattedValue": "an f-string",
    "Starred": "a starred *argument",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield from",
    "Slice": "a slice",
    "Call": "a call",
}
OPERATORS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.USub: "unary -",
    ast.UAdd: "unary +",
    ast.Not: "not",
    ast.Invert: "~",
}
"""How each operator node is written (the unary ones described), for messages and canonical text."""
_CONSTANTS = {str: "text in quotes", bytes: "bytes", bool: "True/False", type(None): "None", type(...): "..."}


@dataclass(frozen=True)
class Syntax:
    """What one kind reads: the whitelist and its messages, as data (one frozen value per kind)."""

    nodes: frozenset[type[ast.expr]]
    """Expression node types allowed anywhere (``ast.Name``, ``ast.Call``, ``ast.Subscript``...)."""
    operators: frozenset[type[ast.operator] | type[ast.unaryop]] = frozenset()
    """Binary and unary operators allowed in ``BinOp``/``UnaryOp`` nodes (``ast.Add``, ``ast.USub``)."""
    constants: frozenset[type] = frozenset({int, float})
    """Types of literal allowed (``int``, ``float``, ``str``, ``bool``, ``type(None)``, ``type(...)``)."""
    methods: bool = False
    """True: a call or attribute may follow any allowed value (``f(x).relu()``, ``x[0].T``).
    False: only dotted names are called or have attributes (``torch.relu(x)``, ``self.size``)."""
    keywords: bool = True
    """Keyword arguments in calls (``dim=-1``); ``**mapping`` is never read."""
    call_results: bool = False
    """True: the result of a call may itself be called (``nn.ReLU()(h)``: a module built and applied)."""
    max_chars: int = 300
    """Longest answer read, checked before anything else."""
    max_depth: int = 50
    """Deepest nesting of expression nodes read."""
    max_nodes: int = 400
    """Most nodes (as :func:`ast.walk` counts them) read."""
    unquote: bool = False
    """Drop quotes around the whole answer (``'x + 1'``); only for kinds that read no text literal."""
    trailing: str = ","
    """Characters dropped from the end of the answer (a comma or semicolon left from prose)."""
    explain: Mapping[type, str] = field(default_factory=dict)
    """A refused node or operator type → the sentence said instead of :attr:`not_allowed`
    (``ast.BitXor`` → "^ is not a power here: write **")."""
    not_allowed: str = NOT_ALLOWED
    """Sentence for a refused construct, with ``{what}``."""
    too_long: str = TOO_LONG
    """Sentence for a too long answer, with ``{length}`` and ``{limit}``."""
    not_python: str = NOT_PYTHON
    """Sentence for text Python cannot parse, with ``{detail}``."""
    too_deep: str = TOO_DEEP
    """Sentence for too deep a nesting, with ``{depth}`` and ``{limit}``."""
    too_big: str = TOO_BIG
    """Sentence for too many nodes, with ``{count}`` and ``{limit}``."""


@dataclass(frozen=True)
class Code:
    """An answer read as Python notation: a tree that holds only what the :class:`Syntax` allows."""

    tree: ast.expr
    """The expression, parsed and checked; never compiled."""
    text: str
    """The text that was parsed (after :func:`unwrap`); positions and carets refer to it."""

    def position(self, node: ast.AST) -> int | None:
        """Where ``node`` starts in :attr:`text`, in characters."""
        return position(node, self.text)

    def refuse(self, message: str, node: ast.AST | None = None) -> Unreadable:
        """The Unreadable to raise for ``node`` (or for the whole answer), with its caret."""
        return Unreadable(message, self.text, None if node is None else position(node, self.text))


def unwrap(text: str, *, quotes: bool = False, trailing: str = ",") -> str:
    """Code as typed in prose → the code: one place for what students put around it.

    Typographic characters become ASCII (``−`` → ``-``, ``×`` → ``*``, curly
    quotes → straight ones); surrounding spaces, Markdown backticks (also a
    ```` ```python ```` fence), TeX ``$…$`` and ``\\texttt{…}`` are dropped, and so
    is trailing punctuation; with ``quotes``, quotes around the whole answer too.
    TeX's and Markdown's escaped underscore ``\\_`` is an underscore (``$W\\_o$``):
    in Python it could only be a stray backslash, which no answer means.
    """
    cleaned = text.translate(_CHARACTERS).strip()
    while True:
        before = cleaned
        cleaned = cleaned.rstrip(trailing).strip() if trailing else cleaned
        texttt = _TEXTTT.fullmatch(cleaned)
        if texttt and _balanced(texttt.group(1)):
            cleaned = texttt.group(1).strip()
        cleaned = _TEXTTT_PIECE.sub(lambda piece: piece.group(1), cleaned).replace("\\_", "_")
        marks = _MARKS + (_QUOTES if quotes else ())
        for mark in marks:
            if len(cleaned) > 2 * len(mark) and cleaned.startswith(mark) and cleaned.endswith(mark):
                cleaned = cleaned[len(mark) : -len(mark)]
                if mark == "```":  # a fenced block may name its language first
                    cleaned = _FENCE_LANGUAGE.sub("", cleaned)
                cleaned = cleaned.strip()
                break
        if cleaned == before:
            return cleaned


def _balanced(text: str) -> bool:
    """True when ``text`` closes every brace it opens, in order: ``\\texttt{a} + \\texttt{b}``
    is not one wrapped piece of code."""
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def read(text: str, syntax: Syntax, *, cleaned: bool = False) -> Code:
    """Raw answer → :class:`Code` checked against ``syntax``, or :class:`Unreadable`.

    ``cleaned=True`` when the caller has already applied :func:`unwrap` (and its
    own clean-up, such as removing a repeated template prefix).
    """
    if not isinstance(text, str):
        raise Unreadable(f"the answer is not text (got {type(text).__name__})")
    if len(text) > syntax.max_chars:
        raise Unreadable(syntax.too_long.format(length=len(text), limit=syntax.max_chars))
    source = text if cleaned else unwrap(text, quotes=syntax.unquote, trailing=syntax.trailing)
    try:
        # Parsing only: the tree is inspected below and never compiled or evaluated.
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        where = None if error.offset is None or error.lineno is None else _offset(source, error.lineno, error.offset)
        raise Unreadable(syntax.not_python.format(detail=error.msg), source, where) from None
    except (ValueError, RecursionError, MemoryError):  # null bytes, absurd nesting
        raise Unreadable(syntax.not_python.format(detail="it cannot be parsed"), source) from None
    count = sum(1 for _ in ast.walk(tree))
    if count > syntax.max_nodes:
        raise Unreadable(syntax.too_big.format(count=count, limit=syntax.max_nodes), source)
    code = Code(tree.body, source)
    _Checker(syntax, code).check(tree.body, 1)
    return code


def _offset(text: str, lineno: int, column: int) -> int:
    """A SyntaxError's place (1-based line, 1-based column in characters) → offset in ``text``;
    column 0 is what Python gives for an expression that ends too early: the end."""
    if column <= 0:
        return len(text)
    lines = text.splitlines(keepends=True)
    before = sum(len(line) for line in lines[: lineno - 1])
    return min(before + max(column - 1, 0), len(text))


class _Checker:
    """Walks a parsed tree and raises Unreadable at the first node the syntax does not allow."""

    def __init__(self, syntax: Syntax, code: Code) -> None:
        self.syntax = syntax
        self.code = code

    def refuse(self, node: ast.AST, what: str, kind: type | None = None) -> Unreadable:
        special = self.syntax.explain.get(kind or type(node))
        message = special or self.syntax.not_allowed.format(what=what)
        place = operator_position(node, self.code.text) if isinstance(node, ast.BinOp) else None
        if place is None:
            return self.code.refuse(message, node)
        return Unreadable(message, self.code.text, place)

    def check(self, node: ast.expr, depth: int) -> None:
        syntax = self.syntax
        if depth > syntax.max_depth:
            message = syntax.too_deep.format(depth=depth, limit=syntax.max_depth)
            raise self.code.refuse(message, node)
        if type(node) not in syntax.nodes:
            raise self.refuse(node, describe(node))
        if isinstance(node, ast.Constant) and type(node.value) not in syntax.constants:
            raise self.refuse(node, describe(node), type(node.value))
        if isinstance(node, ast.BinOp | ast.UnaryOp) and type(node.op) not in syntax.operators:
            raise self.refuse(node, describe(node), type(node.op))
        if isinstance(node, ast.Attribute) and not syntax.methods and dotted(node) is None:
            raise self.refuse(node, f"an attribute (.{node.attr}) of {describe(node.value)}")
        if isinstance(node, ast.Call):
            self._call(node, depth)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.check(child, depth + 1)

    def _call(self, node: ast.Call, depth: int) -> None:
        callee = node.func
        called_result = isinstance(callee, ast.Call) and self.syntax.call_results
        if not called_result and (
            not isinstance(callee, ast.Name | ast.Attribute) or (not self.syntax.methods and dotted(callee) is None)
        ):
            what = "a call of something that is not a name, such as f(x)(y) or f(x).g(y)"
            if self.syntax.methods:
                what = "a call of something that is not a name or a method, such as f(x)(y)"
            if self.syntax.call_results:
                what = "a call of something that is not a name, a method or a call, such as x[0](y)"
            raise self.refuse(node, what)
        self.check(callee, depth + 1)
        for argument in node.args:
            self.check(argument, depth + 1)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.refuse(keyword, "**keyword unpacking")
            if not self.syntax.keywords:
                raise self.refuse(keyword, f"a keyword argument ({keyword.arg}=...)")
            self.check(keyword.value, depth + 1)


def describe(node: ast.AST) -> str:
    """A node in a student's words, for "found …": ``a lambda``, ``text in quotes``, ``the operator **``."""
    if isinstance(node, ast.Constant):
        return _CONSTANTS.get(type(node.value)) or f"the constant {node.value!r}"
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        symbol = OPERATORS.get(type(node.op), type(node.op).__name__)
        return f"the operator {symbol}"
    if isinstance(node, ast.Attribute):
        return f"an attribute (.{node.attr})"
    if isinstance(node, ast.Name):
        return f"the name {node.id}"
    return _WHAT.get(type(node).__name__, f"Python syntax '{type(node).__name__}'")


def dotted(node: ast.AST) -> str | None:
    """``torch.nn.relu`` → "torch.nn.relu"; None for anything but a chain of names."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def position(node: ast.AST, text: str) -> int | None:
    """A node's offset in ``text`` in characters (ast counts lines, and UTF-8 bytes within one)."""
    lineno = getattr(node, "lineno", None)
    column = getattr(node, "col_offset", None)
    if lineno is None or column is None:
        return None
    lines = text.splitlines(keepends=True)
    before = "".join(lines[: lineno - 1])
    line = lines[lineno - 1] if lineno <= len(lines) else ""
    return len(before) + len(line.encode()[:column].decode(errors="ignore"))


def operator_position(node: ast.BinOp, text: str) -> int | None:
    """Where the operator of ``a ^ b`` stands: the first non-space after the left operand."""
    end_line, end_column = node.left.end_lineno, node.left.end_col_offset
    if end_line is None or end_column is None:
        return None
    lines = text.splitlines(keepends=True)
    before = "".join(lines[: end_line - 1])
    line = lines[end_line - 1] if end_line <= len(lines) else ""
    offset = len(before) + len(line.encode()[:end_column].decode(errors="ignore"))
    while offset < len(text) and text[offset] in " \t\n)":
        offset += 1
    return offset


def closest(name: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice ``name`` most likely misspells: the same but for case first, else the closest."""
    known = sorted(set(choices))
    same_but_case = [choice for choice in known if choice.lower() == name.lower() and choice != name]
    if same_but_case:
        return same_but_case[0]
    close = difflib.get_close_matches(name, known, n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(name: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """`` (did you mean Q?)`` for a misspelt name, or "" when nothing is close."""
    found = closest(name, choices, cutoff)
    return DID_YOU_MEAN.format(name=found) if found else ""


EXPRESSION_NODES: frozenset[type[ast.expr]] = frozenset(
    {ast.Name, ast.Attribute, ast.Constant, ast.UnaryOp, ast.BinOp, ast.Call}
)
"""Names, attributes, numbers, operators and calls: the smallest useful code syntax."""
INDEXING_NODES: frozenset[type[ast.expr]] = frozenset({ast.Subscript, ast.Slice, ast.Tuple, ast.List})
"""Indexing ``x[:, -1]`` and the tuples and lists it (and shapes) need."""
