"""``token``: a short code fragment (a blank in a code template), right when it
reads as the same normalized expression as the reference or an alternative.

Judged by structure, not spelling: ``num_heads * self.d_k`` ≡ ``self.d_k * num_heads``
(``*`` and ``+`` operands are sorted), spaces and surrounding backticks or quotes
do not matter, and the spec's ``aliases`` make two names the same. This is a
stand-in until a grader that runs the code replaces it.

Security: the fragment is parsed with :func:`ast.parse` and only looked at;
it is never compiled, executed or evaluated. Only names, attribute chains,
numbers, ``+ - * / //``, unary minus and calls of dotted names are accepted.

Params: ``alternatives``, ``aliases``, ``strip_prefix``.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field, replace

from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable, Vocabulary
from autograder.result import Outcome
from autograder.spec import Part

#: Longest fragment read; a blank is a few tokens, and this keeps hostile input cheap.
MAX_CHARS = 300
#: Deepest expression read (nested operators and calls).
MAX_DEPTH = 20

CORRECT = "Correct."
CORRECT_ALTERNATIVE = "Correct (read as {shown}, which does the same here)."
INCORRECT = "Read as {shown}: not what this blank needs."
DID_YOU_MEAN = "You wrote {name}: did you mean {suggestion}?"
REMOVED_PREFIX = "Read without the template's own prefix '{prefix}'."

TOO_LONG = "The fragment is {length:,} characters long; a blank takes at most {limit} characters."
NOT_PYTHON = "This is not a Python expression: {detail}."
NOT_ALLOWED = (
    "Only names (self.num_heads), numbers, + - * / // and calls of names can be read in a blank; found {what}."
)
TOO_DEEP = "The fragment is nested too deeply to be a blank of the template."
BAD_NAME = "'{name}' is not a dotted Python name (in {where})."

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
    "Starred": "a starred *argument",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield from",
    "Slice": "a slice",
}
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//"}
_COMMUTATIVE = {"+", "*"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2}
_UNARY_PRECEDENCE = 3
_ATOM_PRECEDENCE = 4
_DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass(frozen=True)
class Fragment:
    """A code fragment as read: its canonical text and the names it uses."""

    text: str
    """Canonical form: aliases applied, ``*``/``+`` operands sorted, minimal spacing."""
    names: frozenset[str]
    """Dotted names used (after aliases), function names of calls included."""
    notes: tuple[str, ...] = ()
    """How the text was understood, e.g. a repeated template prefix removed."""


@dataclass(frozen=True)
class Params:
    alternatives: tuple[str, ...] = ()
    """Other fragments that do the same here (``num_heads * self.d_k`` for ``d_model``)."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Dotted name → the name it stands for (``F.softmax: softmax``). A name is replaced
    when it equals a key, or else when it starts with the longest key followed by a dot."""
    strip_prefix: tuple[str, ...] = ()
    """Text the template already writes before the blank (``torch.`` for ``torch.___``);
    an answer that repeats it is read without it."""
    accepted: tuple[Fragment, ...] = field(default=(), metadata={"internal": True})
    """``alternatives`` as read (filled at load)."""


@dataclass(frozen=True)
class _Node:
    """A canonical expression: its text and how tightly it binds (for parentheses)."""

    text: str
    precedence: int


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    for name, target in params.aliases.items():
        for role, value in (("alias", name), ("alias target", target)):
            if not _DOTTED.fullmatch(value):
                raise ValueError(f"aliases: {role} {value!r} is not a dotted Python name")
    accepted = []
    for index, text in enumerate(params.alternatives):
        try:
            accepted.append(read_fragment(text, params))
        except Unreadable as error:
            raise ValueError(f"alternatives[{index}]: cannot read {text!r}: {error.message}") from None
    return replace(params, accepted=tuple(accepted))


def read(text: str, part: Part) -> Fragment:
    params: Params = part.params
    return read_fragment(text, params)


def read_fragment(text: str, params: Params) -> Fragment:
    """Raw fragment → canonical :class:`Fragment`, or :class:`Unreadable`."""
    if len(text) > MAX_CHARS:
        raise Unreadable(TOO_LONG.format(length=len(text), limit=MAX_CHARS))
    cleaned = _unwrap(text)
    notes: list[str] = []
    for prefix in params.strip_prefix:
        repeated = _prefix_pattern(prefix).match(cleaned)
        if prefix and repeated and repeated.end() < len(cleaned):
            cleaned = cleaned[repeated.end() :]
            notes.append(REMOVED_PREFIX.format(prefix=prefix))
            break
    try:
        # Parsing only: the tree is inspected below and never compiled or evaluated.
        tree = ast.parse(cleaned, mode="eval")
    except SyntaxError as error:
        position = None if error.offset is None else max(error.offset - 1, 0)
        raise Unreadable(NOT_PYTHON.format(detail=error.msg), cleaned, position) from None
    except (ValueError, RecursionError, MemoryError):  # null bytes, absurd nesting
        raise Unreadable(NOT_PYTHON.format(detail="it cannot be parsed"), cleaned) from None
    names: set[str] = set()
    node = _canonical(tree.body, params.aliases, names, cleaned, depth=0)
    return Fragment(text=node.text, names=frozenset(names), notes=tuple(notes))


def _prefix_pattern(prefix: str) -> re.Pattern[str]:
    """``torch.`` also matches ``torch . `` (Python allows spaces around a dot)."""
    return re.compile(r"\s*\.\s*".join(re.escape(piece) for piece in prefix.split(".")))


def _unwrap(text: str) -> str:
    """Drop what surrounds a fragment in prose: spaces, backticks, quotes, a trailing comma."""
    cleaned = text.strip()
    while True:
        before = cleaned
        cleaned = cleaned.rstrip(",").strip()
        for mark in ("```", "``", "`", '"', "'"):
            if len(cleaned) > 2 * len(mark) and cleaned.startswith(mark) and cleaned.endswith(mark):
                cleaned = cleaned[len(mark) : -len(mark)].strip()
                break
        if cleaned == before:
            return cleaned


def _canonical(node: ast.expr, aliases: dict[str, str], names: set[str], text: str, depth: int) -> _Node:
    if depth > MAX_DEPTH:
        raise Unreadable(TOO_DEEP, text, _position(node, text))
    deeper = depth + 1
    if isinstance(node, ast.Name | ast.Attribute):
        name = _alias(_dotted(node, text), aliases)
        names.add(name)
        return _Node(name, _ATOM_PRECEDENCE)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _Node(repr(node.value), _ATOM_PRECEDENCE)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _canonical(node.operand, aliases, names, text, deeper)
        if isinstance(node.op, ast.UAdd):
            return operand
        if operand.text.startswith("-") and operand.precedence == _ATOM_PRECEDENCE:
            return _Node(operand.text[1:], _ATOM_PRECEDENCE)
        inner = operand.text if operand.precedence >= _UNARY_PRECEDENCE else f"({operand.text})"
        # A negative number is an atom: -1 reads the same wherever it stands.
        precedence = _ATOM_PRECEDENCE if isinstance(node.operand, ast.Constant) else _UNARY_PRECEDENCE
        return _Node(f"-{inner}", precedence)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _binary(node, aliases, names, text, deeper)
    if isinstance(node, ast.Call):
        return _call(node, aliases, names, text, deeper)
    raise Unreadable(NOT_ALLOWED.format(what=_describe(node)), text, _position(node, text))


def _binary(node: ast.BinOp, aliases: dict[str, str], names: set[str], text: str, depth: int) -> _Node:
    symbol = _BINARY[type(node.op)]
    precedence = _PRECEDENCE[symbol]
    if symbol in _COMMUTATIVE:
        # a * b * c in any order and grouping reads as one sorted product.
        operands = [_canonical(operand, aliases, names, text, depth) for operand in _flatten(node, type(node.op))]
        parts = sorted(_wrap(operand, precedence) for operand in operands)
        return _Node(f" {symbol} ".join(parts), precedence)
    left = _canonical(node.left, aliases, names, text, depth)
    right = _canonical(node.right, aliases, names, text, depth)
    # The right operand of - / // needs parentheses at equal precedence: a - (b - c).
    right_text = right.text if right.precedence > precedence else f"({right.text})"
    return _Node(f"{_wrap(left, precedence)} {symbol} {right_text}", precedence)


def _flatten(node: ast.expr, op: type[ast.operator]) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, op):
        return _flatten(node.left, op) + _flatten(node.right, op)
    return [node]


def _wrap(node: _Node, precedence: int) -> str:
    return node.text if node.precedence >= precedence else f"({node.text})"


def _call(node: ast.Call, aliases: dict[str, str], names: set[str], text: str, depth: int) -> _Node:
    if not isinstance(node.func, ast.Name | ast.Attribute):
        what = "a call of something that is not a name, such as f(x)(y) or f(x).g(y)"
        raise Unreadable(NOT_ALLOWED.format(what=what), text, _position(node, text))
    function = _alias(_dotted(node.func, text), aliases)
    names.add(function)
    arguments = [_canonical(argument, aliases, names, text, depth).text for argument in node.args]
    keywords = []
    for keyword in node.keywords:
        if keyword.arg is None:
            raise Unreadable(NOT_ALLOWED.format(what="**keyword unpacking"), text, _position(keyword, text))
        value = _canonical(keyword.value, aliases, names, text, depth).text
        keywords.append(f"{keyword.arg}={value}")
    return _Node(f"{function}({', '.join(arguments + sorted(keywords))})", _ATOM_PRECEDENCE)


def _dotted(node: ast.expr, text: str) -> str:
    """``self.W_o`` → "self.W_o"; anything but a chain of names is Unreadable."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        what = f"an attribute of {_describe(node)}"
        raise Unreadable(NOT_ALLOWED.format(what=what), text, _position(node, text))
    parts.append(node.id)
    return ".".join(reversed(parts))


def _position(node: ast.expr | ast.keyword, text: str) -> int:
    """A node's offset in ``text`` in characters (ast counts lines, and bytes within one)."""
    lines = text.splitlines(keepends=True)
    before = "".join(lines[: node.lineno - 1])
    line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
    return len(before) + len(line.encode()[: node.col_offset].decode(errors="ignore"))


def _alias(name: str, aliases: dict[str, str]) -> str:
    if name in aliases:
        return aliases[name]
    prefixes = [key for key in aliases if name.startswith(key + ".")]
    if prefixes:
        longest = max(prefixes, key=len)
        return aliases[longest] + name[len(longest) :]
    return name


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        kind = {str: "text in quotes", bytes: "bytes", bool: "True/False"}.get(type(node.value))
        return kind or f"the constant {node.value!r}"
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.Call):
        return "a call"
    return _WHAT.get(type(node).__name__, f"Python syntax '{type(node).__name__}'")


def accepted(reference: Fragment, part: Part) -> tuple[Fragment, ...]:
    """The reference and the spec's alternatives, as read."""
    params: Params = part.params
    return (reference, *params.accepted)


def matches(answer: Fragment, other: Fragment, part: Part) -> bool:
    return answer.text == other.text


def grade(answer: Fragment, reference: Fragment, part: Part) -> Outcome:
    # Cheapest first: the canonical text of the reference, then of each alternative.
    if answer.text == reference.text:
        return Outcome("correct", 1.0, _with_notes(CORRECT, answer), "token:equal")
    if any(answer.text == alternative.text for alternative in accepted(reference, part)):
        message = CORRECT_ALTERNATIVE.format(shown=answer.text)
        return Outcome("correct", 1.0, _with_notes(message, answer), "token:alternative")
    sentences = [INCORRECT.format(shown=answer.text)]
    suggestions = misspellings(answer, accepted(reference, part))
    sentences += [DID_YOU_MEAN.format(name=name, suggestion=close) for name, close in suggestions]
    note = "token:misspelt" if suggestions else "token:different"
    return Outcome("incorrect", 0.0, _with_notes(" ".join(sentences), answer), note)


def misspellings(answer: Fragment, accepted: tuple[Fragment, ...]) -> list[tuple[str, str]]:
    """Names of the answer that look like a typo of an accepted name (``sofmax``).

    The cutoff is high on purpose: a different real name (``num_heads`` for
    ``self.num_heads``, ``log_softmax`` for ``softmax``) is a wrong answer, and
    suggesting the accepted name would give the answer away.
    """
    known = sorted(set().union(*(fragment.names for fragment in accepted)))
    found = []
    for name in sorted(answer.names - set(known)):
        same_but_case = [candidate for candidate in known if candidate.lower() == name.lower()]
        close = same_but_case or difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        if close:
            found.append((name, close[0]))
    return found


def _with_notes(message: str, answer: Fragment) -> str:
    return " ".join((*answer.notes, message))


def show(answer: Fragment) -> str:
    return answer.text


def names(answer: Fragment) -> set[str]:
    return set(answer.names)


KIND = GraderKind(
    name="token",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    example="a_name, self.an_attribute or 2 * a_name",
    prepare=prepare,
    names=names,
)
