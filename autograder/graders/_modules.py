"""Shared by the kinds that run a student's nn.Module in the sandbox: the one
sandbox per process, deterministic inputs, and comparisons made here, in the
grader's process, on the plain numbers the sandbox sends back.

No torch here: inputs are nested lists built from a seeded ``random.Random``,
outputs come back as nested lists, so the grader process never imports torch.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Case:
    """One forward call: batch size, sequence length and mask (none, causal or padding)."""

    batch: int
    seq: int
    mask: str = "none"


DEFAULT_CASES = (Case(2, 5), Case(1, 7, "causal"), Case(3, 4, "padding"))


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
        return sandbox().run("module", source, payload, filename=filename, hide_source=hide_source)
    except SandboxError as error:
        return RunResult("crashed", error_type="SandboxError", error_message=f"the sandbox could not start: {error}")


def calls(cases: Sequence[Case], d_model: int, seed: int = 7) -> list[dict[str, Any]]:
    """Seeded self-attention inputs (Q, K, V of [batch, seq, d_model]) and masks, as lists."""
    rng = random.Random(seed)
    result = []
    for case in cases:
        q, k, v = (_tensor(rng, [case.batch, case.seq, d_model]) for _ in range(3))
        result.append({"args": [q, k, v, _mask(rng, case)]})
    return result


def describe_case(case: Case) -> str:
    mask = {"none": "no mask", "causal": "a causal mask", "padding": "a padding mask"}[case.mask]
    return f"batch {case.batch}, sequence length {case.seq}, {mask}"


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


def _mask(rng: random.Random, case: Case) -> Any:
    if case.mask == "causal":
        return [[[[1 if j <= i else 0 for j in range(case.seq)] for i in range(case.seq)]]]
    if case.mask == "padding":
        lengths = [rng.randint(1, case.seq) for _ in range(case.batch)]
        return [[[[1 if j < length else 0 for j in range(case.seq)]]] for length in lengths]
    return None


def flatten(values: Any) -> Iterator[float]:
    if isinstance(values, list):
        for item in values:
            yield from flatten(item)
    else:
        yield float(values)


def max_difference(a: Any, b: Any) -> float:
    """Largest absolute difference of two equally shaped nested lists (inf when NaN)."""
    worst = 0.0
    for x, y in zip(flatten(a), flatten(b), strict=True):
        difference = abs(x - y)
        if math.isnan(difference):
            return math.inf
        worst = max(worst, difference)
    return worst


def error_sentence(output: dict[str, Any]) -> str:
    """``RuntimeError: shape '[2, 5, 3, 4]' is invalid …`` plus where it was raised."""
    sentence = f"{output.get('error_type', 'Error')}: {output.get('error_message', '')}".strip()
    where = raised_in(output.get("traceback", ""))
    return f"{sentence} (raised in {where})" if where else sentence


_FRAME = re.compile(r'File "[^"]*", line (\d+), in (\w+)')


def raised_in(traceback: str) -> str:
    """The innermost frame of the student's own file: ``split_heads, line 31``."""
    frames = _FRAME.findall(traceback or "")
    if not frames:
        return ""
    line, function = frames[-1]
    return f"{function}, line {line}"


def failure(result: RunResult) -> str:
    """A sentence for a run that did not finish normally."""
    if result.status == "error":
        detail = f"{result.error_type}: {result.error_message}".strip(": ")
        where = raised_in(result.traceback)
        return f"{detail} (raised in {where})" if where else detail
    what = STATUS_SENTENCES.get(result.status, result.status)
    return f"it {what}: {result.error_message}".rstrip(": ")
