"""Shared by the kinds that run student code in the sandbox (``module_behaviour``,
``code_blanks``): what the spec says to build, the inputs it is called on, what is
compared, the one sandbox per process, and the comparisons, made here, in the
grader's process, on the plain numbers the sandbox sends back.

Everything specific to a homework is declared in YAML (:class:`CodeSpec`): a class and
its constructor arguments or a function, named inputs with shapes written in symbolic
sizes (``[N, C, H, W]``), their dtypes and value ranges, tuples (an RNN's ``(h, c)``),
masks with variants, and the cases that set the sizes. Nothing here knows a question.

No torch here: inputs are nested lists built from a seeded ``random.Random`` and sent
with a dtype tag, outputs come back as nested lists, so the grader never imports torch.
"""

from __future__ import annotations

import ast
import math
import random
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograder.sandbox import RunResult, Sandbox, SandboxError, shared

#: Run statuses that are not the student's doing: the sandbox refused the run (e.g. no
#: isolation here) or the child was killed by something its limits do not explain.
NOT_THE_STUDENTS = frozenset({"crashed", "refused"})

#: How a failing run is described to the student; the sandbox's own message follows.
STATUS_SENTENCES = {
    "timeout": "did not finish within the time limit",
    "memory": "ran out of memory",
    "crashed": "stopped without a result",
    "refused": "was not run",
}

DTYPES = ("float", "long", "bool")
MASK_VARIANTS = ("none", "causal", "padding")
COMPARISONS = (
    "shape",
    "values",
    "input_gradients",
    "parameter_gradients",
    "parameter_count",
    "state_dict",
    "initial_parameters",
)
WEIGHTS = frozenset({"parameter_gradients", "parameter_count", "state_dict", "initial_parameters"})
"""The comparisons of a class's parameters: a function has none."""
MAX_ELEMENTS = 1_000_000
"""Inputs larger than this are refused at spec load (the sandbox refuses such outputs too)."""


# ----------------------------------------------------------------- declarations (YAML)


@dataclass(frozen=True)
class Input:
    """One argument the class's ``forward`` (or the function) is called with."""

    name: str
    """The argument's name; with ``keyword: true`` it is passed as ``name=value``. A case may
    set the value of a plain (``tensor: false``) input, or the variant of a mask, by this name."""
    shape: tuple[str, ...] = ()
    """Its sizes, each a number, a name from ``sizes`` or arithmetic of them (``2*hidden``,
    ``H//2``): ``[N, C, H, W]``. ``[]`` is a single number."""
    dtype: str = "float"
    """``float`` (the module's floating dtype, float64 when it allows), ``long`` (e.g. token
    ids) or ``bool``."""
    values: str = ""
    """How values are drawn: ``normal`` (mean 0, sd 1; the default for floats), ``uniform``
    (0 to 1), or an inclusive range ``LOW..HIGH`` whose bounds are sizes arithmetic
    (``0..vocab-1``: the default for long is ``0..9``). Bools are drawn at random."""
    tensor: bool = True
    """False: the value is a plain Python number (shape ``[]``), e.g. ``kernel_size`` of a
    function; a case may fix it by the input's name."""
    group: str = ""
    """Inputs with the same group are passed as one tuple, in their order, at the position
    of the group's first input: an LSTM cell's hidden state ``(h, c)``."""
    keyword: bool = False
    """Pass the input as a keyword argument instead of by position (a group: under the
    group's name, as set on its first input)."""
    mask: str = ""
    """Makes this input a mask over the named size (``seq``): each case picks its variant by
    the input's name (``mask: causal``): ``none`` (passes None, the default), ``causal``
    (``[1, 1, seq, seq]``, 1 where a position may see another) or ``padding``
    (``[batch, 1, 1, seq]``, 1 on each row's first random number of positions)."""
    mask_batch: str = ""
    """The size a padding mask has one row for; default the first size of the first
    tensor input's shape."""

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise TypeError(f"input name {self.name!r} is not a Python name")
        if self.dtype not in DTYPES:
            raise TypeError(f"input {self.name}: dtype must be one of {', '.join(DTYPES)}, not {self.dtype!r}")
        if not self.tensor and self.shape:
            raise TypeError(f"input {self.name}: a plain number (tensor: false) has no shape")
        for size in self.shape:
            _parse(size, f"input {self.name}: shape")
        if self.values not in ("", "normal", "uniform"):
            _range(self.values, f"input {self.name}")


@dataclass(frozen=True, kw_only=True)
class CodeSpec:
    """What to build, what it is called on and what is compared: the parameters both code
    kinds share. Every size is written symbolically and set by ``sizes`` and ``cases``."""

    class_name: str = ""
    """The nn.Module class to build (or give ``function``)."""
    function: str = ""
    """A function to call instead of a class (``conv_output_size``); it has no weights."""
    init_args: tuple[Any, ...] = ()
    """Positional constructor arguments: numbers, booleans or lists of them."""
    init_kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword constructor arguments, e.g. ``{hidden_size: 16, bias: false}``."""
    inputs: tuple[Input, ...] = ()
    """The call's arguments, in order (see Input): name, shape, dtype, values, group, mask."""
    sizes: dict[str, Any] = field(default_factory=dict)
    """The symbolic sizes: ``{N: 2, C: 3, H: 8}``. A value may be arithmetic of earlier sizes
    and of the constructor's arguments: ``init_args[0]``, or an ``init_kwargs`` name."""
    cases: tuple[dict[str, Any], ...] = ()
    """One call per entry, each overriding ``sizes`` and choosing mask variants and plain
    inputs' values: ``[{batch: 2, seq: 5, mask: causal}]``. Default: one call with ``sizes``."""
    compare: tuple[str, ...] = ("shape", "values")
    """What must agree with the reference, in order: ``shape`` (of every output),
    ``values`` (outputs with the same grader-chosen weights), ``input_gradients`` and
    ``parameter_gradients`` (of a seeded projection of the outputs), ``parameter_count``,
    ``state_dict`` (the parameters' names and shapes), ``initial_parameters`` (the values
    every parameter and buffer has right after construction, after the same
    ``torch.manual_seed`` as the reference's, within ``tolerance``: for a question that fixes
    a deterministic start such as ones, zeros or the identity; ``values`` alone cannot see
    it, since the grader loads its own weights into both classes). The default
    ``[shape, values]``."""
    output_shape: tuple[Any, ...] = ()
    """The output's shape in symbolic sizes (``[N, 16, H, W]``; a list of shapes for a tuple
    output); by default the reference's output shape on the same inputs."""
    describe: str = ""
    """How a case is named to the student, a template of sizes and input names:
    ``"batch {N}, image {H}×{W}"``. Default: the sizes the inputs use and each mask's
    variant (``N 2, C 3, H 8, W 8``)."""
    tolerance: float = 1e-6
    """Largest absolute difference of values (and gradients) still counted as equal."""
    forbidden: tuple[str, ...] = ()
    """Names the question tells the student not to use (``[logsumexp]``, ``[torch.logsumexp,
    F.softmax]``; a dotted entry matches its last part). Checked on the code's syntax before
    anything runs: a name, an attribute (``torch.logsumexp``, ``x.logsumexp()``), an import
    (``from torch import logsumexp as l``) or a string equal to it (``getattr(torch,
    "logsumexp")``) makes the answer incorrect. Best effort: a name built from pieces of text
    is not caught."""

    def __post_init__(self) -> None:
        for entry in self.forbidden:
            if not isinstance(entry, str) or not all(piece.isidentifier() for piece in entry.split(".")):
                raise TypeError(f"forbidden: {entry!r} is not a Python name (e.g. logsumexp or torch.logsumexp)")
        if bool(self.class_name) == bool(self.function):
            raise TypeError("give either class_name (a class to build) or function (a function to call)")
        if not self.inputs:
            raise TypeError("inputs: declare the arguments the code is called with")
        for value in (*self.init_args, *self.init_kwargs.values()):
            if not _plain(value):
                raise TypeError(f"constructor argument {value!r} must be a number, a boolean or a list of them")
        names = [item.name for item in self.inputs]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise TypeError(f"inputs: {', '.join(duplicated)} declared twice")
        unknown = [name for name in self.compare if name not in COMPARISONS]
        if unknown:
            raise TypeError(f"compare: {unknown[0]!r} is not one of {', '.join(COMPARISONS)}")
        if self.function and WEIGHTS & set(self.compare):
            raise TypeError("compare: a function has no parameters")
        settable = {*self.sizes, *(item.name for item in self.inputs if item.mask or not item.tensor)}
        for index, case in enumerate(self.cases):
            for key in case:
                if key not in settable:
                    raise TypeError(f"cases[{index}]: {key!r} is neither a size nor a mask or plain input")
        builds(self)  # every size resolves and every mask variant exists, or TypeError says which
        self._check_describe(settable)

    def _check_describe(self, settable: set[str]) -> None:
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(self.describe) if name is not None]
        except ValueError as error:
            raise TypeError(f"describe: {error}") from None
        for name in fields:
            if name not in settable:
                known = ", ".join(sorted(settable)) or "none"
                raise TypeError(f"describe: {{{name}}} is neither a size nor a mask or plain input (known: {known})")

    @property
    def target(self) -> str:
        """The class or function the student writes."""
        return self.class_name or self.function


def forbidden_use(tree: ast.AST, forbidden: Sequence[str]) -> tuple[str, int] | None:
    """The first forbidden entry the parsed code uses, as the spec writes it, and its line;
    None when it uses none. Read from the syntax only (nothing is run): a name, an
    attribute's last part, an imported name, or a string equal to the name (``getattr``).
    A name the code defines itself (``def logsumexp``, then ``lse = logsumexp``) is its own;
    binding the library's to it is caught where it is reached (``torch.logsumexp``, an import)."""
    wanted = {entry.rsplit(".", 1)[-1]: entry for entry in forbidden}
    wanted.update({entry: entry for entry in forbidden})  # "torch.logsumexp" written as text
    own = _defined_here(tree)
    uses = [
        (getattr(node, "lineno", 0), wanted[name])
        for node in ast.walk(tree)
        for name in _used(node)
        if name in wanted and not (isinstance(node, ast.Name) and name in own)
    ]
    if not uses:
        return None
    line, entry = min(uses)
    return entry, line


def _defined_here(tree: ast.AST) -> set[str]:
    """The names the code binds itself: functions, classes and assignment targets."""
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    names = {node.name for node in ast.walk(tree) if isinstance(node, kinds)}
    stored = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    return names | stored


def _used(node: ast.AST) -> tuple[str, ...]:
    """The names a node uses: defining a name (``logsumexp = ...``, ``def logsumexp``) is not using it."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
        return (node.id,)
    if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
        return (node.attr,)
    if isinstance(node, ast.alias):
        return (node.name.rsplit(".", 1)[-1],)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    return ()


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return value is None or isinstance(value, bool | int | float | str)


# ----------------------------------------------------------------- sizes arithmetic

_TOKEN = re.compile(r"\s*(?:(\d+)|(init_args\[\d+\])|([A-Za-z_]\w*)|(//|[-+*()]))")


def _parse(text: str, where: str) -> list[str]:
    """Tokens of a size expression: numbers, names, ``init_args[i]``, + - * // ( )."""
    text = str(text)
    tokens, position = [], 0
    while position < len(text.rstrip()):
        found = _TOKEN.match(text, position)
        if not found:
            raise TypeError(f"{where}: cannot read {text!r} as a size (numbers, names, + - * // and parentheses)")
        tokens.append(next(group for group in found.groups() if group is not None))
        position = found.end()
    if not tokens:
        raise TypeError(f"{where}: an empty size")
    return tokens


def evaluate(text: Any, names: Mapping[str, int], where: str) -> int:
    """The value of a size expression, never by eval: a tiny recursive-descent reader."""
    if isinstance(text, bool):
        raise TypeError(f"{where}: {text!r} is not a size")
    if isinstance(text, int):
        return text
    tokens = _parse(str(text), where)
    position = 0

    def peek() -> str:
        return tokens[position] if position < len(tokens) else ""

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def atom() -> int:
        token = take() if peek() else ""
        if token == "(":
            value = total()
            if peek() != ")":
                raise TypeError(f"{where}: unbalanced parentheses in {text!r}")
            take()
            return value
        if token == "-":
            return -atom()
        if not token:
            raise TypeError(f"{where}: cannot read {text!r} as a size: it ends too early")
        if token.isdigit():
            return int(token)
        if token in names:
            return names[token]
        raise TypeError(f"{where}: unknown size {token!r} in {text!r}; known: {', '.join(sorted(names)) or 'none'}")

    def product() -> int:
        value = atom()
        while peek() in ("*", "//"):
            operator, right = take(), atom()
            if operator == "//" and right == 0:
                raise TypeError(f"{where}: division by zero in {text!r}")
            value = value * right if operator == "*" else value // right
        return value

    def total() -> int:
        value = product()
        while peek() in ("+", "-"):
            operator, right = take(), product()
            value = value + right if operator == "+" else value - right
        return value

    value = total()
    if position != len(tokens):
        raise TypeError(f"{where}: cannot read {text!r} as a size")
    return value


def _range(text: str, where: str) -> tuple[str, str]:
    low, separator, high = str(text).partition("..")
    if not separator:
        raise TypeError(f"{where}: values must be normal, uniform or a range LOW..HIGH, not {text!r}")
    _parse(low, where)
    _parse(high, where)
    return low, high


def constructor_names(init_args: Sequence[Any], init_kwargs: Mapping[str, Any]) -> dict[str, int]:
    """The whole-number constructor arguments a size may name: ``init_args[0]``, ``hidden_size``."""
    names = {f"init_args[{i}]": v for i, v in enumerate(init_args) if isinstance(v, int) and not isinstance(v, bool)}
    names.update({k: v for k, v in init_kwargs.items() if isinstance(v, int) and not isinstance(v, bool)})
    return names


@dataclass(frozen=True)
class Case:
    """One call, resolved: every size's value, and each mask's variant or plain input's value."""

    sizes: dict[str, int]
    choices: dict[str, Any]
    known: dict[str, int] = field(default_factory=dict)
    """The sizes and the constructor's whole-number arguments, which shapes may also name."""


def resolve(spec: CodeSpec, case: Mapping[str, Any], init_args: Sequence[Any]) -> Case:
    """The sizes of one case built with ``init_args``; TypeError names what does not resolve."""
    names = constructor_names(init_args, spec.init_kwargs)
    sizes: dict[str, int] = {}
    for name, value in {**spec.sizes, **{k: v for k, v in case.items() if k in spec.sizes}}.items():
        sizes[name] = evaluate(value, {**names, **sizes}, f"sizes.{name}")
        if sizes[name] < 0:
            raise TypeError(f"sizes.{name} is {sizes[name]}, a size cannot be negative")
    known = {**names, **sizes}
    choices = {}
    for item in spec.inputs:
        for size in item.shape:
            if evaluate(size, known, f"input {item.name}: shape") < 0:
                raise TypeError(f"input {item.name}: the size {size} is negative with these sizes")
        if item.values not in ("", "normal", "uniform"):
            low, high = (
                evaluate(bound, known, f"input {item.name}: values") for bound in _range(item.values, item.name)
            )
            if high < low:
                raise TypeError(f"input {item.name}: the range {item.values} is empty with these sizes")
        if item.mask:
            variant = str(case.get(item.name, "none"))
            if variant not in MASK_VARIANTS:
                raise TypeError(f"{item.name}: mask variant must be one of {', '.join(MASK_VARIANTS)}, not {variant!r}")
            if item.mask not in sizes:
                raise TypeError(f"input {item.name}: mask over unknown size {item.mask!r}")
            choices[item.name] = variant
        elif not item.tensor and item.name in case:
            if isinstance(case[item.name], list | dict) or not _plain(case[item.name]):
                raise TypeError(f"{item.name}: a plain input's value must be a number or a boolean")
            choices[item.name] = case[item.name]
    count = sum(math.prod(evaluate(s, known, item.name) for s in item.shape) for item in spec.inputs if item.tensor)
    if count > MAX_ELEMENTS:
        raise TypeError(f"the inputs have {count:,} numbers; at most {MAX_ELEMENTS:,} are sent to the sandbox")
    resolved = Case(sizes, choices, known)
    if spec.output_shape:
        shapes(spec, resolved)  # every size of the declared output resolves
    return resolved


def builds(spec: CodeSpec, init_args: Sequence[Any] | None = None) -> list[Case]:
    """Every case of the spec, resolved with ``init_args`` (default the spec's)."""
    init_args = spec.init_args if init_args is None else init_args
    resolved = []
    for index, case in enumerate(spec.cases or ({},)):
        found = resolve(spec, case, init_args)
        rng = random.Random(1000 + index)  # a plain input the case leaves open: drawn, and named
        for item in spec.inputs:
            if not item.tensor and item.name not in found.choices:
                found.choices[item.name] = _draw(item, found.known, rng)
        resolved.append(found)
    return resolved


# ----------------------------------------------------------------- inputs and words


def calls(spec: CodeSpec, cases: Sequence[Case], seed: int = 7) -> list[dict[str, Any]]:
    """Seeded inputs for every case, as tagged nested lists (``{"tensor": …, "dtype": …}``)."""
    rng = random.Random(seed)
    return [_call(spec, case, rng) for case in cases]


def _call(spec: CodeSpec, case: Case, rng: random.Random) -> dict[str, Any]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    groups: dict[str, list[Any]] = {}
    for item in spec.inputs:
        value = _value(spec, item, case, rng)
        if item.group:
            if item.group in groups:
                groups[item.group].append(value)
                continue
            groups[item.group] = [value]
            value = {"tuple": groups[item.group]}  # filled as later members come
        if item.keyword:
            kwargs[item.group or item.name] = value
        else:
            args.append(value)
    return {"args": args, "kwargs": kwargs}


def _value(spec: CodeSpec, item: Input, case: Case, rng: random.Random) -> Any:
    if item.mask:
        return _mask(spec, item, case, rng)
    if not item.tensor:
        return {"value": case.choices.get(item.name)}
    shape = [evaluate(size, case.known, item.name) for size in item.shape]
    return {"tensor": _fill(shape, lambda: _draw(item, case.known, rng)), "dtype": item.dtype}


def _draw(item: Input, sizes: Mapping[str, int], rng: random.Random) -> Any:
    if item.dtype == "bool":
        return rng.random() < 0.5
    values = item.values or ("0..9" if item.dtype == "long" else "normal")
    if values == "normal":
        return round(rng.gauss(0, 1), 6)
    if values == "uniform":
        return round(rng.random(), 6)
    low, high = (evaluate(bound, sizes, item.name) for bound in _range(values, item.name))
    if item.dtype == "long":
        return rng.randint(low, max(low, high))
    return round(rng.uniform(low, high), 6)


def _fill(shape: Sequence[int], draw: Any) -> Any:
    if not shape:
        return draw()
    return [_fill(shape[1:], draw) for _ in range(shape[0])]


def _mask(spec: CodeSpec, item: Input, case: Case, rng: random.Random) -> Any:
    variant = case.choices[item.name]
    length = case.sizes[item.mask]
    if variant == "causal":
        rows = [[[[1 if j <= i else 0 for j in range(length)] for i in range(length)]]]
        return {"tensor": rows, "dtype": item.dtype}
    if variant == "padding":
        batch = _batch_size(spec, item, case)
        lengths = [rng.randint(1, length) for _ in range(batch)]
        rows = [[[[1 if j < n else 0 for j in range(length)]]] for n in lengths]
        return {"tensor": rows, "dtype": item.dtype}
    return None


def _batch_size(spec: CodeSpec, item: Input, case: Case) -> int:
    if item.mask_batch:
        return evaluate(item.mask_batch, case.known, item.name)
    first = next((other for other in spec.inputs if other.tensor and not other.mask and other.shape), None)
    return evaluate(first.shape[0], case.known, item.name) if first else 1


def describe_case(spec: CodeSpec, case: Case) -> str:
    """The case in the spec's words: its ``describe`` template, else its sizes and variants."""
    if spec.describe:
        words = {**case.sizes, **{name: _variant_words(name, v, spec) for name, v in case.choices.items()}}
        try:
            return string.Formatter().vformat(spec.describe, (), _Words(words))
        except (ValueError, IndexError, AttributeError):
            pass  # a malformed template: fall back to the plain description
    used: list[str] = []
    for item in spec.inputs:
        for size in item.shape:
            used += [token for token in _parse(size, item.name) if token in case.sizes and token not in used]
    parts = [f"{name} {case.sizes[name]}" for name in used]
    parts += [_variant_words(name, value, spec) for name, value in case.choices.items()]
    return ", ".join(parts) or "the declared inputs"


class _Words(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _variant_words(name: str, value: Any, spec: CodeSpec) -> str:
    if any(item.name == name and item.mask for item in spec.inputs):
        return {"none": f"no {name}", "causal": f"a causal {name}", "padding": f"a padding {name}"}[str(value)]
    return f"{name} {value}"


def shapes(spec: CodeSpec, case: Case) -> Any:
    """The declared ``output_shape`` for this case (a list of shapes for a tuple output)."""

    def one(shape: Sequence[Any]) -> Any:
        if shape and all(isinstance(item, list | tuple) for item in shape):
            return [one(item) for item in shape]
        return [evaluate(size, case.known, "output_shape") for size in shape]

    return one(spec.output_shape)


# ----------------------------------------------------------------- the sandbox


def sandbox() -> Sandbox:
    """This process's sandbox (see :func:`autograder.sandbox.shared`)."""
    return shared()


def prestart() -> None:
    """Spawn this process's sandbox now, so its torch import overlaps other grading."""
    sandbox().prestart()


def run_module(
    source: str, payload: dict[str, Any], filename: str = "submission.py", *, hide_source: bool = False
) -> RunResult:
    """Run the sandbox's ``module`` task; a sandbox that cannot start becomes a ``crashed`` result.

    ``hide_source``: the child runs the source from memory, with no file of it to read
    (a template filled with reference answers the student's code must not see)."""
    try:
        run = sandbox().run("module", source, payload, filename=filename, hide_source=hide_source)
    except SandboxError as error:
        return RunResult("crashed", error_type="SandboxError", error_message=f"the sandbox could not start: {error}")
    initial = bool(payload.get("initial_state")) and "class_name" in payload
    if run.status == "ok" and not well_formed(run.value, len(payload.get("calls", [])), initial=initial):
        # The child runs next to the code it reports on: code that rewrote the report is its own error.
        return RunResult("error", error_type="UnreadableResult", error_message=UNREADABLE_RESULT)
    return run


UNREADABLE_RESULT = "the run's results are not in the form the grader sends them (did the code change the grader?)"


def well_formed(value: Any, calls: int, *, initial: bool = False) -> bool:
    """The ``module`` task's report as the harness writes it: one output per call, tensors as
    shape and values (and, when asked, the state right after construction); anything else
    came from code that tampered with the report."""
    if not isinstance(value, dict):
        return False
    if initial:
        start = value.get("initial_state_dict")
        if not isinstance(start, dict) or not all(_is_tensor(tensor) for tensor in start.values()):
            return False
    outputs, state = value.get("outputs"), value.get("state_dict")
    if not isinstance(outputs, list) or len(outputs) != calls or not all(_is_output(o) for o in outputs):
        return False
    if not isinstance(state, dict) or not all(_is_tensor(tensor) for tensor in state.values()):
        return False
    return isinstance(value.get("parameters"), list) and isinstance(value.get("attributes"), dict)


MAX_REPORTED_ELEMENTS = 1_000_000
"""Most numbers one reported tensor may hold (the harness refuses larger ones): the grader
builds weights of a reported shape, so a forged ``[30000, 30000]`` must not get that far."""


def _is_output(value: Any, depth: int = 0) -> bool:
    """One call's report: an error, a tensor, a plain value, or a tuple of those (bounded depth)."""
    if not isinstance(value, dict) or depth > 8:
        return False
    if "error_type" in value:
        return True
    if "items" in value:
        items = value["items"]
        return isinstance(items, list) and len(items) <= 64 and all(_is_output(item, depth + 1) for item in items)
    if "shape" in value:
        return _is_tensor(value)
    return True


def _is_tensor(value: Any) -> bool:
    """A tensor as the harness encodes it: whole sizes, at most MAX_REPORTED_ELEMENTS numbers,
    and values nested exactly as the shape says."""
    if not isinstance(value, dict) or not isinstance(value.get("shape"), list) or "values" not in value:
        return False
    shape = value["shape"]
    if len(shape) > 16 or not all(isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape):
        return False
    if math.prod(shape) > MAX_REPORTED_ELEMENTS:
        return False
    return _nested_as(value["values"], shape)


def _nested_as(values: Any, shape: Sequence[int]) -> bool:
    if not shape:
        return isinstance(values, int | float) and not isinstance(values, bool)
    return isinstance(values, list) and len(values) == shape[0] and all(_nested_as(item, shape[1:]) for item in values)


def payload(
    spec: CodeSpec, init_args: Sequence[Any] | None = None, *, cases: Sequence[Case] | None = None
) -> dict[str, Any]:
    """The ``module`` task's payload: what to build, its calls, and what the child reports."""
    init_args = spec.init_args if init_args is None else init_args
    gradients = [name for name in ("input_gradients", "parameter_gradients") if name in spec.compare]
    result: dict[str, Any] = {
        "init_args": list(init_args),
        "init_kwargs": dict(spec.init_kwargs),
        "calls": calls(spec, builds(spec, init_args) if cases is None else cases),
        "gradients": {
            "seed": 5,
            "inputs": "input_gradients" in gradients,
            "parameters": "parameter_gradients" in gradients,
        }
        if gradients
        else None,
    }
    result["function" if spec.function else "class_name"] = spec.target
    return result


def grader_weights(state_dict: dict[str, Any], parameters: Sequence[str], seed: int = 11) -> dict[str, Any]:
    """Seeded random values for every parameter of ``state_dict`` (names and shapes as the
    sandbox reported them), scaled by 1/√fan-in; buffers keep their own values.

    Loaded into the student's class and the reference alike, they make the comparison
    independent of the parameters the student's code chose (zeros fit anything)."""
    rng = random.Random(seed)
    weights: dict[str, Any] = {}
    for name in sorted(state_dict):
        tensor = state_dict[name]
        if name not in parameters:
            weights[name] = tensor["values"]
            continue
        shape = list(tensor["shape"])
        scale = 1 / math.sqrt(max(shape[-1] if len(shape) > 1 else 1, 1))
        weights[name] = _tensor(rng, shape, scale)
    return weights


def _tensor(rng: random.Random, shape: Sequence[int], scale: float = 1.0) -> Any:
    """Seeded normal values of this shape as nested lists (a number for shape [])."""
    if not shape:
        return round(rng.gauss(0, scale), 6)
    return [_tensor(rng, shape[1:], scale) for _ in range(shape[0])]


# ----------------------------------------------------------------- comparisons


def output_shape(output: dict[str, Any]) -> Any:
    """The shape of an encoded output: a list of sizes, a list of them for a tuple, or
    ``number`` for a plain number."""
    if "items" in output:
        return [output_shape(item) for item in output["items"]]
    if "shape" in output:
        return list(output["shape"])
    if output.get("value", 0) is None:
        return "None"
    return "number"


def show_shape(shape: Any) -> str:
    """An output's shape for the student: ``a tensor of shape [2, 6]``, ``a plain number``,
    ``None (nothing returned)``, ``a tuple (…, …)``."""
    if shape == "number":
        return "a plain number"
    if shape == "None":
        return "None (nothing was returned)"
    if shape and all(isinstance(item, list) or item in ("number", "None") for item in shape):
        return "a tuple (" + ", ".join(show_shape(item) for item in shape) + ")"
    if shape == [] or all(isinstance(item, int) for item in shape):
        return f"a tensor of shape {shape}"
    return "an empty tuple"


def show_difference(difference: float) -> str:
    """``largest difference 0.852``, or why there is no number (a missing gradient, a NaN)."""
    if math.isinf(difference):
        return "some are missing, not numbers or of another shape"
    return f"largest difference {difference:.3g}"


def leaves(output: dict[str, Any]) -> Iterator[Any]:
    """The values of an encoded output, tensor by tensor (tuples flattened)."""
    if "items" in output:
        for item in output["items"]:
            yield from leaves(item)
    elif "values" in output:
        yield output["values"]
    else:
        yield output.get("value")


def output_difference(ours: dict[str, Any], theirs: dict[str, Any]) -> float:
    """Largest absolute difference of two outputs of the same shape (inf when they differ
    in kind, e.g. a None where a number is, or when one is NaN)."""
    worst = 0.0
    for a, b in zip(leaves(ours), leaves(theirs), strict=True):
        if (a is None) != (b is None):
            return math.inf
        if a is not None:
            worst = max(worst, max_difference(a, b))
    return worst


def mismatch(spec: CodeSpec, ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[str, float] | None:
    """The first of ``shape``, ``values``, ``input_gradients``, ``parameter_gradients`` (as
    ``compare`` lists them) on which one call's two outputs disagree, with the largest
    difference (inf for a shape); None when they agree. Shapes always count when values do."""
    same_shape = output_shape(ours) == output_shape(theirs)
    if ("shape" in spec.compare or "values" in spec.compare) and not same_shape:
        return "shape", math.inf
    for name in ("values", "input_gradients", "parameter_gradients"):
        if name not in spec.compare:
            continue
        if name == "values":
            difference = output_difference(ours, theirs)
        else:
            difference = gradient_difference(ours.get(name), theirs.get(name))
        if difference > spec.tolerance:
            return name, difference
    return None


@dataclass(frozen=True)
class StartDifference:
    """How two classes' freshly built parameters and buffers differ, by name only (never the
    reference's values or shapes, which may be the answer)."""

    missing: list[str]
    """Names the reference has and the student's class does not."""
    extra: list[str]
    """Names the student's class has and the reference does not."""
    reshaped: list[str]
    """Names both have, with another shape."""
    different: list[str]
    """Names both have, of the same shape, whose values differ by more than the tolerance."""

    @property
    def comparable(self) -> bool:
        """The same names and shapes: the values could be compared."""
        return not (self.missing or self.extra or self.reshaped)


def start_difference(mine: dict[str, Any], reference: dict[str, Any], tolerance: float) -> StartDifference:
    """Compare two ``initial_state_dict`` reports (name → encoded tensor)."""
    common = sorted(set(mine) & set(reference))
    reshaped = [name for name in common if mine[name]["shape"] != reference[name]["shape"]]
    different = [
        name
        for name in common
        if name not in reshaped and max_difference(mine[name]["values"], reference[name]["values"]) > tolerance
    ]
    return StartDifference(
        missing=sorted(set(reference) - set(mine)),
        extra=sorted(set(mine) - set(reference)),
        reshaped=reshaped,
        different=different,
    )


def gradient_difference(mine: Any, reference: Any) -> float:
    """Largest difference of two gradient reports (lists, or parameter name → tensor); inf when
    they differ in which gradients exist or in their shapes."""
    if isinstance(mine, dict) and isinstance(reference, dict):
        if sorted(mine) != sorted(reference):
            return math.inf
        mine, reference = [mine[k] for k in sorted(mine)], [reference[k] for k in sorted(reference)]
    if not isinstance(mine, list) or not isinstance(reference, list) or len(mine) != len(reference):
        return math.inf
    worst = 0.0
    for a, b in zip(mine, reference, strict=True):
        if a is None or b is None:
            if (a is None) != (b is None):
                return math.inf
            continue
        if a["shape"] != b["shape"]:
            return math.inf
        worst = max(worst, max_difference(a["values"], b["values"]))
    return worst


def flatten(values: Any) -> Iterator[float]:
    if isinstance(values, list):
        for item in values:
            yield from flatten(item)
    else:
        yield float(values)


def max_difference(a: Any, b: Any) -> float:
    """Largest absolute difference of two equally shaped nested lists (inf when NaN)."""
    worst = 0.0
    try:
        pairs = list(zip(flatten(a), flatten(b), strict=True))
    except (ValueError, TypeError):
        return math.inf
    for x, y in pairs:
        difference = abs(x - y)
        if math.isnan(difference):
            return math.inf
        worst = max(worst, difference)
    return worst


def error_sentence(output: dict[str, Any]) -> str:
    """``RuntimeError: shape [7, -1] is invalid …`` plus where it was raised."""
    sentence = f"{output.get('error_type', 'Error')}: {output.get('error_message', '')}".strip()
    where = raised_in(output.get("traceback", ""))
    return f"{sentence} (raised in {where})" if where else sentence


_FRAME = re.compile(r'File "[^"]*", line (\d+), in (\w+)')


def raised_in(traceback: str) -> str:
    """The innermost frame of the student's own file: ``forward, line 31``."""
    frames = _FRAME.findall(traceback or "")
    if not frames:
        return ""
    line, function = frames[-1]
    return f"{function}, line {line}"


#: Statuses of a run stopped by its own limits: the child builds and calls in one run, so
#: all that is known is that it stopped somewhere while being built or called.
STOPPED = frozenset({"timeout", "memory"})


def stopped_sentence(result: RunResult, what: str, stage: str) -> str:
    """``Your class did not finish within the time limit while being built or called: stopped
    after 5 s …``: what is known of a run its time or memory limit stopped, no more."""
    happened = STATUS_SENTENCES.get(result.status, result.status)
    detail = f": {result.error_message}" if result.error_message else ""
    return f"Your {what} {happened} while being {stage}{detail}."


def failure(result: RunResult) -> str:
    """A sentence for a run that did not finish normally."""
    if result.status == "error":
        detail = f"{result.error_type}: {result.error_message}".strip(": ")
        where = raised_in(result.traceback)
        return f"{detail} (raised in {where})" if where else detail
    what = STATUS_SENTENCES.get(result.status, result.status)
    return f"it {what}: {result.error_message}".rstrip(": ")
