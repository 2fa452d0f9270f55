"""``matrix_expression``: a formula over matrices in a numpy-like notation, such as
``f(A) @ (f(B).T @ C) / (f(A) @ f(B).T.sum(1))[:, None]``, right when it gives
the same matrix as the reference on random matrices.

The notation: ``@`` (matrix product), ``* / + -`` (elementwise, with numpy
broadcasting), ``**`` with a number, ``.T``, ``.sum(axis)``,
``.sum(axis=1, keepdims=True)``, ``sum(X, axis=0)`` (``sum(X)`` alone sums
the rows, as Python's ``sum`` does; ``np.sum(X)`` alone sums everything),
``ones(N)``, ``ones((N, 1))``, ``sqrt``, ``exp``, ``diag``, indexing with
``[:, None]`` or ``[None, :]``, numbers, the declared matrices, the declared
sizes (``N``) as numbers and the declared row-wise feature maps (``f(A)``).
``np.``/``numpy.``/``torch.``/``math.`` prefixes are allowed on functions.
numpy's other spellings of the product and the transpose are read as ``@`` and
``.T`` (:data:`PRODUCTS`, :data:`TRANSPOSES`): ``A.dot(B)``, ``np.dot(A, B)``,
``np.matmul(A, B)`` (also ``numpy.``, and ``torch.matmul``) are ``A @ B``, so
like ``@`` they need a matrix or a vector on both sides; ``A.transpose()``
with no arguments and ``np.transpose(A)`` are ``A.T``.

A feature map is a fixed random positive nonlinear map of each row,
f(x) = exp(x R) with a seeded R, so an expression that is right for every
f is right here, and one that treats f as linear or as the identity is not.
Both expressions are evaluated on ``draws`` sets of seeded random float64
matrices of the declared sizes (distinct for distinct names) and compared.
A shape error is a wrong answer, explained ("A @ B multiplies [N, C] by
[N, C]"); only syntax and unknown names make an answer unreadable.

The same formula in math notation (LaTeX or Unicode: ``φ(Q)(φ(K)ᵀV) / (φ(Q)φ(K)ᵀ1)``,
``\\frac{…}{…}``, and the row-wise form ``V'_i = Σ_j φ(Q_i)ᵀφ(K_j)V_j / Σ_j φ(Q_i)ᵀφ(K_j)``)
is read by :mod:`autograder.graders._matrix_math` when the spec sets ``math_notation`` (a
question that asks for numpy notation leaves it off), and evaluated on the same random
matrices; a row-wise formula gives row i of the result, compared with the whole reference.

Security: the answer is read by the shared Python-notation reader
(:mod:`autograder.mathread.pycode`) with the whitelist :data:`SYNTAX`, then
every node is checked against this kind's own rules (:func:`_check`); it is
never compiled, executed or evaluated. No attribute other than ``.T``,
``.sum``, the spellings above (rewritten in the tree before the check) and a
module prefix of an allowed function is accepted, so no dunder can be reached.

Params: ``matrices``, ``feature_maps``, ``sizes``, ``known_wrong``, ``draws``, ``math_notation``.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from autograder.graders import _matrix_math
from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable, Vocabulary, pycode
from autograder.problem import Part
from autograder.result import Outcome

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[np.float64]

MAX_CHARS = 1000
MAX_NODES = 200
MAX_CONSTANT = 1e6
MAX_EXPONENT = 8
MAX_ONES = 64
MAX_SIZE = 16
MAX_DRAWS = 10
#: Default sizes, given in order of first appearance to axis names the spec does not size.
DEFAULT_SIZES = (7, 3, 5, 6, 4, 8, 9, 10, 11, 12, 13, 14)
SEED = 20240611
MODULES = ("np", "numpy", "torch", "math")
FUNCTIONS = ("ones", "sum", "sqrt", "exp", "diag")
#: Module functions read as ``a @ b`` (module → names), and the method ``a.dot(b)``.
PRODUCTS = {"np": ("dot", "matmul"), "numpy": ("dot", "matmul"), "torch": ("matmul",)}
#: Modules whose ``transpose(a)`` is read as ``a.T``; the method ``a.transpose()`` too.
TRANSPOSES = ("np", "numpy")
AXIS_KEYWORDS = ("axis", "dim")
KEEPDIMS_KEYWORDS = ("keepdims", "keepdim")

CORRECT = "Correct."
CORRECT_SAME_VALUES = "Correct: gives the same matrix as the expected expression."
CORRECT_FORMULA = "Correct: read as {shown}, which gives the same matrix as the expected expression{rows}."
ROWS = " (row by row)"
WRONG_SHAPE = "Your expression gives {mine}; the expected result is {expected}."
ROW_SCALED = (
    "Each row of your result is a multiple of the expected row, but not the right one: "
    "check the normalizer (what each row is divided by)."
)
CONSTANT_FACTOR = "Your result is the expected one times a constant ({factor:.4g})."
DIFFERENT_VALUES = "Your expression gives a matrix of the expected shape {shape}, but different values."
NOT_FINITE = "Your expression divides by zero or overflows on some inputs."

MATMUL_INNER = "{expression} multiplies {left} by {right}: the inner sizes differ ({first} and {second})."
MATMUL_NUMBER = "{expression}: @ needs a matrix or a vector on both sides, but {operand} is a number."
NO_BROADCAST = (
    "{expression} combines {left} with {right}: these shapes do not broadcast (they line up from the "
    "right; [:, None] turns a vector into a column)."
)
BAD_AXIS = "{expression} sums over axis {axis}, but {operand} is {shape}."
FEATURE_OF_NUMBER = "{expression}: the feature map applies to the rows of a matrix (or to a vector), not to a number."
BAD_DIAG = "{expression}: diag takes a vector (or a matrix), but its argument is {shape}."
BAD_INDEX = "{expression} cannot index {shape}: {detail}."
BAD_POWER = "{expression}: the exponent must be a number."
CANNOT_EVALUATE = "{expression} cannot be evaluated: {detail}."
TOO_MANY_INDICES = "the index has {count} ':' but there are only {axes} axes to index"
MATMUL_BATCH = "the axes before the last two, {left} and {right}, do not broadcast"

TOO_LONG = "The answer is {length:,} characters long; a matrix expression is read up to {limit} characters."
TOO_BIG = "The expression has {count} parts; at most {limit} are read."
LATEX = (
    "This looks like math notation, and as such it could not be read: {detail}. Write it with the "
    "question's matrices (juxtaposition or · for products, ^T, \\frac or /, Σ_j for a row-wise sum), "
    "or in the Python-like notation: @ for matrix products, .T for a transpose{feature}, "
    "/ for elementwise division, .sum(1) or .sum(axis=1, keepdims=True) for sums."
)
NOT_NUMPY = (
    "This looks like LaTeX, which cannot be read here. Write the matrix expression in the Python-like "
    "notation: @ for matrix products, .T for a transpose{feature}, "
    "/ for elementwise division, .sum(1) or .sum(axis=1, keepdims=True) for sums."
)
LATEX_FEATURE = ", {name}({matrix}) for the feature map {name} of each row of {matrix}"
NOT_PYTHON = "This is not a matrix expression in the Python-like notation: {detail}."
NOT_ALLOWED = (
    "Only matrices, numbers, @ (or .dot, np.matmul) * / + - **, .T (or .transpose()), .sum, [:, None] "
    "and the listed functions can be used; found {what}."
)
PRODUCT_ARGUMENTS = "{name} multiplies two matrices: write {example}; found {found}."
TRANSPOSE_ARGUMENTS = (
    "{name} is read as a transpose of one matrix, with no axes (write {example}, or A.T); found {found}."
)
UNKNOWN_NAME = "'{name}' is not a declared matrix or size{suggestion}. Declared: {declared}."
FEATURE_MAP_ALONE = "{name} is a function of a matrix: write {name}({matrix})."
UNKNOWN_FUNCTION = "'{name}' is not a function that can be used here{suggestion}. Functions: {functions}."
WRONG_ARGUMENTS = "{name} takes {expected}; found {found}."
BAD_KEYWORD = "{name} accepts only {allowed} as keywords; found {keyword}."
BAD_KEYWORD_VALUE = "{keyword}= must be {expected}; found {found}."
BAD_SUBSCRIPT = "Indexing can only add axes, as in [:, None] or [None, :]; found [{found}]."
XOR = "^ is neither a transpose nor a power here: write .T for a transpose (A.T) and ** for a power (A ** 2)."
HUGE_CONSTANT = "The number {value} is too large to be read (at most {limit:g})."
BAD_EXPONENT = "Only a number from -{limit} to {limit} can be an exponent here; found {found}."
BAD_ONES = "ones takes a declared size such as N, a whole number up to {limit}, or a pair of them: ones((N, 1))."

SYNTAX = pycode.Syntax(
    nodes=pycode.EXPRESSION_NODES | pycode.INDEXING_NODES,
    operators=frozenset({ast.MatMult, ast.Mult, ast.Div, ast.Add, ast.Sub, ast.Pow, ast.USub, ast.UAdd}),
    # Text and True/False pass here so that _check can first say what is wrong with the names.
    constants=frozenset({int, float, bool, type(None), str}),
    methods=True,
    keywords=True,
    max_chars=MAX_CHARS,
    max_nodes=MAX_NODES,
    max_depth=MAX_NODES,
    explain={ast.BitXor: XOR},
    not_allowed=NOT_ALLOWED,
    too_long=TOO_LONG,
    not_python=NOT_PYTHON,
    too_big=TOO_BIG,
)
"""What a matrix expression may hold at all (the reader's whitelist); which names, functions,
attributes and indices it may use is checked by :func:`_check` with the part's declarations."""

_ASSIGNMENT = re.compile(r"\s*[A-Za-z_][\w']*\s*=(?!=)")


@dataclass(frozen=True)
class MatrixExpression:
    """An expression as read and checked against the whitelist."""

    tree: ast.expr
    """The validated tree (never compiled); a placeholder when :attr:`formula` is set."""
    text: str
    """Its canonical text (:func:`unparse`), or the math formula as read."""
    formula: _matrix_math.MathFormula | None = None
    """The answer in math notation, as read (evaluated instead of :attr:`tree`)."""


@dataclass(frozen=True)
class Params:
    matrices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Matrix name → its axis names (``A: [N, D]``)."""
    feature_maps: dict[str, str] = field(default_factory=dict)
    """Row-wise function name → the axis name of its output (``f: C``)."""
    sizes: dict[str, int] = field(default_factory=dict)
    """Axis name → size; the others get distinct defaults (7, 3, 5, 6, … in order of appearance)."""
    known_wrong: dict[str, str] = field(default_factory=dict)
    """Expression → message, for a typical mistake recognized by its values (a missing normalizer)."""
    draws: int = 3
    """How many random sets of matrices both expressions are compared on."""
    math_notation: bool = False
    """Also read the formula in math notation (``φ(Q)(φ(K)ᵀV) / (φ(Q)φ(K)ᵀ1)``, LaTeX, and the
    row-wise ``V'_i = Σ_j …``), compared by value like the numpy-like notation."""
    axis_sizes: dict[str, int] = field(default_factory=dict, metadata={"internal": True})
    """Every axis name's size (filled at load)."""
    known: tuple[tuple[MatrixExpression, str], ...] = field(default=(), metadata={"internal": True})
    """``known_wrong`` as read (filled at load)."""


class ShapeProblem(Exception):
    """An expression that does not compute: a wrong answer, with the sentence that explains it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    if not params.matrices:
        raise ValueError("matrices: declare at least one matrix and its axis names")
    if not 1 <= params.draws <= MAX_DRAWS:
        raise ValueError(f"draws: from 1 to {MAX_DRAWS}, not {params.draws}")
    axes: list[str] = []
    for name, shape in params.matrices.items():
        if not name.isidentifier():
            raise ValueError(f"matrices: {name!r} is not a Python name")
        if not 1 <= len(shape) <= 2:
            raise ValueError(f"matrices.{name}: a matrix has 1 or 2 axes, not {len(shape)}")
        axes += [axis for axis in shape if axis not in axes]
    for name, axis in params.feature_maps.items():
        if not name.isidentifier():
            raise ValueError(f"feature_maps: {name!r} is not a Python name")
        if axis not in axes:
            axes.append(axis)
    for axis, size in params.sizes.items():
        if axis not in axes:
            raise ValueError(f"sizes: {axis!r} is not an axis of any matrix or feature map")
        if not 2 <= size <= MAX_SIZE:
            raise ValueError(f"sizes: {axis} = {size}; sizes go from 2 to {MAX_SIZE}")
    free = (size for size in DEFAULT_SIZES if size not in params.sizes.values())
    axis_sizes = {axis: params.sizes[axis] if axis in params.sizes else next(free) for axis in axes}
    if len(set(axis_sizes.values())) != len(axis_sizes):
        # Distinct sizes are what make a transposed or mismatched product fail visibly.
        raise ValueError(f"sizes: the axes need distinct sizes, not {axis_sizes}")
    names = [*params.matrices, *params.feature_maps, *axis_sizes, *MODULES, *FUNCTIONS]
    if len(set(names)) != len(names):
        raise ValueError(f"matrices, feature_maps and axis names must all differ (and not be {FUNCTIONS})")
    prepared = replace(params, axis_sizes=axis_sizes)
    known = []
    for text, message in params.known_wrong.items():
        try:
            known.append((read_matrix_expression(text, prepared), message.strip()))
        except Unreadable as error:
            raise ValueError(f"known_wrong: cannot read {text!r}: {error.message}") from None
    return replace(prepared, known=tuple(known))


# --- reading: parse, then check every node against the whitelist ----------------------


def read(text: str, part: Part) -> MatrixExpression:
    params: Params = part.params
    return read_matrix_expression(text, params)


def read_matrix_expression(text: str, params: Params) -> MatrixExpression:
    """Raw text → :class:`MatrixExpression`, or :class:`Unreadable`. Nothing is evaluated."""
    if len(text) > MAX_CHARS:
        raise Unreadable(TOO_LONG.format(length=len(text), limit=MAX_CHARS))
    stripped = text.strip()
    if not params.math_notation:
        if "\\" in stripped or "$" in stripped:  # before the reader's clean-up, which drops $...$
            where = stripped.find("\\") if "\\" in stripped else stripped.find("$")
            raise Unreadable(NOT_NUMPY.format(feature=_latex_feature(params)), stripped[:200], where)
        return _read_python(stripped, params)
    if _matrix_math.looks_like_math(stripped):  # before the reader's clean-up, which drops $...$
        return _read_math(stripped, params)
    try:
        return _read_python(stripped, params)
    except Unreadable as error:
        if not error.message.startswith(NOT_PYTHON.split(":")[0]) and error.message != XOR:
            raise  # Python, refused by the whitelist (V[0]): not math either
        try:  # φ(Q)(φ(K)ᵀV) is no Python, but plain math
            return _read_math(stripped, params)
        except Unreadable:
            raise error from None


def _read_math(text: str, params: Params) -> MatrixExpression:
    try:
        formula = _matrix_math.read(text, params.matrices, params.feature_maps)
    except Unreadable as error:
        detail = error.message.rstrip(".")
        detail = detail[0].lower() + detail[1:] if detail[1:2].islower() else detail
        message = LATEX.format(detail=detail, feature=_latex_feature(params))
        raise Unreadable(message, error.text, error.position) from None
    return MatrixExpression(tree=ast.Constant(value=0), text=formula.text, formula=formula)


def _read_python(stripped: str, params: Params) -> MatrixExpression:
    cleaned = pycode.unwrap(stripped, trailing="")
    cleaned = cleaned.replace("ᵀ", ".T")
    if "phi" in params.feature_maps:
        cleaned = cleaned.replace("φ", "phi").replace("ϕ", "phi")
    assignment = _ASSIGNMENT.match(cleaned)
    if assignment:
        cleaned = cleaned[assignment.end() :].strip()
    code = pycode.read(cleaned, SYNTAX, cleaned=True)
    tree = _Spellings(code.text).visit(code.tree)
    _check(tree, params, code.text)
    return MatrixExpression(tree=tree, text=unparse(tree))


class _Spellings(ast.NodeTransformer):
    """numpy's other spellings rewritten in the tree (never run): ``A.dot(B)``, ``np.dot(A, B)``,
    ``np.matmul(A, B)`` → ``A @ B``; ``A.transpose()``, ``np.transpose(A)`` → ``A.T``. One form
    for each operation, so the canonical text, the evaluation and the messages need no others."""

    def __init__(self, text: str) -> None:
        self.text = text

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        func = node.func
        if not isinstance(func, ast.Attribute):
            return node
        module = func.value.id if isinstance(func.value, ast.Name) and func.value.id in MODULES else ""
        if module and func.attr in PRODUCTS.get(module, ()):
            self._expect(node, 2, PRODUCT_ARGUMENTS, f"{module}.{func.attr}(A, B)")
            return ast.copy_location(ast.BinOp(node.args[0], ast.MatMult(), node.args[1]), node)
        if module and module in TRANSPOSES and func.attr == "transpose":
            self._expect(node, 1, TRANSPOSE_ARGUMENTS, f"{module}.transpose(A)")
            return ast.copy_location(ast.Attribute(node.args[0], "T", ast.Load()), node)
        if not module and func.attr == "dot":
            self._expect(node, 1, PRODUCT_ARGUMENTS, "A.dot(B)")
            return ast.copy_location(ast.BinOp(func.value, ast.MatMult(), node.args[0]), node)
        if not module and func.attr == "transpose":
            self._expect(node, 0, TRANSPOSE_ARGUMENTS, "A.transpose()")
            return ast.copy_location(ast.Attribute(func.value, "T", ast.Load()), node)
        return node

    def _expect(self, node: ast.Call, count: int, message: str, example: str) -> None:
        if len(node.args) == count and not node.keywords:
            return
        found = f"{len(node.args)} argument(s)" + (" and keywords" if node.keywords else "")
        name = example.split("(")[0].replace("A.", ".")
        raise Unreadable(
            message.format(name=name, example=example, found=found), self.text, pycode.position(node, self.text)
        )


def _latex_feature(params: Params) -> str:
    """The feature-map clause of :data:`LATEX`, with the part's own names (none without feature maps)."""
    if not params.feature_maps or not params.matrices:
        return ""
    return LATEX_FEATURE.format(name=next(iter(params.feature_maps)), matrix=next(iter(params.matrices)))


def _check(node: ast.expr, params: Params, text: str) -> None:
    """Raise Unreadable unless ``node`` and everything under it is on the whitelist."""
    if isinstance(node, ast.Name):
        if node.id in params.matrices or node.id in params.axis_sizes:
            return
        if node.id in params.feature_maps:
            message = FEATURE_MAP_ALONE.format(name=node.id, matrix=next(iter(params.matrices), "A"))
            raise Unreadable(message, text, pycode.position(node, text))
        declared = [*params.matrices, *params.axis_sizes]
        raise Unreadable(
            UNKNOWN_NAME.format(
                name=node.id, suggestion=pycode.did_you_mean(node.id, declared), declared=", ".join(declared)
            ),
            text,
            pycode.position(node, text),
        )
    if isinstance(node, ast.Constant):
        _check_number(node, text)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        _check(node.operand, params, text)
        return
    if isinstance(node, ast.BinOp):
        if not isinstance(node.op, ast.MatMult | ast.Mult | ast.Div | ast.Add | ast.Sub | ast.Pow):
            raise Unreadable(NOT_ALLOWED.format(what=pycode.describe(node)), text, pycode.position(node, text))
        _check(node.left, params, text)
        if isinstance(node.op, ast.Pow):
            exponent = _signed_number(node.right)
            if exponent is None or abs(exponent) > MAX_EXPONENT:
                found = ast.unparse(node.right)
                raise Unreadable(
                    BAD_EXPONENT.format(limit=MAX_EXPONENT, found=found), text, pycode.position(node.right, text)
                )
            return
        _check(node.right, params, text)
        return
    if isinstance(node, ast.Attribute):
        if node.attr == "T":
            _check(node.value, params, text)
            return
        raise Unreadable(NOT_ALLOWED.format(what=f"the attribute .{node.attr}"), text, pycode.position(node, text))
    if isinstance(node, ast.Call):
        _check_call(node, params, text)
        return
    if isinstance(node, ast.Subscript):
        _check(node.value, params, text)
        _index(node, text)
        return
    raise Unreadable(NOT_ALLOWED.format(what=pycode.describe(node)), text, pycode.position(node, text))


_PRECEDENCE: dict[type[ast.operator], int] = {
    ast.Add: 1,
    ast.Sub: 1,
    ast.Mult: 2,
    ast.Div: 2,
    ast.MatMult: 2,
    ast.Pow: 4,
}
_SYMBOL: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.MatMult: "@",
    ast.Pow: "**",
}
_UNARY, _ATOM = 3, 5


def unparse(node: ast.expr) -> str:
    """A checked tree → canonical text, like :func:`ast.unparse` but with parentheses where
    ``@`` meets ``/`` or ``*``: Python reads ``A @ B / c`` as ``(A @ B) / c``, a student may not."""
    return _unparse(node)[0]


def _unparse(node: ast.expr) -> tuple[str, int]:
    if isinstance(node, ast.BinOp):
        precedence = _PRECEDENCE[type(node.op)]
        left, left_precedence = _unparse(node.left)
        if left_precedence < precedence or (
            left_precedence == precedence
            and isinstance(node.left, ast.BinOp)
            and type(node.left.op) is not type(node.op)
            and precedence == 2
        ):
            left = f"({left})"
        if isinstance(node.op, ast.Pow):
            if left_precedence <= precedence:
                left = f"({unparse(node.left)})"
            return f"{left} ** {ast.unparse(node.right)}", precedence
        right, right_precedence = _unparse(node.right)
        if right_precedence <= precedence:
            right = f"({right})"
        return f"{left} {_SYMBOL[type(node.op)]} {right}", precedence
    if isinstance(node, ast.UnaryOp):
        operand, operand_precedence = _unparse(node.operand)
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        return sign + (operand if operand_precedence >= _UNARY else f"({operand})"), _UNARY
    if isinstance(node, ast.Attribute):  # .T
        return f"{_atom(node.value)}.{node.attr}", _ATOM
    if isinstance(node, ast.Call):
        if _function_name(node.func) is None and isinstance(node.func, ast.Attribute):  # X.sum(...)
            function = f"{_atom(node.func.value)}.{node.func.attr}"
        else:
            function = ast.unparse(node.func)
        arguments = [_argument(argument) for argument in node.args]
        arguments += [f"{keyword.arg}={ast.unparse(keyword.value)}" for keyword in node.keywords]
        return f"{function}({', '.join(arguments)})", _ATOM
    if isinstance(node, ast.Subscript):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        index = ", ".join(":" if isinstance(item, ast.Slice) else ast.unparse(item) for item in items)
        return f"{_atom(node.value)}[{index}]", _ATOM
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and node.value < 0:
        return ast.unparse(node), _UNARY
    return ast.unparse(node), _ATOM


def _atom(node: ast.expr) -> str:
    text, precedence = _unparse(node)
    return text if precedence == _ATOM else f"({text})"


def _argument(node: ast.expr) -> str:
    if isinstance(node, ast.Tuple | ast.List):  # ones((N, 1))
        return "(" + ", ".join(_unparse(item)[0] for item in node.elts) + ")"
    return _unparse(node)[0]


def _check_number(node: ast.Constant, text: str) -> None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable(NOT_ALLOWED.format(what=pycode.describe(node)), text, pycode.position(node, text))
    if not abs(value) <= MAX_CONSTANT:  # also catches nan and inf
        raise Unreadable(HUGE_CONSTANT.format(value=value, limit=MAX_CONSTANT), text, pycode.position(node, text))


def _signed_number(node: ast.expr) -> float | None:
    """The value of ``2``, ``-0.5``, ``+1``; None for anything else."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _signed_number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool) and isinstance(node.value, int | float):
        return float(node.value)
    return None


def _function_name(node: ast.expr) -> str | None:
    """``sum``, ``np.sum``, ``torch.sum`` → "sum"; a feature map's name; None for a method call."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in MODULES:
        return node.attr
    return None


def _check_call(node: ast.Call, params: Params, text: str) -> None:
    name = _function_name(node.func)
    is_method = name is None and isinstance(node.func, ast.Attribute)
    if is_method:
        assert isinstance(node.func, ast.Attribute)
        if node.func.attr != "sum":
            raise Unreadable(
                NOT_ALLOWED.format(what=f"the method .{node.func.attr}()"), text, pycode.position(node, text)
            )
        _check(node.func.value, params, text)
        _check_sum_arguments(".sum", node.args, node.keywords, text)
        return
    if name is None:
        raise Unreadable(
            NOT_ALLOWED.format(what="a call of something that is not a name"), text, pycode.position(node, text)
        )
    module_prefix = isinstance(node.func, ast.Attribute)
    if name in params.feature_maps and not module_prefix:
        _expect_arguments(name, node, 1, text)
        _check(node.args[0], params, text)
        return
    if name not in FUNCTIONS:
        functions = [*params.feature_maps, *FUNCTIONS]
        raise Unreadable(
            UNKNOWN_FUNCTION.format(
                name=name, suggestion=pycode.did_you_mean(name, functions), functions=", ".join(functions)
            ),
            text,
            pycode.position(node, text),
        )
    if name == "sum":
        if not node.args:
            raise Unreadable(WRONG_ARGUMENTS.format(name="sum", expected="a matrix", found="nothing"), text)
        _check(node.args[0], params, text)
        _check_sum_arguments("sum", node.args[1:], node.keywords, text)
        return
    _expect_arguments(name, node, 1, text)
    if name == "ones":
        _check_ones(node.args[0], params, text)
        return
    _check(node.args[0], params, text)


def _expect_arguments(name: str, node: ast.Call, count: int, text: str) -> None:
    if len(node.args) != count or node.keywords:
        found = f"{len(node.args)} argument(s)" + (" and keywords" if node.keywords else "")
        raise Unreadable(
            WRONG_ARGUMENTS.format(name=name, expected="one argument", found=found), text, pycode.position(node, text)
        )


def _check_sum_arguments(name: str, args: list[ast.expr], keywords: list[ast.keyword], text: str) -> None:
    if len(args) > 1:
        raise Unreadable(
            WRONG_ARGUMENTS.format(name=name, expected="at most an axis", found=f"{len(args)} arguments"), text
        )
    for argument in args:
        value = _signed_number(argument)
        if value is None or not value.is_integer():
            raise Unreadable(
                BAD_KEYWORD_VALUE.format(keyword="axis", expected="a whole number", found=ast.unparse(argument)),
                text,
                pycode.position(argument, text),
            )
    for keyword in keywords:
        allowed = (*AXIS_KEYWORDS, *KEEPDIMS_KEYWORDS)
        if keyword.arg not in allowed:
            found = f"{keyword.arg}=" if keyword.arg else "**"
            raise Unreadable(BAD_KEYWORD.format(name=name, allowed=", ".join(allowed), keyword=found), text)
        if keyword.arg in AXIS_KEYWORDS:
            value = _signed_number(keyword.value)
            if value is None or not value.is_integer():
                found = ast.unparse(keyword.value)
                raise Unreadable(
                    BAD_KEYWORD_VALUE.format(keyword=keyword.arg, expected="a whole number", found=found), text
                )
        elif not (isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, bool)):
            found = ast.unparse(keyword.value)
            raise Unreadable(BAD_KEYWORD_VALUE.format(keyword=keyword.arg, expected="True or False", found=found), text)


def _check_ones(node: ast.expr, params: Params, text: str) -> None:
    items = node.elts if isinstance(node, ast.Tuple | ast.List) else [node]
    if not 1 <= len(items) <= 2:
        raise Unreadable(BAD_ONES.format(limit=MAX_ONES), text, pycode.position(node, text))
    for item in items:
        if isinstance(item, ast.Name) and item.id in params.axis_sizes:
            continue
        if isinstance(item, ast.Constant) and type(item.value) is int and 1 <= item.value <= MAX_ONES:
            continue
        raise Unreadable(BAD_ONES.format(limit=MAX_ONES), text, pycode.position(item, text))


def _index(node: ast.Subscript, text: str) -> tuple[slice | None, ...]:
    """``[:, None]`` → (slice(None), None); Unreadable for any other index."""
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    index: list[slice | None] = []
    for item in items:
        if isinstance(item, ast.Slice) and item.lower is None and item.upper is None and item.step is None:
            index.append(slice(None))
        elif (isinstance(item, ast.Constant) and item.value is None) or (
            isinstance(item, ast.Attribute)
            and item.attr == "newaxis"
            and isinstance(item.value, ast.Name)
            and item.value.id in ("np", "numpy")
        ):
            index.append(None)
        else:
            found = ast.unparse(node.slice)
            raise Unreadable(BAD_SUBSCRIPT.format(found=found), text, pycode.position(node, text))
    return tuple(index)


# --- evaluation on random matrices --------------------------------------------------


@dataclass
class Draw:
    """One set of random matrices, and the feature maps' random projections (made on demand)."""

    index: int
    matrices: dict[str, Array]
    sizes: dict[str, int]
    feature_sizes: dict[str, int]
    projections: dict[tuple[str, int], Array] = field(default_factory=dict)

    def feature_map(self, name: str, rows: Array) -> Array:
        """φ(x) = exp(x R / √n) row by row: positive and nonlinear; R is seeded, n = len(x)."""
        width = rows.shape[-1]
        key = (name, width)
        if key not in self.projections:
            seed = SEED + 1009 * self.index + 101 * sorted(self.feature_sizes).index(name) + width
            generator = np.random.default_rng(seed)
            projection = generator.standard_normal((width, self.feature_sizes[name]), dtype=np.float64)
            self.projections[key] = projection / math.sqrt(width)
        return _array(np.exp(rows @ self.projections[key]))


def _array(value: object) -> Array:
    """A float64 array, also for what numpy returns as a scalar (the result of a 0-d operation)."""
    return np.asarray(value, dtype=np.float64)


@functools.lru_cache(maxsize=32)
def _draw(
    index: int,
    matrices: tuple[tuple[str, tuple[str, ...]], ...],
    sizes: tuple[tuple[str, int], ...],
    feature_maps: tuple[tuple[str, str], ...],
) -> Draw:
    table = dict(sizes)
    generator = np.random.default_rng(SEED + index)
    tensors = {
        name: generator.standard_normal(tuple(table[axis] for axis in shape), dtype=np.float64)
        for name, shape in matrices
    }
    feature_sizes = {name: table[axis] for name, axis in feature_maps}
    return Draw(index, tensors, table, feature_sizes)


def draws(params: Params) -> list[Draw]:
    matrices = tuple(sorted(params.matrices.items()))
    sizes = tuple(sorted(params.axis_sizes.items()))
    feature_maps = tuple(sorted(params.feature_maps.items()))
    return [_draw(index, matrices, sizes, feature_maps) for index in range(params.draws)]


def describe_shape(shape: tuple[int, ...], params: Params) -> str:
    """(7, 6) → "[N, C]" (sizes are distinct, so a size names its axis); () → "a number"."""
    if not shape:
        return "a number"
    names = {size: axis for axis, size in params.axis_sizes.items()}
    return "[" + ", ".join(names.get(size, str(size)) for size in shape) + "]"


def evaluate(expression: MatrixExpression, params: Params, draw: Draw) -> Array:
    """The expression's value on one draw; ShapeProblem when it does not compute."""
    if expression.formula is not None:
        evaluator = _matrix_math.Evaluator(
            draw.matrices, draw.feature_map, lambda shape: describe_shape(shape, params), draw.sizes
        )
        try:
            return evaluator.result(expression.formula)
        except _matrix_math.MathShapeProblem as problem:
            raise ShapeProblem(problem.message) from None
    # Division by zero, overflow and sqrt of a negative give inf or nan, judged later, not warnings.
    with np.errstate(all="ignore"):
        return _evaluate(expression.tree, params, draw)


def _evaluate(node: ast.expr, params: Params, draw: Draw) -> Array:
    if isinstance(node, ast.Name):
        if node.id in draw.matrices:
            return draw.matrices[node.id]
        return _array(float(draw.sizes[node.id]))
    if isinstance(node, ast.Constant):  # a number: _check lets no other constant through
        return _array(_signed_number(node))
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, params, draw)
        return _array(-operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        return _binary(node, params, draw)
    if isinstance(node, ast.Attribute):  # .T, the only attribute _check lets through
        value = _evaluate(node.value, params, draw)
        return value.T if value.ndim == 2 else value
    if isinstance(node, ast.Call):
        return _call(node, params, draw)
    if isinstance(node, ast.Subscript):
        value = _evaluate(node.value, params, draw)
        index = _index(node, "")
        count = sum(1 for item in index if item is not None)
        if count > value.ndim:
            shape = describe_shape(tuple(value.shape), params)
            detail = TOO_MANY_INDICES.format(count=count, axes=value.ndim)
            raise ShapeProblem(BAD_INDEX.format(expression=unparse(node), shape=shape, detail=detail))
        return _array(value[index])
    raise ShapeProblem(CANNOT_EVALUATE.format(expression=unparse(node), detail="not supported"))


def _binary(node: ast.BinOp, params: Params, draw: Draw) -> Array:
    left = _evaluate(node.left, params, draw)
    expression = unparse(node)
    if isinstance(node.op, ast.Pow):
        exponent = _signed_number(node.right)
        if exponent is None:
            raise ShapeProblem(BAD_POWER.format(expression=expression))
        return _array(left**exponent)
    right = _evaluate(node.right, params, draw)
    left_shape = describe_shape(tuple(left.shape), params)
    right_shape = describe_shape(tuple(right.shape), params)
    if isinstance(node.op, ast.MatMult):
        for operand, value in ((node.left, left), (node.right, right)):
            if value.ndim == 0:
                raise ShapeProblem(MATMUL_NUMBER.format(expression=expression, operand=unparse(operand)))
        inner_right = right.shape[0] if right.ndim == 1 else right.shape[-2]
        if left.shape[-1] != inner_right:
            names = {size: axis for axis, size in params.axis_sizes.items()}
            raise ShapeProblem(
                MATMUL_INNER.format(
                    expression=expression,
                    left=left_shape,
                    right=right_shape,
                    first=names.get(left.shape[-1], left.shape[-1]),
                    second=names.get(inner_right, inner_right),
                )
            )
        left_batch, right_batch = tuple(left.shape[:-2]), tuple(right.shape[:-2])
        try:
            np.broadcast_shapes(left_batch, right_batch)
        except ValueError:
            detail = MATMUL_BATCH.format(
                left=describe_shape(left_batch, params), right=describe_shape(right_batch, params)
            )
            raise ShapeProblem(CANNOT_EVALUATE.format(expression=expression, detail=detail)) from None
        return _array(left @ right)
    try:
        np.broadcast_shapes(left.shape, right.shape)
    except ValueError:
        raise ShapeProblem(NO_BROADCAST.format(expression=expression, left=left_shape, right=right_shape)) from None
    operations: dict[type[ast.operator], Callable[[Array, Array], Array]] = {
        ast.Mult: np.multiply,
        ast.Div: np.divide,
        ast.Add: np.add,
        ast.Sub: np.subtract,
    }
    return _array(operations[type(node.op)](left, right))


def _call(node: ast.Call, params: Params, draw: Draw) -> Array:
    expression = unparse(node)
    name = _function_name(node.func)
    if name is None:  # X.sum(...), the only method _check lets through
        assert isinstance(node.func, ast.Attribute)
        value = _evaluate(node.func.value, params, draw)
        return _sum(value, node.args, node.keywords, expression, node.func.value, params, every_axis=True)
    if name in params.feature_maps and not isinstance(node.func, ast.Attribute):
        value = _evaluate(node.args[0], params, draw)
        if value.ndim == 0:
            raise ShapeProblem(FEATURE_OF_NUMBER.format(expression=expression))
        return draw.feature_map(name, value)
    if name == "ones":
        argument = node.args[0]
        items = argument.elts if isinstance(argument, ast.Tuple | ast.List) else [argument]
        dimensions = tuple(
            draw.sizes[item.id] if isinstance(item, ast.Name) else int(_signed_number(item) or 1) for item in items
        )
        return np.ones(dimensions, dtype=np.float64)
    value = _evaluate(node.args[0], params, draw)
    if name == "sum":
        # Python's sum(X) adds up the rows of X; np.sum(X) adds up everything.
        every_axis = isinstance(node.func, ast.Attribute)
        return _sum(value, node.args[1:], node.keywords, expression, node.args[0], params, every_axis=every_axis)
    if name == "sqrt":
        return _array(np.sqrt(value))
    if name == "exp":
        return _array(np.exp(value))
    if name == "diag":
        if value.ndim not in (1, 2):
            shape = describe_shape(tuple(value.shape), params)
            raise ShapeProblem(BAD_DIAG.format(expression=expression, shape=shape))
        return _array(np.diag(value))
    raise ShapeProblem(CANNOT_EVALUATE.format(expression=expression, detail="unknown function"))


def _sum(
    value: Array,
    args: list[ast.expr],
    keywords: list[ast.keyword],
    expression: str,
    operand: ast.expr,
    params: Params,
    every_axis: bool,
) -> Array:
    axis: int | None = None
    keepdims = False
    for argument in args:
        axis = int(_signed_number(argument) or 0)
    for keyword in keywords:
        if keyword.arg in AXIS_KEYWORDS:
            axis = int(_signed_number(keyword.value) or 0)
        elif isinstance(keyword.value, ast.Constant):
            keepdims = bool(keyword.value.value)
    if axis is None and not every_axis:
        axis = 0
    if axis is None:
        return _array(value.sum(keepdims=keepdims))
    if not -value.ndim <= axis < value.ndim:
        shape = describe_shape(tuple(value.shape), params)
        raise ShapeProblem(BAD_AXIS.format(expression=expression, axis=axis, operand=unparse(operand), shape=shape))
    return _array(value.sum(axis=axis, keepdims=keepdims))


# --- grading -----------------------------------------------------------------------


def values(expression: MatrixExpression, params: Params) -> list[Array] | str:
    """The expression's value on every draw, or the sentence that says why it does not compute."""
    try:
        return [evaluate(expression, params, draw) for draw in draws(params)]
    except ShapeProblem as problem:
        return problem.message


def same_values(mine: list[Array], expected: list[Array]) -> bool:
    return all(
        a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-8, atol=1e-10))
        for a, b in zip(mine, expected, strict=True)
    )


def matches(answer: MatrixExpression, other: MatrixExpression, part: Part) -> bool:
    params: Params = part.params
    mine, theirs = values(answer, params), values(other, params)
    if isinstance(mine, str) or isinstance(theirs, str):
        # Neither computes: the same wrong expression only when it reads the same.
        return isinstance(mine, str) and isinstance(theirs, str) and answer.text == other.text
    return same_values(mine, theirs)


def grade(answer: MatrixExpression, reference: MatrixExpression, part: Part) -> Outcome:
    params: Params = part.params
    expected = values(reference, params)
    if isinstance(expected, str):
        raise ValueError(f"the reference expression {reference.text} does not compute: {expected}")
    # Cheapest first: the same canonical text, then the same values on every draw.
    if answer.text == reference.text:
        return Outcome("correct", 1.0, CORRECT, "matrix_expression:equal")
    mine = values(answer, params)
    if isinstance(mine, str):
        return Outcome("incorrect", 0.0, mine, "matrix_expression:shape_error")
    if same_values(mine, expected):
        if answer.formula is not None:
            message = CORRECT_FORMULA.format(shown=answer.text, rows=ROWS if answer.formula.row_index else "")
            return Outcome("correct", 1.0, message, "matrix_expression:same_values")
        return Outcome("correct", 1.0, CORRECT_SAME_VALUES, "matrix_expression:same_values")
    for index, (known, message) in enumerate(params.known):
        known_values = values(known, params)
        if not isinstance(known_values, str) and same_values(mine, known_values):
            return Outcome("incorrect", 0.0, message, f"matrix_expression:known_wrong:{index}")
    if mine[0].shape != expected[0].shape:
        message = WRONG_SHAPE.format(
            mine=_shape_phrase(tuple(mine[0].shape), params),
            expected=_shape_phrase(tuple(expected[0].shape), params),
        )
        return Outcome("incorrect", 0.0, message, "matrix_expression:wrong_shape")
    if not all(bool(np.isfinite(value).all()) for value in mine):
        return Outcome("incorrect", 0.0, NOT_FINITE, "matrix_expression:not_finite")
    factor = _scale(mine, expected)
    if factor == "rows":
        return Outcome("incorrect", 0.0, ROW_SCALED, "matrix_expression:row_scaled")
    if isinstance(factor, float):
        return Outcome("incorrect", 0.0, CONSTANT_FACTOR.format(factor=factor), "matrix_expression:constant_factor")
    shape = describe_shape(tuple(expected[0].shape), params)
    return Outcome("incorrect", 0.0, DIFFERENT_VALUES.format(shape=shape), "matrix_expression:different")


def _shape_phrase(shape: tuple[int, ...], params: Params) -> str:
    described = describe_shape(shape, params)
    return described if not shape else f"a {described} {'matrix' if len(shape) == 2 else 'array'}"


def _scale(mine: list[Array], expected: list[Array]) -> float | str | None:
    """A constant factor between the results, "rows" for a factor per row, or None."""
    ratios = []
    for a, b in zip(mine, expected, strict=True):
        if b.ndim != 2 or bool((np.abs(b) < 1e-9).any()):
            return None
        ratios.append(a / b)
    if all(bool(np.allclose(r, np.broadcast_to(r.flat[0], r.shape), rtol=1e-8)) for r in ratios):
        first = float(ratios[0].flat[0]) + 0.0  # + 0.0 turns -0.0 into 0.0
        if all(abs(float(r.flat[0]) - first) <= 1e-8 * abs(first) for r in ratios):
            return first
    if all(bool(np.allclose(r, np.broadcast_to(r[:, :1], r.shape), rtol=1e-8)) for r in ratios):
        return "rows"
    return None


def show(expression: MatrixExpression) -> str:
    return expression.text


def names(expression: MatrixExpression) -> set[str]:
    """Matrices, sizes and functions the expression uses."""
    if expression.formula is not None:
        return _matrix_math.names(expression.formula.tree)
    found: set[str] = set()
    for node in ast.walk(expression.tree):
        if isinstance(node, ast.Name) and node.id not in MODULES:
            found.add(node.id)
    return found


KIND = GraderKind(
    name="matrix_expression",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    example="(A @ B.T) @ C / A.sum(1)[:, None], with the question's matrix names",
    prepare=prepare,
    names=names,
)
