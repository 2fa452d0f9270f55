"""autograder.sandbox: student modules run in a limited child, and attacks fail.

Every hostile case runs in each available mode (bwrap, landlock and the rlimits
fallback); where a mode does not promise a protection (the fallback does not hide
files), the case is skipped with the reason. After each attack the same Sandbox
must still run the next submission. As root, ``test_sandbox_unprivileged.py``
runs this whole file again as an unprivileged user, as on an instructor's laptop.
"""

from __future__ import annotations

import math
import os
import re
import signal
import socket
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from autograder.sandbox import ENV_VAR, Limits, RunResult, Sandbox, bwrap_problem
from autograder.sandbox.isolation import choose_mode, landlock_abi

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = ROOT / "reference" / "hw9" / "answers.yaml"
SUBMISSIONS = ROOT / "submissions"
IS_ROOT = os.geteuid() == 0
SLACK = 2.0
"""Seconds a killed run may take beyond its limit (fork, kill, clean-up, answer)."""

AVAILABLE_MODES = [
    *(["bwrap"] if bwrap_problem() is None else []),
    *(["landlock"] if landlock_abi() else []),
    "rlimits",
]
if os.environ.get("CI") and not landlock_abi():
    raise RuntimeError("CI must exercise the Landlock mode, and this kernel has no Landlock")

D_MODEL, HEADS, BATCH, SEQ = 16, 2, 2, 5

CORRECT_MHA = """
import math
import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_k = d_model // num_heads
        self.W_q = nn.Linear(d_model, d_model)
        self.W_k = nn.Linear(d_model, d_model)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)

    def scaled_dot_product_attention(self, Q, K, V, mask=None):
        attn_scores = torch.matmul(Q, K.transpose(-2, -1))
        attn_scores = attn_scores / math.sqrt(self.d_k)
        if mask is not None:
            attn_scores = attn_scores.masked_fill(mask == 0, -1e9)
        attn_probs = torch.softmax(attn_scores, dim=-1)
        output = torch.matmul(attn_probs, V)
        return output

    def split_heads(self, x):
        batch_size, seq_length, d_model = x.size()
        return x.view(batch_size, seq_length, self.num_heads, self.d_k).transpose(1, 2)

    def combine_heads(self, x):
        batch_size, _, seq_length, d_k = x.size()
        return x.transpose(1, 2).contiguous().view(batch_size, seq_length, self.d_model)

    def forward(self, Q, K, V, mask=None):
        Q = self.split_heads(self.W_q(Q))
        K = self.split_heads(self.W_k(K))
        V = self.split_heads(self.W_v(V))
        attn_output = self.scaled_dot_product_attention(Q, K, V, mask)
        output = self.W_o(self.combine_heads(attn_output))
        return output
"""

# Q3.b: W_v twice as wide and only W_o changed: `view` fails in split_heads.
ONLY_W_O_CHANGED = CORRECT_MHA.replace(
    "self.W_v = nn.Linear(d_model, d_model)", "self.W_v = nn.Linear(d_model, 2 * d_model)"
).replace("self.W_o = nn.Linear(d_model, d_model)", "self.W_o = nn.Linear(2 * d_model, d_model)")

# Q3.b answered in full: value heads of size 2·d_k via -1 in both reshapes.
FULL_Q3B_FIX = ONLY_W_O_CHANGED.replace(
    "x.view(batch_size, seq_length, self.num_heads, self.d_k)",
    "x.view(batch_size, seq_length, self.num_heads, -1)",
).replace(".view(batch_size, seq_length, self.d_model)", ".view(batch_size, seq_length, -1)")

VIEW_ERROR = re.compile(r"shape '\[\d+(, \d+)*\]' is invalid for input of size \d+")


def _inputs(seed: int = 0) -> list[list[list[float]]]:
    generator = torch.Generator().manual_seed(seed)
    values: list[list[list[float]]] = torch.randn(BATCH, SEQ, D_MODEL, generator=generator).tolist()
    return values


def _mha_payload(**extra: Any) -> dict[str, Any]:
    x = _inputs()
    causal = torch.tril(torch.ones(SEQ, SEQ)).view(1, 1, SEQ, SEQ).tolist()
    payload: dict[str, Any] = {
        "class_name": "MultiHeadAttention",
        "init_args": [D_MODEL, HEADS],
        "calls": [{"args": [x, x, x]}, {"args": [x, x, x], "kwargs": {"mask": causal}}],
        "attributes": ["W_v.in_features", "W_v.out_features", "W_o.in_features", "d_k"],
    }
    payload.update(extra)
    return payload


@pytest.fixture(scope="module", params=AVAILABLE_MODES)
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    # Not root, the rlimits fallback keeps nothing from our own rights and refuses
    # to run (test_an_unconfined_sandbox_refuses_to_run); its other tests say
    # what it still does when an instructor allows it anyway.
    with Sandbox(mode=request.param, allow_unconfined=True) as started:
        yield started


def _still_works(sandbox: Sandbox) -> None:
    after = sandbox.run("echo", "", {"still": ["alive", 1]})
    assert after.status == "ok", after
    assert after.value == {"still": ["alive", 1]}


def _uid_of(result: RunResult) -> int:
    """The uid a run had (recorded in its isolation string, e.g. ``uid200017``)."""
    found = re.search(r"\buid(\d+)\b", result.isolation)
    assert found is not None, result.isolation
    return int(found.group(1))


def _processes_of(uid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    found.append(int(name))
            except OSError:
                pass
    return found


def _in_module(attack: str, body: str = "pass") -> str:
    """The attack at import time, followed by a harmless module class ``M``."""
    header = "import os, sys, time\nimport torch\nimport torch.nn as nn\n"
    return header + textwrap.dedent(attack) + f"\n\nclass M(nn.Module):\n    {body}\n"


def _run_module(sandbox: Sandbox, source: str, **payload: Any) -> RunResult:
    return sandbox.run("module", source, {"class_name": "M", **payload})


# ---------------------------------------------------------------- the homework module


def test_a_correct_module_runs_and_the_grader_compares_the_raw_numbers(sandbox: Sandbox) -> None:
    result = sandbox.run("module", CORRECT_MHA, _mha_payload())

    assert result.status == "ok", result
    if IS_ROOT:  # the sandbox records its block of uids, the run the one uid it had
        assert result.isolation == sandbox.isolation.replace("uid-per-run", f"uid{_uid_of(result)}")
    else:
        assert result.isolation == sandbox.isolation
    outputs = result.value["outputs"]
    assert [o["shape"] for o in outputs] == [[BATCH, SEQ, D_MODEL]] * 2
    assert result.value["attributes"] == {
        "W_v.in_features": D_MODEL,
        "W_v.out_features": D_MODEL,
        "W_o.in_features": D_MODEL,
        "d_k": D_MODEL // HEADS,
    }
    # The comparison happens here, with the child's weights in our own module.
    state = result.value["state_dict"]
    assert sorted(state) == sorted(f"W_{n}.{p}" for n in "qkvo" for p in ("weight", "bias"))
    reference = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True).double()
    weights = {name: torch.tensor(entry["values"], dtype=torch.float64) for name, entry in state.items()}
    with torch.no_grad():
        reference.in_proj_weight.copy_(torch.cat([weights[f"W_{n}.weight"] for n in "qkv"]))
        reference.in_proj_bias.copy_(torch.cat([weights[f"W_{n}.bias"] for n in "qkv"]))
        reference.out_proj.weight.copy_(weights["W_o.weight"])
        reference.out_proj.bias.copy_(weights["W_o.bias"])
        x = torch.tensor(_inputs(), dtype=torch.float64)
        expected, _ = reference(x, x, x)
    assert torch.allclose(torch.tensor(outputs[0]["values"], dtype=torch.float64), expected, atol=1e-10)


def test_a_given_state_dict_is_loaded_strictly_and_fixes_the_outputs(sandbox: Sandbox) -> None:
    first = sandbox.run("module", CORRECT_MHA, _mha_payload(seed=1))
    weights = {name: entry["values"] for name, entry in first.value["state_dict"].items()}
    second = sandbox.run("module", CORRECT_MHA, _mha_payload(seed=2, state_dict=weights))

    assert second.status == "ok", second
    assert second.value["outputs"] == first.value["outputs"]

    wrong = sandbox.run("module", ONLY_W_O_CHANGED, _mha_payload(state_dict=weights))
    assert wrong.status == "error"
    assert wrong.error_type == "RuntimeError"
    assert "Error(s) in loading state_dict" in wrong.error_message


def test_changing_only_w_o_fails_in_view_for_every_call(sandbox: Sandbox) -> None:
    result = sandbox.run("module", ONLY_W_O_CHANGED, _mha_payload())

    assert result.status == "ok", result
    assert result.value["attributes"]["W_v.out_features"] == 2 * D_MODEL
    for output in result.value["outputs"]:
        assert output["error_type"] == "RuntimeError"
        assert VIEW_ERROR.search(output["error_message"]), output
        assert 'File "submission.py"' in output["traceback"]
        assert "in split_heads" in output["traceback"]
        assert "/tmp" not in output["traceback"]
        assert "harness.py" not in output["traceback"]


def test_the_full_q3b_fix_runs(sandbox: Sandbox) -> None:
    result = sandbox.run("module", FULL_Q3B_FIX, _mha_payload())

    assert result.status == "ok", result
    assert [o["shape"] for o in result.value["outputs"]] == [[BATCH, SEQ, D_MODEL]] * 2


def test_an_error_in_one_call_leaves_the_other_calls(sandbox: Sandbox) -> None:
    x = _inputs()
    narrow = [[row[:4] for row in batch] for batch in x]
    payload = _mha_payload(calls=[{"args": [narrow, narrow, narrow]}, {"args": [x, x, x]}])
    result = sandbox.run("module", CORRECT_MHA, payload)

    assert result.status == "ok", result
    first, second = result.value["outputs"]
    assert first["error_type"] == "RuntimeError"
    assert second["shape"] == [BATCH, SEQ, D_MODEL]


BROKEN_MODULES = {
    "syntax error": ("class MultiHeadAttention(:\n    pass\n", "SyntaxError", "invalid syntax"),
    "no such class": ("x = 1\n", "AttributeError", "defines no 'MultiHeadAttention'"),
    "error in __init__": (
        "import torch.nn as nn\n"
        "class MultiHeadAttention(nn.Module):\n"
        "    def __init__(self, d_model, num_heads):\n"
        "        raise ValueError('d_model must be even')\n",
        "ValueError",
        "d_model must be even",
    ),
    "not a module": (
        "class MultiHeadAttention:\n    def __init__(self, *args):\n        pass\n",
        "TypeError",
        "is not a torch.nn.Module",
    ),
}


@pytest.mark.parametrize("name", BROKEN_MODULES)
def test_errors_at_import_or_instantiation_end_the_run(sandbox: Sandbox, name: str) -> None:
    source, error_type, message = BROKEN_MODULES[name]
    result = sandbox.run("module", source, _mha_payload())

    assert result.status == "error"
    assert result.error_type == error_type
    assert message in result.error_message + result.traceback


def test_a_missing_attribute_is_reported_by_name(sandbox: Sandbox) -> None:
    result = sandbox.run("module", CORRECT_MHA, _mha_payload(attributes=["W_x.in_features"]))

    assert result.value["attributes"]["W_x.in_features"]["error_type"] == "AttributeError"


SELF_REWRITING = """
import torch
from torch import nn


class M(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(d))
        self.register_buffer("seen", torch.zeros(()))
        self.noise = nn.Parameter(torch.randn(d))

    def forward(self, x):
        with torch.no_grad():
            self.weight.fill_(1.0)
            self.seen += 1
        return x * self.weight
"""


# (payload beyond the build, what the report holds): the state right after construction is read
# only when asked, before the first call, in float64 like the rest.
INITIAL_STATES = [
    ({}, None),
    ({"initial_state": False}, None),
    ({"initial_state": True}, {"weight": [0.0, 0.0, 0.0], "seen": 0.0}),
]


@pytest.mark.parametrize(("extra", "expected"), INITIAL_STATES)
def test_the_state_right_after_construction_is_read_before_any_call(
    sandbox: Sandbox, extra: dict[str, Any], expected: dict[str, Any] | None
) -> None:
    call = {"args": [{"tensor": [1.0, 2.0, 3.0], "dtype": "float"}]}
    result = _run_module(sandbox, SELF_REWRITING, init_args=[3], calls=[call, call], **extra)

    assert result.status == "ok", result.error_message
    assert result.value["state_dict"]["weight"]["values"] == [1.0, 1.0, 1.0]  # after the calls
    assert result.value["state_dict"]["seen"]["values"] == 2.0
    if expected is None:
        assert "initial_state_dict" not in result.value
        return
    start = result.value["initial_state_dict"]
    assert {name: start[name]["values"] for name in expected} == expected
    again = _run_module(sandbox, SELF_REWRITING, init_args=[3], calls=[], **extra)
    assert again.value["initial_state_dict"]["noise"] == start["noise"]  # seeded before construction


def test_a_function_has_no_initial_state(sandbox: Sandbox) -> None:
    result = sandbox.run("module", RECURRENT, {"function": "area", "calls": [], "initial_state": True})
    assert result.status == "ok"
    assert "initial_state_dict" not in result.value


def test_the_echo_task_returns_the_payload(sandbox: Sandbox) -> None:
    payload = {"nested": [[1.5, -2.0], [math.inf, None]], "text": "√d · Ω", "flag": True}
    result = sandbox.run("echo", "", payload)

    assert result.status == "ok"
    assert result.value == payload


# ---------------------------------------------------------------- any module or function

RECURRENT = """
import torch
from torch import nn


class Step(nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.cell = nn.LSTMCell(input_size, hidden_size)
        self.table = nn.Embedding(10, input_size)

    def forward(self, tokens, state, scale=1.0):
        h, c = self.cell(self.table(tokens) * scale, state)
        return h, (h, c)


def area(height, width, square=False):
    return height * height if square else height * width


def total(x):
    return x.sum(-1)
"""


def _tagged(values: Any, dtype: str = "float") -> dict[str, Any]:
    return {"tensor": values, "dtype": dtype}


def _recurrent_call() -> dict[str, Any]:
    h = _tagged([[0.5, -1.0, 0.25]] * 2)
    return {"args": [_tagged([3, 7], "long"), {"tuple": [h, h]}], "kwargs": {"scale": {"value": 2}}}


def test_long_inputs_tuples_keywords_and_tuple_outputs_travel_as_plain_data(sandbox: Sandbox) -> None:
    payload = {"class_name": "Step", "init_kwargs": {"input_size": 4, "hidden_size": 3}, "calls": [_recurrent_call()]}
    result = sandbox.run("module", RECURRENT, payload)

    assert result.status == "ok", result
    (output,) = result.value["outputs"]
    h, (h_again, c) = output["items"][0], output["items"][1]["items"]
    assert h["shape"] == c["shape"] == [2, 3]
    assert h_again == h
    assert result.value["parameter_count"] == 4 * (4 * 3 + 3 * 3 + 3 + 3) + 10 * 4


def test_gradients_of_inputs_and_parameters_come_back_by_name(sandbox: Sandbox) -> None:
    gradients = {"seed": 3, "inputs": True, "parameters": True}
    payload = {"class_name": "Step", "init_args": [4, 3], "calls": [_recurrent_call()], "gradients": gradients}
    first = sandbox.run("module", RECURRENT, payload)
    again = sandbox.run("module", RECURRENT, payload)

    assert first.status == "ok", first
    (output,) = first.value["outputs"]
    assert [g["shape"] for g in output["input_gradients"]] == [[2, 3], [2, 3]]  # h and c; the ids have none
    assert sorted(output["parameter_gradients"]) == sorted(first.value["parameters"])
    assert output["parameter_gradients"]["table.weight"]["shape"] == [10, 4]
    assert again.value["outputs"] == first.value["outputs"]  # the seeded projection is the same each run


# (call, what comes back): a function is called with plain values and tensors alike
FUNCTION_CALLS = [
    ("area", {"args": [{"value": 3}, {"value": 4}]}, {"value": 12}),
    ("area", {"args": [{"value": 3}, {"value": 4}], "kwargs": {"square": {"value": True}}}, {"value": 9}),
    ("total", {"args": [_tagged([[1, 2], [3, 4]], "long")]}, {"shape": [2], "values": [3.0, 7.0]}),
    ("total", {"args": [_tagged([[True, False]], "bool")]}, {"shape": [1], "values": [1.0]}),
]


@pytest.mark.parametrize(("function", "call", "expected"), FUNCTION_CALLS)
def test_a_function_is_called_without_building_anything(
    sandbox: Sandbox, function: str, call: dict[str, Any], expected: dict[str, Any]
) -> None:
    result = sandbox.run("module", RECURRENT, {"function": function, "calls": [call]})

    assert result.status == "ok", result
    assert result.value["outputs"] == [expected]
    assert result.value["state_dict"] == {} and result.value["parameter_count"] == 0


def test_a_missing_function_or_a_wrong_signature_is_the_code_s_error(sandbox: Sandbox) -> None:
    missing = sandbox.run("module", RECURRENT, {"function": "volume", "calls": []})
    wrong = sandbox.run("module", RECURRENT, {"function": "area", "calls": [{"args": [{"value": 1}]}]})

    assert (missing.status, missing.error_type) == ("error", "AttributeError")
    assert "defines no 'volume'" in missing.error_message
    (output,) = wrong.value["outputs"]
    assert output["error_type"] == "TypeError" and "width" in output["error_message"]


# ---------------------------------------------------------------- hostile submissions


@dataclass(frozen=True)
class Attack:
    source: str
    statuses: frozenset[str]
    """Acceptable outcomes; "ok" only where the attack's own failure is checked below."""
    error_types: frozenset[str] = frozenset()
    needs: str = ""
    """What the mode must provide for the attack to fail: filesystem, network or uid."""
    absent: str = ""
    """Text that must appear nowhere in the result (e.g. the reference's content)."""


def _answers_excerpt() -> str:
    lines = [line for line in ANSWERS.read_text().splitlines() if len(line.strip()) > 12]
    return lines[0].strip() if lines else "\0never"


PWNED_TMP = f"/tmp/sandbox_pwned_{uuid.uuid4().hex}"
PWNED_PROJECT = ROOT / f"pwned-{uuid.uuid4().hex}.txt"
FILE_ERRORS = frozenset({"FileNotFoundError", "PermissionError"})
ERROR = frozenset({"error"})

ATTACKS = {
    "read the reference answers": Attack(
        _in_module(f"print(open({str(ANSWERS)!r}).read())"),
        ERROR,
        FILE_ERRORS,
        needs="filesystem",
        absent=_answers_excerpt(),
    ),
    "list the other submissions": Attack(
        _in_module(f"raise ValueError(os.listdir({str(SUBMISSIONS)!r}))"),
        ERROR,
        FILE_ERRORS,
        needs="filesystem",
        absent="01-perfect-plain",
    ),
    "read the project through /proc/1/root": Attack(
        _in_module(f"print(open('/proc/1/root' + {str(ANSWERS)!r}).read())"),
        ERROR,
        FILE_ERRORS,
        needs="filesystem",
        absent=_answers_excerpt(),
    ),
    "connect to 1.1.1.1:53": Attack(
        _in_module("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=2)"),
        ERROR,
        frozenset({"OSError", "ConnectionRefusedError", "TimeoutError", "PermissionError"}),  # seccomp: EPERM
        needs="network",
    ),
    "write into the project": Attack(
        _in_module(f"open({str(PWNED_PROJECT)!r}, 'w').write('pwned')"),
        ERROR,
        frozenset({"PermissionError", "OSError", "FileNotFoundError"}),
        needs="uid",
    ),
    "touch a file in the host /tmp": Attack(
        _in_module(f"os.system('touch {PWNED_TMP}')"), frozenset({"ok"}), needs="filesystem"
    ),
    "sys.exit(0) at import": Attack(
        _in_module("sys.exit(0)"), frozenset({"error", "crashed"}), frozenset({"SystemExit"})
    ),
    "os._exit(0) before the result": Attack(_in_module("os._exit(0)"), frozenset({"crashed"})),
    "kill the zygote": Attack(
        _in_module("os.kill(os.getppid(), 9)"), ERROR, frozenset({"PermissionError"}), needs="uid"
    ),
    # EINVAL (OSError) inside bubblewrap's user namespace, where uid 0 is not mapped.
    "become root again": Attack(
        _in_module("os.setuid(0)"), ERROR, frozenset({"PermissionError", "OSError"}), needs="uid"
    ),
    "bytearray(10**11)": Attack(_in_module("x = bytearray(10**11)"), frozenset({"memory"})),
    "a growing list": Attack(_in_module("x = []\nwhile True:\n    x.append(bytearray(10**7))"), frozenset({"memory"})),
    "a huge tensor": Attack(_in_module("x = torch.empty(10**10)"), frozenset({"memory"})),
    "a huge file": Attack(
        _in_module("open('big', 'wb').write(b'x' * (64 * 2**20))"),
        ERROR,
        frozenset({"OSError"}),
    ),
    "a thread bomb": Attack(
        _in_module(
            "import threading\n"
            "for _ in range(10000):\n"
            "    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()"
        ),
        frozenset({"error", "memory", "timeout"}),
    ),
    "infinite recursion": Attack(_in_module("def f():\n    f()\nf()"), ERROR, frozenset({"RecursionError"})),
}


def _provided(sandbox: Sandbox, needs: str) -> str | None:
    """None if the mode promises this protection, else why the case is skipped."""
    if needs == "filesystem" and sandbox.mode != "bwrap" and "landlock" not in sandbox.isolation:
        return "without Landlock or mount namespaces the filesystem is not isolated"
    if needs == "network" and not {"net", "seccomp", "landlock"} & set(re.split(r"[+(,)]", sandbox.isolation)):
        return "no network namespace, seccomp or Landlock in this mode here"
    if needs == "uid" and "same-uid" in sandbox.isolation and "landlock" not in sandbox.isolation:
        return "not root and no Landlock: runs keep the grader's rights"
    return None


@pytest.mark.parametrize("name", ATTACKS)
def test_an_attack_fails_and_the_sandbox_survives(sandbox: Sandbox, name: str) -> None:
    attack = ATTACKS[name]
    if (reason := _provided(sandbox, attack.needs)) is not None:
        pytest.skip(reason)

    result = _run_module(sandbox, attack.source)

    assert result.status in attack.statuses, result
    if result.status != "ok":
        assert result.error_message, result
    if attack.error_types:
        assert result.error_type in attack.error_types, result
    if attack.absent:
        assert attack.absent not in repr(result)
    assert not os.path.exists(PWNED_TMP)
    assert not PWNED_PROJECT.exists()
    _still_works(sandbox)


def test_an_infinite_loop_is_stopped_at_the_wall_limit(sandbox: Sandbox) -> None:
    limits = Limits(wall_seconds=1.0, cpu_seconds=30)
    result = sandbox.run("module", _in_module("while True:\n    pass"), {}, limits=limits)

    assert result.status == "timeout"
    assert "1 s" in result.error_message
    assert 1.0 <= result.seconds < 1.0 + SLACK
    _still_works(sandbox)


def test_sleeping_forever_is_stopped_at_the_wall_limit(sandbox: Sandbox) -> None:
    limits = Limits(wall_seconds=1.0)
    result = sandbox.run("module", _in_module("time.sleep(1000)"), {}, limits=limits)

    assert result.status == "timeout"
    assert result.seconds < 1.0 + SLACK


def test_burning_cpu_is_stopped_at_the_cpu_limit(sandbox: Sandbox) -> None:
    limits = Limits(wall_seconds=20, cpu_seconds=1)
    result = sandbox.run("module", _in_module("while True:\n    pass"), {}, limits=limits)

    assert result.status == "timeout"
    assert "CPU" in result.error_message
    assert result.seconds < 2 + SLACK


@pytest.mark.skipif(not IS_ROOT, reason="the process count is checked by the sandbox's uid")
def test_a_fork_bomb_is_contained_and_leaves_nothing_behind(sandbox: Sandbox) -> None:
    bomb = "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    result = sandbox.run("module", _in_module(bomb), {"class_name": "M"}, limits=Limits(wall_seconds=1.5))

    assert result.status == "timeout"
    assert _processes_of(_uid_of(result)) == []
    _still_works(sandbox)


def test_no_second_process_can_be_started_but_threads_can(sandbox: Sandbox) -> None:
    # seccomp refuses fork, vfork and clone without CLONE_THREAD: a daemon cannot outlive the
    # run, and 32 processes cannot each take the memory limit (RLIMIT_AS is per process).
    escape = """
    FOUND = []
    for start in (os.fork, lambda: __import__("subprocess").run(["true"])):
        try:
            if start() == 0:
                os._exit(0)
            FOUND.append("started")
        except OSError as error:
            FOUND.append(type(error).__name__)
    import threading
    worker = threading.Thread(target=lambda: FOUND.append("thread"))
    worker.start()
    worker.join()
    """
    result = _run_module(sandbox, _in_module(escape, "found = FOUND"), attributes=["found"])

    assert result.status == "ok", result
    assert result.value["attributes"]["found"] == {
        "type": "list",
        "repr": "['PermissionError', 'PermissionError', 'thread']",
    }
    if IS_ROOT:
        assert _processes_of(_uid_of(result)) == []


def test_localhost_of_the_grader_is_unreachable(sandbox: Sandbox) -> None:
    if (reason := _provided(sandbox, "network")) is not None:
        pytest.skip(reason)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        attack = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"
        result = _run_module(sandbox, _in_module(attack))
        with pytest.raises(TimeoutError):
            listener.accept()

    assert result.status == "error"
    assert result.error_type in {"ConnectionRefusedError", "OSError", "PermissionError"}


def test_patching_torch_in_the_child_does_not_change_the_values(sandbox: Sandbox) -> None:
    cheat = """
    torch.allclose = lambda *args, **kwargs: True
    torch.equal = lambda *args, **kwargs: True
    torch.Tensor.__eq__ = lambda self, other: True
    """
    source = _in_module(cheat, "def forward(self, x):\n        return torch.zeros_like(x)")
    result = _run_module(sandbox, source, calls=[{"args": [[1.0, 2.0, 3.0]]}])

    assert result.status == "ok"
    values = result.value["outputs"][0]["values"]
    assert values == [0.0, 0.0, 0.0]
    assert not torch.allclose(torch.tensor(values), torch.ones(3))


def test_results_forged_on_stdout_and_stderr_are_ignored(sandbox: Sandbox) -> None:
    forged = '{"status": "ok", "value": {"forged": true}}'
    attack = f"print({forged!r})\nsys.stdout.flush()\nos.write(1, b'{forged}')\nos.write(2, b'{forged}')"
    source = _in_module(attack, "def forward(self, x):\n        return x * 2")
    result = _run_module(sandbox, source, calls=[{"args": [[1.0]]}])

    assert result.status == "ok"
    assert "forged" not in repr(result.value)
    assert result.value["outputs"] == [{"shape": [1], "values": [2.0]}]
    assert forged in result.output  # kept for humans, never read as a result


def test_a_forged_result_followed_by_an_exit_is_a_crash(sandbox: Sandbox) -> None:
    forged = '{"status": "ok", "value": {"forged": true}}'
    result = _run_module(sandbox, _in_module(f"print({forged!r}, flush=True)\nos._exit(0)"))

    assert result.status == "crashed"


def test_the_printed_output_is_capped(sandbox: Sandbox) -> None:
    result = _run_module(sandbox, _in_module("print('x' * 10**7)"))

    assert result.status == "ok"
    assert 0 < len(result.output) <= 64 * 1024


def test_a_result_over_the_cap_is_a_crash(sandbox: Sandbox) -> None:
    result = sandbox.run("echo", "", {"big": "y" * 5000}, limits=Limits(max_result_bytes=1000))

    assert result.status == "crashed"
    assert "larger than 1000 bytes" in result.error_message


def test_a_50_mb_source_is_refused_without_running(sandbox: Sandbox) -> None:
    source = "x = 1\n" * (50 * 2**20 // 6)
    started = time.monotonic()
    result = sandbox.run("module", source, {"class_name": "M"})

    assert result.status == "refused"
    assert "larger than" in result.error_message
    assert time.monotonic() - started < 1.0  # refused before anything is encoded or sent


def test_the_child_sees_a_clean_environment(sandbox: Sandbox) -> None:
    spy = """
    ENV = ",".join(sorted(os.environ))
    HOME = os.environ.get("HOME", "")
    CWD = ",".join(sorted(os.listdir(".")))
    UID = os.getuid()
    ISOLATED = sys.flags.isolated
    """
    body = "env = ENV; home = HOME; cwd = CWD; uid = UID; isolated = ISOLATED"
    attributes = ["env", "home", "cwd", "uid", "isolated"]
    result = _run_module(sandbox, _in_module(spy, body), attributes=attributes)

    seen = result.value["attributes"]
    assert set(seen["env"].split(",")) <= {"PATH", "HOME", "TMPDIR", "LANG"}
    assert seen["home"] != os.environ.get("HOME")
    assert seen["cwd"] == "submission.py"
    assert seen["isolated"] == 1
    if IS_ROOT:
        assert seen["uid"] == _uid_of(result) >= 200_000


# ---------------------------------------------------------------- the zygote and the API


def test_a_dead_zygote_is_restarted_transparently() -> None:
    with Sandbox(mode=AVAILABLE_MODES[-1], allow_unconfined=True) as sandbox:
        first_pid = sandbox.zygote_pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        result = sandbox.run("echo", "", {"n": 1})

        assert result.status == "ok"
        assert sandbox.zygote_pid not in (None, first_pid)
        if IS_ROOT:
            assert _uid_of(result) >= 200_000  # a uid of its own, no account's


def test_the_isolation_is_recorded_on_every_result(sandbox: Sandbox) -> None:
    user = r"uid(\d+|-per-run)" if IS_ROOT else "same-uid"  # a refused run never got a uid of its own
    expected = {
        "bwrap": rf"bwrap\(net,pid,mount,ipc\)\+(landlock\(abi\d\)\+)?seccomp\+{user}\+rlimits$",
        "landlock": rf"landlock\(abi\d\)\+seccomp\+(netns\+)?{user}\+rlimits$",
        "rlimits": rf"seccomp\+(netns\+)?{user}\+rlimits \(.*(filesystem is not isolated|UNCONFINED)",
    }[sandbox.mode]
    results = [
        sandbox.run("echo", "", {}),
        sandbox.run("module", "x = (", {"class_name": "M"}),
        sandbox.run("module", "x" * (2**20 + 1), {"class_name": "M"}),
    ]

    for result in results:
        assert re.match(expected, result.isolation), result.isolation


MODE_CHOICES = [
    ("rlimits", None, "rlimits"),
    (None, "rlimits", "rlimits"),
    ("rlimits", "bwrap", "rlimits"),  # the argument wins over the environment
    *([("landlock", None, "landlock"), (None, "landlock", "landlock")] if landlock_abi() else []),
]


@pytest.mark.parametrize(("argument", "environment", "expected"), MODE_CHOICES)
def test_the_mode_can_be_forced(
    monkeypatch: pytest.MonkeyPatch, argument: str | None, environment: str | None, expected: str
) -> None:
    if environment is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, environment)

    assert choose_mode(argument) == expected


def test_an_unknown_mode_names_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "docker")

    with pytest.raises(ValueError, match="expected 'auto', 'bwrap', 'landlock' or 'rlimits'"):
        choose_mode(None)


USAGE_ERRORS = [
    ({"task": "shell"}, "unknown sandbox task 'shell'"),
    ({"filename": "../x.py"}, "must look like 'name.py'"),
    ({"limits": Limits(memory_bytes=100 * 2**20)}, "too small"),
]


@pytest.mark.parametrize(("change", "message"), USAGE_ERRORS)
def test_usage_errors_raise(sandbox: Sandbox, change: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"task": "echo", "source": "", "payload": {}, **change}
    task = arguments.pop("task")
    with pytest.raises(ValueError, match=re.escape(message)):
        sandbox.run(task, **arguments)
