"""``code_blanks``: one blank of a code template of any module or function, judged by what
the code does.

The template (a file next to the spec, blanks written ``___(a)___``) is filled
with the student's answer for this part's blank and the reference answers for
all the others, so a wrong (e) never costs (a)–(d). The filled class (or function)
runs in the sandbox on the seeded inputs the spec declares (the shared
:class:`~autograder.graders._modules.CodeSpec`: inputs with symbolic shapes, dtypes,
tuples, masks; one call per case) with the reference's weights; what ``compare``
lists is compared here with the fully reference-filled code's. Any blank that
behaves like the reference earns its points: ``self.hidden``, ``2 * hidden // 2``
and ``-1`` can all be right.

The blank is read as a code fragment by the ``token`` kind's reader with the syntax of
:mod:`._blanks` (names, attributes, numbers, arithmetic, comparisons, calls, methods,
indexing), so it cannot inject statements, and then checked against an allow-list: only
the names the template binds where the blank stands, a few harmless
built-ins, torch / nn / math functions and attributes that are neither
private nor a way to files, code or the system. A refused blank scores 0 and
never runs. The filled template runs from memory (``hide_source``): no file
of it, with the other blanks' reference answers, exists for the child to read.

Params: ``template``, ``blank``, ``strip_prefix``, ``also_init_args`` and those of
:class:`~autograder.graders._modules.CodeSpec`.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from autograder.graders import _blanks, _modules, token
from autograder.graders.base import GraderKind
from autograder.graders.token import Fragment
from autograder.mathread import Unreadable
from autograder.problem import Part, ProblemSet
from autograder.result import Outcome
from autograder.sandbox import RunResult

CORRECT = "Correct."
FORBIDDEN = "The question asks you not to use {name} in blank ({blank})."
CORRECT_EQUIVALENT = "Correct: with {shown} in blank ({blank}) the {what} behaves exactly like the reference."
CRASHES = "With {shown} in blank ({blank}) the {what}{built} does not run: {error}."
CALL_FAILS = "With {shown} in blank ({blank}) {call} fails on {case}: {error}."
WRONG_SHAPE = "With {shown} in blank ({blank}) the output is {shape} instead of {expected} on {case}."
WRONG_VALUES = (
    "With {shown} in blank ({blank}) the {what} runs, but its output differs from the reference's "
    "({difference}) on {case}."
)
WRONG_GRADIENTS = (
    "With {shown} in blank ({blank}) the {what} computes the right values, but its gradients {which} "
    "differ from the reference's ({difference}) on {case}."
)
WRONG_COUNT = "With {shown} in blank ({blank}) the class has {count} parameters, not as many as the reference."
WRONG_START = (
    "With {shown} in blank ({blank}) the class runs, but {names} {verb} not start at the reference's values "
    "(checked right after construction, with the same random seed)."
)
OUTSIDE = "With {shown} in blank ({blank}) the {what} would not run: {reason}"
NOT_RUN = "The autograder could not run the {what} with your blank ({reason})."
UNDEFINED = (
    "With {shown} in blank ({blank}) the {what} cannot run: NameError: name '{name}' is not defined "
    "where blank ({blank}) stands."
)


@dataclass(frozen=True, kw_only=True)
class Params(_modules.CodeSpec):
    template: str
    """File next to the spec holding the class (or function) with its blanks, written ``___(x)___``."""
    blank: str
    """Which blank this part fills, e.g. ``a``."""
    strip_prefix: tuple[str, ...] = ()
    """Dotted prefixes the template writes right before the blank (``torch.``), removed from
    the answer's leading name when repeated."""
    also_init_args: tuple[tuple[Any, ...], ...] = ()
    """Further constructor arguments every blank is also run with (sizes that name
    ``init_args[i]`` follow them), so a constant that only fits ``init_args`` does not pass."""
    source: str = field(default="", metadata={"internal": True})
    """The template's text (filled at bind)."""
    fills: dict[str, str] = field(default_factory=dict, metadata={"internal": True})
    """Every blank's reference answer (filled at bind)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            token.check_prefixes(self.strip_prefix)
        except ValueError as error:
            raise TypeError(str(error)) from None
        if self.function and self.also_init_args:
            raise TypeError("also_init_args: a function has no constructor to build again")
        for init_args in self.also_init_args:
            _modules.builds(self, init_args)  # every size resolves for this build too


def _reader(params: Params) -> token.Params:
    return token.Params(strip_prefix=params.strip_prefix)


def read(text: str, part: Part) -> Fragment:
    """A code fragment the allow-list accepts where the blank stands; else Unreadable."""
    fragment = token.read_fragment(text, _reader(part.params))
    where = _scope_for_reading(part)
    refusal = _blanks.refusal(fragment.text, where, namespaces=False) if where is not None else ""
    if refusal:
        raise Unreadable(refusal)
    return fragment


def _scope_for_reading(part: Part) -> _blanks.Scope | None:
    """The blank's scope; before bind (``autograder check``, the spec's rules) from the
    template file. None when that cannot be read: bind then fails, and grade checks again."""
    params: Params = part.params
    source = params.source
    if not source:
        try:
            source = (part.folder / params.template).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
    try:
        return _scope(source, params.blank)
    except ValueError:
        return None


@functools.lru_cache(maxsize=64)
def _scope(source: str, blank: str) -> _blanks.Scope:
    return _blanks.scope(source, blank)


def bind(part: Part, problems: ProblemSet, readings: Mapping[str, Any]) -> Params:
    """Read the template and collect the reference answer of each of its blanks."""
    params: Params = part.params
    path = part.folder / params.template
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"template: cannot read {path}: {error.strerror}") from None
    fills = {}
    for other in problems.parts:
        if other.kind == part.kind and other.params.template == params.template and other.id in readings:
            fills[other.params.blank] = readings[other.id].text
    missing = sorted(set(_blank_names(source)) - set(fills))
    if missing:
        raise ValueError(f"template {params.template}: no reference answer for blank(s) {', '.join(missing)}")
    try:
        _scope(source, params.blank)
    except ValueError as error:
        raise ValueError(f"template {params.template}: {error}") from None
    return replace(params, source=source, fills=fills)


def _blank_names(source: str) -> list[str]:
    return re.findall(r"___\((\w+)\)___", source)


def fill(params: Params, answers: Mapping[str, str]) -> str:
    """The template with every blank replaced by its answer, as one operand (see :func:`operand`)."""
    source = params.source
    for blank, text in {**params.fills, **answers}.items():
        source = source.replace(f"___({blank})___", operand(text))
    return source


_OPERATORS = (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.NamedExpr)


def operand(text: str) -> str:
    """An answer with operators in parentheses, so it stays one operand wherever the blank
    stands (``n - ___(k)___`` with ``kernel + 0`` is ``n - (kernel + 0)``); names, calls and
    numbers stay as written, since a blank may stand after ``self.`` (parsed only, never run)."""
    try:
        body = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text
    return f"({text})" if isinstance(body, _OPERATORS) else text


_REFERENCE_RUNS: dict[str, RunResult] = {}


def reference_run(part: Part, init_args: tuple[Any, ...] | None = None) -> RunResult:
    """The fully reference-filled code built with ``init_args`` (default: the part's), run once
    per process (all blanks of a template share it); a class runs with grader-chosen random
    weights (:func:`_modules.grader_weights`), which every blank's run then loads.

    Only a run that finished is kept: a failed one (a crash, a refusal) may be transient,
    and keeping it would turn every later student's blanks into reviews."""
    params: Params = part.params
    init_args = params.init_args if init_args is None else init_args
    payload = _modules.payload(params, init_args)
    source = fill(params, {})
    start = _starts(params)
    key = repr((source, payload, start))
    if key in _REFERENCE_RUNS:
        return _REFERENCE_RUNS[key]
    run = _modules.run_module(source, {**payload, "initial_state": start}, hide_source=True)
    if run.status == "ok" and params.class_name:
        # Run again with grader-chosen weights: the template's own initialisation may be
        # zeros (a bias), which a blank that drops the term would match by accident.
        weights = _modules.grader_weights(run.value["state_dict"], run.value.get("parameters", []))
        first = run
        run = _modules.run_module(source, {**payload, "state_dict": weights}, hide_source=True)
        if run.status == "ok" and start:  # how the reference starts, from the run before any weights
            run.value["initial_state_dict"] = first.value["initial_state_dict"]
    if run.status == "ok":
        _REFERENCE_RUNS[key] = run
    return run


def grade(answer: Fragment, reference: Fragment, part: Part) -> Outcome:
    params: Params = part.params
    names = {"shown": answer.text, "blank": params.blank, "what": _what(params)}
    # The allow-list again, with the bound template: nothing refused ever runs.
    scope = _scope(params.source, params.blank)
    refusal = _blanks.refusal(answer.text, scope, namespaces=False)
    if refusal:
        return Outcome("unreadable", 0.0, refusal, "code_blanks:not_allowed")
    outside = _blanks.refusal(answer.text, scope)
    if outside:  # readable, never run, and it would not run as the template's code either
        return Outcome("incorrect", 0.0, OUTSIDE.format(reason=outside, **names), "code_blanks:outside_namespaces")
    banned = _modules.forbidden_use(ast.parse(answer.text, mode="eval"), params.forbidden) if params.forbidden else None
    if banned is not None:  # parsed, never run
        return Outcome("incorrect", 0.0, FORBIDDEN.format(name=banned[0], **names), "code_blanks:forbidden")
    if answer.text == reference.text:
        return Outcome("correct", 1.0, CORRECT, "code_blanks:same_text")
    undefined = _blanks.undefined(answer.text, scope)
    if undefined:
        return Outcome("incorrect", 0.0, UNDEFINED.format(name=undefined, **names), "code_blanks:undefined_name")
    for init_args in (params.init_args, *params.also_init_args):
        outcome = _same_behaviour(answer, part, init_args, names)
        if outcome is not None:
            return outcome
    return Outcome("correct", 1.0, CORRECT_EQUIVALENT.format(**names), "code_blanks:same_behaviour")


def _what(params: Params) -> str:
    return "class" if params.class_name else "function"


def _same_behaviour(answer: Fragment, part: Part, init_args: tuple[Any, ...], names: dict[str, str]) -> Outcome | None:
    """None when the code with this blank behaves like the reference, built with ``init_args``."""
    params: Params = part.params
    expected = reference_run(part, init_args)
    if expected.status != "ok":
        return Outcome(
            "needs_review", 0.0, NOT_RUN.format(reason=_modules.failure(expected), **names), "error:reference"
        )
    payload = _modules.payload(params, init_args)
    if params.class_name:
        payload["state_dict"] = {name: tensor["values"] for name, tensor in expected.value["state_dict"].items()}
    run = _modules.run_module(fill(params, {params.blank: answer.text}), payload, hide_source=True)
    if run.status in _modules.NOT_THE_STUDENTS:
        return Outcome("needs_review", 0.0, NOT_RUN.format(reason=run.error_message, **names), "error:sandbox")
    other_build = "" if init_args == params.init_args else f"{params.target}{_arguments(init_args)}"
    built = f" ({other_build})" if other_build else ""
    if run.status != "ok":  # an exception, the time or the memory limit: the blank's doing
        error = _without_reference_shapes(_modules.failure(run))
        message = CRASHES.format(built=f" built as {other_build}" if other_build else "", error=error, **names)
        return Outcome("incorrect", 0.0, message, "code_blanks:crash")
    cases = _modules.builds(params, init_args)
    for case, got, want in zip(cases, run.value["outputs"], expected.value["outputs"], strict=True):
        where = _modules.describe_case(params, case) + built
        if "error_type" in got:
            message = CALL_FAILS.format(call=_call(params), case=where, error=_modules.error_sentence(got), **names)
            return Outcome("incorrect", 0.0, message, "code_blanks:call_fails")
        found = _modules.mismatch(params, got, want)
        if found is None:
            continue
        name, difference = found
        if name == "shape":
            shape, wanted = (_modules.show_shape(_modules.output_shape(out)) for out in (got, want))
            message = WRONG_SHAPE.format(case=where, shape=shape, expected=wanted, **names)
            return Outcome("incorrect", 0.0, message, "code_blanks:shape")
        message = WRONG_VALUES if name == "values" else WRONG_GRADIENTS
        which = "with respect to the inputs" if name == "input_gradients" else "of the weights"
        message = message.format(case=where, difference=_modules.show_difference(difference), which=which, **names)
        return Outcome("incorrect", 0.0, message, f"code_blanks:{name}")
    count = run.value.get("parameter_count")
    if "parameter_count" in params.compare and count != expected.value.get("parameter_count"):
        return Outcome("incorrect", 0.0, WRONG_COUNT.format(count=count, **names), "code_blanks:parameter_count")
    if _starts(params):
        return _compare_start(answer, params, init_args, expected, names)
    return None


def _starts(params: Params) -> bool:
    """Does this part compare the values a class's parameters and buffers start at?"""
    return bool(params.class_name) and "initial_parameters" in params.compare


def _compare_start(
    answer: Fragment, params: Params, init_args: tuple[Any, ...], expected: RunResult, names: dict[str, str]
) -> Outcome | None:
    """``initial_parameters``: the class built with this blank, before any call and without the
    reference's weights, starts where the reference-filled class does (names only in the feedback)."""
    payload = {**_modules.payload(params, init_args), "calls": [], "initial_state": True}
    run = _modules.run_module(fill(params, {params.blank: answer.text}), payload, hide_source=True)
    if run.status in _modules.NOT_THE_STUDENTS:
        return Outcome("needs_review", 0.0, NOT_RUN.format(reason=run.error_message, **names), "error:sandbox")
    if run.status != "ok":
        error = _without_reference_shapes(_modules.failure(run))
        return Outcome("incorrect", 0.0, CRASHES.format(built="", error=error, **names), "code_blanks:crash")
    found = _modules.start_difference(
        run.value["initial_state_dict"], expected.value["initial_state_dict"], params.tolerance
    )
    wrong = [*found.missing, *found.extra, *found.reshaped, *found.different]
    if not wrong:
        return None
    verb = "does" if len(wrong) == 1 else "do"
    message = WRONG_START.format(names=", ".join(wrong), verb=verb, **names)
    return Outcome("incorrect", 0.0, message, "code_blanks:initial_parameters")


def _call(params: Params) -> str:
    return "the forward pass" if params.class_name else f"calling {params.function}"


def _arguments(init_args: tuple[Any, ...]) -> str:
    return "(" + ", ".join(repr(value) for value in init_args) + ")"


def check_reference(part: Part, reference: Fragment) -> str | None:
    """The fully reference-filled template builds and runs on every declared case, for every
    build; else a located sentence (``reference blank (g) does not run: NameError … in forward``)."""
    params: Params = part.params
    for init_args in (params.init_args, *params.also_init_args):
        run = reference_run(part, init_args)
        build = "" if init_args == params.init_args else f" built as {params.target}{_arguments(init_args)}"
        if run.status in _modules.NOT_THE_STUDENTS:
            return None  # the sandbox's doing, not the reference's: validate cannot tell here
        if run.status != "ok":
            culprit = _culprit(params, run.traceback, run.error_message)
            return f"{culprit} does not run{build}: {_modules.failure(run)}"
        for case, output in zip(_modules.builds(params, init_args), run.value["outputs"], strict=True):
            if "error_type" in output:
                where = _modules.describe_case(params, case)
                culprit = _culprit(params, output.get("traceback", ""), str(output.get("error_message", "")))
                return f"{culprit} does not run on {where}{build}: {_modules.error_sentence(output)}"
    return None


def _culprit(params: Params, traceback: str, message: str) -> str:
    """Who failed, as far as the traceback shows: ``reference blank (g)`` when a name in the
    error (a NameError's, an AttributeError's) is written in a blank of the failing line;
    else the filled template, with the blank(s) of that line as a place to look."""
    numbers = [int(n) for n in re.findall(r'File "[^"]*", line (\d+)', traceback or "")]
    lines = params.source.splitlines()
    for number in reversed(numbers):
        if not 0 < number <= len(lines):
            continue
        blanks = _blank_names(lines[number - 1])
        if not blanks:
            continue
        quoted = set(re.findall(r"'(\w+)'", message))
        for blank in blanks:
            if quoted & set(re.findall(r"\w+", params.fills.get(blank, ""))):
                return f"reference blank ({blank})"
        where = ", ".join(f"({blank})" for blank in blanks)
        plural = "s" if len(blanks) > 1 else ""
        return f"the reference-filled {params.template} (failing at the line of blank{plural} {where})"
    return f"the reference-filled {params.template}"


_MISMATCH = re.compile(r"size mismatch for ([\w.]+)")


def _without_reference_shapes(error: str) -> str:
    """A failed load of the reference's weights names their shapes, which are the answers of
    other blanks: say which parameters do not fit, not how large the reference's are."""
    if "Error(s) in loading state_dict" not in error:
        return error
    names = sorted(set(_MISMATCH.findall(error)))
    which = ", ".join(names) if names else "some parameters"
    return f"with this blank, {which} do not have the shapes the rest of the class needs"


def matches(answer: Fragment, other: Fragment, part: Part) -> bool:
    return answer.text == other.text


def show(answer: Fragment) -> str:
    return answer.text


KIND = GraderKind(
    name="code_blanks",
    params=Params,
    read=read,
    grade=grade,
    matches=matches,
    show=show,
    example="a_name, self.an_attribute or 2 * a_name",
    bind=bind,
    names=lambda answer: set(answer.names),
    warm_up=_modules.prestart,
    runs_code=True,
    check_reference=check_reference,
)
