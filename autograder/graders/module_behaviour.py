"""``module_behaviour``: a student's whole nn.Module class, judged by running it.

The class (inline Python or ``{file: mha.py}``) runs in the sandbox: it must
construct, expose the attributes the question fixes (``W_v`` maps d_model →
2·d_model), and return outputs of the reference's shape on seeded inputs
(several batch sizes, sequence lengths, masks). Then the same seeded random
weights, chosen by the grader for the parameters the student's class has, are
loaded into the student's class and into the reference implementation, which
both run on the same inputs; the outputs must agree (so a class that zeroes
its own weights cannot match by accident). All comparisons happen here, on the plain
numbers the sandbox returns. When the forward pass fails, the feedback quotes
the real exception and names the method and line that raised it.

Params: ``class_name``, ``init_args``, ``attributes`` (dotted attribute →
expected value), ``cases``, ``tolerance``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from autograder.graders import _modules
from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable
from autograder.result import Outcome
from autograder.spec import Part

MAX_SOURCE_CHARS = 200_000

CORRECT = "Correct: your class runs and, with the same weights as the reference, computes what the reference computes."
DOES_NOT_RUN = "Your class could not be created: {error}."
WRONG_ATTRIBUTE = "{name} is {got}, but the question fixes it to {expected}."
CALL_FAILS = "The forward pass fails on {case}: {error}."
WRONG_SHAPE = "The output has shape {shape} on {case}; it must be {expected} (the block sits in a residual connection)."
WRONG_VALUES = (
    "Your class runs, but with the same weights as the reference it computes something else "
    "(largest difference {difference:.3g} on {case})."
)
CANNOT_COMPARE = (
    "Your class runs and its output has the right shape, but its parameters (their names or shapes) "
    "do not fit the reference implementation, so the autograder cannot compare what it computes."
)
DOES_NOT_LOAD = "Your class runs, but not with weights loaded into it by load_state_dict: {error}."
STALE_SIZE = "{function} still reshapes to the old sizes: the tensor it receives no longer has that many elements."
NOT_RUN = "The autograder could not run your class ({reason})."
NOT_PYTHON = "This is not valid Python: {message} (line {line})."
NO_CLASS = "No class named {name} is defined here."


@dataclass(frozen=True)
class Params:
    class_name: str = "MultiHeadAttention"
    init_args: tuple[int, ...] = (12, 3)
    """Constructor arguments; the first is the model width of the inputs."""
    attributes: dict[str, int] = field(default_factory=dict)
    """Dotted attribute of an instance → the value the question fixes (``W_v.out_features: 24``)."""
    cases: tuple[_modules.Case, ...] = _modules.DEFAULT_CASES
    tolerance: float = 1e-6
    partial_credit: float = 0.5
    """Provisional credit when the class runs with the right shape but cannot be compared."""


@dataclass(frozen=True)
class Code:
    source: str

    @property
    def lines(self) -> int:
        return self.source.count("\n") + 1


def read(text: str, part: Part) -> Code:
    """Check that the text is Python that defines the class; nothing is run here."""
    params: Params = part.params
    if len(text) > MAX_SOURCE_CHARS:
        raise Unreadable(f"The code is {len(text):,} characters long; at most {MAX_SOURCE_CHARS:,} are read.")
    try:
        tree = ast.parse(text)  # parsing only: the code runs in the sandbox, never here
    except SyntaxError as error:
        message = NOT_PYTHON.format(message=error.msg, line=error.lineno)
        raise Unreadable(message, hint="the whole class, or {file: mha.py}") from None
    except (ValueError, RecursionError, MemoryError):
        raise Unreadable("This could not be read as Python source.") from None
    if not any(isinstance(node, ast.ClassDef) and node.name == params.class_name for node in ast.walk(tree)):
        raise Unreadable(NO_CLASS.format(name=params.class_name), hint=f"class {params.class_name}(nn.Module): ...")
    return Code(text)


def grade(answer: Code, reference: Code, part: Part) -> Outcome:
    params: Params = part.params
    inputs = _modules.calls(params.cases, params.init_args[0])
    payload: dict[str, Any] = {
        "class_name": params.class_name,
        "init_args": list(params.init_args),
        "calls": inputs,
        "attributes": sorted(params.attributes),
    }
    student = _modules.run_module(answer.source, payload, filename="mha.py")
    if student.status in _modules.NOT_THE_STUDENTS:
        return Outcome("needs_review", 0.0, NOT_RUN.format(reason=student.error_message), "error:sandbox")
    if student.status != "ok":  # an exception, the time or the memory limit: the class's doing
        return Outcome("incorrect", 0.0, DOES_NOT_RUN.format(error=_modules.failure(student)), "module:does_not_run")
    for name, expected in sorted(params.attributes.items()):
        got = student.value["attributes"].get(name)
        if got != expected:
            message = WRONG_ATTRIBUTE.format(name=name, got=_show(got), expected=expected)
            return Outcome("incorrect", 0.0, message, "module:attribute")
    expected_shapes = [[case.batch, case.seq, params.init_args[0]] for case in params.cases]
    for case, output, shape in zip(params.cases, student.value["outputs"], expected_shapes, strict=True):
        where = _modules.describe_case(case)
        if "error_type" in output:
            message = CALL_FAILS.format(case=where, error=_modules.error_sentence(output))
            function = _modules.raised_in(output.get("traceback", "")).split(",")[0]
            if function and "is invalid for input of size" in str(output.get("error_message")):
                message += " " + STALE_SIZE.format(function=function)
            return Outcome("incorrect", 0.0, message, "module:call_fails")
        if output.get("shape") != shape:
            message = WRONG_SHAPE.format(case=where, shape=output.get("shape"), expected=shape)
            return Outcome("incorrect", 0.0, message, "module:shape")
    # The same grader-chosen weights in the student's class and in the reference: a class
    # that zeroes or ignores its own parameters cannot match the reference by accident.
    weights = _modules.grader_weights(student.value["state_dict"], student.value.get("parameters", []))
    payload = {"class_name": params.class_name, "init_args": list(params.init_args), "state_dict": weights}
    payload["calls"] = inputs
    mine = _modules.run_module(answer.source, payload, filename="mha.py")
    if mine.status in _modules.NOT_THE_STUDENTS:
        return Outcome("needs_review", 0.0, NOT_RUN.format(reason=mine.error_message), "error:sandbox")
    if mine.status != "ok":
        message = DOES_NOT_LOAD.format(error=_modules.failure(mine))
        return Outcome("incorrect", 0.0, message, "module:does_not_load")
    replay = _modules.run_module(reference.source, payload, filename="reference.py")
    if replay.status != "ok" or any("error_type" in output for output in replay.value["outputs"]):
        # Never quote the reference's own error: it names the reference's shapes.
        return Outcome("needs_review", params.partial_credit, CANNOT_COMPARE, "module:cannot_compare")
    for case, ours, theirs in zip(params.cases, mine.value["outputs"], replay.value["outputs"], strict=True):
        where = _modules.describe_case(case)
        if "error_type" in ours:
            message = CALL_FAILS.format(case=where, error=_modules.error_sentence(ours))
            return Outcome("incorrect", 0.0, message, "module:call_fails")
        difference = _modules.max_difference(ours["values"], theirs["values"])
        if ours.get("shape") != theirs.get("shape") or difference > params.tolerance:
            return Outcome("incorrect", 0.0, WRONG_VALUES.format(difference=difference, case=where), "module:values")
    return Outcome("correct", 1.0, CORRECT, "module:same_behaviour")


def _show(value: Any) -> str:
    if isinstance(value, dict) and "repr" in value:
        return str(value["repr"])
    return repr(value)


def matches(answer: Code, other: Code, part: Part) -> bool:
    return False  # code is judged by running it; rules by meaning do not apply


def show(answer: Code) -> str:
    return f"Python source, {answer.lines} lines"


KIND = GraderKind(
    name="module_behaviour",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    example="the whole modified class, inline or as {file: mha.py}",
    warm_up=_modules.prestart,
    runs_code=True,
)
