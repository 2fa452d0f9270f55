"""What a blank of a code template may use: an allow-list, checked before the
blank goes anywhere near the template (the code-template kind).

Why: the filled template runs in the sandbox, and a blank made only of names,
numbers and calls can still reach ``exec``, ``open`` or ``torch.load``.
Nothing here runs code. A blank is first read by the shared Python-notation
reader with :data:`SYNTAX` (names, attributes, numbers, ``+ - * / // @``,
unary signs, comparisons (``h > 0``, ``==``; never ``is`` or ``in``), calls
with keyword arguments, method calls on values, calls of a call's result (a
module built and applied: ``nn.ReLU()(h)``), indexing with numbers and slices,
tuples and lists; never text in quotes, lambdas, comprehensions, ``:=``,
``**keyword`` unpacking, if-else or statements), and then looked at
here as written after the template's own prefix (``torch.___(e)___`` makes
``load`` mean ``torch.load``).

A blank may use:

- the names the template binds where the blank stands: its module-level
  imports, definitions and assignments, and the parameters and locals of the
  function holding the blank (``self``, ``x``, ``h``, ``batch_size``);
- a few harmless built-ins (:data:`SAFE_BUILTINS`), never the others;
- chains from an imported module (``nn.functional.relu``) that pass only
  through :data:`ALLOWED_MODULES` and do not end on a denied name;
- any other attribute chain or method call (``self.proj``, ``x.size(1)``,
  ``x.tanh()``, ``self.conv(x).relu()``) whose attributes are neither private
  nor denied.

Methods are judged by a deny-list (:data:`DENIED_ATTRIBUTES`,
:data:`DENIED_PARTS`), not an allow-list, on purpose: a template calls its own
submodules and methods (``self.conv(x)``, ``self.cell(x, h)``), which no fixed
list can know, and tensor methods are hundreds. What a blank must never reach
is the short, stable list of ways to files, code, raw memory, hooks and global
state (``.numpy().tofile``, ``.storage()``, ``.load``, ``.save``, ``.apply``,
``.register_forward_hook``, ``torch.manual_seed``), denied by name or by a
piece of one; a test checks that every module torch exposes is denied. The
sandbox remains the boundary; this list is the layer in front of it.

Nothing starting with an underscore may appear anywhere (no ``__class__``).
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from autograder.mathread import pycode

ALLOWED_MODULES = frozenset(
    {
        "math",
        "torch",
        "torch.nn",
        "torch.nn.functional",
        "torch.nn.init",
        "torch.linalg",
        "torch.special",
        "torch.fft",
        "torch.functional",
    }
)
"""The namespaces a chain from an imported module may pass through (and end on)."""

SAFE_BUILTINS = frozenset(
    {"abs", "bool", "divmod", "float", "int", "len", "list", "max", "min", "pow", "range", "round", "sum", "tuple"}
)
"""The only built-ins a blank may use; the others (exec, open, getattr, type...) never."""

DENIED_ATTRIBUTES = frozenset(
    {
        # Modules reachable from the allowed namespaces (a test checks torch's own list).
        "accelerator", "amp", "ao", "attention", "autograd", "backends", "builtins", "classes",
        "common_types", "compiler", "cpp", "cpu", "ctypes", "cuda", "dataclasses", "distributed",
        "distributions", "export", "F", "func", "functools", "futures", "fx", "glob", "grad", "hub",
        "importlib", "inspect", "intrinsic", "itertools", "jit", "library", "masked", "math", "modules",
        "monitor", "mps", "mtia", "multiprocessing", "nested", "np", "onnx", "operator", "ops", "optim",
        "os", "overrides", "package", "parallel", "parameter", "platform", "profiler", "qat",
        "quantizable", "quantization", "quantized", "quasirandom", "random", "return_types",
        "serialization", "signal", "sparse", "storage", "sys", "testing", "textwrap", "threading",
        "torch", "torch_version", "types", "utils", "version", "warnings", "windows", "xpu",
        # Functions and methods that reach memory, files or code.
        "apply", "apply_", "compile", "data_ptr", "dump", "dumps", "from_file", "load", "map2_", "map_",
        "numpy", "save", "set_", "tofile",
        # Uninitialised memory: it holds what the process held before (payloads, tracebacks).
        "empty", "empty_like", "empty_strided", "empty_permuted", "new_empty", "new_empty_strided",
        "frombuffer", "as_strided", "resize_", "to_empty",
        # Global state the comparison with the reference depends on.
        "manual_seed", "seed", "set_rng_state", "set_flush_denormal", "set_state", "get_state",
        "default_generator", "get_rng_state",
        # Text of a module or tensor: it quotes the sizes the other blanks' reference answers set.
        "extra_repr", "typename",
    }
)  # fmt: skip
"""Attributes no blank may use: other modules, files, code, raw memory."""

DENIED_PARTS = (
    "compil", "delattr", "dlpack", "environ", "eval", "exec", "file", "fork", "getattr", "global",
    "hook", "import", "jit", "library", "load", "open", "pickle", "process", "register", "repr", "save",
    "script", "serializ", "set_default", "setattr", "share_memory", "socket", "spawn", "storage", "system", "thread",
)  # fmt: skip
"""Pieces of names (lower case) that mark an attribute as denied: ``UntypedStorage``,
``import_ir_module``, ``load_state_dict``, ``register_forward_hook``."""

NOT_ALLOWED_BUILTIN = "{name} is a Python built-in that a blank may not use; of the built-ins, a blank may use {safe}."
NOT_ALLOWED_PRIVATE = (
    "{name} starts with an underscore: hidden names and attributes (such as __class__) may not appear in a blank."
)
NOT_ALLOWED_NAMESPACE = (
    "{chain} may not appear in a blank: {namespace} is not one of the namespaces a blank may use ({allowed})."
)
NOT_ALLOWED_ATTRIBUTE = (
    "{chain} may not appear in a blank: '{name}' is one of the names a blank never needs "
    "(they reach files, code, memory or the system)."
)
NOT_ALLOWED_MODULE = (
    "{name} may not appear in a blank: it is the module {module}, and of the modules a blank may use only "
    "math and torch (with torch.nn and its functions)."
)
NOT_ALLOWED_SYNTAX = "{what} may not appear in a blank."
NOT_READABLE = (
    "Found {what}, which a blank cannot hold: a blank holds names, attributes, numbers, + - * / // % ** @, "
    "comparisons such as h > 0, calls (with keyword arguments such as dim=1), methods such as x.relu(), "
    "a module built and applied such as nn.ReLU()(h), indexing such as x[:, -1], and tuples or lists of these."
)

SYNTAX = pycode.Syntax(
    nodes=pycode.EXPRESSION_NODES | pycode.INDEXING_NODES | {ast.Compare},
    operators=frozenset(
        {ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult, ast.USub, ast.UAdd}
    ),
    constants=frozenset({int, float, bool, type(None), type(...)}),
    methods=True,
    keywords=True,
    call_results=True,
    max_chars=300,
    max_depth=40,
    unquote=True,
    not_allowed=NOT_READABLE,
    too_long="The fragment is {length:,} characters long; a blank takes at most {limit} characters.",
    too_deep="The fragment is nested too deeply to be a blank of the template.",
)
"""What a blank of a code template can hold at all, whatever the template: the whitelist
the shared reader checks before :func:`refusal` looks at the names."""
_CONSTANTS = SYNTAX.constants
COMPARISONS = frozenset({ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE})
"""The comparisons a blank may hold (``h > 0`` as a mask); ``is`` and ``in`` compare
identities and containers, which no blank of a module needs."""
DOES_NOT_FIT = "Written after the template's '{prefix}.', {shown} is not a Python expression."

_BUILTINS = frozenset(dir(builtins))
_BLANK = re.compile(r"___\((\w+)\)___")
_FUNCTION = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSION = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class Scope:
    """Where a blank stands in its template: what the names of the blank mean there."""

    prefix: str = ""
    """The template's code right before the blank when the blank is an attribute
    (``torch`` for ``torch.___(e)___``, ``self`` for ``self.___(h)___``), else empty."""
    values: frozenset[str] = frozenset()
    """Names bound there to values: parameters, locals, module-level definitions."""
    modules: dict[str, str] = field(default_factory=dict)
    """Names bound there by an import → the dotted path imported (``nn`` → ``torch.nn``)."""


def placeholder(blank: str) -> str:
    """The identifier that stands for a blank while the template is parsed."""
    return f"___blank_{blank}___"


def scope(source: str, blank: str) -> Scope:
    """The scope of ``___(blank)___`` in a template; ValueError when it cannot be found."""
    marked = _BLANK.sub(lambda match: placeholder(match.group(1)), source)
    try:
        tree = ast.parse(marked)
    except SyntaxError as error:
        message = f"the template is not Python once its blanks are names: {error.msg} (line {error.lineno})"
        raise ValueError(message) from None
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    name = placeholder(blank)
    target = next(
        (
            node
            for node in ast.walk(tree)
            if (isinstance(node, ast.Name) and node.id == name)
            or (isinstance(node, ast.Attribute) and node.attr == name)
        ),
        None,
    )
    if target is None:
        raise ValueError(f"the template has no blank ___({blank})___")
    ancestors: list[ast.AST] = []
    node: ast.AST = target
    while node in parents:
        node = parents[node]
        ancestors.append(node)
    values: dict[str, bool] = {}  # name → True when bound to a value, False when by an import
    modules: dict[str, str] = {}
    for holder in reversed(ancestors):  # from the module inwards: inner bindings win
        if isinstance(holder, ast.Module | ast.ClassDef):
            # A class body's names are visible to its own statements, not inside its methods.
            if isinstance(holder, ast.Module) or not _function_between(holder, ancestors):
                _bind(holder.body, values, modules)
        elif isinstance(holder, _FUNCTION):
            _bind_arguments(holder.args, values, modules)
            if not isinstance(holder, ast.Lambda):
                _bind(holder.body, values, modules)
        elif isinstance(holder, _COMPREHENSION):
            for generator in holder.generators:
                _bind([generator.target], values, modules)
    prefix = ast.unparse(target.value) if isinstance(target, ast.Attribute) else ""
    bound = frozenset(local for local, is_value in values.items() if is_value)
    return Scope(prefix=prefix, values=bound, modules={n: modules[n] for n in values if not values[n]})


def _function_between(holder: ast.ClassDef, ancestors: list[ast.AST]) -> bool:
    """Is the blank inside a function of this class (where class-level names are not visible)?"""
    return any(isinstance(node, _FUNCTION) for node in ancestors[: ancestors.index(holder)])


def _bind_arguments(arguments: ast.arguments, values: dict[str, bool], modules: dict[str, str]) -> None:
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    every += [argument for argument in (arguments.vararg, arguments.kwarg) if argument is not None]
    for argument in every:
        values[argument.arg] = True
        modules.pop(argument.arg, None)


def _bind(nodes: Sequence[ast.AST], values: dict[str, bool], modules: dict[str, str]) -> None:
    """Record, in source order, the names these nodes bind in their own scope (nested scopes skipped)."""
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            values[node.name] = True
            modules.pop(node.name, None)
            continue  # its body is its own scope
        if isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                values[local] = False
                modules[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            source = "." * node.level + (node.module or "")
            for alias in node.names:
                local = alias.asname or alias.name
                values[local] = False
                modules[local] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            values[node.id] = True
            modules.pop(node.id, None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            values[node.name] = True
            modules.pop(node.name, None)
        _bind(list(ast.iter_child_nodes(node)), values, modules)


def denied(name: str) -> bool:
    """Is this attribute one no blank may use (see :data:`DENIED_ATTRIBUTES`, :data:`DENIED_PARTS`)?"""
    lowered = name.lower()
    return name in DENIED_ATTRIBUTES or any(part in lowered for part in DENIED_PARTS)


def refusal(text: str, where: Scope, *, namespaces: bool = True) -> str:
    """Why the blank ``text`` may not be used where it stands; empty when it may.

    ``namespaces=False`` leaves out one reason: a chain through a module attribute
    that is not an allowed namespace (``torch.F.relu``). Such a blank is still
    never run, but it is a wrong answer (it would not run), not an unreadable one.
    """
    expression = _parse(text, where)
    if expression is None:
        return DOES_NOT_FIT.format(prefix=where.prefix, shown=text)
    return _refusal(expression, where, namespaces)


def undefined(text: str, where: Scope) -> str:
    """The first name of the blank that nothing binds where it stands (a NameError); empty when none."""
    expression = _parse(text, where)
    if expression is None:
        return ""
    names = sorted(
        (node.col_offset, node.id)
        for node in ast.walk(expression)
        if isinstance(node, ast.Name)
        and node.id not in where.values
        and node.id not in where.modules
        and node.id not in SAFE_BUILTINS
    )
    return names[0][1] if names else ""


def _parse(text: str, where: Scope) -> ast.expr | None:
    source = f"{where.prefix}.{text}" if where.prefix else text
    try:
        # Parsing only: the tree is looked at, never compiled or evaluated.
        return ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _refusal(node: ast.expr, where: Scope, namespaces: bool) -> str:
    if isinstance(node, ast.Name | ast.Attribute):
        return _chain_refusal(node, where, namespaces)
    if isinstance(node, ast.Constant) and type(node.value) in _CONSTANTS:
        return ""
    if isinstance(node, ast.UnaryOp | ast.BinOp) and type(node.op) not in SYNTAX.operators:
        return NOT_ALLOWED_SYNTAX.format(what=_sentence(pycode.describe(node)))
    if isinstance(node, ast.Call):
        for keyword in node.keywords:
            if keyword.arg is None:
                return NOT_ALLOWED_SYNTAX.format(what="**keyword unpacking")
            if keyword.arg.startswith("_"):
                return NOT_ALLOWED_PRIVATE.format(name=keyword.arg)
        if not isinstance(node.func, ast.Name | ast.Attribute | ast.Call):
            return NOT_ALLOWED_SYNTAX.format(what="A call of something that is not a name, a method or a call")
        # A call's result called (nn.ReLU()(h)): the inner call is judged like any other.
        return _first_refusal((node.func, *node.args, *(keyword.value for keyword in node.keywords)), where, namespaces)
    if isinstance(node, ast.Compare):
        refused = next((op for op in node.ops if type(op) not in COMPARISONS), None)
        if refused is not None:
            return NOT_ALLOWED_SYNTAX.format(what=f"The comparison '{_COMPARISON_WORDS[type(refused)]}'")
        return _first_refusal((node.left, *node.comparators), where, namespaces)
    if isinstance(node, ast.UnaryOp | ast.BinOp | ast.Subscript | ast.Slice | ast.Tuple | ast.List):
        children = [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        return _first_refusal(children, where, namespaces)
    what = "Text in quotes" if isinstance(node, ast.Constant) else _sentence(pycode.describe(node))
    return NOT_ALLOWED_SYNTAX.format(what=what)


_COMPARISON_WORDS: dict[type[ast.cmpop], str] = {ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


def _sentence(what: str) -> str:
    """``a lambda`` → ``A lambda``, to start a sentence (the rest keeps its case)."""
    return what[:1].upper() + what[1:]


def _first_refusal(nodes: Sequence[ast.expr], where: Scope, namespaces: bool) -> str:
    for node in nodes:
        found = _refusal(node, where, namespaces)
        if found:
            return found
    return ""


def _chain_refusal(node: ast.Name | ast.Attribute, where: Scope, namespaces: bool) -> str:
    attributes: list[str] = []
    root: ast.expr = node
    while isinstance(root, ast.Attribute):
        attributes.insert(0, root.attr)
        root = root.value
    if not isinstance(root, ast.Name):  # an attribute of a computed value: only the template writes those
        return _refusal(root, where, namespaces) or _attribute_refusal(ast.unparse(node), attributes)
    for name in (root.id, *attributes):
        if name.startswith("_"):
            return NOT_ALLOWED_PRIVATE.format(name=name)
    if root.id in where.modules:
        return _module_refusal(root.id, where.modules[root.id], attributes, namespaces)
    if root.id not in where.values and root.id in _BUILTINS and root.id not in SAFE_BUILTINS:
        return NOT_ALLOWED_BUILTIN.format(name=root.id, safe=", ".join(sorted(SAFE_BUILTINS)))
    return _attribute_refusal(".".join((root.id, *attributes)), attributes)


def _attribute_refusal(chain: str, attributes: list[str]) -> str:
    for name in attributes:
        if name.startswith("_"):
            return NOT_ALLOWED_PRIVATE.format(name=name)
        if denied(name):
            return NOT_ALLOWED_ATTRIBUTE.format(chain=chain, name=name)
    return ""


#: Names modules use for the allowed namespaces (``torch.functional.F`` is torch.nn.functional):
#: denied as attributes, but a chain through one where it does not exist (``torch.F.relu``)
#: is a wrong answer, not a hostile one.
NAMESPACE_ALIASES = frozenset({"F", "nn", "init", "functional", "linalg", "special", "fft"})


def _unsafe_namespace(name: str) -> bool:
    """A segment that names something dangerous in itself (``sys``, ``_C``, ``load``)."""
    return name.startswith("_") or (denied(name) and name not in NAMESPACE_ALIASES)


def _module_refusal(local: str, module: str, attributes: list[str], namespaces: bool) -> str:
    path = [*module.split("."), *attributes]
    chain = ".".join(path)
    if path[0] not in {allowed.split(".")[0] for allowed in ALLOWED_MODULES}:
        return NOT_ALLOWED_MODULE.format(name=local, module=module)
    for end in range(1, len(path)):
        namespace = ".".join(path[:end])
        if namespace not in ALLOWED_MODULES and (namespaces or _unsafe_namespace(path[end - 1])):
            allowed = ", ".join(sorted(ALLOWED_MODULES))
            return NOT_ALLOWED_NAMESPACE.format(chain=chain, namespace=namespace, allowed=allowed)
    if chain not in ALLOWED_MODULES and (path[-1].startswith("_") or denied(path[-1])):
        return NOT_ALLOWED_ATTRIBUTE.format(chain=chain, name=path[-1])
    return ""
