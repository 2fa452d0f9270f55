"""Tokens → sympy, by recursive descent; sympy objects are built with constructors only.

Grammar (loosest first)::

    additive  := ['±'] term (('+' | '-' | '±') term)*      '±' only for the whole answer
    term      := unary ((op unary) | power)*               op: * / · × @ .   (juxtaposition)
    unary     := ('-' | '+') unary | power
    power     := atom postfix* ['^' unary]                 right-associative
    atom      := number | name | call | ( ) [ ] { } | √ | \\frac | Σ | ‖ ‖ | | | | ⟨ , ⟩

While parsing, a vector name is kept as a :class:`VecTerm` so that ``q^T k``,
``q·k`` and ``2 q k`` can become the inner product; anywhere else a vector
takes its scalar reading.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

import sympy

from autograder.mathread.api import (
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_INTEGER_DIGITS,
    MAX_NODES,
    dot_symbol,
)
from autograder.mathread.errors import ReadError
from autograder.mathread.names import Names
from autograder.mathread.normalize import GREEK_LETTERS, REALS, TRANSPOSE, Token
from autograder.mathread.prose import COMMON_WORDS, is_prose_word, looks_like_prose

GREEK_NAMES = frozenset(GREEK_LETTERS)
OPENERS = {"(": ")", "[": "]", "{": "}", "⟦": "⟧", "⌊": "⌋", "⌈": "⌉"}
#: ``⌊x⌋`` and ``⌈x⌉`` (also ``\\lfloor x \\rfloor``): brackets that round their inside.
ROUNDING = {"⌊": ("⌋", sympy.floor), "⌈": ("⌉", sympy.ceiling)}
CLOSERS = {closer: opener for opener, closer in OPENERS.items()}
PRODUCT_OPS = frozenset({"*", "/", "·", "×", "@", "."})
ADDITIVE_OPS = frozenset({"+", "-", "±", "∓"})
SINGLE_ARGUMENT = frozenset({"sqrt", "exp", "log", "ln", "abs", "norm", "floor", "ceil"})
POWER_ARGUMENT = frozenset({"exp", "log", "ln"})
"""Functions whose argument, written without brackets, is the power that follows (``\\ln x^2``)."""
MAX_ARGUMENTS = 16
UNDEFINED = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
#: ``mu_1``, ``q_D``: one component of a vector, outside ``Σ``; only an ellipsis sum
#: ``mu_1^2 + … + mu_d^2`` may use it. (No student can spell this function's name.)
COMPONENT = sympy.Function("component⟦⟧")
#: Stands for ``…`` between the terms of a sum while they are collected.
ELLIPSIS = "…"


ELEMENTARY: dict[str, Any] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "arcsin": sympy.asin,
    "arccos": sympy.acos,
    "arctan": sympy.atan,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "erf": sympy.erf,
}
"""Functions a spec may declare (``functions: [cos]``) that are then the real function, so an
answer using them is compared by value (``1 - cos(x)`` vs ``2 sin(x/2)^2``), not left as an
unknown function no number can be put into."""


@dataclass(frozen=True)
class VecTerm:
    """``coef · name`` (or ``coef · nameᵀ``) while it may still meet another vector."""

    coef: Any
    name: str
    transposed: bool = False
    start: int = 0
    """Where the vector's name was written, so a note quotes ``q k`` and not ``2 q k``."""


@dataclass(frozen=True)
class Node:
    value: Any
    """A sympy expression or a :class:`VecTerm`."""
    start: int
    end: int
    kind: str = ""
    """``norm`` for ``‖…‖`` (which may carry ``_2``)."""
    vector_power: tuple[VecTerm, Any] | None = None
    """``k^2`` for a declared vector k: the vector and the exponent. Alone it is read as before
    (the scalar reading of k); right after another vector (``q^Tk^2``) it is ``(q^T k)^2``,
    since the power of a vector is not defined."""


@dataclass
class _Sum:
    index: str | None
    components: dict[str, Any] = field(default_factory=dict)
    """Vector name → the placeholder standing for its component."""
    vectors: dict[Any, str] = field(default_factory=dict)


def _by_name(found: Iterable[str]) -> list[str]:
    return sorted(found, key=lambda name: (name.lower(), name))


def _latex(name: str) -> str:
    return f"\\{name}" if name in GREEK_NAMES else name


def _scalar_names(names: Names) -> list[str]:
    """The part's declared scalars, then its vectors: hints use the answer's own names only."""
    scalars = _by_name(name for name in names.symbols if name not in names.vectors)
    return scalars + [name for name in _by_name(names.vectors) if name not in scalars]


def expression_hint(names: Names) -> str:
    """A spelling example from the first declared names (no question's own preference)."""
    declared = _scalar_names(names) or ["x"]
    first = declared[0]
    product = f"2*{first}*{declared[1]}^2" if len(declared) > 1 else f"2*{first}^2"
    return f"{product}, sqrt({first}) or \\sqrt{{{_latex(first)}}}"


def not_defined(names: Names) -> str:
    """Why a name is refused: the question does not define it (a paper's ``n_k`` where the question has n);
    the declared names follow, so the author sees which one was meant."""
    return f"it is not defined in this question, whose symbols are {names.declared()}"


def vector_hint(names: Names) -> str:
    vectors = _by_name(names.vectors) or ["u", "v"]
    first, second = vectors[0], vectors[1] if len(vectors) > 1 else vectors[0]
    return f"{first}^T {second} or dot({first}, {second})"


def _sum_names(names: Names) -> tuple[str, str, str]:
    """A vector, a second vector and a size for the hints about sums (``Σ_i u_i v_i``)."""
    vectors = _by_name(names.vectors) or ["u", "v"]
    sizes = _by_name(name for name in names.symbols if name not in names.vectors) or ["n"]
    return vectors[0], vectors[1] if len(vectors) > 1 else vectors[0], sizes[0]


def sum_hint(names: Names) -> str:
    first, second, size = _sum_names(names)
    return f"\\sum_{{i=1}}^{{{size}}} {_latex(first)}_i^2 or \\sum_i {_latex(first)}_i {_latex(second)}_i"


def ellipsis_hint(names: Names) -> str:
    first, _, size = _sum_names(names)
    v = _latex(first)
    return f"\\sum_{{i=1}}^{{{size}}} {v}_i^2 or {v}_1^2 + \\dots + {v}_{size}^2"


def sum_help(names: Names) -> str:
    first, second, _ = _sum_names(names)
    return f"could only read a sum of products of two components, like Σ_i {first}_i {second}_i or Σ_i {first}_i²"


def check_balance(tokens: list[Token], source: str) -> None:
    """Brackets first, so ``sqrt(`` says what is missing instead of what came too early."""
    stack: list[Token] = []
    for token in tokens:
        if token.kind != "op":
            continue
        if token.text in OPENERS:
            stack.append(token)
            if len(stack) > MAX_DEPTH:
                raise ReadError(f"nested too deeply (more than {MAX_DEPTH} levels)", token.start)
        elif token.text in CLOSERS:
            shown = source[token.start : token.end] or token.text
            if not stack:
                raise ReadError(f"unbalanced '{shown}': no '{CLOSERS[token.text]}' before it", token.start)
            opener = stack.pop()
            if OPENERS[opener.text] != token.text:
                raise ReadError(
                    f"'{source[opener.start : opener.end] or opener.text}' is closed by '{shown}'",
                    token.start,
                )
    if stack:
        opener = stack[-1]
        shown = source[opener.start : opener.end] or opener.text
        raise ReadError(f"unbalanced '{shown}': missing '{OPENERS[opener.text]}'", opener.start)


def _shortened(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _number(text: str) -> Any:
    """``12``, ``0.25`` and ``1.2e-1`` (see the tokenizer) as exact rationals."""
    if "e" in text:
        mantissa, power = text.split("e")
        return _number(mantissa) * sympy.Integer(10) ** int(power)
    if "." not in text:
        return sympy.Integer(int(text))
    whole, fraction = text.split(".")
    scale = 10 ** len(fraction)
    return sympy.Rational(int(whole or "0") * scale + int(fraction), scale)


class Parser:
    def __init__(self, source: str, tokens: list[Token], names: Names, stop: int) -> None:
        self.source = source
        self.tokens = tokens
        self.names = names
        self.index = 0
        self.pending: list[Token] = []
        """Pieces of a split name, the next one last."""
        self.end = Token("end", "", stop, stop)
        self.previous: Token | None = None
        self.depth = 0
        self.nodes = 0
        self.bars = 0
        self.norms = 0
        self.sums: list[_Sum] = []
        self.notes: list[str] = []
        self.alternatives: tuple[Any, ...] = ()

    # --- the token stream -------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        if ahead < len(self.pending):
            return self.pending[-1 - ahead]
        index = self.index + ahead - len(self.pending)
        return self.tokens[index] if index < len(self.tokens) else self.end

    def take(self) -> Token:
        if self.pending:
            token = self.pending.pop()
        else:
            token = self.peek()
            if token.kind == "end":
                return token
            self.index += 1
        self.previous = token
        return token

    def at(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "op" and token.text == text

    def spelled(self, token: Token) -> str:
        return self.source[token.start : token.end] or token.text

    def fail(self, message: str, position: int | None, hint: str = "") -> NoReturn:
        raise ReadError(message, position, hint)

    def unexpected(self, token: Token) -> NoReturn:
        if token.kind == "op" and token.text == "'":
            self.fail("unexpected character '''", token.start)
        if token.kind == "end":
            if self.previous is None:
                self.fail("nothing to read", token.start)
            self.fail(f"incomplete: nothing after '{self.spelled(self.previous)}'", self.previous.start)
        self.fail(f"unexpected '{self.spelled(token)}'", token.start)

    def expect(self, closer: str, opener: Token) -> Token:
        if self.at(closer):
            return self.take()
        token = self.peek()
        if token.kind == "end":
            self.fail(f"unbalanced '{self.spelled(opener)}': missing '{closer}'", opener.start)
        self.unexpected(token)

    def count(self, position: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.fail(f"answer too complex (more than {MAX_NODES} parts)", position)

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"nested too deeply (more than {MAX_DEPTH} levels)", token.start)

    def split_first(self, token: Token) -> Token:
        """The first character (one Greek letter counts as one) of a name; the rest goes back."""
        if not token.offsets or self.source.startswith("\\", token.start):
            return token
        size = sum(1 for offset in token.offsets if offset == token.offsets[0])
        if size < len(token.text):
            self.pending.append(Token("name", token.text[size:], token.offsets[size], token.end, token.offsets[size:]))
            return Token("name", token.text[:size], token.start, token.offsets[size], token.offsets[:size])
        return token

    # --- values -----------------------------------------------------------

    def scalar(self, node: Node) -> Any:
        value = node.value
        if isinstance(value, VecTerm):
            return value.coef * self.names.scalar(value.name)
        return value

    def negate(self, node: Node) -> Any:
        value = node.value
        if isinstance(value, VecTerm):
            return replace(value, coef=-value.coef)
        return -value

    def inner(self, left: Node, right: Node, how: str) -> Node:
        first, second = left.value, right.value
        assert isinstance(first, VecTerm) and isinstance(second, VecTerm)
        span = self.source[max(left.start, first.start) : right.end].strip()
        if how == "×":
            self.fail(f"cannot read the cross product '{span}'", left.start, vector_hint(self.names))
        if second.transposed:
            self.fail(
                f"'{span}' is an outer product (a matrix); the inner product is {first.name}^T {second.name}",
                left.start,
                vector_hint(self.names),
            )
        if not first.transposed and how in ("juxt", "*"):
            self.notes.append(f"read '{span}' as the inner product {first.name}ᵀ{second.name}")
        value = first.coef * second.coef * dot_symbol(first.name, second.name, self.names.vocabulary)
        return Node(value, left.start, right.end)

    def inner_power(self, left: Node, right: Node, how: str) -> Node:
        """``q^T k^2`` → ``(q^T k)^2``: the other reading, ``q^T (k^2)``, is undefined for a vector."""
        assert right.vector_power is not None and isinstance(left.value, VecTerm)
        vector, power = right.vector_power
        first = left.value
        unit = Node(replace(first, coef=sympy.S.One), left.start, left.end)
        product = self.inner(unit, Node(replace(vector, coef=sympy.S.One), right.start, right.end), how)
        span = self.source[max(left.start, first.start) : right.end].strip()
        shown = f"({first.name}^T {vector.name})^{power}"
        self.notes.append(f"read '{span}' as {shown}: a power of the vector {vector.name} is not defined")
        value = first.coef * sympy.Pow(vector.coef * product.value, power)
        return Node(value, left.start, right.end)

    def norm_value(self, node: Node) -> Any:
        value = node.value
        if isinstance(value, VecTerm):
            length = sympy.sqrt(dot_symbol(value.name, value.name, self.names.vocabulary))
            return length if value.coef == 1 else sympy.Abs(value.coef) * length
        return sympy.Abs(value)

    def combine(self, left: Node, right: Node, how: str) -> Node:
        self.count(right.start)
        first, second = left.value, right.value
        if how == "/":
            denominator = self.scalar(right)
            if isinstance(first, VecTerm):
                value: Any = replace(first, coef=first.coef / denominator)
            else:
                value = first / denominator
        elif isinstance(first, VecTerm) and isinstance(second, VecTerm):
            return self.inner(left, right, how)
        elif isinstance(first, VecTerm):
            value = replace(first, coef=first.coef * second)
        elif isinstance(second, VecTerm):
            value = replace(second, coef=first * second.coef)
        else:
            value = sympy.Mul(first, second)
        return Node(value, left.start, right.end)

    def make_power(self, base: Node, exponent: Node) -> Node:
        power = self.scalar(exponent)
        value = self.scalar(base)
        if power.is_Number:
            if abs(power) > MAX_EXPONENT:
                self.fail(f"exponent too large (at most {MAX_EXPONENT})", exponent.start, "d^2 or d^(1/2)")
            coefficient = value.as_coeff_Mul()[0] if value.is_Mul else value
            if coefficient.is_Rational and coefficient != 0 and abs(power) > 1:
                size = math.log10(max(abs(int(coefficient.p)), int(coefficient.q)))
                if size * abs(power) > MAX_INTEGER_DIGITS:
                    self.fail(f"number too large (more than {MAX_INTEGER_DIGITS} digits)", base.start)
        return Node(sympy.Pow(value, power), base.start, exponent.end)

    # --- grammar ----------------------------------------------------------

    def read(self, *, allow_plus_minus: bool) -> tuple[Any, tuple[Any, ...]]:
        node = self.additive(top=allow_plus_minus)
        if self.peek().kind != "end":
            self.unexpected(self.peek())
        value = self.scalar(node)
        if value.has(COMPONENT):
            component = next(iter(value.atoms(COMPONENT)))
            vector = str(component.args[0])
            self.fail(
                f"'{vector}_{component.args[1]}' is a component of {vector}; write the sum "
                f"Σ_i {vector}_i … or {vector}^T …",
                node.start,
                vector_hint(self.names),
            )
        for candidate in (value, *self.alternatives):
            if candidate.has(*UNDEFINED):
                self.fail("the value is undefined (a division by zero?)", None)
        return value, self.alternatives

    def additive(self, *, top: bool = False) -> Node:
        sign = "+"
        if top and self.peek().kind == "op" and self.peek().text in ("±", "∓"):
            sign = self.take().text
        node = self.term()
        if sign == "+" and not (self.peek().kind == "op" and self.peek().text in ADDITIVE_OPS):
            return node
        terms = [(sign, node)]
        while self.peek().kind == "op" and self.peek().text in ADDITIVE_OPS:
            operator = self.take()
            if operator.text in ("±", "∓") and not top:
                self.plus_minus_misplaced(operator)
            if self.at(ELLIPSIS):
                dots = self.take()
                terms.append((operator.text, Node(ELLIPSIS, dots.start, dots.end)))
            else:
                terms.append((operator.text, self.term()))
            self.count(operator.start)
        if any(term.value is ELLIPSIS for _, term in terms):
            return self.ellipsis_sum(terms)
        with_plus_minus = [sign for sign, _ in terms if sign in ("±", "∓")]
        if len(with_plus_minus) > 1:
            self.fail("only one '±' can be read in an answer", node.start, "±sqrt(d)")

        def total(choice: int) -> Any:
            parts = []
            for sign, term in terms:
                value = self.scalar(term)
                factor = {"+": 1, "-": -1, "±": choice, "∓": -choice}[sign]
                parts.append(value if factor == 1 else -value)
            return sympy.Add(*parts)

        value = total(1)
        if with_plus_minus:
            self.alternatives = (value, total(-1))
        return Node(value, terms[0][1].start, terms[-1][1].end)

    def ellipsis_sum(self, terms: list[tuple[str, Node]]) -> Node:
        """``mu_1^2 + mu_2^2 + … + mu_d^2`` and ``q_1 k_1 + … + q_D k_D``: Σ over all components."""
        start, end = terms[0][1].start, terms[-1][1].end
        span = _shortened(self.source[start:end].strip(), 40)
        hint = ellipsis_hint(self.names)
        marks = [index for index, (_, term) in enumerate(terms) if term.value is ELLIPSIS]
        if len(marks) != 1 or marks[0] in (0, len(terms) - 1) or any(sign != "+" for sign, _ in terms[1:]):
            self.fail(f"could not read the sum '{span}': write it as a + b + … + z", start, hint)
        placeholders: dict[str, Any] = {}
        shapes: list[Any] = []
        indices: list[Any] = []
        for _, term in terms:
            if term.value is ELLIPSIS:
                continue
            value = self.scalar(term)
            components = value.atoms(COMPONENT)
            found = {component.args[1] for component in components}
            if len(found) != 1:
                self.fail(f"could not read the sum '{span}': each term needs components with one index", start, hint)
            replacements = {}
            for component in components:
                vector = str(component.args[0])
                if vector not in placeholders:
                    placeholders[vector] = sympy.Dummy(f"{vector}_i")
                replacements[component] = placeholders[vector]
            shapes.append(value.xreplace(replacements))
            indices.append(found.pop())
        if any(shape != shapes[0] for shape in shapes[1:]):
            self.fail(f"could not read the sum '{span}': its terms do not follow one pattern", start, hint)
        before = indices[: marks[0]]
        if before != list(range(1, len(before) + 1)) or indices[-1].is_Number:
            self.fail(
                f"could not read the sum '{span}': it should run over the components 1, 2, …, d",
                start,
                hint,
            )
        context = _Sum("i", {name: dummy for name, dummy in placeholders.items()})
        context.vectors = {dummy: name for name, dummy in placeholders.items()}
        token = Token("op", "Σ", start, end)
        value = self.sum_value(context, Node(shapes[0], start, end), sympy.S.One, indices[-1], token)
        self.notes.append(f"read '{span}' as a sum over all the components")
        return Node(value, start, end)

    def plus_minus_misplaced(self, token: Token) -> NoReturn:
        self.fail("'±' can only be used for the whole answer, as in ±sqrt(d)", token.start)

    def starts_atom(self, token: Token) -> bool:
        if token.kind in ("num", "name"):
            return True
        if token.kind != "op":
            return False
        if token.text in ("(", "[", "{", "√", "frac", "Σ", "⟨", "⌊", "⌈"):
            return True
        if token.text == "‖":
            return self.norms == 0
        return token.text == "|" and self.bars == 0

    def term(self) -> Node:
        left = self.unary()
        # Scalar factors are multiplied once at the end: one sympy Mul instead of hundreds.
        factors: list[Any] = []
        after_division = False
        while True:
            token = self.peek()
            if token.kind == "op" and token.text == "//":
                left = self.floor_division(self.flush(left, factors))
                factors = []
                after_division = False
                continue
            if token.kind == "op" and token.text in PRODUCT_OPS:
                self.take()
                how = token.text
                right = self.unary()
            elif self.starts_atom(token):
                if token.kind == "num" and self.previous is not None and self.previous.kind == "num":
                    self.fail(
                        f"two numbers side by side: '{self.spelled(self.previous)} {self.spelled(token)}'",
                        token.start,
                        f"{self.spelled(self.previous)}*{self.spelled(token)}",
                    )
                how = "juxt"
                right = self.power()
                if after_division:
                    self.notes.append(
                        f"read '{self.source[left.start : right.end].strip()}' as "
                        f"({self.source[left.start : left.end].strip()})·"
                        f"{self.source[right.start : right.end].strip()}"
                    )
            else:
                return self.flush(left, factors)
            after_division = how == "/"
            if isinstance(left.value, VecTerm) and right.vector_power is not None and how != "/":
                left = self.inner_power(self.flush(left, factors), right, how)
                factors = []
                continue
            vectors = isinstance(left.value, VecTerm) or isinstance(right.value, VecTerm)
            if vectors and how != "/":
                left = self.combine(self.flush(left, factors), right, how)
                factors = []
            else:
                self.count(right.start)
                value = self.scalar(right)
                factors.append(sympy.Pow(value, -1) if how == "/" else value)
                left = Node(left.value, left.start, right.end, left.kind)

    def floor_division(self, left: Node) -> Node:
        """``a // b``, Python's floor division: ⌊a/b⌋, binding like ``/`` (left to right)."""
        self.take()
        right = self.unary()
        self.count(right.start)
        return Node(sympy.floor(self.scalar(left) / self.scalar(right)), left.start, right.end)

    def flush(self, node: Node, factors: list[Any]) -> Node:
        if not factors:
            return node
        value = node.value
        if isinstance(value, VecTerm):
            return Node(replace(value, coef=sympy.Mul(value.coef, *factors)), node.start, node.end)
        return Node(sympy.Mul(value, *factors), node.start, node.end)

    def unary(self) -> Node:
        token = self.peek()
        if token.kind == "op" and token.text in ("-", "+"):
            self.take()
            self.enter(token)
            operand = self.unary()
            self.depth -= 1
            value = self.negate(operand) if token.text == "-" else operand.value
            return Node(value, token.start, operand.end)
        if token.kind == "op" and token.text in ("±", "∓"):
            self.plus_minus_misplaced(token)
        return self.power()

    def power(self) -> Node:
        node = self.postfix(self.atom())
        if self.at("^"):
            self.take()
            exponent = self.unary()
            was_norm = node.kind == "norm"
            vector = node.value if isinstance(node.value, VecTerm) and not node.value.transposed else None
            node = self.make_power(node, exponent)
            if vector is not None:
                node = replace(node, vector_power=(vector, self.scalar(exponent)))
            if was_norm and self.at("_"):
                self.norm_subscript()
        return node

    def postfix(self, node: Node) -> Node:
        while True:
            if self.at("^") and self.transpose_follows(node):
                node = self.transposed(node)
            elif self.at(".") and self.peek(1).kind == "name" and self.peek(1).text == "T":
                self.take()
                self.take()
                node = self.transposed(node)
            elif self.at("_") and node.kind == "norm":
                self.norm_subscript()
            elif self.at("'"):
                if not isinstance(node.value, VecTerm):
                    self.fail("unexpected character '''", self.peek().start, vector_hint(self.names))
                self.take()
                node = self.transposed(node)
            else:
                return node

    def transposed(self, node: Node) -> Node:
        value = node.value
        if isinstance(value, VecTerm):
            value = replace(value, transposed=not value.transposed)
        assert self.previous is not None
        return Node(value, node.start, self.previous.end)

    def transpose_follows(self, node: Node) -> bool:
        """Consume ``^T``, ``^\\top``, ``^{T}``, ``ᵀ`` (and the ``T`` of ``q^Tk``)."""
        mark = self.peek(1)
        is_vector = isinstance(node.value, VecTerm)
        t_is_free = "T" not in self.names.symbols
        if mark.kind == "name":
            if mark.text == TRANSPOSE or (mark.text == "T" and (t_is_free or is_vector)):
                self.take()
                self.take()
                return True
            if mark.text.startswith("T") and not mark.piece and is_vector and t_is_free:
                self.take()
                self.take()
                self.pending.append(Token("name", mark.text[1:], mark.offsets[1], mark.end, mark.offsets[1:]))
                return True
            return False
        inside = self.peek(2)
        if self.at("{", 1) and inside.kind == "name" and inside.text in ("T", TRANSPOSE) and self.at("}", 3):
            for _ in range(4):
                self.take()
            return True
        return False

    def norm_subscript(self) -> None:
        mark = self.take()
        if self.peek().kind == "num" and self.peek().text == "2":
            self.take()
        elif self.at("{") and self.peek(1).text == "2" and self.at("}", 2):
            for _ in range(3):
                self.take()
        else:
            vector = _sum_names(self.names)[0]
            self.fail(f"only the 2-norm can be read, as in ‖{vector}‖_2", mark.start, f"\\|{_latex(vector)}\\|_2^2")

    def atom(self) -> Node:
        if self.peek().kind == "end":
            self.unexpected(self.peek())
        token = self.take()
        self.enter(token)
        self.count(token.start)
        if token.kind == "num":
            node = Node(_number(token.text), token.start, token.end)
        elif token.kind == "name":
            node = self.name(token)
        elif token.kind == "op" and token.text in ("(", "[", "{"):
            node = self.group(token)
        elif token.kind == "op" and token.text == "√":
            node = self.root(token)
        elif token.kind == "op" and token.text == "frac":
            node = self.fraction(token)
        elif token.kind == "op" and token.text == "Σ":
            node = self.sum(token)
        elif token.kind == "op" and token.text in ("‖", "|"):
            node = self.norm(token)
        elif token.kind == "op" and token.text == "⟨":
            node = self.angle(token)
        elif token.kind == "op" and token.text in ROUNDING:
            closer, rounding = ROUNDING[token.text]
            inner, end = self.inside(token, closer)
            node = Node(rounding(self.scalar(inner)), token.start, end.end)
        else:
            self.unexpected(token)
        self.depth -= 1
        return node

    def inside(self, opener: Token, closer: str) -> tuple[Node, Token]:
        """``additive closer``, with ``|`` and ``‖`` opening afresh inside brackets."""
        saved = self.bars, self.norms
        self.bars = self.norms = 0
        node = self.additive()
        end = self.expect(closer, opener)
        self.bars, self.norms = saved
        return node, end

    def group(self, opener: Token) -> Node:
        closer = OPENERS[opener.text]
        if self.at(closer):
            self.fail(f"empty brackets '{opener.text}{closer}'", opener.start)
        node, end = self.inside(opener, closer)
        return Node(node.value, opener.start, end.end)

    def argument(self, command: Token) -> Node:
        """One LaTeX argument: ``{…}``, or a single digit or letter (``\\frac12``, ``\\sqrt d``)."""
        token = self.peek()
        if token.kind == "end":
            self.fail(f"'{self.spelled(command)}' needs an argument", command.start, "\\frac{a}{b}")
        if token.kind == "num" and len(token.text) > 1 and token.text.isdigit():
            self.take()
            self.pending.append(Token("num", token.text[1:], token.start + 1, token.end))
            self.count(token.start)
            return Node(sympy.Integer(int(token.text[0])), token.start, token.start + 1)
        if token.kind == "name" and not token.piece:
            self.take()
            self.pending.append(self.split_first(token))
        return self.atom()

    def root(self, token: Token) -> Node:
        latex = self.source.startswith("\\", token.start)
        index = None
        if latex and self.at("["):
            opener = self.take()
            node, _ = self.inside(opener, "]")
            index = self.scalar(node)
        if self.peek().kind == "end":
            self.fail("'√' needs something to take the root of", token.start, "sqrt(n) or \\sqrt{n}")
        radicand = self.argument(token) if latex else self.atom()
        value = self.scalar(radicand)
        result = sympy.sqrt(value) if index is None else sympy.root(value, index)
        return Node(result, token.start, radicand.end)

    def fraction(self, token: Token) -> Node:
        numerator = self.argument(token)
        denominator = self.argument(token)
        return self.combine(numerator, denominator, "/")

    def norm(self, opener: Token) -> Node:
        bars = opener.text
        if bars == "‖":
            self.norms += 1
        else:
            self.bars += 1
        node = self.additive()
        end = self.expect(bars, opener)
        if bars == "‖":
            self.norms -= 1
        else:
            self.bars -= 1
        # |‖w‖| (and ||…|| typed as two bars each side) is the norm itself: no Abs around it.
        value = node.value if node.kind == "norm" else self.norm_value(node)
        return Node(value, opener.start, end.end, "norm")

    def angle(self, opener: Token) -> Node:
        saved = self.bars, self.norms
        self.bars = self.norms = 0
        first = self.additive()
        self.expect(",", opener)
        second = self.additive()
        end = self.expect("⟩", opener)
        self.bars, self.norms = saved
        return self.dot_of(first, second, opener, end)

    def dot_of(self, first: Node, second: Node, opener: Token, end: Token) -> Node:
        if not (isinstance(first.value, VecTerm) and isinstance(second.value, VecTerm)):
            self.fail(
                f"'{self.source[opener.start : end.end]}' needs two vectors",
                opener.start,
                vector_hint(self.names),
            )
        node = self.inner(replace(first, value=replace(first.value, transposed=True)), second, "call")
        return Node(node.value, opener.start, end.end)

    # --- names ------------------------------------------------------------

    def name(self, token: Token) -> Node:
        if not token.piece:
            token = self.merge_subscript(token)
        if not token.piece:
            if token.text == TRANSPOSE:
                self.fail("unexpected transpose mark", token.start, vector_hint(self.names))
            if token.text == REALS:
                self.fail("ℝ can only start a shape, as in ℝ^{b×t×c}", token.start)
            cuts = self.names.split(token.text)
            if cuts is None:
                constant = {"e": sympy.E, "pi": sympy.pi}.get(token.text)
                if constant is not None:
                    return Node(constant, token.start, token.end)
                self.unknown(token)
            pieces = [self.piece(token, start, end) for start, end in cuts]
            self.pending.extend(reversed(pieces[1:]))
            token = pieces[0]
        kind = self.names.kind(token.text)
        if not kind and token.text == "pi":  # a piece of a run such as πt
            return Node(sympy.pi, token.start, token.end)
        if kind == "function":
            return self.call(token)
        if kind == "vector":
            component = self.component(token)
            if component is None:
                component = self.numbered_component(token)
            if component is not None:
                return component
            if self.at("_") and self.peek(1).kind == "name":
                letter = self.peek(1).text
                self.fail(
                    f"'{token.text}_{letter}' is a component of {token.text}; write the sum "
                    f"Σ_{letter} {token.text}_{letter} … or {token.text}^T …",
                    token.start,
                    vector_hint(self.names),
                )
            vector = self.names.vector_name(token.text)
            return Node(VecTerm(sympy.S.One, vector, start=token.start), token.start, token.end)
        if self.at("_"):
            sub = self.peek(2) if self.at("{", 1) else self.peek(1)
            if sub.kind in ("name", "num"):
                end = self.peek(3).end if self.at("{", 1) and self.at("}", 3) else sub.end
                self.fail(
                    f"unknown name '{_shortened(self.source[token.start : end])}': {not_defined(self.names)}",
                    token.start,
                    expression_hint(self.names),
                )
            self.fail(
                f"cannot read the subscript after '{self.spelled(token)}'",
                self.peek().start,
                expression_hint(self.names),
            )
        return Node(self.names.symbols[token.text], token.start, token.end)

    def numbered_component(self, token: Token) -> Node | None:
        """``mu_1``, ``\\mu_{2}``, ``q_D`` (a declared size): one component, for ``a_1 + … + a_d``."""
        if not self.at("_"):
            return None
        braced = self.at("{", 1)
        sub = self.peek(2) if braced else self.peek(1)
        if braced and not self.at("}", 3):
            return None
        if sub.kind == "num" and sub.text.isdigit():
            index: Any = sympy.Integer(int(sub.text))
        elif sub.kind == "name":
            first = sub.text if braced else sub.text[:1]
            if self.names.kind(first) != "symbol":
                return None
            index = self.names.symbols[first]
        else:
            return None
        self.take()
        if braced:
            self.take()
            self.take()
            end = self.take()
        elif sub.kind == "name":
            end = self.split_first(self.take())
        else:
            end = self.take()
        vector = sympy.Symbol(self.names.vector_name(token.text))
        return Node(COMPONENT(vector, index), token.start, end.end)

    def piece(self, token: Token, start: int, end: int) -> Token:
        stop = token.offsets[end] if end < len(token.text) else token.end
        return Token("name", token.text[start:end], token.offsets[start], stop,
                     token.offsets[start:end], piece=True)  # fmt: skip

    def merge_subscript(self, token: Token) -> Token:
        """``x_1``, ``x_{1}``, ``x₁`` → ``x1``; ``n_in`` → ``n_in`` when that is declared."""
        if not self.at("_"):
            return token
        sub, size = self.peek(1), 2
        if self.at("{", 1) and self.at("}", 3):
            sub, size = self.peek(2), 4
        if sub.kind not in ("num", "name"):
            return token
        if sub.kind == "num" and sub.text.isdigit():
            merged = token.text + sub.text
            if self.names.split(merged) is None:
                if self.names.split(token.text) is None:
                    end = self.peek(size - 1).end
                    self.fail(
                        f"unknown name '{_shortened(self.source[token.start : end])}': {not_defined(self.names)}",
                        token.start,
                        expression_hint(self.names),
                    )
                return token
            piece = False
        else:
            merged = f"{token.text}_{sub.text}"
            if self.names.kind(merged) not in ("symbol", "vector"):
                return token
            piece = True
        for _ in range(size):
            last = self.take()
        offsets = token.offsets + (sub.start,) * (len(merged) - len(token.text))
        return Token("name", merged, token.start, last.end, offsets, piece=piece)

    def unknown(self, token: Token) -> NoReturn:
        start, end = self.names.unknown_part(token.text)
        part = _shortened(token.text[start:end])
        position = token.offsets[start] if token.offsets else token.start
        whole_word = token.text.isalpha() and is_prose_word(token.text, self.names)
        if whole_word and not self.at("("):
            first_word = looks_like_prose(self.source, self.names)
            if first_word is not None or token.text.lower() in COMMON_WORDS:
                self.fail(
                    "this looks like prose: write only the expression (explanations are fine after a comma)",
                    token.start if first_word is None else first_word,
                    expression_hint(self.names),
                )
        if self.at("(") and start == 0 and end == len(token.text):
            allowed = ", ".join(sorted(self.names.callables))
            self.fail(
                f"unknown function '{part}'; this answer may use: {allowed}",
                position,
                expression_hint(self.names),
            )
        self.fail(
            f"unknown name '{part}': {not_defined(self.names)}",
            position,
            expression_hint(self.names),
        )

    def component(self, token: Token) -> Node | None:
        """``w_i`` inside a sum over ``i``: a placeholder for the component."""
        if not self.sums or not self.at("_"):
            return None
        braced = self.at("{", 1)
        sub = self.peek(2) if braced else self.peek(1)
        if sub.kind != "name" or (braced and not self.at("}", 3)):
            return None
        context = self.sums[-1]
        self.take()
        if braced:
            self.take()
            letter = self.take()
            end = self.take()
        else:
            letter = self.split_first(self.take())
            end = letter
        if context.index is None:
            context.index = letter.text
        if letter.text != context.index:
            self.fail(f"'{letter.text}' is not the summation index '{context.index}'", letter.start)
        vector = self.names.vector_name(token.text)
        placeholder = context.components.get(vector)
        if placeholder is None:
            placeholder = sympy.Dummy(f"{vector}_{letter.text}")
            context.components[vector] = placeholder
            context.vectors[placeholder] = vector
        return Node(placeholder, token.start, end.end)

    # --- functions and sums -------------------------------------------------

    def call(self, token: Token) -> Node:
        name = token.text
        if name == "sum":
            if self.at("_") or self.at("^"):
                return self.sum(token)  # sum_i mu_i^2, typed without the backslash
            return self.sum_call(token)
        base = None
        if name == "log" and self.at("_"):
            base = self.scalar(self.argument(self.take()))
        if self.at("(") or self.at("{"):
            arguments, end = self.arguments()
        elif name in SINGLE_ARGUMENT and self.starts_atom(self.peek()):
            # \log \sigma^2 is log(σ²), as in print: without brackets a log or exp takes the
            # power that follows; the others take one atom (\sqrt 2 x is √2·x).
            argument = self.power() if name in POWER_ARGUMENT else self.atom()
            arguments, end = [argument], argument.end
        else:
            self.fail(f"'{name}' needs its argument in brackets, as in {name}(…)", token.start)
        return Node(self.apply(token, arguments, base), token.start, end)

    def arguments(self) -> tuple[list[Node], int]:
        opener = self.take()
        closer = OPENERS[opener.text]
        if self.at(closer):
            self.fail(f"empty brackets '{opener.text}{closer}'", opener.start)
        saved = self.bars, self.norms
        self.bars = self.norms = 0
        arguments = [self.additive()]
        while self.at(","):
            comma = self.take()
            if len(arguments) >= MAX_ARGUMENTS:
                self.fail(f"too many arguments (at most {MAX_ARGUMENTS})", comma.start)
            arguments.append(self.additive())
        end = self.expect(closer, opener)
        self.bars, self.norms = saved
        return arguments, end.end

    def apply(self, token: Token, arguments: list[Node], base: Any) -> Any:
        name = token.text
        if name == "dot":
            if len(arguments) != 2:
                self.fail("dot(…) takes two vectors", token.start, vector_hint(self.names))
            assert self.previous is not None
            return self.dot_of(arguments[0], arguments[1], token, self.previous).value
        if name in ("max", "min"):
            values = [self.scalar(argument) for argument in arguments]
            # sympy compares symbolic arguments pairwise with costly assumption queries.
            exact = all(value.is_Rational for value in values)
            extreme = sympy.Max if name == "max" else sympy.Min
            return extreme(*values, evaluate=exact)
        if name in self.names.functions and name in ELEMENTARY and len(arguments) == 1:
            return ELEMENTARY[name](self.scalar(arguments[0]))  # a declared cos is the cosine
        if name in self.names.functions and name not in SINGLE_ARGUMENT:
            function: Any = sympy.Function(name)
            return function(*(self.scalar(argument) for argument in arguments))
        if len(arguments) != 1 and not (name == "norm" and len(arguments) == 2):
            self.fail(f"{name}(…) takes one argument", token.start, expression_hint(self.names))
        if name in ("abs", "norm"):
            return self.norm_value(arguments[0])
        value = self.scalar(arguments[0])
        if name == "sqrt":
            return sympy.sqrt(value)
        if name == "floor":
            return sympy.floor(value)
        if name == "ceil":
            return sympy.ceiling(value)
        if name == "exp":
            return sympy.exp(value)
        return sympy.log(value) if base is None else sympy.log(value, base)

    def sum(self, token: Token) -> Node:
        index: str | None = None
        lower: Any = None
        upper: Any = None
        while self.at("_") or self.at("^"):
            mark = self.take()
            if mark.text == "^":
                upper = self.scalar(self.argument(mark))
            elif self.at("{"):
                opener = self.take()
                letter = self.take()
                if letter.kind != "name" or len(letter.text) != 1:
                    self.fail("expected the summation index", letter.start, "\\sum_{i=1}^{d} q_i k_i")
                index = letter.text
                if self.at("="):
                    self.take()
                    lower = self.scalar(self.additive())
                self.expect("}", opener)
            else:
                letter = self.take()
                if letter.kind != "name":
                    self.fail("expected the summation index", letter.start, "\\sum_i q_i k_i")
                index = self.split_first(letter).text
                if self.at("="):  # Σ_i=1^d, typed without braces
                    self.take()
                    lower = self.scalar(self.argument(mark))
        context = _Sum(index)
        self.sums.append(context)
        summand = self.term()
        self.sums.pop()
        value = self.sum_value(context, summand, lower, upper, token)
        return Node(value, token.start, summand.end)

    def sum_call(self, token: Token) -> Node:
        if not self.at("("):
            self.fail("'sum' needs brackets, as in sum(mu_i^2)", token.start)
        context = _Sum(None)
        self.sums.append(context)
        summand, end = self.inside(self.take(), ")")
        self.sums.pop()
        return Node(self.sum_value(context, summand, None, None, token), token.start, end.end)

    def sum_value(self, context: _Sum, summand: Node, lower: Any, upper: Any, token: Token) -> Any:
        hint = sum_hint(self.names)
        components = context.vectors
        parts = []
        for term in sympy.Add.make_args(self.scalar(summand)):
            found: list[Any] = []
            rest: list[Any] = []
            for factor in sympy.Mul.make_args(term):
                if factor in components:
                    found.append(factor)
                elif factor.is_Pow and factor.base in components and factor.exp == 2:
                    found.extend([factor.base, factor.base])
                elif factor.free_symbols & set(components):
                    self.fail(sum_help(self.names), token.start, hint)
                else:
                    rest.append(factor)
            if len(found) == 2:
                first, second = components[found[0]], components[found[1]]
                dot = dot_symbol(first, second, self.names.vocabulary)
                parts.append(sympy.Mul(*rest, dot))
            elif len(found) == 1:
                # Σ_i w_i (a wrong answer, but a readable one): under the scalar reading
                # every component is w, so Σ_{i=1}^{n} w_i is n·w; without a range it stays
                # the sum of the components, the symbol Σw.
                vector = components[found[0]]
                if upper is not None:
                    start = sympy.S.One if lower is None else lower
                    total = (upper - start + 1) * self.names.scalar(vector)
                else:
                    total = sympy.Symbol(f"Σ{vector}", real=True)
                parts.append(sympy.Mul(*rest, total))
            elif not found and upper is not None:
                start = sympy.S.One if lower is None else lower
                parts.append(sympy.Mul(*rest, upper - start + 1))
            elif not found:
                self.fail("a sum needs its range, as in \\sum_{i=1}^{d}", token.start, hint)
            else:
                self.fail(sum_help(self.names), token.start, hint)
        return sympy.Add(*parts)
