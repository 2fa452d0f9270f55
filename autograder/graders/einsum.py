"""``einsum``: an einsum call such as ``torch.einsum("ij,jkl->ikl", A, B)``
or just its equation ``ij,jkl->ikl``, right when it computes the same tensor
as the reference on the same operands.

Judged by what it computes, not by its spelling: renamed letters
(``ij,kjl->ikl``), spaces, ``...`` and an implicit output (no ``->``) are all
fine. Before anything runs, the equation is checked against the operands'
declared shapes so that a wrong answer is explained in the student's terms
("h appears in the output but in no input", "you index B with 2 axes").
Then both einsums run on the same seeded random float64 operands, with a
distinct size per axis name, and the results are compared.

Security: the answer is read by the shared Python-notation reader
(:mod:`autograder.mathread.pycode`, whitelist :data:`SYNTAX`: a call of a
dotted name with text, names, lists and tuples as arguments) or, when it is a
bare equation, matched by a regular expression, and only looked at; it is
never compiled, executed or evaluated. Only the equation, validated here (letters,
``,``, ``->``, ``...``; bounded length and operand count), reaches numpy.

A bare equation takes the operands in the spec's order; a call names its
operands, in any order, and the names must be the spec's.

A matrix product of two operands (``x @ W``, ``torch.matmul(x, W)``, ``x.matmul(W)``)
is read as the einsum it computes (by torch's rules: the last axis of the first
operand against the second-to-last of the second, leading axes as a batch). It is
graded like that einsum only when the spec sets ``accept_matmul``; otherwise it is
incorrect, with a message saying that an einsum call is asked.

Params: ``operands`` (name and axis names of each tensor), ``sizes``, ``accept_matmul``.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable, Vocabulary, pycode
from autograder.problem import Part
from autograder.result import Outcome

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Longest answer read: an einsum call fits in a line, and this keeps hostile input cheap.
MAX_CHARS = 400
#: Longest equation handed to numpy.
MAX_EQUATION = 200
MAX_OPERANDS = 8
#: Largest size of one axis, so that evaluating any einsum stays cheap.
MAX_SIZE = 16
#: Default axis sizes: distinct primes, so that axes of different names never line up by chance.
DEFAULT_SIZES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
SEED = 20240609
EINSUM_FUNCTIONS = ("einsum", "torch.einsum", "np.einsum", "numpy.einsum")
MATMUL_FUNCTIONS = ("matmul", "torch.matmul", "np.matmul", "numpy.matmul")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

CORRECT = "Correct."
CORRECT_SAME_TENSOR = "Correct: read as {shown}, which computes the same tensor as the expected einsum."
UNKNOWN_OPERAND = "{name} is not an operand of this einsum; it combines {expected}."
MISSING_OPERAND = "You do not pass {names}; this einsum combines {expected}."
REPEATED_OPERAND = "You pass {name} more than once; this einsum combines {expected}, each once."
TERM_COUNT_CALL = "Your equation has {terms} input term(s) ({shown}) but you pass {count} tensor(s) ({names})."
TERM_COUNT_BARE = (
    "Your equation has {terms} input term(s) ({shown}); this einsum combines {count} tensors, in this order: {names}."
)
RANK = "You index {name} with {count} axes ({term}) but {name} has {rank} axes [{axes}]."
RANK_ELLIPSIS = "You index {name} with at least {count} axes ({term}) but {name} has {rank} axes [{axes}]."
REPEATED_IN_TERM = (
    "You use the letter {letter} twice for {name} ({term}), which takes a diagonal; "
    "its axes {first} and {second} have different sizes."
)
OUTPUT_NOT_IN_INPUT = "{letter} appears in the output but in no input: einsum cannot create a new axis."
OUTPUT_REPEATED = "{letter} appears more than once in the output ({output}); each output axis needs its own letter."
ELLIPSIS_ONLY_OUTPUT = "The output has ... but no input does."
LETTER_SIZES = (
    "You use the letter {letter} for axis {first} of {first_name} and for axis {second} of "
    "{second_name}; these axes have different sizes, so einsum cannot pair them."
)
WRONG_SHAPE = "Your result has shape [{axes}] = [{sizes}], the expected has [{expected}]."
SAME_AXES_OTHER_ORDER = "It has the expected axes, in another order."
SUMS_EXTRA = "You sum over {axes}, which the expected result keeps."
KEEPS_EXTRA = "You keep {axes}, which the expected result sums over."
DIFFERENT_VALUES = (
    "Your result has the expected shape [{axes}] but different values: check which axes each letter pairs."
)
TORCH_ERROR = "This einsum cannot be evaluated on operands of the declared shapes: {detail}."
ELLIPSIS_BROADCAST = (
    "axis {axis} of {name} is covered by ... and has size {size}, which does not broadcast with the size "
    "{previous} that ... covers at the same place in {previous_name}"
)
NOT_COMPUTABLE = "it does not compute"

TOO_LONG = "The answer is {length:,} characters long; an einsum is read up to {limit} characters."
EQUATION_TOO_LONG = "The equation is {length:,} characters long; at most {limit} are read."
NOT_PYTHON = "This is neither an einsum equation nor a Python einsum call: {detail}."
NOT_EINSUM_CALL = "Only a call of einsum (einsum, torch.einsum or np.einsum) can be read here; found {what}."
# No fixed example: any equation might be some homework's answer; the part's own format example follows.
NEEDS_EQUATION = "The first argument of einsum must be the equation, a string in quotes (letters, commas and ->)."
OPERAND_NOT_NAME = "Pass the operands of einsum by name ({names}); found {what}. The autograder does not run code."
NO_KEYWORDS = "einsum takes no keyword arguments here (found {name}=...)."
BAD_CHARACTER = "{char!r} cannot appear in an einsum equation: use letters, commas, -> and ...."
BAD_DOTS = "A '.' in an einsum equation must be part of an ellipsis '...'."
TWO_ELLIPSES = "The term {term!r} has more than one ellipsis '...'."
TWO_ARROWS = "An einsum equation has at most one '->'."
TOO_MANY_OPERANDS = "The equation has {count} input terms; at most {limit} are read."
NOTE_IMPLICIT = "Read the implicit output of {equation!r} as '->{output}'."
NOTE_ASSIGNMENT = "Read the right-hand side of '{target} = …'."
NOTE_MATMUL = "Read {written} as {shown}, the einsum it computes."
EINSUM_ASKED = (
    "This part asks for an einsum call (torch.einsum with an equation); {written} is a matrix product. "
    "Write it as an einsum, e.g. the one it computes: {shown}."
)
EINSUM_ASKED_INVALID = (
    "This part asks for an einsum call (torch.einsum with an equation); {written} is a matrix product. {problem}"
)
MATMUL_AXES = (
    "{written} cannot be computed: it pairs axis {first} of {first_name} with axis {second} of "
    "{second_name}, and their sizes differ."
)
MATMUL_SCALAR = "{written} cannot be computed: {name} has no axes."

SYNTAX = pycode.Syntax(
    # Wider than an einsum call needs, so that _read_call can say what is wrong with an operand.
    nodes=pycode.EXPRESSION_NODES | pycode.INDEXING_NODES,
    operators=frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.MatMult, ast.USub, ast.UAdd}),
    constants=frozenset({str, int, float, bool, type(None)}),
    methods=False,
    keywords=True,  # refused below with a sentence that names the keyword
    max_chars=MAX_CHARS,
    trailing=",;",
    not_allowed=NOT_EINSUM_CALL,
    too_long=TOO_LONG,
    not_python=NOT_PYTHON,
)
"""What an einsum answer may be in Python notation: a call of a dotted name whose arguments
are simple expressions of text, names and numbers; :func:`_read_call` then requires the
equation in quotes and operands passed by name."""

_CALL_OR_STRING = re.compile(r"[()\"']")
_ASSIGNMENT = re.compile(r"\s*([A-Za-z_]\w*)\s*=(?!=)")
_EQUATION_CHARACTERS = re.compile(r"[A-Za-z.,\->]")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_MATMUL_TEXT = re.compile(r"\s*[A-Za-z_]\w*\s*@\s*[A-Za-z_]\w*\s*")
#: TeX arrows typed for an einsum's ``->`` (``bd,dk \to bk``); replaced before Python reads
#: the text, where ``"\to"`` would be a tab.
_TEX_ARROW = re.compile(r"\s*\\(?:to|rightarrow|longrightarrow|Rightarrow|mapsto)(?![A-Za-z])\s*")


@dataclass(frozen=True)
class Operand:
    """One tensor the einsum combines."""

    name: str
    """The name a call passes it by (``B``)."""
    shape: tuple[str, ...]
    """Its axis names, in order (``[b, t, c]``)."""


@dataclass(frozen=True)
class Params:
    operands: tuple[Operand, ...] = ()
    """The tensors, in the order a bare equation takes them."""
    sizes: dict[str, int] = field(default_factory=dict)
    """Axis name → size used for the check; other axes get distinct small primes."""
    accept_matmul: bool = False
    """Grade a matrix product of the operands (``x @ W``, ``torch.matmul(x, W)``) as the einsum it
    computes; otherwise it is incorrect, with a message saying that an einsum call is asked."""
    axis_sizes: dict[str, int] = field(default_factory=dict, metadata={"internal": True})
    """Every axis name's size (filled at load)."""


@dataclass(frozen=True)
class EinsumReading:
    """An einsum as read: its equation (spaces removed, output explicit) and its operands."""

    inputs: tuple[str, ...]
    """One subscript term per operand, as written (``bd``, ``hdq``, ``...d``)."""
    output: str
    """The output subscripts; when the answer gives none, the implicit output einsum uses."""
    operands: tuple[str, ...]
    """The operand names in the order passed (a bare equation: the spec's order)."""
    bare: bool = False
    """True when only the equation was given."""
    notes: tuple[str, ...] = ()
    """How the text was understood, e.g. the implicit output made explicit."""
    matmul: str = ""
    """A matrix product read as this einsum, as written (``x @ W``); empty for an einsum."""
    problem: str = ""
    """Why the matrix product cannot be computed (axes of different sizes paired); empty when it can."""

    @property
    def equation(self) -> str:
        return ",".join(self.inputs) + "->" + self.output


def prepare(params: Params, vocabulary: Vocabulary) -> Params:
    if not params.operands:
        raise ValueError("operands: an einsum needs at least one operand")
    if len(params.operands) > MAX_OPERANDS:
        raise ValueError(f"operands: at most {MAX_OPERANDS} operands")
    names = [operand.name for operand in params.operands]
    for name in names:
        if not _IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
            raise ValueError(f"operands: {name!r} is not a Python name")
    if len(set(names)) != len(names):
        raise ValueError(f"operands: the names {names} repeat")
    axes: list[str] = []
    for operand in params.operands:
        for axis in operand.shape:
            if not axis:
                raise ValueError(f"operands: {operand.name} has an empty axis name")
            if axis not in axes:
                axes.append(axis)
    for axis, size in params.sizes.items():
        if axis not in axes:
            raise ValueError(f"sizes: {axis!r} is not an axis of any operand{_suggest(axis, axes)}")
        if not 1 <= size <= MAX_SIZE:
            raise ValueError(f"sizes: {axis} = {size}; sizes go from 1 to {MAX_SIZE}")
    free = (size for size in DEFAULT_SIZES if size not in params.sizes.values())
    axis_sizes = {axis: params.sizes[axis] if axis in params.sizes else next(free) for axis in axes}
    return replace(params, axis_sizes=axis_sizes)


def _suggest(word: str, choices: list[str]) -> str:
    close = pycode.closest(word, choices)
    return f", did you mean {close!r}?" if close else f" (axes: {', '.join(choices)})"


# --- reading --------------------------------------------------------------------


def read(text: str, part: Part) -> EinsumReading:
    params: Params = part.params
    return read_einsum(text, params)


def read_einsum(text: str, params: Params) -> EinsumReading:
    """Raw answer → :class:`EinsumReading`, or :class:`Unreadable`. Nothing is evaluated."""
    if len(text) > MAX_CHARS:
        raise Unreadable(TOO_LONG.format(length=len(text), limit=MAX_CHARS))
    cleaned = pycode.unwrap(_TEX_ARROW.sub("->", text), trailing=SYNTAX.trailing)
    notes: list[str] = []
    assignment = _ASSIGNMENT.match(cleaned)
    if assignment:
        notes.append(NOTE_ASSIGNMENT.format(target=assignment.group(1)))
        cleaned = pycode.unwrap(cleaned[assignment.end() :], trailing=SYNTAX.trailing)
    default_operands = tuple(operand.name for operand in params.operands)
    if not _MATMUL_TEXT.fullmatch(cleaned) and not _CALL_OR_STRING.search(
        cleaned
    ):  # a bare equation, validated with precise messages
        inputs, output = _split_equation(cleaned, cleaned, 0)
        return _reading(inputs, output, default_operands, True, notes, cleaned)
    code = pycode.read(cleaned, SYNTAX, cleaned=True)
    node = code.tree
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        inputs, output = _split_equation(node.value, cleaned, None)
        return _reading(inputs, output, default_operands, True, notes, cleaned)
    product = _matmul_operands(code)
    if product is not None:
        return _matmul_reading(product, params, notes, code)
    equation, operands = _read_call(code, default_operands)
    inputs, output = _split_equation(equation, cleaned, None)
    return _reading(inputs, output, operands, False, notes, cleaned)


def _matmul_operands(code: pycode.Code) -> tuple[str, str] | None:
    """``x @ W``, ``torch.matmul(x, W)`` or ``x.matmul(W)`` → ("x", "W"); None for anything else."""
    node = code.tree
    pair: list[ast.expr]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        pair = [node.left, node.right]
    elif isinstance(node, ast.Call) and not node.keywords:
        function = pycode.dotted(node.func) or ""
        if function in MATMUL_FUNCTIONS and len(node.args) == 2:
            pair = list(node.args)
        elif function.endswith(".matmul") and function.count(".") == 1 and len(node.args) == 1:
            pair = [ast.Name(function.split(".")[0]), node.args[0]]
        else:
            return None
    else:
        return None
    names = []
    for operand in pair:
        if not isinstance(operand, ast.Name):
            raise code.refuse(OPERAND_NOT_NAME.format(names="the operands", what=_describe(operand)), operand)
        names.append(operand.id)
    return names[0], names[1]


class _Letters:
    """Einsum letters for axis names: the name itself when it is one free letter, else the next free one."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, axis: str) -> str:
        letter = axis if len(axis) == 1 and axis in _LETTERS and axis not in self.used else ""
        letter = letter or next(candidate for candidate in _LETTERS if candidate not in self.used)
        self.used.add(letter)
        return letter


def _matmul_reading(product: tuple[str, str], params: Params, notes: list[str], code: pycode.Code) -> EinsumReading:
    """The einsum a matrix product of two declared operands computes, by torch.matmul's rules."""
    left, right = product
    declared = {operand.name: operand.shape for operand in params.operands}
    written = f"{left} @ {right}"
    for name in product:
        if name not in declared:
            raise code.refuse(UNKNOWN_OPERAND.format(name=name, expected=", ".join(declared)), code.tree)
        if not declared[name]:
            raise code.refuse(MATMUL_SCALAR.format(written=written, name=name), code.tree)
    first, second = declared[left], declared[right]
    letters = _Letters()
    first_terms = [letters.new(axis) for axis in first]
    second_terms = [""] * len(second)
    # The contracted pair, then the batch axes lined up from the right.
    pairs = [(len(first) - 1, max(len(second) - 2, 0))]
    if len(first) > 1 and len(second) > 1:
        pairs += [
            (len(first) - 2 - shift, len(second) - 2 - shift) for shift in range(1, min(len(first), len(second)) - 1)
        ]
    problem = ""
    for mine, theirs in pairs:
        second_terms[theirs] = first_terms[mine]
        if not problem and params.axis_sizes[first[mine]] != params.axis_sizes[second[theirs]]:
            problem = MATMUL_AXES.format(
                written=written, first=first[mine], first_name=left, second=second[theirs], second_name=right
            )
    second_terms = [term or letters.new(axis) for term, axis in zip(second_terms, second, strict=True)]
    output: list[str]
    if len(first) == 1 and len(second) == 1:
        output = []
    elif len(first) == 1:
        output = second_terms[:-2] + second_terms[-1:]
    elif len(second) == 1:
        output = first_terms[:-1]
    else:
        batch = first_terms[:-2] if len(first) >= len(second) else second_terms[:-2]
        output = [*batch, first_terms[-2], second_terms[-1]]
    inputs = ("".join(first_terms), "".join(second_terms))
    reading = EinsumReading(inputs, "".join(output), product, False, (), written, problem)
    if not problem:
        notes.append(NOTE_MATMUL.format(written=written, shown=show_einsum(reading)))
    return replace(reading, notes=tuple(notes))


def _read_call(code: pycode.Code, declared: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """``torch.einsum("eq", a, b)`` → ("eq", ("a", "b")); anything else is Unreadable."""
    node = code.tree
    if not isinstance(node, ast.Call):
        raise code.refuse(NOT_EINSUM_CALL.format(what=_describe(node)), node)
    function = pycode.dotted(node.func)
    if function not in EINSUM_FUNCTIONS:
        what = f"a call of {function}" if function else _describe(node.func)
        raise code.refuse(NOT_EINSUM_CALL.format(what=what), node.func)
    if node.keywords:
        name = node.keywords[0].arg or "**"
        raise code.refuse(NO_KEYWORDS.format(name=name), node.keywords[0])
    if not node.args:
        raise code.refuse(NEEDS_EQUATION, node)
    first, *rest = node.args
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        raise code.refuse(NEEDS_EQUATION, first)
    if len(rest) == 1 and isinstance(rest[0], ast.List | ast.Tuple):
        rest = list(rest[0].elts)  # torch also takes the operands as one list
    names = []
    for argument in rest:
        if not isinstance(argument, ast.Name):
            message = OPERAND_NOT_NAME.format(names=", ".join(declared), what=_describe(argument))
            raise code.refuse(message, argument)
        names.append(argument.id)
    return first.value, tuple(names)


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return "a call of something other than einsum"
    return pycode.describe(node)


def _split_equation(equation: str, text: str, offset: int | None) -> tuple[tuple[str, ...], str | None]:
    """Validate an equation and split it into input terms and output (None when implicit)."""
    if len(equation) > MAX_EQUATION:
        raise Unreadable(EQUATION_TOO_LONG.format(length=len(equation), limit=MAX_EQUATION))
    compact = "".join(equation.split())
    for index, char in enumerate(compact):
        if not _EQUATION_CHARACTERS.fullmatch(char):
            raise Unreadable(BAD_CHARACTER.format(char=char), text, _offset_of(char, text, offset, index))
    if compact.count("->") > 1:
        raise Unreadable(TWO_ARROWS, text)
    left, arrow, right = compact.partition("->")
    if "-" in left + right or ">" in left + right:
        raise Unreadable(BAD_CHARACTER.format(char="-" if "-" in left + right else ">"), text)
    inputs = tuple(left.split(","))
    if len(inputs) > MAX_OPERANDS:
        raise Unreadable(TOO_MANY_OPERANDS.format(count=len(inputs), limit=MAX_OPERANDS), text)
    for term in (*inputs, right):
        if term.count("...") > 1:
            raise Unreadable(TWO_ELLIPSES.format(term=term), text)
        if "." in term.replace("...", ""):
            raise Unreadable(BAD_DOTS, text)
    return inputs, (right if arrow else None)


def _offset_of(char: str, text: str, offset: int | None, index: int) -> int | None:
    if offset is not None:
        return offset + index
    found = text.find(char)
    return found if found >= 0 else None


def _reading(
    inputs: tuple[str, ...],
    output: str | None,
    operands: tuple[str, ...],
    bare: bool,
    notes: list[str],
    text: str,
) -> EinsumReading:
    if output is None:
        output = implicit_output(inputs)
        notes.append(NOTE_IMPLICIT.format(equation=",".join(inputs), output=output))
    return EinsumReading(inputs, output, operands, bare, tuple(notes))


def implicit_output(inputs: tuple[str, ...]) -> str:
    """The output einsum uses when none is given: ``...`` if any, then the letters used once, sorted."""
    letters = "".join(term.replace("...", "") for term in inputs)
    once = sorted(letter for letter in set(letters) if letters.count(letter) == 1)
    ellipsis = "..." if any("..." in term for term in inputs) else ""
    return ellipsis + "".join(once)


# --- checking and running ---------------------------------------------------------


@dataclass(frozen=True)
class Evaluated:
    """An einsum that ran: its result and the axis name of each result axis."""

    result: NDArray[np.float64]
    axes: tuple[str, ...]
    summed: frozenset[str]
    """Axis names of the letters it sums over."""


def _labels(term: str, shape: tuple[str, ...]) -> list[tuple[str, str]]:
    """(letter, axis name) pairs of one term; letters before ``...`` label the leading axes."""
    head, ellipsis, tail = term.partition("...")
    pairs = list(zip(head, shape, strict=False))
    if ellipsis and tail:
        pairs += list(zip(tail, shape[-len(tail) :], strict=False))
    return pairs


def problem(reading: EinsumReading, params: Params) -> str | None:
    """What makes this einsum wrong before it runs, in the student's terms; None when it can run."""
    declared = {operand.name: operand for operand in params.operands}
    expected = ", ".join(declared)
    for name in reading.operands:
        if name not in declared:
            return UNKNOWN_OPERAND.format(name=name, expected=expected)
    for name in reading.operands:
        if reading.operands.count(name) > 1:
            return REPEATED_OPERAND.format(name=name, expected=expected)
    missing = [name for name in declared if name not in reading.operands]
    if missing and len(reading.inputs) == len(reading.operands):
        return MISSING_OPERAND.format(names=", ".join(missing), expected=expected)
    if len(reading.inputs) != len(reading.operands):
        template = TERM_COUNT_BARE if reading.bare else TERM_COUNT_CALL
        return template.format(
            terms=len(reading.inputs),
            shown=", ".join(reading.inputs),
            count=len(reading.operands),
            names=", ".join(reading.operands),
        )
    if missing:
        return MISSING_OPERAND.format(names=", ".join(missing), expected=expected)
    for term, name in zip(reading.inputs, reading.operands, strict=True):
        shape = declared[name].shape
        count = len(term.replace("...", ""))
        if "..." in term and count > len(shape):
            return RANK_ELLIPSIS.format(name=name, count=count, term=term, rank=len(shape), axes=", ".join(shape))
        if "..." not in term and count != len(shape):
            return RANK.format(name=name, count=count, term=term, rank=len(shape), axes=", ".join(shape))
    if "..." in reading.output and not any("..." in term for term in reading.inputs):
        return ELLIPSIS_ONLY_OUTPUT
    used = set("".join(reading.inputs))
    for letter in reading.output.replace("...", ""):
        if reading.output.count(letter) > 1:
            return OUTPUT_REPEATED.format(letter=letter, output=reading.output)
        if letter not in used:
            return OUTPUT_NOT_IN_INPUT.format(letter=letter)
    seen: dict[str, tuple[str, str]] = {}
    for term, name in zip(reading.inputs, reading.operands, strict=True):
        for letter, axis in _labels(term, declared[name].shape):
            if letter not in seen:
                seen[letter] = (axis, name)
                continue
            first_axis, first_name = seen[letter]
            if params.axis_sizes[first_axis] != params.axis_sizes[axis]:
                if first_name == name:
                    return REPEATED_IN_TERM.format(letter=letter, name=name, term=term, first=first_axis, second=axis)
                return LETTER_SIZES.format(
                    letter=letter, first=first_axis, first_name=first_name, second=axis, second_name=name
                )
    return None


@functools.lru_cache(maxsize=64)
def _tensors(operands: tuple[Operand, ...], sizes: tuple[tuple[str, int], ...]) -> dict[str, NDArray[np.float64]]:
    """Seeded random float64 operands, the same for every answer to a part."""
    table = dict(sizes)
    generator = np.random.default_rng(SEED)
    return {
        operand.name: generator.standard_normal(tuple(table[axis] for axis in operand.shape), dtype=np.float64)
        for operand in operands
    }


def _ellipsis_problem(reading: EinsumReading, declared: dict[str, tuple[str, ...]], params: Params) -> str | None:
    """Why the axes that ``...`` covers in the operands do not broadcast together; None when they do.

    They line up from the right and each place takes one size, or 1; the operands are read in order
    and each one's covered axes left to right, so the first clash found is reported.
    """
    seen: dict[int, tuple[int, str]] = {}  # place counted from the right → (size, operand name)
    for term, name in zip(reading.inputs, reading.operands, strict=True):
        if "..." not in term:
            continue
        shape = declared[name]
        start = term.index("...")
        covered = shape[start : start + len(shape) - len(term.replace("...", ""))]
        for position, axis in enumerate(covered):
            place = len(covered) - position
            size = params.axis_sizes[axis]
            previous = seen.get(place)
            if previous is None or previous[0] == 1:
                seen[place] = (size, name)
            elif size != 1 and size != previous[0]:
                return ELLIPSIS_BROADCAST.format(
                    axis=axis, name=name, size=size, previous=previous[0], previous_name=previous[1]
                )
    return None


def evaluate(reading: EinsumReading, params: Params) -> Evaluated | str:
    """Run the einsum on the part's operands, or say why it cannot run."""
    found = reading.problem or problem(reading, params)
    if found is not None:
        return found
    declared = {operand.name: operand.shape for operand in params.operands}
    clash = _ellipsis_problem(reading, declared, params)
    if clash is not None:
        return TORCH_ERROR.format(detail=clash)
    tensors = _tensors(params.operands, tuple(sorted(params.axis_sizes.items())))
    # An output without ... sums over the axes that ... covers in the inputs; numpy wants them
    # in the output, so they are put first and summed here.
    has_ellipsis = any("..." in term for term in reading.inputs) and "..." not in reading.output
    equation = ",".join(reading.inputs) + "->" + ("..." if has_ellipsis else "") + reading.output
    try:
        result = np.asarray(np.einsum(equation, *(tensors[name] for name in reading.operands)), dtype=np.float64)
    except ValueError:
        return TORCH_ERROR.format(detail=NOT_COMPUTABLE)
    if has_ellipsis:
        extra = result.ndim - len(reading.output)
        result = np.asarray(result.sum(axis=tuple(range(extra))), dtype=np.float64)
    names: dict[str, str] = {}
    ellipsis_axes: tuple[str, ...] = ()
    for term, name in zip(reading.inputs, reading.operands, strict=True):
        for letter, axis in _labels(term, declared[name]):
            names.setdefault(letter, axis)
        if "..." in term:
            covered = len(declared[name]) - len(term.replace("...", ""))
            start = term.index("...")
            axes_here = declared[name][start : start + covered]
            if len(axes_here) > len(ellipsis_axes):
                ellipsis_axes = axes_here
    head, ellipsis, tail = reading.output.partition("...")
    axes = tuple(names[letter] for letter in head)
    if ellipsis:
        axes += ellipsis_axes[len(ellipsis_axes) - (result.ndim - len(head) - len(tail)) :]
    axes += tuple(names[letter] for letter in tail)
    if len(axes) != result.ndim:  # ellipsis broadcasting beyond what the names tell: show sizes
        axes = tuple(str(size) for size in result.shape)
    summed = frozenset(names[letter] for letter in names if letter not in reading.output)
    return Evaluated(result, axes, summed)


def canonical(reading: EinsumReading, params: Params) -> str:
    """The equation with terms in the spec's operand order and letters renamed a, b, c… by first use."""
    order = [operand.name for operand in params.operands]
    pairs = sorted(
        zip(reading.inputs, reading.operands, strict=False),
        key=lambda pair: order.index(pair[1]) if pair[1] in order else len(order),
    )
    pairs += [(term, "") for term in reading.inputs[len(reading.operands) :]]
    names = [name for _, name in pairs]
    renaming: dict[str, str] = {}
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def rename(term: str) -> str:
        pieces = term.split("...")
        renamed = []
        for piece in pieces:
            for letter in piece:
                renaming.setdefault(letter, alphabet[len(renaming)])
            renamed.append("".join(renaming[letter] for letter in piece))
        return "...".join(renamed)

    inputs = [rename(term) for term, _ in pairs]
    return ",".join(inputs) + "->" + rename(reading.output) + "|" + ",".join(names)


# --- grading -------------------------------------------------------------------


def _same(mine: Evaluated, expected: Evaluated) -> bool:
    return mine.result.shape == expected.result.shape and bool(
        np.allclose(mine.result, expected.result, rtol=1e-9, atol=1e-12)
    )


def matches(answer: EinsumReading, other: EinsumReading, part: Part) -> bool:
    params: Params = part.params
    if (answer.matmul or other.matmul) and not params.accept_matmul:
        return answer.matmul == other.matmul and answer.equation == other.equation
    mine, theirs = evaluate(answer, params), evaluate(other, params)
    if isinstance(mine, Evaluated) and isinstance(theirs, Evaluated):
        return _same(mine, theirs)
    if isinstance(mine, str) and isinstance(theirs, str):
        # Neither runs (a known wrong choice such as "ij,jk->ilk"): compare the equations.
        return canonical(answer, params) == canonical(other, params)
    return False


def grade(answer: EinsumReading, reference: EinsumReading, part: Part) -> Outcome:
    params: Params = part.params
    expected = evaluate(reference, params)
    if isinstance(expected, str):
        raise ValueError(f"the reference einsum {show(reference)} cannot run: {expected}")
    if answer.matmul and not params.accept_matmul:
        if answer.problem:
            message = EINSUM_ASKED_INVALID.format(written=answer.matmul, problem=answer.problem)
        else:
            message = EINSUM_ASKED.format(written=answer.matmul, shown=show_einsum(answer))
        return Outcome("incorrect", 0.0, message, "einsum:matmul_not_asked")
    mine = evaluate(answer, params)
    if isinstance(mine, str):
        return Outcome("incorrect", 0.0, _with_notes(mine, answer), "einsum:invalid")
    if _same(mine, expected):
        if answer.matmul:
            return Outcome("correct", 1.0, _with_notes(CORRECT, answer), "einsum:matmul")
        if canonical(answer, params) == canonical(reference, params):
            return Outcome("correct", 1.0, CORRECT, "einsum:equal")
        message = CORRECT_SAME_TENSOR.format(shown=show(answer))
        return Outcome("correct", 1.0, message, "einsum:same_tensor")
    sentences = []
    if mine.result.shape != expected.result.shape:
        sentences.append(
            WRONG_SHAPE.format(
                axes=", ".join(mine.axes),
                sizes=", ".join(str(size) for size in mine.result.shape),
                expected=", ".join(str(size) for size in expected.result.shape),
            )
        )
        if sorted(mine.axes) == sorted(expected.axes):
            sentences.append(SAME_AXES_OTHER_ORDER)
        note = "einsum:wrong_shape"
    else:
        sentences.append(DIFFERENT_VALUES.format(axes=", ".join(mine.axes)))
        note = "einsum:different_values"
    extra_sums = sorted(mine.summed - expected.summed - set(mine.axes))
    extra_kept = sorted((expected.summed - mine.summed) & set(mine.axes))
    if extra_sums:
        sentences.append(SUMS_EXTRA.format(axes=", ".join(extra_sums)))
    if extra_kept:
        sentences.append(KEEPS_EXTRA.format(axes=", ".join(extra_kept)))
    return Outcome("incorrect", 0.0, _with_notes(" ".join(sentences), answer), note)


def _with_notes(message: str, answer: EinsumReading) -> str:
    return " ".join((*answer.notes, message))


def show_einsum(reading: EinsumReading) -> str:
    """The einsum call, also for a matrix product read as one."""
    return f'einsum("{reading.equation}", {", ".join(reading.operands)})'


def show(reading: EinsumReading) -> str:
    if reading.matmul:
        return f"{reading.matmul} (read as {show_einsum(reading)})"
    return show_einsum(reading)


KIND = GraderKind(
    name="einsum",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    example='torch.einsum("ij,jk->ik", A, B) or just "ij,jk->ik"',
    prepare=prepare,
)
