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
attributes, numbers, arithmetic, calls of names) before it goes anywhere near
the template, so a blank cannot inject statements.

Params: ``template``, ``blank``, ``strip_prefix``, ``class_name``, ``init_args``,
``cases``, ``tolerance``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from autograder.graders import _modules, token
from autograder.graders.base import GraderKind
from autograder.graders.token import Fragment
from autograder.result import Outcome
from autograder.sandbox import RunResult
from autograder.spec import Part, ProblemSet

CORRECT = "Correct."
CORRECT_EQUIVALENT = "Correct: with {shown} in blank ({blank}) the class behaves exactly like the reference."
CRASHES = "With {shown} in blank ({blank}) the class does not run: {error}."
CALL_FAILS = "With {shown} in blank ({blank}) the forward pass fails on {case}: {error}."
WRONG_SHAPE = "With {shown} in blank ({blank}) the output has shape {shape} instead of {expected} on {case}."
WRONG_VALUES = (
    "With {shown} in blank ({blank}) the class runs, but its output differs from the reference's "
    "(largest difference {difference:.3g}) on {case}."
)
NOT_RUN = "The autograder could not run the class with your blank ({reason})."


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
    cases: tuple[_modules.Case, ...] = _modules.DEFAULT_CASES
    tolerance: float = 1e-6
    source: str = field(default="", metadata={"internal": True})
    """The template's text (filled at bind)."""
    fills: dict[str, str] = field(default_factory=dict, metadata={"internal": True})
    """Every blank's reference answer (filled at bind)."""


def _reader(params: Params) -> token.Params:
    return token.Params(strip_prefix=params.strip_prefix)


def read(text: str, part: Part) -> Fragment:
    return token.read_fragment(text, _reader(part.params))


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
    missing = sorted(set(_blanks(source)) - set(fills))
    if missing:
        raise ValueError(f"template {params.template}: no reference answer for blank(s) {', '.join(missing)}")
    return replace(params, source=source, fills=fills)


def _blanks(source: str) -> list[str]:
    import re

    return re.findall(r"___\((\w+)\)___", source)


def fill(params: Params, answers: Mapping[str, str]) -> str:
    source = params.source
    for blank, text in {**params.fills, **answers}.items():
        source = source.replace(f"___({blank})___", text)
    return source


_REFERENCE_RUNS: dict[str, RunResult] = {}


def reference_run(part: Part) -> RunResult:
    """The fully reference-filled class, run once per process (all blanks of a template share it)."""
    params: Params = part.params
    payload = {
        "class_name": params.class_name,
        "init_args": list(params.init_args),
        "calls": _modules.calls(params.cases, params.init_args[0]),
    }
    source = fill(params, {})
    key = repr((source, params.class_name, params.init_args, params.cases))
    if key not in _REFERENCE_RUNS:
        _REFERENCE_RUNS[key] = _modules.run_module(source, payload)
    return _REFERENCE_RUNS[key]


def grade(answer: Fragment, reference: Fragment, part: Part) -> Outcome:
    params: Params = part.params
    if answer.text == reference.text:
        return Outcome("correct", 1.0, CORRECT, "mha_blanks:same_text")
    expected = reference_run(part)
    if expected.status != "ok":
        return Outcome("needs_review", 0.0, NOT_RUN.format(reason=_modules.failure(expected)), "error:reference")
    payload: dict[str, Any] = {
        "class_name": params.class_name,
        "init_args": list(params.init_args),
        "state_dict": {name: tensor["values"] for name, tensor in expected.value["state_dict"].items()},
        "calls": _modules.calls(params.cases, params.init_args[0]),
    }
    run = _modules.run_module(fill(params, {params.blank: answer.text}), payload)
    names = {"shown": answer.text, "blank": params.blank}
    if run.status in ("crashed", "refused") and run.error_type == "SandboxError":
        return Outcome("needs_review", 0.0, NOT_RUN.format(reason=run.error_message), "error:sandbox")
    if run.status != "ok":
        return Outcome("incorrect", 0.0, CRASHES.format(error=_modules.failure(run), **names), "mha_blanks:crash")
    for case, got, want in zip(params.cases, run.value["outputs"], expected.value["outputs"], strict=True):
        where = _modules.describe_case(case)
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
    return Outcome("correct", 1.0, CORRECT_EQUIVALENT.format(**names), "mha_blanks:same_behaviour")


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
