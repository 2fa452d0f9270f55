"""Matrix formulas in math notation (LaTeX or Unicode), for ``matrix_expression``: the matrix
form ``φ(Q)(φ(K)ᵀV) / (φ(Q)(φ(K)ᵀ1))`` and the row-wise sum form
``V'_i = Σ_j φ(Q_i)ᵀφ(K_j)V_j / Σ_j φ(Q_i)ᵀφ(K_j)`` (``\\sum_{j=1}^{N}``, ``\\frac{…}{…}``,
``^\\top``, ``^T``), read into a small tree and evaluated numerically on the kind's random
matrices, so they are compared by value with the reference like any other answer.

The conventions of the math: juxtaposition (or ``·``) is the matrix product, a 1×1 result
multiplies like a number; ``X_i`` is row i of X as a column vector; ``1`` (``\\mathbf{1}``,
``1_N``) after a product is the all-ones column that fits; a fraction or ``/`` (``⊘``) by a
column divides each row; ``Σ_j`` sums the product that follows it over the rows of the
matrices it indexes with j. A formula with one index that no sum binds (``V'_i``) is read
row by row: row i of the result is its value at i. Two such indices are refused: the row
they give is ambiguous.

Security: the text is tokenized and parsed here, by hand; nothing is compiled or evaluated
but this tree, on the kind's own random arrays.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from autograder.mathread import Unreadable
from autograder.mathread.elision import right_of_equals

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

MAX_TOKENS = 400
MAX_DEPTH = 40
#: Most sums inside one another: each runs over every row, so evaluating costs rows^(this + 1).
MAX_NESTED_SUMS = 3
FEATURE_SPELLINGS = ("\\varphi", "\\phi", "φ", "ϕ")
"""How ``phi`` is typeset; read as the feature map ``phi`` when the part declares one of that name."""

#: Marks a formula as math notation rather than the Python-like one.
MATH_MARKS = re.compile(r"[\\$Σ∑⊘·]|_\{|\b[A-Za-z]_[A-Za-z]\b|[A-Za-z)]ᵀ[A-Za-z(]")

UNKNOWN = "'{name}' is not a declared matrix{maps}. Declared: {declared}."
UNEXPECTED = "unexpected '{text}' in the matrix formula"
END = "the formula ends too early"
TWO_FREE = (
    "The formula uses the indices {indices} outside any sum; a row-wise answer has one row index "
    "(V'_i = Σ_j …): write the others under a Σ."
)
INDEX_ONE = "'1' is the all-ones vector only after a matrix (X 1, X^T 1); write the product it belongs to."
TOO_LONG = "The formula is too long or nested too deeply to be read."
NESTED_SUMS = f"At most {MAX_NESTED_SUMS} sums inside one another are read."
SUM_INDEX = "Σ needs the index it sums over, as in Σ_j or \\sum_{{j=1}}^{{N}}."

MATMUL = "{expression} multiplies {left} by {right}: the inner sizes differ."
DIVIDE = "{expression} divides {left} by {right}: these shapes do not fit row by row."
ADD = "{expression} adds {left} and {right}: the shapes differ."
ROW_NOT_VECTOR = "Row {index} of your formula is {shape}, not a vector: V'_{index} should be one row of V'."
SUM_RANGE = "Σ_{index} runs over the rows of {names}, which have different numbers of rows."
NO_ROWS = "Σ_{index}: no matrix is indexed with {index}, so the rows it runs over are unknown."


@dataclass(frozen=True)
class Node:
    op: str
    """``matrix``, ``number``, ``one``, ``feature``, ``transpose``, ``product``, ``divide``, ``add``,
    ``subtract``, ``negate``, ``sum``."""
    args: tuple[Node, ...] = ()
    name: str = ""
    """The matrix or feature map; for ``sum`` the index."""
    index: str = ""
    """A matrix's row index (``Q_i``)."""
    value: float = 0.0
    bound: str = ""
    """A sum's upper bound as written (``N``), or empty."""
    row: bool = False
    """``X_{i·}``, ``X_{i,:}``: row i written as a row vector (plain ``X_i`` is a column)."""


@dataclass(frozen=True)
class MathFormula:
    tree: Node
    text: str
    """The formula as read, for the student to check (:func:`show`)."""
    row_index: str = ""
    """The index no sum binds (``i`` in ``V'_i = …``): the formula gives row i; empty: the whole matrix."""


class MathShapeProblem(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class _Token:
    kind: str
    text: str
    start: int


_TOKEN = re.compile(
    r"""(?P<space>\s+|\\[,;:!>]|\\quad|\\qquad|\\left|\\right|\\big|\\Big|\\bigg|\\Bigg|\\displaystyle)
    |(?P<transpose>\^\s*\{\s*(?:T|\\top|\\intercal|\\mathsf\{T\}|\\mathrm\{T\})\s*\}|\^\s*(?:T|\\top(?![A-Za-z])|\\intercal(?![A-Za-z]))|ᵀ)
    |(?P<one>\\mathbf\{1\}|\\mathbb\{1\}|\\vec\{1\}|\\boldsymbol\{1\}|\\one(?![A-Za-z])|𝟏)
    |(?P<feature>\\varphi|\\phi|φ|ϕ)
    |(?P<sum>\\sum|Σ|∑)
    |(?P<frac>\\frac|\\dfrac|\\tfrac)
    |(?P<times>\\cdot|\\times|·|\*)
    |(?P<divide>\\oslash|⊘|/|\\div)
    |(?P<command>\\[A-Za-z]+)
    |(?P<number>\d+(?:\.\d+)?)
    |(?P<name>[A-Za-z]+)
    |(?P<op>[-+()\[\]{}_^=',:])""",
    re.VERBOSE,
)
_WRAPPERS = re.compile(r"\\(?:mathbf|mathrm|boldsymbol|bm|mathit|text)\{([A-Za-z]+)\}")


def looks_like_math(text: str) -> bool:
    return MATH_MARKS.search(text) is not None


def read(text: str, matrices: Mapping[str, tuple[str, ...]], feature_maps: Mapping[str, str]) -> MathFormula:
    """Math-notation text → :class:`MathFormula`, or :class:`Unreadable` with what to change."""
    source = text.strip().strip("$").strip()
    source = _WRAPPERS.sub(lambda match: match.group(1), source)
    source = right_of_equals(source)
    parser = _Parser(_tokens(source), source, matrices, feature_maps)
    tree = parser.formula()
    free = sorted(_free(tree))
    if len(free) > 1:
        raise Unreadable(TWO_FREE.format(indices=", ".join(free)), source)
    row = free[0] if free else ""
    shown = (f"[row {row}] " if row else "") + show_node(tree)
    return MathFormula(tree, shown, row)


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise Unreadable(UNEXPECTED.format(text=source[position]), source, position)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
        if len(tokens) > MAX_TOKENS:
            raise Unreadable(TOO_LONG, source[:200])
    return tokens


def _split_names(
    tokens: list[_Token], matrices: Mapping[str, tuple[str, ...]], feature_maps: Mapping[str, str]
) -> list[_Token]:
    """``QK`` → ``Q K`` when every letter is a declared matrix (and ``QK`` is not a name)."""
    result: list[_Token] = []
    for number, token in enumerate(tokens):
        after_index = number > 0 and tokens[number - 1].text == "_"
        spelled = token.kind == "name" and token.text not in matrices and token.text not in feature_maps
        if spelled and not after_index and len(token.text) > 1 and all(char in matrices for char in token.text):
            result += [_Token("name", char, token.start + offset) for offset, char in enumerate(token.text)]
        else:
            result.append(token)
    return result


class _Parser:
    def __init__(
        self,
        tokens: list[_Token],
        source: str,
        matrices: Mapping[str, tuple[str, ...]],
        feature_maps: Mapping[str, str],
    ) -> None:
        self.tokens = _split_names(tokens, matrices, feature_maps)
        self.source = source
        self.matrices = matrices
        self.feature_maps = feature_maps
        self.at = 0
        self.depth = 0
        self.sums = 0

    # --- tokens ---

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise Unreadable(END, self.source, len(self.source))
        self.at += 1
        return token

    def is_op(self, *texts: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text in texts

    def expect(self, text: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != text:
            raise Unreadable(UNEXPECTED.format(text=token.text), self.source, token.start)

    def fail(self, token: _Token) -> Unreadable:
        return Unreadable(UNEXPECTED.format(text=token.text), self.source, token.start)

    # --- grammar ---

    def formula(self) -> Node:
        node = self.additive()
        token = self.peek()
        if token is not None:
            raise self.fail(token)
        return node

    def additive(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unreadable(TOO_LONG, self.source[:200])
        node = self.quotient()
        while self.is_op("+", "-"):
            op = "add" if self.take().text == "+" else "subtract"
            node = Node(op, (node, self.quotient()))
        self.depth -= 1
        return node

    def quotient(self) -> Node:
        node = self.chain()
        while (token := self.peek()) is not None and token.kind == "divide":
            self.take()
            node = Node("divide", (node, self.chain()))
        return node

    def chain(self) -> Node:
        """Factors side by side (or with ·): one matrix product, left to right."""
        factors = [self.factor()]
        while True:
            token = self.peek()
            if token is None:
                break
            if token.kind == "times":
                self.take()
                factors.append(self.factor())
            elif self.starts_factor(token):
                factors.append(self.factor())
            else:
                break
        node = factors[0]
        for factor in factors[1:]:
            node = Node("product", (node, factor))
        return node

    def starts_factor(self, token: _Token) -> bool:
        if token.kind in ("one", "feature", "sum", "frac", "number", "name"):
            return True
        return token.kind == "op" and token.text in ("(", "[", "{")

    def factor(self) -> Node:
        if self.is_op("-"):
            self.take()
            return Node("negate", (self.factor(),))
        token = self.peek()
        if token is not None and token.kind == "sum":
            return self.summation()
        return self.postfix(self.atom())

    def summation(self) -> Node:
        start = self.take()
        index, bound = "", ""
        if self.is_op("_"):
            self.take()
            if self.is_op("{"):
                self.take()
                index = self.take().text
                while not self.is_op("}"):
                    self.take()  # "= 1"
                self.take()
            else:
                index = self.take().text
        if self.is_op("^"):
            self.take()
            if self.is_op("{"):
                self.take()
                bound = self.take().text
                while not self.is_op("}"):
                    self.take()
                self.take()
            else:
                bound = self.take().text
        if not re.fullmatch(r"[A-Za-z]", index):
            raise Unreadable(SUM_INDEX, self.source, start.start)
        self.sums += 1
        if self.sums > MAX_NESTED_SUMS:
            raise Unreadable(NESTED_SUMS, self.source, start.start)
        body = self.chain()
        self.sums -= 1
        return Node("sum", (body,), name=index, bound=bound)

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token is not None and (token.kind == "transpose" or (token.kind == "op" and token.text == "'")):
                self.take()
                node = Node("transpose", (node,))
            elif node.op == "one" and self.is_op("_"):  # 1_N
                self.take()
                self.group_or_token()
            else:
                return node

    def group_or_token(self) -> None:
        if self.is_op("{"):
            self.take()
            while not self.is_op("}"):
                self.take()
        self.take()

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "one" or (token.kind == "number" and token.text == "1" and self.after_matrix()):
            return Node("one")
        if token.kind == "number":
            return Node("number", value=float(token.text))
        if token.kind == "frac":
            self.expect("{")
            numerator = self.additive()
            self.expect("}")
            self.expect("{")
            denominator = self.additive()
            self.expect("}")
            return Node("divide", (numerator, denominator))
        if token.kind == "op" and token.text in ("(", "[", "{"):
            closer = {"(": ")", "[": "]", "{": "}"}[token.text]
            inside = self.additive()
            self.expect(closer)
            return inside
        if token.kind == "feature" or (token.kind == "name" and token.text in self.feature_maps):
            name = "phi" if token.kind == "feature" else token.text
            if name not in self.feature_maps:
                raise self.unknown(token)
            opener = self.take()
            if opener.kind != "op" or opener.text not in ("(", "[", "{"):
                raise self.fail(opener)
            inside = self.additive()
            self.expect({"(": ")", "[": "]", "{": "}"}[opener.text])
            return Node("feature", (inside,), name=name)
        if token.kind == "name":
            return self.matrix(token)
        raise self.fail(token)

    def after_matrix(self) -> bool:
        """Is this ``1`` the right factor of a product (``X 1``, ``Xᵀ1``)?"""
        if self.at < 2:
            return False
        before = self.tokens[self.at - 2]
        return before.kind in ("transpose", "name") or (before.kind == "op" and before.text in (")", "]", "}", "'"))

    def matrix(self, token: _Token) -> Node:
        name = token.text
        if name not in self.matrices:
            raise self.unknown(token)
        index = ""
        if self.is_op("_"):
            self.take()
            if self.is_op("{"):
                self.take()
                index = self.take().text
                row = self.row_mark()
                self.expect("}")
            else:
                index = self.take().text
                row = False
            if not re.fullmatch(r"[A-Za-z]", index):
                raise Unreadable(UNEXPECTED.format(text=index), self.source, token.start)
            return Node("matrix", name=name, index=index, row=row)
        return Node("matrix", name=name)

    def row_mark(self) -> bool:
        """``·``, ``\\cdot``, ``,:`` or ``:`` after a row index: the row as a row vector."""
        token = self.peek()
        if token is not None and token.kind == "times":
            self.take()
            return True
        if self.is_op(","):
            self.take()
            self.expect(":")
            return True
        if self.is_op(":"):
            self.take()
            return True
        return False

    def unknown(self, token: _Token) -> Unreadable:
        maps = " or feature map" if self.feature_maps else ""
        declared = ", ".join([*self.matrices, *self.feature_maps])
        return Unreadable(UNKNOWN.format(name=token.text, maps=maps, declared=declared), self.source, token.start)


def _free(node: Node) -> set[str]:
    if node.op == "matrix":
        return {node.index} if node.index else set()
    found = set().union(*(_free(arg) for arg in node.args)) if node.args else set()
    return found - {node.name} if node.op == "sum" else found


def show_node(node: Node) -> str:
    """The tree in plain math notation: ``·`` for products, ``ᵀ``, parentheses where needed."""
    if node.op == "matrix":
        return (f"{node.name}_{node.index}" + ("·" if node.row else "")) if node.index else node.name
    if node.op == "number":
        return f"{node.value:g}"
    if node.op == "one":
        return "1"
    if node.op == "feature":
        return f"{node.name}({show_node(node.args[0])})"
    if node.op == "transpose":
        inner = show_node(node.args[0])
        return f"{inner}ᵀ" if node.args[0].op in ("matrix", "feature", "one") else f"({inner})ᵀ"
    if node.op == "negate":
        return f"-{_wrapped(node.args[0], ('add', 'subtract'))}"
    if node.op == "sum":
        return f"Σ_{node.name} {_wrapped(node.args[0], ('add', 'subtract', 'divide'))}"
    if node.op == "product":
        left = _wrapped(node.args[0], ("add", "subtract", "divide", "sum"))
        return f"{left}·{_wrapped(node.args[1], ('add', 'subtract', 'divide', 'product', 'sum'))}"
    if node.op == "divide":
        left = _wrapped(node.args[0], ("add", "subtract", "divide", "sum", "product"))
        return f"{left} / {_wrapped(node.args[1], ('add', 'subtract', 'divide', 'product', 'sum'))}"
    sign = "+" if node.op == "add" else "-"
    return f"{show_node(node.args[0])} {sign} {_wrapped(node.args[1], ('add', 'subtract'))}"


def _wrapped(node: Node, ops: tuple[str, ...]) -> str:
    text = show_node(node)
    return f"({text})" if node.op in ops else text


# --- evaluation ---------------------------------------------------------------------


@dataclass
class Evaluator:
    """Evaluates a :class:`MathFormula` on one draw of the kind's random matrices."""

    matrices: Mapping[str, Array]
    feature: Callable[[str, Array], Array]
    describe: Callable[[tuple[int, ...]], str]
    sizes: Mapping[str, int] = field(default_factory=dict)

    rows_as_rows: bool = False
    """Read a plain ``X_i`` as a row vector (the other convention, tried when columns do not compute)."""

    def result(self, formula: MathFormula) -> Array:
        """The formula's value, reading ``X_i`` as a column; when that does not compute, as a row
        (a write-up's ``φ(Q_i)(Σ_j φ(K_j)ᵀV_j)``): only one convention computes, so none is guessed."""
        try:
            return self._result(formula)
        except MathShapeProblem:
            if not formula.row_index or self.rows_as_rows:
                raise
            self.rows_as_rows = True
            try:
                return self._result(formula)
            except MathShapeProblem:
                self.rows_as_rows = False
                return self._result(formula)  # the column reading's message

    def _result(self, formula: MathFormula) -> Array:
        with np.errstate(all="ignore"):
            if not formula.row_index:
                return self.evaluate(formula.tree, {})
            count = self.rows(formula.tree, formula.row_index)
            rows = []
            for row in range(count):
                value = self.evaluate(formula.tree, {formula.row_index: row})
                if 1 not in value.shape:
                    shape = self.describe(tuple(value.shape))
                    raise MathShapeProblem(ROW_NOT_VECTOR.format(index=formula.row_index, shape=shape))
                rows.append(value.reshape(-1))
            return np.asarray(np.stack(rows), dtype=np.float64)

    def rows(self, node: Node, index: str) -> int:
        """How many rows the index runs over: those of the matrices it indexes (all the same)."""
        used = sorted(_indexed_with(node, index))
        counts = {int(self.as_matrix(name).shape[0]) for name in used}
        if not used:
            raise MathShapeProblem(NO_ROWS.format(index=index))
        if len(counts) > 1:
            raise MathShapeProblem(SUM_RANGE.format(index=index, names=", ".join(used)))
        return counts.pop()

    def as_matrix(self, name: str) -> Array:
        value = np.asarray(self.matrices[name], dtype=np.float64)
        return value.reshape(-1, 1) if value.ndim == 1 else value

    def evaluate(self, node: Node, bound: dict[str, int]) -> Array:
        if node.op == "matrix":
            value = self.as_matrix(node.name)
            if node.index:
                shape = (1, -1) if node.row or self.rows_as_rows else (-1, 1)
                return np.asarray(value[bound[node.index]].reshape(shape), dtype=np.float64)
            return value
        if node.op == "number":
            return np.full((1, 1), node.value)
        if node.op == "one":
            raise MathShapeProblem(INDEX_ONE)
        if node.op == "feature":
            inside = self.evaluate(node.args[0], bound)
            if inside.shape[0] == 1 and inside.shape[1] > 1:  # a row vector: its features, as a row
                return np.asarray(self.feature(node.name, inside), dtype=np.float64)
            if inside.shape[1] == 1 and inside.shape[0] > 1:  # a vector: its features, as a column
                return np.asarray(self.feature(node.name, inside.T).T, dtype=np.float64)
            return np.asarray(self.feature(node.name, inside), dtype=np.float64)
        if node.op == "transpose":
            first = node.args[0]
            if first.op == "one":
                raise MathShapeProblem(INDEX_ONE)
            return np.asarray(self.evaluate(first, bound).T, dtype=np.float64)
        if node.op == "negate":
            return np.asarray(-self.evaluate(node.args[0], bound), dtype=np.float64)
        if node.op == "sum":
            count = self.rows(node.args[0], node.name)
            values = [self.evaluate(node.args[0], {**bound, node.name: row}) for row in range(count)]
            if len({value.shape for value in values}) > 1:
                raise MathShapeProblem(SUM_RANGE.format(index=node.name, names=show_node(node.args[0])))
            return np.asarray(np.sum(values, axis=0), dtype=np.float64)
        if node.op == "product":
            return self.product(node, bound)
        left, right = self.evaluate(node.args[0], bound), self.evaluate(node.args[1], bound)
        expression = show_node(node)
        if node.op == "divide":
            fits = right.shape == (1, 1) or right.shape == left.shape
            fits = fits or right.shape == (left.shape[0], 1) or right.shape == (1, left.shape[1])
            if not fits:
                raise MathShapeProblem(
                    DIVIDE.format(expression=expression, left=self.shape(left), right=self.shape(right))
                )
            return np.asarray(left / right, dtype=np.float64)
        if left.shape != right.shape and (1, 1) not in (left.shape, right.shape):
            raise MathShapeProblem(ADD.format(expression=expression, left=self.shape(left), right=self.shape(right)))
        return np.asarray(left + right if node.op == "add" else left - right, dtype=np.float64)

    def product(self, node: Node, bound: dict[str, int]) -> Array:
        first, second = node.args
        left = self.evaluate(first, bound)
        if second.op == "one":
            return np.asarray(left @ np.ones((left.shape[1], 1)), dtype=np.float64)
        if second.op == "transpose" and second.args[0].op == "one":
            raise MathShapeProblem(INDEX_ONE)
        if first.op == "transpose" and first.args[0].op == "one":
            raise MathShapeProblem(INDEX_ONE)
        right = self.evaluate(second, bound)
        if left.shape == (1, 1) or right.shape == (1, 1):
            return np.asarray(left * right, dtype=np.float64)
        if left.shape[1] != right.shape[0]:
            raise MathShapeProblem(
                MATMUL.format(expression=show_node(node), left=self.shape(left), right=self.shape(right))
            )
        return np.asarray(left @ right, dtype=np.float64)

    def shape(self, value: Array) -> str:
        return self.describe(tuple(value.shape))


def names(node: Node) -> set[str]:
    """The matrices and feature maps a formula uses."""
    found = {node.name} if node.op in ("matrix", "feature") else set()
    return found.union(*(names(arg) for arg in node.args)) if node.args else found


def _indexed_with(node: Node, index: str) -> set[str]:
    if node.op == "matrix":
        return {node.name} if node.index == index else set()
    if node.op == "sum" and node.name == index:
        return set()  # a nested sum over the same letter binds it anew
    return set().union(*(_indexed_with(arg, index) for arg in node.args)) if node.args else set()
