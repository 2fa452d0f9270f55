"""_blanks: what a blank of a code template may use, decided by looking, never by running."""

from __future__ import annotations

import builtins
import importlib
import types

import pytest

from autograder.graders import _blanks, token
from autograder.mathread import Unreadable
from tests.conftest import HW9_PROBLEMS

TEMPLATE = (HW9_PROBLEMS / "mha_template.py").read_text(encoding="utf-8")


def scope(blank: str) -> _blanks.Scope:
    return _blanks.scope(TEMPLATE, blank)


def test_the_scope_of_a_blank_is_what_the_template_binds_where_it_stands() -> None:
    modules = {"math": "math", "torch": "torch", "nn": "torch.nn"}
    init = scope("a")
    assert init.prefix == ""
    assert init.values == {"self", "d_model", "num_heads", "MultiHeadAttention"}
    assert init.modules == modules
    # split_heads: its own parameters and locals, not __init__'s num_heads
    assert scope("g").values == {"self", "x", "batch_size", "seq_length", "d_model", "MultiHeadAttention"}
    assert {"Q", "K", "V", "mask", "attn_scores"} <= scope("d").values
    assert (scope("e").prefix, scope("h").prefix) == ("torch", "self")


def test_scopes_follow_python_rules() -> None:
    source = (
        "import torch.nn.functional as F\n"
        "from torch import load\n"
        "import os\n"
        "LIMIT = 3\n"
        "class A:\n"
        "    size = 2\n"
        "    width = ___(c)___\n"
        "    def f(self, x, *rest, key=1):\n"
        "        for i in range(3):\n"
        "            y = i\n"
        "        return ___(m)___\n"
    )
    method = _blanks.scope(source, "m")
    assert method.values == {"LIMIT", "A", "self", "x", "rest", "key", "i", "y"}  # no class-level `size`
    assert method.modules == {"F": "torch.nn.functional", "load": "torch.load", "os": "os"}
    assert "size" in _blanks.scope(source, "c").values
    with pytest.raises(ValueError, match="no blank"):
        _blanks.scope(source, "z")


# (blank, fragment as the token reader gives it): the reference, right variants, wrong but harmless ones.
ALLOWED = [
    ("a", "d_model"),
    ("a", "self.d_model"),
    ("a", "num_heads * self.d_k"),
    ("a", "int(math.sqrt(d_model * d_model))"),
    ("a", "len(range(d_model))"),
    ("a", "max(d_model, 1)"),
    ("a", "self.W_q.out_features"),
    ("a", "torch.nn.functional.softmax"),
    ("d", "Q"),
    ("d", "K.transpose(-2, -1)"),
    ("d", "math.sqrt(self.d_k) * Q"),
    ("d", "torch.softmax(Q, dim=-1)"),
    ("e", "softmax"),
    ("e", "nn.functional.softmax"),
    ("e", "special.softmax"),
    ("e", "argmax"),
    ("g", "-1"),
    ("g", "self.num_heads"),
    ("g", "x.size(2) // self.d_k"),
    ("h", "W_o"),
    ("h", "W_v"),
]


@pytest.mark.parametrize(("blank", "text"), ALLOWED)
def test_the_homeworks_own_names_and_functions_are_allowed(blank: str, text: str) -> None:
    assert _blanks.refusal(text, scope(blank)) == ""


# (blank, fragment, what the sentence names)
REFUSED = [
    ("a", "exec(bytes(range(105, 107)))", "exec is a Python built-in"),
    ("a", "eval(chr(49) + chr(50))", "eval is a Python built-in"),
    ("a", "d_model + ord(chr(1))", "ord is a Python built-in"),
    ("a", "getattr(self, d_model)", "getattr is a Python built-in"),
    ("a", "__import__(d_model)", "__import__ starts with an underscore"),
    ("a", "torch.load(d_model)", "'load' is one of the names a blank never needs"),
    ("a", "torch.from_file(d_model, 0, 1)", "'from_file' is one"),
    ("a", "torch.sys.modules", "torch.sys is not one of the namespaces"),
    ("a", "F.torch.load", "'torch' is one"),
    ("a", "self.__dict__", "__dict__ starts with an underscore"),
    ("a", "self.load_state_dict", "'load_state_dict' is one"),
    ("a", "self.register_forward_hook(print)", "'register_forward_hook' is one"),
    ("a", "torch.utils.cpp_extension.load_inline", "torch.utils is not one of the namespaces"),
    ("a", "torch.hub.load", "torch.hub is not one of the namespaces"),
    ("a", "torch.jit", "'jit' is one"),
    ("a", "torch.ops", "'ops' is one"),
    ("a", "torch.compile", "'compile' is one"),
    ("a", "torch.UntypedStorage.from_file", "torch.UntypedStorage is not one of the namespaces"),
    ("a", "torch.UntypedStorage", "'UntypedStorage' is one"),
    ("a", "nn.modules", "'modules' is one"),
    ("a", "nn.functional.torch", "'torch' is one"),
    ("d", "Q.untyped_storage()", "'untyped_storage' is one"),
    ("d", "Q.numpy()", "'numpy' is one"),
    ("a", "f(_x=1)", "_x starts with an underscore"),
    ("e", "load", "torch.load may not appear"),
    ("e", "from_file", "torch.from_file may not appear"),
    ("e", "sys.modules", "torch.sys is not one"),
    ("e", "F.softmax", "torch.F is not one of the namespaces"),
    ("h", "__dict__", "__dict__ starts with an underscore"),
    ("h", "load_state_dict", "self.load_state_dict may not appear"),
    ("e", "-1", "Written after the template's 'torch.'"),
]


@pytest.mark.parametrize(("blank", "text", "fragment"), REFUSED)
def test_blanks_that_reach_code_files_or_the_system_are_refused(blank: str, text: str, fragment: str) -> None:
    assert fragment in _blanks.refusal(text, scope(blank))


NEVER = [
    "exec", "eval", "open", "getattr", "setattr", "delattr", "compile", "globals", "locals", "vars",
    "dir", "type", "object", "super", "breakpoint", "input", "print", "memoryview", "bytes", "chr", "ord",
    "help", "exit", "quit", "isinstance", "iter", "next", "map", "filter", "classmethod", "property",
]  # fmt: skip


@pytest.mark.parametrize("name", NEVER)
def test_builtins_that_run_code_or_reach_the_system_are_never_allowed(name: str) -> None:
    assert hasattr(builtins, name)
    for text in (name, f"{name}(d_model)", f"d_model + {name}(1)"):
        assert f"{name} is a Python built-in" in _blanks.refusal(text, scope("a"))


def test_the_safe_builtins_are_builtins() -> None:
    assert all(hasattr(builtins, name) for name in _blanks.SAFE_BUILTINS)


def test_a_name_nothing_binds_there_is_found_without_running() -> None:
    assert _blanks.undefined("d_k", scope("a")) == "d_k"
    assert _blanks.undefined("num_heads", scope("g")) == "num_heads"
    assert _blanks.undefined("self.num_heads * len(range(2))", scope("g")) == ""
    assert _blanks.undefined("softmax", scope("e")) == ""  # torch.softmax


ALLOWED_PARENTS = sorted(_blanks.ALLOWED_MODULES - {"math"})


@pytest.mark.parametrize("path", ALLOWED_PARENTS)
def test_every_module_torch_exposes_is_refused_unless_allowed(path: str) -> None:
    pytest.importorskip("torch")
    namespace = importlib.import_module(path)
    names = set(dir(namespace)) | set(getattr(namespace, "_lazy_modules", ()))
    leaks = []
    for name in sorted(names):
        try:
            value = getattr(namespace, name)
        except Exception:  # a lazy attribute that cannot load here is not reachable either
            continue
        if not isinstance(value, types.ModuleType) or name.startswith("_"):
            continue
        if f"{path}.{name}" in _blanks.ALLOWED_MODULES:
            continue
        if not _blanks.denied(name):
            leaks.append(name)
    assert not leaks, f"modules of {path} a blank could reach: {leaks}"


def test_dangerous_torch_functions_are_refused() -> None:
    for name in ("load", "save", "from_file", "compile", "import_ir_module", "get_file_path", "fork", "from_dlpack"):
        assert _blanks.denied(name), name
    for name in ("softmax", "matmul", "sqrt", "transpose", "view", "size", "masked_fill", "einsum", "bmm"):
        assert not _blanks.denied(name), name


# A template of another homework: a convolution and a recurrent cell, one blank in forward.
OTHER_TEMPLATE = (
    "import os\n"
    "import torch\n"
    "import torch.nn as nn\n"
    "import torch.nn.functional as F\n"
    "class Net(nn.Module):\n"
    "    def __init__(self, channels):\n"
    "        super().__init__()\n"
    "        self.conv = nn.Conv2d(channels, 4, 3)\n"
    "        self.cell = nn.RNNCell(4, 8)\n"
    "    def forward(self, x, h):\n"
    "        y = ___(a)___\n"
    "        return y\n"
)


def judge(text: str, *, namespaces: bool = True) -> str:
    """A blank as the code kinds take it: read (token.read_fragment), then the allow-list; "" when allowed."""
    try:
        fragment = token.read_fragment(text, token.Params())
    except Unreadable as error:
        return error.message
    return _blanks.refusal(fragment.text, _blanks.scope(OTHER_TEMPLATE, "a"), namespaces=namespaces)


# Method calls on allowed values, @, keyword arguments, unary minus, indexing, tuples and lists.
WIDENED = [
    "x.tanh()",
    "x.view(-1)",
    "h.view(h.size(0), -1)",
    "x.softmax(dim=-1)",
    "x.transpose(1, 2)",
    "x.sum(dim=1, keepdim=True)",
    "x.mean((2, 3))",
    "self.conv(x).relu()",
    "F.relu(self.conv(x)).flatten(1)",
    "self.cell(x, h)",
    "x @ h",
    "x @ h.T",
    "torch.flatten(x, start_dim=1)",
    "torch.cat([x, h], dim=1)",
    "torch.stack((x, h))",
    "-x",
    "x[:, -1]",
    "x[..., 0]",
    "x[:, None]",
    "x[0:2, ::2]",
    "(x, h)",
    "[x, h]",
    "F.dropout(x, p=0.5, training=False)",
    "`x.tanh()`",
    "x ** 2",
    "8 * (x.size(0) // 2) ** 2",
    "x % 2",
    # Comparisons (a mask such as h > 0) and a module built and applied.
    "x * (x > 0)",
    "(h >= 0) == (x < 1)",
    "0 < x <= 1",
    "x != h",
    "nn.ReLU()(x)",
    "nn.Tanh()(self.conv(x))",
    "nn.Softmax(dim=1)(x).flatten(1)",
    "torch.nn.LeakyReLU(0.1)(x) * (h > 0)",
]


@pytest.mark.parametrize("text", WIDENED)
def test_method_calls_matmul_keywords_and_indexing_are_allowed(text: str) -> None:
    assert judge(text) == ""


# (blank, what the sentence names): still refused, before anything runs.
STILL_REFUSED = [
    ("x.__class__", "__class__ starts with an underscore"),
    ("x._version", "_version starts with an underscore"),
    ("x.numpy().tofile(h)", "'numpy' is one of the names a blank never needs"),
    ("x.numpy().tofile('x')", "Found text in quotes"),
    ("x.storage()", "'storage' is one"),
    ("x.untyped_storage()", "'untyped_storage' is one"),
    ("x.load(h)", "'load' is one"),
    ("torch.load(x)", "'load' is one"),
    ("torch.from_file(x)", "'from_file' is one"),
    ("x.save(h)", "'save' is one"),
    ("torch.save(x, h)", "'save' is one"),
    ("self.register_forward_hook(F.relu)", "'register_forward_hook' is one"),
    ("self.conv.register_forward_pre_hook(F.relu)", "'register_forward_pre_hook' is one"),
    ("self.apply(F.relu)", "'apply' is one"),
    ("x.apply_(F.relu)", "'apply_' is one"),
    ("self.load_state_dict(h)", "'load_state_dict' is one"),
    ("torch.manual_seed(0)", "'manual_seed' is one"),
    ("torch.default_generator.set_state(x)", "may not appear in a blank"),
    ("x.get_state()", "'get_state' is one"),
    ("x.type(self.conv.extra_repr())", "'extra_repr' is one"),
    ("x.view(self.conv.__repr__())", "__repr__ starts with an underscore"),
    ("torch.typename(self.conv)", "'typename' is one"),
    ("torch.set_default_dtype(x)", "'set_default_dtype' is one"),
    ("x.relu().data_ptr()", "'data_ptr' is one"),
    ("self.conv(x).__dict__", "__dict__ starts with an underscore"),
    ("exec(x)", "exec is a Python built-in"),
    ("open(x)", "open is a Python built-in"),
    ("getattr(x, h)", "getattr is a Python built-in"),
    ("__import__(x)", "__import__ starts with an underscore"),
    ("os.system(x)", "it is the module os"),
    ("torch.sys.modules", "torch.sys is not one of the namespaces"),
    ("torch.utils.data", "torch.utils is not one of the namespaces"),
    ("x.to('cpu')", "Found text in quotes"),
    ("lambda: x", "Found a lambda"),
    ("[y for y in x]", "Found a list comprehension"),
    ("(y := x)", "Found an assignment :="),
    ("x in h", "The comparison 'in' may not appear"),
    ("x is h", "The comparison 'is' may not appear"),
    ("x is not None", "The comparison 'is not' may not appear"),
    ("x > open(h)", "open is a Python built-in"),
    ("(x > 0).numpy()", "'numpy' is one"),
    ("x.__class__ == h", "__class__ starts with an underscore"),
    ("nn.ReLU()(x).storage()", "'storage' is one"),
    ("nn.Linear(2, 2).to_empty(device=x.device)(x)", "'to_empty' is one"),
    ("self.to_empty(device=x.device)", "'to_empty' is one"),
    ("nn.Module().apply(F.relu)(x)", "'apply' is one"),
    ("self.register_forward_hook(F.relu)(x)", "'register_forward_hook' is one"),
    ("exec(x)(h)", "exec is a Python built-in"),
    ("getattr(x, h)(x)", "getattr is a Python built-in"),
    ("__import__(x)(h)", "__import__ starts with an underscore"),
    ("os.system(x)(h)", "it is the module os"),
    ("torch.load(x)(h)", "'load' is one"),
    ("nn.ReLU()(x, _inplace=True)", "_inplace starts with an underscore"),
    ("nn.ReLU()('x')", "Found text in quotes"),
    ("(lambda: x)()", "Found a call of something that is not a name, a method or a call"),
    ("x if h else y", "Found an if-else expression"),
    ("x[0](h)", "Found a call of something that is not a name, a method or a call"),
    ("x.sum(**h)", "Found **keyword unpacking"),
    ("F.relu(x, _inplace=True)", "_inplace starts with an underscore"),
]


@pytest.mark.parametrize(("text", "fragment"), STILL_REFUSED)
def test_the_sandbox_issues_refusals_still_hold(text: str, fragment: str) -> None:
    assert fragment in judge(text)


def test_a_chain_through_a_namespace_torch_lacks_is_wrong_but_readable() -> None:
    # Never run either way: the code kinds grade it incorrect (it would not run), not unreadable.
    assert judge("torch.F.relu(x)", namespaces=False) == ""
    assert "torch.F is not one of the namespaces" in judge("torch.F.relu(x)")
    assert "torch.F is not one of the namespaces" in judge("torch.F.relu(x).tanh()")


def test_undefined_names_are_found_inside_methods_and_indices() -> None:
    where = _blanks.scope(OTHER_TEMPLATE, "a")
    assert _blanks.undefined("x.view(n, -1)", where) == "n"
    assert _blanks.undefined("x[:, k]", where) == "k"
    assert _blanks.undefined("self.conv(x).relu() @ h", where) == ""
