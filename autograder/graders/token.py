"""``token``: a short code fragment (a blank in a code template), right when it
reads as the same normalized expression as the reference or an alternative.

Judged by structure, not spelling: ``heads * self.size`` ≡ ``self.size * heads``
(``*`` and ``+`` operands are sorted), spaces and surrounding backticks or quotes
do not matter, and the spec's ``aliases`` make two names the same. This is a
stand-in until a grader that runs the code replaces it.

Reading is the shared Python-notation reader's (:mod:`autograder.mathread.pycode`)
with a whitelist given here as data: :data:`SYNTAX` for this kind (names,
attribute chains, numbers, ``+ - * / //``, unary minus and calls of dotted
names). A blank of a code template is read by :func:`read_fragment` with the
wider syntax of :mod:`._blanks` (method calls, ``@``, indexing, tuples...).
The fragment is parsed and only looked at; it is never compiled, executed or
evaluated.

Params: ``alternatives``, ``aliases``, ``strip_prefix``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace

from autograder.graders import _blanks
from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable, Vocabulary, pycode
from autograder.problem import Part
from autograder.result import Outcome

#: Longest fragment read; a blank is a few tokens, and this keeps hostile input cheap.
MAX_CHARS = 300
#: Deepest expression read (nested operators and calls).
MAX_DEPTH = 40

CORRECT = "Correct."
CORRECT_ALTERNATIVE = "Correct (read as {shown}, which does the same here)."
INCORRECT = "Read as {shown}: not what this blank needs."
DID_YOU_MEAN = "You wrote {name}: did you mean {suggestion}?"
REMOVED_PREFIX = "Read without the template's own prefix '{prefix}'."

TOO_LONG = "The fragment is {length:,} characters long; a blank takes at most {limit} characters."
NOT_PYTHON = "This is not a Python expression: {detail}."
NOT_ALLOWED = (
    "Only names (x, self.size), numbers, + - * / //, indexing (x.shape[0]) and calls of names "
    "can be read here; found {what}."
)
TOO_DEEP = "The fragment is nested too deeply to be a blank of the template."

SYNTAX = pycode.Syntax(
    nodes=pycode.EXPRESSION_NODES | {ast.Subscript},
    operators=frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.USub, ast.UAdd}),
    constants=frozenset({int, float}),
    methods=False,
    keywords=True,
    max_chars=MAX_CHARS,
    max_depth=MAX_DEPTH,
    unquote=True,
    not_allowed=NOT_ALLOWED,
    too_long=TOO_LONG,
    not_python=NOT_PYTHON,
    too_deep=TOO_DEEP,
)
"""What the ``token`` kind reads: names, attribute chains, numbers, ``+ - * / //``,
unary signs, indexing with a number (``self.conv.weight.shape[0]``), calls of
dotted names with keyword arguments."""

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2, "@": 2, "**": 5}
_UNARY_PRECEDENCE = 3
_ATOM_PRECEDENCE = 6
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
    """Other fragments that do the same here (``heads * self.size`` for ``width``), read like answers."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Dotted name → the name it stands for (``F.relu: relu``). A name is replaced
    when it equals a key, or else when it starts with the longest key followed by a dot.
    Applied first, before ``strip_prefix``."""
    strip_prefix: tuple[str, ...] = ()
    """Dotted prefixes the template already writes before the blank (``torch.`` for
    ``torch.___``); an answer whose leading name repeats one is read without it. Applied
    after ``aliases`` (the first prefix that matches wins): with ``aliases: {torch.nn: nn}``
    and ``strip_prefix: [nn.]``, ``torch.nn.LayerNorm`` reads as ``LayerNorm``."""
    accepted: tuple[Fragment, ...] = field(default=(), metadata={"internal": True})
    """``alternatives`` as read (filled at load)."""


@dataclass(frozen=True)
class _Node:
    """A canonical expression: its text and how tightly it binds (for parentheses)."""

    text: str
    precedence: int


def check_prefixes(prefixes: tuple[str, ...]) -> None:
    """ValueError unless every ``strip_prefix`` entry is a dotted name (``torch.``, ``torch.nn.``):
    it is removed from the answer's leading name, so nothing else could ever match."""
    for prefix in prefixes:
        if not _prefix_stem(prefix):
            raise ValueError(f"strip_prefix: {prefix!r} is not a dotted name such as torch. or self.")


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    check_prefixes(params.strip_prefix)
    for name, target in params.aliases.items():
        for role, value in (("alias", name), ("alias target", target)):
            if not _DOTTED.fullmatch(value):
                raise ValueError(f"aliases: {role} {value!r} is not a dotted Python name")
    accepted = []
    for index, text in enumerate(params.alternatives):
        try:
            accepted.append(read_fragment(text, params, SYNTAX))
        except Unreadable as error:
            raise ValueError(f"alternatives[{index}]: cannot read {text!r}: {error.message}") from None
    return replace(params, accepted=tuple(accepted))


def read(text: str, part: Part) -> Fragment:
    params: Params = part.params
    return read_fragment(text, params, SYNTAX)


def read_fragment(text: str, params: Params, syntax: pycode.Syntax = _blanks.SYNTAX) -> Fragment:
    """Raw fragment → canonical :class:`Fragment`, or :class:`Unreadable`.

    ``syntax`` is the whitelist; by default that of a blank of a code template
    (:data:`._blanks.SYNTAX`), which the code kinds read with; the ``token`` kind
    itself reads with the narrower :data:`SYNTAX`.
    """
    sort_sums = syntax is SYNTAX
    if not isinstance(text, str) or len(text) > syntax.max_chars:
        return _canonical_code(pycode.read(text, syntax), params, (), sort_sums)
    cleaned = pycode.unwrap(text, quotes=syntax.unquote, trailing=syntax.trailing)
    return _canonical_code(pycode.read(cleaned, syntax, cleaned=True), params, (), sort_sums)


def _canonical_code(code: pycode.Code, params: Params, notes: tuple[str, ...], sort_sums: bool) -> Fragment:
    reading = _Reading(params.aliases, params.strip_prefix, _leading(code.tree), sort_sums)
    node = _canonical(code.tree, reading)
    return Fragment(text=node.text, names=frozenset(reading.names), notes=(*notes, *reading.notes))


@dataclass
class _Reading:
    """What canonical reading needs besides the tree: the aliases, the prefixes to strip from
    the leading name, and what it found (the names used, how the text was understood)."""

    aliases: dict[str, str]
    prefixes: tuple[str, ...]
    leading: ast.expr | None
    """The dotted name the fragment starts with (``torch.nn.LayerNorm`` of ``torch.nn.LayerNorm(d)``)."""
    sort_sums: bool = True
    """Read ``a + b`` as ``b + a``: for the ``token`` kind's names and numbers. Not for a blank,
    whose operands may be sequences (``x.shape[:1] + x.shape[2:]``), where order is meaning."""
    names: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def name(self, node: ast.expr, dotted: str) -> str:
        """A dotted name as read: aliases first, then (for the leading name only) a repeated
        template prefix removed, so ``torch.nn.X`` with ``torch.nn: nn`` and prefix ``nn.`` is ``X``."""
        name = _alias(dotted, self.aliases)
        if node is self.leading:
            for prefix in self.prefixes:
                stem = _prefix_stem(prefix)
                if stem and name.startswith(stem + "."):
                    name = name[len(stem) + 1 :]
                    self.notes.append(REMOVED_PREFIX.format(prefix=prefix))
                    break
        self.names.add(name)
        return name


def _prefix_stem(prefix: str) -> str:
    """``torch.nn.`` (or ``torch . nn .``) → ``torch.nn``; empty when the prefix is not a dotted name."""
    stem = re.sub(r"\s*\.\s*", ".", prefix.strip()).rstrip(".")
    return stem if _DOTTED.fullmatch(stem) else ""


def _leading(node: ast.expr) -> ast.expr | None:
    """The dotted name a fragment starts with, in source order; None when it starts otherwise
    (a number, a sign, a parenthesis)."""
    while pycode.dotted(node) is None:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.BinOp | ast.Compare):
            node = node.left
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            return None
    return node


def _canonical(node: ast.expr, reading: _Reading) -> _Node:
    """A checked tree → canonical text. The reader has bounded its depth and allowed only
    what the syntax names; a node type not handled here is one no syntax of this module allows."""
    name = pycode.dotted(node)
    if name is not None:
        return _Node(reading.name(node, name), _ATOM_PRECEDENCE)
    if isinstance(node, ast.Constant):
        text = "..." if node.value is Ellipsis else repr(node.value)
        return _Node(text, _ATOM_PRECEDENCE)
    if isinstance(node, ast.UnaryOp):
        return _unary(node, reading)
    if isinstance(node, ast.BinOp):
        return _binary(node, reading)
    if isinstance(node, ast.Call):
        return _call(node, reading)
    if isinstance(node, ast.Compare):
        return _compare(node, reading)
    if isinstance(node, ast.Attribute):  # of a computed value: f(x).shape
        return _Node(f"{_base(node.value, reading)}.{node.attr}", _ATOM_PRECEDENCE)
    if isinstance(node, ast.Subscript):
        index = _index(node.slice, reading)
        return _Node(f"{_base(node.value, reading)}[{index}]", _ATOM_PRECEDENCE)
    if isinstance(node, ast.Tuple):
        items = [_canonical(item, reading).text for item in node.elts]
        return _Node("(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")", _ATOM_PRECEDENCE)
    if isinstance(node, ast.List):
        return _Node("[" + ", ".join(_canonical(item, reading).text for item in node.elts) + "]", _ATOM_PRECEDENCE)
    raise Unreadable(NOT_ALLOWED.format(what=pycode.describe(node)))


def _unary(node: ast.UnaryOp, reading: _Reading) -> _Node:
    operand = _canonical(node.operand, reading)
    if isinstance(node.op, ast.UAdd):
        return operand
    if operand.text.startswith("-") and operand.precedence == _ATOM_PRECEDENCE:
        return _Node(operand.text[1:], _ATOM_PRECEDENCE)
    inner = operand.text if operand.precedence >= _UNARY_PRECEDENCE else f"({operand.text})"
    # A negative number is an atom: -1 reads the same wherever it stands.
    precedence = _ATOM_PRECEDENCE if isinstance(node.operand, ast.Constant) else _UNARY_PRECEDENCE
    return _Node(f"-{inner}", precedence)


def _base(node: ast.expr, reading: _Reading) -> str:
    """The text before ``.name``, ``(...)`` or ``[...]``: parenthesized unless it is a name,
    a call, an attribute or an index (``(-1).abs()``, ``(a + b).sum()``)."""
    text = _canonical(node, reading).text
    if isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.Subscript | ast.List | ast.Tuple):
        return text
    return f"({text})"


def _index(node: ast.expr, reading: _Reading) -> str:
    """The inside of ``[...]``: ``:, -1`` (a tuple of indices is written without parentheses)."""
    items = node.elts if isinstance(node, ast.Tuple) and node.elts else [node]
    return ", ".join(_index_item(item, reading) for item in items)


def _index_item(node: ast.expr, reading: _Reading) -> str:
    if not isinstance(node, ast.Slice):
        return _canonical(node, reading).text
    parts = [node.lower, node.upper] + ([node.step] if node.step is not None else [])
    return ":".join("" if part is None else _canonical(part, reading).text for part in parts)


def _binary(node: ast.BinOp, reading: _Reading) -> _Node:
    symbol = pycode.OPERATORS[type(node.op)]
    precedence = _PRECEDENCE[symbol]
    operands = _flatten(node, type(node.op))
    # Sequences are not commutative under + and *: [a] + [b] is not [b] + [a].
    commutative = symbol == "*" or (symbol == "+" and reading.sort_sums)  # seq * n == n * seq
    if commutative and not any(isinstance(operand, ast.List | ast.Tuple) for operand in operands):
        # a * b * c in any order and grouping reads as one sorted product; an operand of the same
        # precedence (a / b) keeps its parentheses, since a sorted order may put it anywhere.
        parts = sorted(_wrap(_canonical(operand, reading), precedence + 1) for operand in operands)
        return _Node(f" {symbol} ".join(parts), precedence)
    left = _canonical(node.left, reading)
    right = _canonical(node.right, reading)
    if symbol == "**":  # right-associative: the left operand needs parentheses at equal precedence
        return _Node(f"{_wrap(left, precedence + 1)} ** {_wrap(right, _UNARY_PRECEDENCE)}", precedence)
    # The right operand of - / // @ needs parentheses at equal precedence: a - (b - c).
    return _Node(f"{_wrap(left, precedence)} {symbol} {_wrap(right, precedence + 1)}", precedence)


def _flatten(node: ast.expr, op: type[ast.operator]) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, op):
        return _flatten(node.left, op) + _flatten(node.right, op)
    return [node]


def _wrap(node: _Node, precedence: int) -> str:
    return node.text if node.precedence >= precedence else f"({node.text})"


def _call(node: ast.Call, reading: _Reading) -> _Node:
    function = pycode.dotted(node.func)
    if function is not None:
        function = reading.name(node.func, function)
    elif isinstance(node.func, ast.Call):  # a call's result called: nn.ReLU()(h), the reader allowed it
        function = _base(node.func, reading)
    else:  # a method of a computed value: f(x).relu(), the reader allowed it
        assert isinstance(node.func, ast.Attribute)
        function = f"{_base(node.func.value, reading)}.{node.func.attr}"
    arguments = [_canonical(argument, reading).text for argument in node.args]
    keywords = sorted(f"{keyword.arg}={_canonical(keyword.value, reading).text}" for keyword in node.keywords)
    return _Node(f"{function}({', '.join(arguments + keywords)})", _ATOM_PRECEDENCE)


_COMPARE: dict[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
_COMPARE_PRECEDENCE = 0


def _compare(node: ast.Compare, reading: _Reading) -> _Node:
    """``h > 0``, ``0 < x <= 1`` as written (operands canonical); looser than any arithmetic.
    Which comparisons may be used is the allow-list's call (:mod:`._blanks`), not the reader's."""
    parts = [_wrap(_canonical(node.left, reading), _COMPARE_PRECEDENCE + 1)]
    for op, right in zip(node.ops, node.comparators, strict=True):
        parts.append(f"{_COMPARE[type(op)]} {_wrap(_canonical(right, reading), _COMPARE_PRECEDENCE + 1)}")
    return _Node(" ".join(parts), _COMPARE_PRECEDENCE)


def _alias(name: str, aliases: dict[str, str]) -> str:
    if name in aliases:
        return aliases[name]
    prefixes = [key for key in aliases if name.startswith(key + ".")]
    if prefixes:
        longest = max(prefixes, key=len)
        return aliases[longest] + name[len(longest) :]
    return name


def accepted(reference: Fragment, part: Part) -> tuple[Fragment, ...]:
    """The reference and the spec's alternatives, as read."""
    params: Params = part.params
    return (reference, *params.accepted)


_SIZE_CALL = re.compile(r"\.size\((-?\d+)?\)")


def same(answer: Fragment, other: Fragment) -> bool:
    """The same canonical text, reading a tensor's ``.size(i)`` as ``.shape[i]`` (and ``.size()``
    as ``.shape``): PyTorch defines them as one thing, and students write either."""
    return answer.text == other.text or _shape_spelling(answer.text) == _shape_spelling(other.text)


def _shape_spelling(text: str) -> str:
    return _SIZE_CALL.sub(lambda match: f".shape[{match.group(1)}]" if match.group(1) else ".shape", text)


def matches(answer: Fragment, other: Fragment, part: Part) -> bool:
    return same(answer, other)


def grade(answer: Fragment, reference: Fragment, part: Part) -> Outcome:
    # Cheapest first: the canonical text of the reference, then of each alternative.
    if same(answer, reference):
        return Outcome("correct", 1.0, _with_notes(CORRECT, answer), "token:equal")
    if any(same(answer, alternative) for alternative in accepted(reference, part)):
        message = CORRECT_ALTERNATIVE.format(shown=answer.text)
        return Outcome("correct", 1.0, _with_notes(message, answer), "token:alternative")
    sentences = [INCORRECT.format(shown=answer.text)]
    suggestions = misspellings(answer, accepted(reference, part))
    sentences += [DID_YOU_MEAN.format(name=name, suggestion=close) for name, close in suggestions]
    note = "token:misspelt" if suggestions else "token:different"
    return Outcome("incorrect", 0.0, _with_notes(" ".join(sentences), answer), note)


def misspellings(answer: Fragment, accepted: tuple[Fragment, ...]) -> list[tuple[str, str]]:
    """Names of the answer that look like a typo of an accepted name (``sigmiod``).

    The cutoff is high on purpose: a different real name (``size`` for
    ``self.size``, ``log_sigmoid`` for ``sigmoid``) is a wrong answer, and
    suggesting the accepted name would give the answer away.
    """
    known = set().union(*(fragment.names for fragment in accepted))
    found = []
    for name in sorted(answer.names - known):
        close = pycode.closest(name, known, cutoff=0.8)
        if close:
            found.append((name, close))
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
