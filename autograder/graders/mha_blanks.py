"""``mha_blanks``: one blank of a code template, judged by what the code does.

The template (a file next to the spec, blanks written ``___(a)___``) is filled
with the student's answer for this part's blank and the reference answers for
all the others, so a wrong (e) never costs (a)–(d). The filled class runs in
the sandbox on seeded inputs (several batch sizes and sequence lengths, with
and without masks) with the reference's weights; its outputs are compared here
with the fully reference-filled class's. Any blank that behaves like the
reference earns its points: ``self.d_model``, ``num_heads * self.d_k`` and
``-1`` can all be right.

The blank is read as a code fragment by the ``token`` kind's reader (names,
attributes, numbers, arithmetic, calls of names), so it cannot inject
statements, and then checked against an allow-list (:mod:`._blanks`): only
the names the template binds where the blank stands, a few harmless
built-ins, torch / nn / math functions and attributes that are neither
private nor a way to files, code or the system. A refused blank scores 0 and
never runs. The filled template runs from memory (``hide_source``): no file
of it, with the other blanks' reference answers, exists for the child to read.

Params: ``template``, ``blank``, ``strip_prefix``, ``class_name``, ``init_args``, ``also_init_args``,
``cases``, ``tolerance``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from autograder.graders import _blanks, _modules, token
from autograder.graders.base import GraderKind
from autograder.graders.token import Fragment
from autograder.mathread import Unreadable
from autograder.result import Outcome
from autograder.sandbox import RunResult
from autograder.spec import Part, ProblemSet

CORRECT = "Correct."
CORRECT_EQUIVALENT = "Correct: with {shown} in blank ({blank}) the class behaves exactly like the reference."
CRASHES = "With {shown} in blank ({blank}) the class{built} does not run: {error}."
CALL_FAILS = "With {shown} in blank ({blank}) the forward pass fails on {case}: {error}."
WRONG_SHAPE = "With {shown} in blank ({blank}) the output has shape {shape} instead of {expected} on {case}."
WRONG_VALUES = (
    "With {shown} in blank ({blank}) the class runs, but its output differs from the reference's "
    "(largest difference {difference:.3g}) on {case}."
)
OUTSIDE = "With {shown} in blank ({blank}) the class would not run: {reason}"
NOT_RUN = "The autograder could not run the class with your blank ({reason})."
UNDEFINED = (
    "With {shown} in blank ({blank}) the class cannot run: NameError: name '{name}' is not defined "
    "where blank ({blank}) stands."
)


@dataclass(frozen=True)
class Params:
    template: str
    """File next to the spec holding the class with its blanks, written ``___(x)___``."""
    blank: str
    """Which blank this part fills, e.g. ``a``."""
    strip_prefix: tuple[str, ...] = ()
    """Text the template writes right before the blank (``torch.``), ignored when repeated."""
    class_name: str = "MultiHeadAttention"
    init_args: tuple[int, ...] = (12, 3)
    """Constructor arguments; the first is the model width of the inputs."""
    also_init_args: tuple[tuple[int, ...], ...] = ((20, 4),)
    """Further constructor arguments every blank is also run with, so a constant that only
    fits ``init_args`` (``12`` for ``d_model``) does not pass."""
    cases: tuple[_modules.Case, ...] = _modules.DEFAULT_CASES
    tolerance: float = 1e-6
    source: str = field(default="", metadata={"internal": True})
    """The template's text (filled at bind)."""
    fills: dict[str, str] = field(default_factory=dict, metadata={"internal": True})
    """Every blank's reference answer (filled at bind)."""


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
    source = params.source
    for blank, text in {**params.fills, **answers}.items():
        source = source.replace(f"___({blank})___", text)
    return source


_REFERENCE_RUNS: dict[str, RunResult] = {}


def reference_run(part: Part, init_args: tuple[int, ...] | None = None) -> RunResult:
    """The fully reference-filled class built with ``init_args`` (default: the part's), run once
    per process (all blanks of a template share it).

    Only a run that finished is kept: a failed one (a crash, a refusal) may be transient,
    and keeping it would turn every later student's blanks into reviews."""
    params: Params = part.params
    init_args = init_args or params.init_args
    payload = {
        "class_name": params.class_name,
        "init_args": list(init_args),
        "calls": _modules.calls(params.cases, init_args[0]),
    }
    source = fill(params, {})
    key = repr((source, params.class_name, init_args, params.cases))
    if key in _REFERENCE_RUNS:
        return _REFERENCE_RUNS[key]
    run = _modules.run_module(source, payload, hide_source=True)
    if run.status == "ok":
        _REFERENCE_RUNS[key] = run
    return run


def grade(answer: Fragment, reference: Fragment, part: Part) -> Outcome:
    params: Params = part.params
    names = {"shown": answer.text, "blank": params.blank}
    # The allow-list again, with the bound template: nothing refused ever runs.
    scope = _scope(params.source, params.blank)
    refusal = _blanks.refusal(answer.text, scope, namespaces=False)
    if refusal:
        return Outcome("unreadable", 0.0, refusal, "mha_blanks:not_allowed")
    outside = _blanks.refusal(answer.text, scope)
    if outside:  # readable, never run, and it would not run as the class's code either
        return Outcome("incorrect", 0.0, OUTSIDE.format(reason=outside, **names), "mha_blanks:outside_namespaces")
    if answer.text == reference.text:
        return Outcome("correct", 1.0, CORRECT, "mha_blanks:same_text")
    undefined = _blanks.undefined(answer.text, scope)
    if undefined:
        return Outcome("incorrect", 0.0, UNDEFINED.format(name=undefined, **names), "mha_blanks:undefined_name")
    for init_args in (params.init_args, *params.also_init_args):
        outcome = _same_behaviour(answer, part, init_args, names)
        if outcome is not None:
            return outcome
    return Outcome("correct", 1.0, CORRECT_EQUIVALENT.format(**names), "mha_blanks:same_behaviour")


def _same_behaviour(answer: Fragment, part: Part, init_args: tuple[int, ...], names: dict[str, str]) -> Outcome | None:
    """None when the class with this blank behaves like the reference, built with ``init_args``."""
    params: Params = part.params
    expected = reference_run(part, init_args)
    if expected.status != "ok":
        return Outcome("needs_review", 0.0, NOT_RUN.format(reason=_modules.failure(expected)), "error:reference")
    payload: dict[str, Any] = {
        "class_name": params.class_name,
        "init_args": list(init_args),
        "state_dict": {name: tensor["values"] for name, tensor in expected.value["state_dict"].items()},
        "calls": _modules.calls(params.cases, init_args[0]),
    }
    run = _modules.run_module(fill(params, {params.blank: answer.text}), payload, hide_source=True)
    if run.status in _modules.NOT_THE_STUDENTS:
        return Outcome("needs_review", 0.0, NOT_RUN.format(reason=run.error_message), "error:sandbox")
    other_build = "" if init_args == params.init_args else f"{params.class_name}{tuple(init_args)}"
    built = f" ({other_build})" if other_build else ""
    if run.status != "ok":  # an exception, the time or the memory limit: the blank's doing
        error = _without_reference_shapes(_modules.failure(run))
        message = CRASHES.format(built=f" built as {other_build}" if other_build else "", error=error, **names)
        return Outcome("incorrect", 0.0, message, "mha_blanks:crash")
    for case, got, want in zip(params.cases, run.value["outputs"], expected.value["outputs"], strict=True):
        where = _modules.describe_case(case) + built
        if "error_type" in got:
            message = CALL_FAILS.format(case=where, error=_modules.error_sentence(got), **names)
            return Outcome("incorrect", 0.0, message, "mha_blanks:call_fails")
        if got.get("shape") != want["shape"]:
            message = WRONG_SHAPE.format(case=where, shape=got.get("shape"), expected=want["shape"], **names)
            return Outcome("incorrect", 0.0, message, "mha_blanks:shape")
        difference = _modules.max_difference(got["values"], want["values"])
        if difference > params.tolerance:
            message = WRONG_VALUES.format(case=where, difference=difference, **names)
            return Outcome("incorrect", 0.0, message, "mha_blanks:values")
    return None


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
    name="mha_blanks",
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
)
