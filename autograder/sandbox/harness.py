"""The tasks a sandboxed child can run on a student's file; runs ONLY in the child.

Everything here executes next to untrusted code, in the same process, so nothing
it returns is trusted: it only turns what the student's code produced into plain
JSON data (numbers, nested lists, strings). All comparisons happen in the grader.

This module imports nothing from the rest of ``autograder`` (only this folder is
mounted inside the sandbox) and imports torch only in ``warm_up`` and the tasks,
so the grader can import the package without paying for torch.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

MAX_TENSOR_ELEMENTS = 1_000_000
MAX_TEXT = 2000
MAX_TRACEBACK = 4000

# Loaded by the zygote before it forks: in the fallback mode the unprivileged
# child may be unable to read the Python install (e.g. under /root), so anything
# a submission plausibly imports must already be in memory.
PRELOADED = (
    "abc",
    "bisect",
    "collections",
    "contextlib",
    "copy",
    "dataclasses",
    "encodings.ascii",
    "encodings.idna",
    "encodings.latin_1",
    "enum",
    "fractions",
    "functools",
    "heapq",
    "io",
    "itertools",
    "json",
    "math",
    "numbers",
    "operator",
    "pathlib",
    "random",
    "re",
    "socket",
    "statistics",
    "string",
    "struct",
    "subprocess",
    "textwrap",
    "threading",
    "time",
    "typing",
    "warnings",
    "torch",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.init",
)

Task = Callable[[str, dict[str, Any]], Any]

IN_MEMORY: dict[str, str] = {}
"""Sources run from memory (``hide_source``): no file of them exists for the code to read."""


def warm_up() -> None:
    """Import what the tasks need, without running a single torch op.

    Forking after torch has started its OpenMP thread pool can hang the child,
    so the zygote only imports.
    """
    for name in PRELOADED:
        importlib.import_module(name)


def execute(task: str, source_path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run one task; the outcome as plain data with a ``status`` of ok, error or memory."""
    try:
        value = TASKS[task](source_path, payload)
    except BaseException as error:  # SystemExit at import is the student's error too
        if out_of_memory(error):
            return {"status": "memory"}
        return {"status": "error", **describe_error(error, source_path)}
    return {"status": "ok", "value": value}


def out_of_memory(error: BaseException) -> bool:
    """Python's MemoryError, or torch's allocator failing under the memory limit."""
    if isinstance(error, MemoryError):
        return True
    return isinstance(error, RuntimeError) and "can't allocate memory" in str(error)


def describe_error(error: BaseException, source_path: str) -> dict[str, str]:
    """Type, message and a traceback limited to the student's own file."""
    name = os.path.basename(source_path)
    try:
        message = str(error)
    except Exception:  # a student-defined __str__ may itself raise
        message = "<unprintable message>"
    if isinstance(error, SystemExit):
        message = f"the submission called sys.exit({message})"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == source_path]
    lines = traceback.format_list(frames)
    try:
        lines += traceback.format_exception_only(type(error), error)
    except Exception:
        lines.append(f"{type(error).__name__}: {message}\n")
    text = "".join(lines).replace(source_path, name)
    if frames or isinstance(error, SyntaxError):
        text = "Traceback (most recent call last):\n" + text
    return {
        "error_type": type(error).__name__,
        "error_message": message[:MAX_TEXT],
        "traceback": text[-MAX_TRACEBACK:],
    }


def load_student_module(source_path: str) -> Any:
    """Execute the student's file as a module named after it."""
    name = os.path.splitext(os.path.basename(source_path))[0]
    if name in sys.modules:
        raise ImportError(f"the file name {name!r} hides a module the grader needs; rename it")
    if source_path in IN_MEMORY:
        # Compiled under the file's name (tracebacks still point at its lines) but
        # with no file and no loader: nothing can read the source back.
        code = compile(IN_MEMORY.pop(source_path), source_path, "exec")
        module = types.ModuleType(name)
        module.__file__ = source_path
        sys.modules[name] = module
        exec(code, module.__dict__)  # the sandboxed child, running the submission
        return module
    spec = importlib.util.spec_from_file_location(name, source_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {os.path.basename(source_path)}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def encode_tensor(tensor: Any) -> dict[str, Any]:
    count = int(tensor.numel())
    if count > MAX_TENSOR_ELEMENTS:
        raise ValueError(f"a tensor of {count} elements is too large to grade")
    return {"shape": list(tensor.shape), "values": tensor.detach().double().tolist()}


def encode_output(value: Any) -> dict[str, Any]:
    """A forward pass result: a tensor, a tuple/list of them, or a plain number."""
    import torch

    if isinstance(value, torch.Tensor):
        return encode_tensor(value)
    if isinstance(value, tuple | list):
        return {"items": [encode_output(item) for item in value]}
    if value is None or isinstance(value, bool | int | float):
        return {"value": value}
    raise TypeError(f"forward returned a {type(value).__name__}, which the grader cannot read")


def encode_attribute(value: Any) -> Any:
    import torch

    if value is None or isinstance(value, bool | int | float | str):
        return value[:MAX_TEXT] if isinstance(value, str) else value
    if isinstance(value, torch.Tensor):
        return encode_tensor(value)
    if isinstance(value, tuple | list) and all(isinstance(v, bool | int | float) for v in value):
        return list(value)
    return {"type": type(value).__name__, "repr": repr(value)[:MAX_TEXT]}


def to_input(value: Any, dtype: Any) -> Any:
    """An input as the grader sent it, made real: ``{"tensor": lists, "dtype": "long"}`` becomes
    a tensor (``float`` is the module's floating dtype), ``{"tuple": [...]}`` a tuple,
    ``{"value": x}`` the plain value; bare nested lists become tensors of ``dtype``."""
    import torch

    if isinstance(value, list):
        return torch.tensor(value, dtype=dtype)
    if isinstance(value, dict):
        if "tensor" in value:
            tags = {"float": dtype, "long": torch.long, "bool": torch.bool}
            return torch.tensor(value["tensor"], dtype=tags[value.get("dtype", "float")])
        if "tuple" in value:
            return tuple(to_input(item, dtype) for item in value["tuple"])
        if "value" in value:
            return value["value"]
        return {key: to_input(item, dtype) for key, item in value.items()}
    return value


def read_attribute(instance: Any, dotted: str) -> Any:
    try:
        value = instance
        for part in dotted.split("."):
            value = getattr(value, part)
        return encode_attribute(value)
    except BaseException as error:
        if out_of_memory(error):
            raise
        return {"error_type": type(error).__name__, "error_message": str(error)[:MAX_TEXT]}


def build(module: Any, source_path: str, payload: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The callable to grade (the built instance or the function), the instance (None for a
    function) and the floating dtype its inputs get."""
    import torch

    name = payload.get("function") or payload["class_name"]
    if not hasattr(module, name):
        raise AttributeError(f"{os.path.basename(source_path)} defines no {name!r}")
    torch.manual_seed(int(payload.get("seed", 0)))
    if payload.get("function"):
        function = getattr(module, name)
        if not callable(function):
            raise TypeError(f"{name} is not a function")
        return function, None, torch.float64
    instance = getattr(module, name)(*payload.get("init_args", []), **payload.get("init_kwargs", {}))
    if not isinstance(instance, torch.nn.Module):
        raise TypeError(f"{name} is not a torch.nn.Module")
    try:
        instance.double()
        dtype = torch.float64
    except Exception:  # the module insists on its own dtype: grade it in float32
        dtype = torch.float32
    state_dict = payload.get("state_dict")
    if state_dict is not None:
        tensors = {key: torch.tensor(values, dtype=dtype) for key, values in state_dict.items()}
        torch.nn.Module.load_state_dict(instance, tensors, strict=True)
    instance.eval()
    return instance, instance, dtype


def float_tensors(value: Any) -> list[Any]:
    """The floating-point tensors among a call's inputs, in order (tuples and dicts opened)."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value] if value.is_floating_point() else []
    if isinstance(value, tuple | list):
        return [tensor for item in value for tensor in float_tensors(item)]
    if isinstance(value, dict):
        return [tensor for item in value.values() for tensor in float_tensors(item)]
    return []


def output_tensors(value: Any) -> list[Any]:
    """The tensors of a result, in order (tuples opened)."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [tensor for item in value for tensor in output_tensors(item)]
    return []


def projection_loss(output: Any, seed: int) -> Any:
    """Σ output · R with R seeded normal values of each output tensor's shape: a scalar whose
    gradients depend on every output element, the same for the student and the reference."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    loss = None
    for tensor in output_tensors(output):
        if not tensor.is_floating_point():
            continue
        weights = torch.randn(tensor.shape, generator=generator, dtype=torch.float64).to(tensor.dtype)
        term = (tensor * weights).sum()
        loss = term if loss is None else loss + term
    return loss


def call_once(target: Any, instance: Any, call: dict[str, Any], dtype: Any, gradients: Any) -> dict[str, Any]:
    """One call's output, and with ``gradients`` those of a seeded projection of it."""
    import torch

    args = [to_input(arg, dtype) for arg in call.get("args", [])]
    kwargs = {key: to_input(arg, dtype) for key, arg in call.get("kwargs", {}).items()}
    if not gradients:
        with torch.no_grad():
            return encode_output(target(*args, **kwargs))
    inputs = float_tensors([args, kwargs])
    for tensor in inputs:
        tensor.requires_grad_(True)
    if instance is not None:  # not instance.zero_grad(): it goes through an overridable parameters()
        for parameter in torch.nn.Module.parameters(instance):
            parameter.grad = None
    output = target(*args, **kwargs)
    result = encode_output(output)
    loss = projection_loss(output, int(gradients.get("seed", 0)))
    if loss is not None and loss.requires_grad:
        loss.backward()
    if gradients.get("inputs"):
        result["input_gradients"] = [None if t.grad is None else encode_tensor(t.grad) for t in inputs]
    if gradients.get("parameters") and instance is not None:
        result["parameter_gradients"] = {
            name: None if p.grad is None else encode_tensor(p.grad)
            for name, p in torch.nn.Module.named_parameters(instance)
        }
    return result


def run_module(source_path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Build the student's nn.Module (or take the function), optionally load weights, call it on
    each of the payload's calls, read it back. With ``initial_state`` the state dict is also
    read right after construction (and loading), before the first call: ``initial_state_dict``.

    Errors while importing, instantiating or loading the state dict end the task
    (status "error"); an error in one call is recorded for that call only.
    """
    import torch

    module = load_student_module(source_path)
    target, instance, dtype = build(module, source_path, payload)
    # Read before any call: a forward that rewrites its own parameters cannot change how they started.
    initial = None
    if payload.get("initial_state") and instance is not None:
        initial = {name: encode_tensor(t) for name, t in torch.nn.Module.state_dict(instance).items()}
    outputs = []
    for call in payload.get("calls", []):
        try:
            outputs.append(call_once(target, instance, call, dtype, payload.get("gradients")))
        except BaseException as error:
            if out_of_memory(error):
                raise
            outputs.append(describe_error(error, source_path))
    if instance is None:
        return {"state_dict": {}, "parameters": [], "parameter_count": 0, "outputs": outputs, "attributes": {}}
    report = {
        # nn.Module's own methods: a class may override state_dict() or parameters() to lie.
        "state_dict": {name: encode_tensor(t) for name, t in torch.nn.Module.state_dict(instance).items()},
        "parameters": [name for name, _ in torch.nn.Module.named_parameters(instance)],
        "parameter_count": sum(int(p.numel()) for p in torch.nn.Module.parameters(instance)),
        "outputs": outputs,
        "attributes": {name: read_attribute(instance, name) for name in payload.get("attributes", [])},
    }
    if initial is not None:
        report["initial_state_dict"] = initial
    return report


def echo(source_path: str, payload: dict[str, Any]) -> Any:
    """The payload, unchanged: tests the channel without running the source."""
    return payload


TASKS: dict[str, Task] = {"module": run_module, "echo": echo}
