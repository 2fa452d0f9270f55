"""``module_behaviour``: a student's whole nn.Module class (or function), judged by running it.

The code (inline Python or ``{file: model.py}``) runs in the sandbox on seeded inputs
the spec declares (:class:`~autograder.graders._modules.CodeSpec`: named inputs with
symbolic shapes, dtypes, tuples, masks; one call per case). A class must construct and
expose the attributes the question fixes (``conv.out_channels: 16``); then, for what the
spec's ``compare`` lists, it must agree with the reference: the outputs' shapes (the
reference's, or a declared ``output_shape``), their values, gradients of a seeded
projection of them, the parameter count, the state dict's names and shapes, the values
the parameters and buffers start at (``initial_parameters``). Values are
compared after the same grader-chosen weights are loaded into the student's class and
into the reference (so a class that zeroes its own weights cannot match by accident).
All comparisons happen here, on the plain numbers the sandbox returns. When a call
fails, the feedback quotes the real exception and names the function and line that
raised it, and each case is named in the spec's own words (its sizes, or ``describe``).

With ``base`` (a file next to the spec, e.g. the class template whose blanks other
``code_blanks`` parts fill), an answer may give only its changed lines; they are put in
place by :mod:`autograder.graders._patch` (the base's blanks filled with those parts'
reference answers) and the patched class runs as a whole answer does. Lines that cannot
be placed unambiguously make the part ``needs_review``, with the line named.

Params: those of :class:`~autograder.graders._modules.CodeSpec`, plus ``attributes``,
``partial_credit`` and ``base``.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autograder.graders import _modules, _patch, code_blanks
from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable
from autograder.problem import Part, ProblemSet
from autograder.result import Outcome
from autograder.sandbox import RunResult

MAX_SOURCE_CHARS = 200_000

CORRECT = "Correct: your {what} runs and computes what the reference computes."
DOES_NOT_RUN = "Your {what} could not be created: {error}."
WRONG_ATTRIBUTE = "{name} is {got}, but the question fixes it to {expected}."
CALL_FAILS = "{call} fails on {case}: {error}."
WRONG_SHAPE = "The output is {shape} on {case}; it must be {expected}."
WRONG_VALUES = "Your {what} runs, but {same}it computes something else ({difference} on {case})."
WRONG_GRADIENTS = (
    "Your {what} computes the right values, but the gradients {which} differ from the reference's "
    "({difference} on {case})."
)
WRONG_COUNT = "Your class has {got} parameters, not as many as the question's model."
WRONG_STATE = "Your class's parameters do not match the question's model: {detail}."
WRONG_START = (
    "Your class runs, but {names} {verb} not start at the values the question asks for "
    "(checked right after construction, with the same random seed as the question's model)."
)
CANNOT_COMPARE_START = (
    "Your class's parameters and buffers do not fit the question's model ({detail}), so the autograder "
    "cannot check the values they start at."
)
CANNOT_COMPARE = (
    "Your class runs and its output has the right shape, but its parameters (their names or shapes) "
    "do not fit the reference implementation, so the autograder cannot compare what it computes."
)
CANNOT_COMPARE_FUNCTION = (
    "Your function runs, but the reference could not be run on the same inputs, so the autograder "
    "cannot compare what it computes."
)
DOES_NOT_LOAD = "Your class runs, but not with weights loaded into it by load_state_dict: {error}."
STALE_SIZE = "{function} reshapes to sizes that do not fit the tensor it receives: it has another number of elements."
NOT_RUN = "The autograder could not run your {what} ({reason})."
NOT_PYTHON = "This is not valid Python: {message} (line {line})."
NO_CLASS = "No class named {name} is defined here."
NO_FUNCTION = "No function named {name} is defined here."
FORBIDDEN = "The question asks you not to use {name} (line {line})."
IMPORTS = "Run with the imports of {base} that your code uses and does not import."
NOT_PLACED = "Your changed lines could not be applied to {base}: {problem} An instructor will grade this part."


@dataclass(frozen=True, kw_only=True)
class Params(_modules.CodeSpec):
    attributes: dict[str, Any] = field(default_factory=dict)
    """Dotted attribute of an instance → the value the question fixes (``conv.out_channels: 16``)."""
    partial_credit: float = 0.5
    """Provisional credit when the class runs with the right shape but cannot be compared."""
    base: str = ""
    """A file next to the spec (``model_template.py``) that an answer giving only changed lines is
    applied to; its blanks ``___(x)___`` are filled with the reference answers of the
    ``code_blanks`` parts whose template it is. Empty: only a whole class (or function) is read."""
    base_changes: tuple[str, ...] = ()
    """Lines the question itself changes in the base (``self.proj = nn.Linear(d, 2 * d)`` when it asks
    for the *other* changes), applied before an answer's changed lines."""
    base_source: str = field(default="", metadata={"internal": True})
    """The base with its blanks filled (filled at bind)."""


@dataclass(frozen=True)
class Code:
    source: str
    patch: _patch.Patched | None = None
    """Changed lines put in the spec's base (:attr:`source` is then the patched program)."""
    imports_added: int = 0
    """1 when the base's import lines were put before a class pasted without them."""

    @property
    def lines(self) -> int:
        return self.source.count("\n") + 1


def read(text: str, part: Part) -> Code:
    """Check that the text is Python that defines the class or function (or, with a ``base``,
    changed lines of it); nothing is run here."""
    try:
        code = _whole(text, part)
    except Unreadable as unread:
        return _changed_lines(text, part, unread)
    return _with_base_imports(code, part)


def _with_base_imports(code: Code, part: Part) -> Code:
    """A class pasted without its imports (a listing in a write-up) gets the base's import lines
    it lacks, so it runs as the question's code does; nothing else is added."""
    params: Params = part.params
    base = params.base_source or (_base_file(part) if params.base else "")
    if not base:
        return code
    imports = _patch.missing_imports(code.source, base)
    return Code("\n".join(imports) + "\n" + code.source, code.patch, 1) if imports else code


def _whole(text: str, part: Part) -> Code:
    params: Params = part.params
    if len(text) > MAX_SOURCE_CHARS:
        raise Unreadable(f"The code is {len(text):,} characters long; at most {MAX_SOURCE_CHARS:,} are read.")
    hint = f"class {params.class_name}(nn.Module): ..." if params.class_name else f"def {params.function}(...): ..."
    try:
        tree = ast.parse(text)  # parsing only: the code runs in the sandbox, never here
    except SyntaxError as error:
        message = NOT_PYTHON.format(message=error.msg, line=error.lineno)
        raise Unreadable(message, hint=hint) from None
    except (ValueError, RecursionError, MemoryError):
        raise Unreadable("This could not be read as Python source.") from None
    if params.class_name:
        found = any(isinstance(node, ast.ClassDef) and node.name == params.class_name for node in ast.walk(tree))
        missing = NO_CLASS.format(name=params.class_name)
    else:
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign)
        found = any(isinstance(node, kinds) and params.function in _defined(node) for node in ast.walk(tree))
        missing = NO_FUNCTION.format(name=params.function)
    if not found:
        raise Unreadable(missing, hint=hint)
    return Code(text)


def _changed_lines(text: str, part: Part, unread: Unreadable) -> Code:
    """An answer that is not the whole class, read as changed lines of the spec's base."""
    params: Params = part.params
    if not params.base or not _patch.looks_like_lines(text):
        raise unread
    base = params.base_source or _base_file(part)
    if not base:
        raise unread
    patched = _patch.apply(text, base, params.base)
    if patched.problem and not patched.placed:
        raise unread  # no line of it is a line of the base: not changed lines of this class
    return Code(patched.source or text, patched)


def _base_file(part: Part) -> str:
    """The base as written (blanks unfilled), before bind (``autograder check``)."""
    try:
        source = str((part.folder / part.params.base).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return ""
    try:
        return _with_question_changes(source, part.params)
    except (ValueError, SyntaxError):
        return ""


def _with_question_changes(source: str, params: Params) -> str:
    """The base with the question's own changed lines (``base_changes``) applied."""
    if not params.base_changes:
        return source
    patched = _patch.apply("\n".join(params.base_changes), source, params.base)
    if patched.problem:
        raise ValueError(f"base_changes: {patched.problem}")
    return patched.source


def bind(part: Part, problems: ProblemSet, readings: Mapping[str, Any]) -> Params:
    """Fill the base's blanks with the reference answers of the code_blanks parts of that template."""
    params: Params = part.params
    if not params.base:
        return params
    path = part.folder / params.base
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"base: cannot read {path}: {error.strerror}") from None
    for other in problems.parts:
        if other.kind == "code_blanks" and other.params.template == params.base and other.id in readings:
            blank = f"___({other.params.blank})___"
            source = source.replace(blank, code_blanks.operand(readings[other.id].text))
    left = _patch.BLANK.findall(source)
    if left:
        raise ValueError(f"base {params.base}: no reference answer for blank(s) {', '.join(sorted(set(left)))}")
    try:
        _patch.key_lines(source)
    except SyntaxError as error:
        raise ValueError(f"base {params.base}: not Python ({error.msg}, line {error.lineno})") from None
    return dataclasses.replace(params, base_source=_with_question_changes(source, params))


def _defined(node: ast.AST) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {target.id for target in node.targets if isinstance(target, ast.Name)}
    return set()


def _what(params: Params) -> str:
    return "class" if params.class_name else "function"


def _call(params: Params) -> str:
    return "The forward pass" if params.class_name else f"Calling {params.function}"


def grade(answer: Code, reference: Code, part: Part) -> Outcome:
    params: Params = part.params
    if answer.patch is not None and answer.patch.problem:
        message = NOT_PLACED.format(base=params.base, problem=answer.patch.problem)
        return Outcome("needs_review", 0.0, message, "module:lines_not_placed")
    outcome = _graded(answer, reference, part)
    if answer.imports_added:
        outcome = dataclasses.replace(outcome, feedback=f"{IMPORTS.format(base=params.base)} {outcome.feedback}")
    if answer.patch is not None:
        return dataclasses.replace(outcome, feedback=f"{answer.patch.summary(params.base)} {outcome.feedback}")
    return outcome


def _graded(answer: Code, reference: Code, part: Part) -> Outcome:
    params: Params = part.params
    what = _what(params)
    banned = _forbidden(answer, params)
    if banned is not None:  # before anything runs: the answer breaks the question's own rule
        return banned
    cases = _modules.builds(params)
    payload = _modules.payload(params, cases=cases)
    payload["attributes"] = sorted(params.attributes)
    payload["initial_state"] = "initial_parameters" in params.compare
    student = _modules.run_module(answer.source, payload, filename="submission.py")
    if student.status in _modules.NOT_THE_STUDENTS:
        return Outcome("needs_review", 0.0, NOT_RUN.format(what=what, reason=student.error_message), "error:sandbox")
    if student.status in _modules.STOPPED:  # the time or the memory limit: the code's doing
        return Outcome("incorrect", 0.0, _stopped(params, student), "module:stopped")
    if student.status != "ok":  # an exception while importing, building or loading
        message = DOES_NOT_RUN.format(what=what, error=_modules.failure(student))
        return Outcome("incorrect", 0.0, message, "module:does_not_run")
    for name, expected in sorted(params.attributes.items()):
        got = student.value["attributes"].get(name)
        if got != expected:
            message = WRONG_ATTRIBUTE.format(name=name, got=_show(got), expected=expected)
            return Outcome("incorrect", 0.0, message, "module:attribute")
    failed = _failed_call(params, cases, student)
    if failed is not None:
        return failed
    if params.function:
        replay = _modules.run_module(reference.source, payload, filename="reference.py")
        return _compare_runs(params, cases, student, replay, same="")
    if {"parameter_count", "state_dict", "initial_parameters"} & set(params.compare):
        # Before the replay, which a class with other parameters could not enter.
        built = _modules.run_module(reference.source, {**payload, "attributes": []}, filename="reference.py")
        if built.status != "ok":
            return Outcome("needs_review", params.partial_credit, CANNOT_COMPARE, "module:cannot_compare")
        outcome = _compare_parameters(params, student, built)
        if outcome is None and "initial_parameters" in params.compare:
            outcome = _compare_start(params, student, built)
        if outcome is not None:
            return outcome
    # The same grader-chosen weights in the student's class and in the reference: a class
    # that zeroes or ignores its own parameters cannot match the reference by accident.
    weights = _modules.grader_weights(student.value["state_dict"], student.value.get("parameters", []))
    payload = {**payload, "state_dict": weights, "attributes": [], "initial_state": False}
    mine = _modules.run_module(answer.source, payload, filename="submission.py")
    if mine.status in _modules.NOT_THE_STUDENTS:
        return Outcome("needs_review", 0.0, NOT_RUN.format(what=what, reason=mine.error_message), "error:sandbox")
    if mine.status in _modules.STOPPED:
        return Outcome("incorrect", 0.0, _stopped(params, mine), "module:stopped")
    if mine.status != "ok":
        message = DOES_NOT_LOAD.format(error=_modules.failure(mine))
        return Outcome("incorrect", 0.0, message, "module:does_not_load")
    replay = _modules.run_module(reference.source, payload, filename="reference.py")
    return _compare_runs(params, cases, mine, replay, same="with the same weights as the reference ")


def _forbidden(answer: Code, params: Params) -> Outcome | None:
    """``incorrect`` when the code's syntax uses a name the question forbids; else None."""
    if not params.forbidden:
        return None
    found = _modules.forbidden_use(ast.parse(answer.source), params.forbidden)  # parsed, never run
    if found is None:
        return None
    name, line = found
    return Outcome("incorrect", 0.0, FORBIDDEN.format(name=name, line=line), "module:forbidden")


def _stopped(params: Params, run: RunResult) -> str:
    """A run stopped by its limits: one child builds and calls, so where it stopped is unknown."""
    stage = "built or called" if params.class_name else "called"
    return _modules.stopped_sentence(run, _what(params), stage)


def _failed_call(params: Params, cases: list[_modules.Case], student: RunResult) -> Outcome | None:
    """The first call that raised, or whose output has the wrong declared shape; else None."""
    for case, output in zip(cases, student.value["outputs"], strict=True):
        where = _modules.describe_case(params, case)
        if "error_type" in output:
            message = CALL_FAILS.format(call=_call(params), case=where, error=_modules.error_sentence(output))
            function = _modules.raised_in(output.get("traceback", "")).split(",")[0]
            if function and "is invalid for input of size" in str(output.get("error_message")):
                message += " " + STALE_SIZE.format(function=function)
            return Outcome("incorrect", 0.0, message, "module:call_fails")
        if params.output_shape and "shape" in params.compare:
            expected = _modules.shapes(params, case)
            if _modules.output_shape(output) != expected:
                shape = _modules.show_shape(_modules.output_shape(output))
                message = WRONG_SHAPE.format(case=where, shape=shape, expected=_modules.show_shape(expected))
                return Outcome("incorrect", 0.0, message, "module:shape")
    return None


def _compare_runs(
    params: Params,
    cases: list[_modules.Case],
    mine: RunResult,
    replay: RunResult,
    same: str,
) -> Outcome:
    if replay.status != "ok" or any("error_type" in output for output in replay.value["outputs"]):
        # Never quote the reference's own error: it names the reference's shapes.
        message = CANNOT_COMPARE if params.class_name else CANNOT_COMPARE_FUNCTION
        return Outcome("needs_review", params.partial_credit, message, "module:cannot_compare")
    for case, ours, theirs in zip(cases, mine.value["outputs"], replay.value["outputs"], strict=True):
        where = _modules.describe_case(params, case)
        if "error_type" in ours:
            message = CALL_FAILS.format(call=_call(params), case=where, error=_modules.error_sentence(ours))
            return Outcome("incorrect", 0.0, message, "module:call_fails")
        outcome = _mismatch(params, ours, theirs, where, same)
        if outcome is not None:
            return outcome
    return Outcome("correct", 1.0, CORRECT.format(what=_what(params)), "module:same_behaviour")


def _mismatch(params: Params, ours: dict[str, Any], theirs: dict[str, Any], where: str, same: str) -> Outcome | None:
    """The outcome of one call whose output disagrees with the reference's; None when it agrees."""
    found = _modules.mismatch(params, ours, theirs)
    if found is None:
        return None
    name, difference = found
    what = _what(params)
    if name == "shape":
        if params.output_shape:  # checked against the declaration already: the values differ
            message = WRONG_VALUES.format(
                what=what, same=same, difference=_modules.show_difference(difference), case=where
            )
            return Outcome("incorrect", 0.0, message, "module:values")
        shape, expected = (_modules.show_shape(_modules.output_shape(out)) for out in (ours, theirs))
        return Outcome("incorrect", 0.0, WRONG_SHAPE.format(case=where, shape=shape, expected=expected), "module:shape")
    if name == "values":
        message = WRONG_VALUES.format(what=what, same=same, difference=_modules.show_difference(difference), case=where)
        return Outcome("incorrect", 0.0, message, "module:values")
    which = "with respect to the inputs" if name == "input_gradients" else "of the weights"
    message = WRONG_GRADIENTS.format(
        what=what, which=which, difference=_modules.show_difference(difference), case=where
    )
    return Outcome("incorrect", 0.0, message, f"module:{name}")


def _compare_parameters(params: Params, mine: RunResult, replay: RunResult) -> Outcome | None:
    if "parameter_count" in params.compare:
        got, expected = mine.value.get("parameter_count"), replay.value.get("parameter_count")
        if got != expected:
            return Outcome("incorrect", 0.0, WRONG_COUNT.format(got=f"{got:,}"), "module:parameter_count")
    if "state_dict" in params.compare:
        ours = {name: tensor["shape"] for name, tensor in mine.value["state_dict"].items()}
        theirs = {name: tensor["shape"] for name, tensor in replay.value["state_dict"].items()}
        missing, extra = sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))
        if missing or extra:
            detail = "; ".join(text for text in (_names("missing", missing), _names("not expected", extra)) if text)
            return Outcome("incorrect", 0.0, WRONG_STATE.format(detail=detail), "module:state_dict")
        # Never the reference's shapes (they may be the answer): only which entries differ.
        wrong = sorted(name for name in ours if ours[name] != theirs[name])
        if wrong:
            detail = f"{', '.join(wrong)} {'has' if len(wrong) == 1 else 'have'} another shape"
            return Outcome("incorrect", 0.0, WRONG_STATE.format(detail=detail), "module:state_dict")
    return None


def _compare_start(params: Params, mine: RunResult, built: RunResult) -> Outcome | None:
    """``initial_parameters``: every parameter and buffer starts where the reference's does
    (both built after the same ``torch.manual_seed``); names only in the feedback."""
    found = _modules.start_difference(
        mine.value["initial_state_dict"], built.value["initial_state_dict"], params.tolerance
    )
    if not found.comparable:
        parts = [_names("missing", found.missing), _names("not expected", found.extra)]
        if found.reshaped:
            parts.append(f"{', '.join(found.reshaped)} {'has' if len(found.reshaped) == 1 else 'have'} another shape")
        detail = "; ".join(part for part in parts if part)
        message = CANNOT_COMPARE_START.format(detail=detail)
        return Outcome("needs_review", params.partial_credit, message, "module:cannot_compare_start")
    if found.different:
        verb = "does" if len(found.different) == 1 else "do"
        message = WRONG_START.format(names=", ".join(found.different), verb=verb)
        return Outcome("incorrect", 0.0, message, "module:initial_parameters")
    return None


def _names(label: str, names: list[str]) -> str:
    return f"{label}: {', '.join(names)}" if names else ""


def _show(value: Any) -> str:
    if isinstance(value, dict) and "repr" in value:
        return str(value["repr"])
    return repr(value)


def check_reference(part: Part, reference: Code) -> str | None:
    """The reference builds and runs on every declared case, or a sentence saying where not."""
    params: Params = part.params
    banned = _modules.forbidden_use(ast.parse(reference.source), params.forbidden)
    if banned is not None:
        return f"the reference {params.target} uses {banned[0]} (line {banned[1]}), which forbidden lists"
    cases = _modules.builds(params)
    payload = {**_modules.payload(params, cases=cases), "attributes": sorted(params.attributes)}
    run = _modules.run_module(reference.source, payload, filename="reference.py")
    if run.status in _modules.NOT_THE_STUDENTS:
        return None  # the sandbox's doing, not the reference's: validate cannot tell here
    if run.status != "ok":
        return f"the reference {params.target} does not run: {_modules.failure(run)}"
    for name, expected in sorted(params.attributes.items()):
        got = run.value["attributes"].get(name)
        if got != expected:
            return f"the reference {params.target} has {name} = {_show(got)}, but attributes fixes it to {expected}"
    for case, output in zip(cases, run.value["outputs"], strict=True):
        if "error_type" in output:
            where = _modules.describe_case(params, case)
            return f"the reference {params.target} fails on {where}: {_modules.error_sentence(output)}"
        if params.output_shape and _modules.output_shape(output) != _modules.shapes(params, case):
            shape = _modules.show_shape(_modules.output_shape(output))
            where = _modules.describe_case(params, case)
            return f"the reference {params.target} returns {shape} on {where}, not the declared output_shape"
    return None


def matches(answer: Code, other: Code, part: Part) -> bool:
    return False  # code is judged by running it; rules by meaning do not apply


def show(answer: Code) -> str:
    if answer.patch is not None and answer.patch.problem:
        return f"changed lines that could not be placed: {answer.patch.problem}"
    if answer.patch is not None:
        lines = len(answer.patch.changes)
        return f"Python source, {answer.lines} lines ({lines} changed line{'s' if lines != 1 else ''} applied)"
    return f"Python source, {answer.lines} lines"


def group_key(answer: Code) -> str:
    """The program itself, not its summary: its syntax tree (comments and layout left out,
    so a reformatted copy groups with the original), hashed to keep records small."""
    try:
        canonical = ast.dump(ast.parse(answer.source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        canonical = " ".join(answer.source.split())
    return "python:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


KIND = GraderKind(
    name="module_behaviour",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    group_key=group_key,
    example="the whole class (or function), inline or as {file: model.py}",
    warm_up=_modules.prestart,
    bind=bind,
    runs_code=True,
    check_reference=check_reference,
)
