"""Run untrusted student code (PyTorch modules) in a limited child process.

The grader never executes student code itself. A ``Sandbox`` starts one warm
"zygote" process (inside bubblewrap when the machine allows namespaces) that has
already imported torch; each ``run`` forks a fresh child from it that limits its
CPU time, memory, processes and file sizes, switches to an unprivileged uid,
works in an empty temporary folder holding only the student's file, and returns
plain JSON data on a private pipe. Whatever the child prints, patches or forges
inside its own process, the grader only receives numbers and strings and makes
every comparison itself.

    with Sandbox() as sandbox:
        result = sandbox.run("module", source, {"class_name": "MultiHeadAttention", ...})
        if result.status == "ok":
            outputs = result.value["outputs"]

``autograder.bounded`` is the other helper that forks: it is for our own code
(sympy) and gives no protection; this package is for code we do not trust.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from .harness import TASKS
from .isolation import (
    CLEAN_ENV,
    ENV_VAR,
    IMPORT_ROOT,
    RUN_ROOT_IN_BWRAP,
    Mode,
    SandboxUnavailable,
    bwrap_command,
    bwrap_problem,
    choose_mode,
    describe,
)
from .protocol import FrameTimeout, read_frame, write_frame

__all__ = [
    "ENV_VAR",
    "Limits",
    "Mode",
    "RunResult",
    "Sandbox",
    "SandboxError",
    "SandboxUnavailable",
    "Status",
    "bwrap_problem",
    "isolation_available",
    "shared",
]

Status = Literal["ok", "error", "timeout", "memory", "crashed", "refused"]

MiB = 1024 * 1024
FILENAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\.py")
ZYGOTE_START_SECONDS = 120.0
"""Generous: the first ``import torch`` on a cold disk can take tens of seconds."""
ANSWER_SLACK_SECONDS = 10.0
"""Beyond the wall limit, how long the zygote may take to fork, clean up and answer."""
MEMORY_HEADROOM = 128 * MiB
"""The least address space a run must have beyond what the warm zygote already maps."""

BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from autograder.sandbox.zygote import main; main(sys.argv[2:])"


@dataclass(frozen=True)
class Limits:
    """What one run may use. Defaults suit one small forward pass of a homework module."""

    wall_seconds: float = 5.0
    """Real time from the fork to the result; the child is killed after it."""
    cpu_seconds: float = 5.0
    """CPU time of the child (RLIMIT_CPU, rounded up to whole seconds)."""
    memory_bytes: int = 1536 * MiB
    """Address space of the child (RLIMIT_AS). Measured with torch 2.13 CPU: the warm
    interpreter already maps ~0.52 GB (torch reserves virtual memory it never
    touches), so 1.5 GiB leaves the student ~1 GB. RLIMIT_DATA was rejected: it
    ignores some mappings and so cannot stop every bomb. Raise it for CUDA builds
    of torch, which map several GB at import."""
    max_processes: int = 32
    """RLIMIT_NPROC for the unprivileged uid (threads count too)."""
    file_size_bytes: int = 16 * MiB
    """Largest file the child may write (RLIMIT_FSIZE)."""
    max_source_bytes: int = 1 * MiB
    """Larger sources are refused before anything runs."""
    max_result_bytes: int = 20 * MiB
    """A larger answer from the child counts as a crash."""


@dataclass(frozen=True)
class RunResult:
    """What happened to one run; only plain data, never an object from the child."""

    status: Status
    """ok: the task finished; error: the student's code raised (see error_*);
    timeout: wall or CPU limit; memory: memory limit; crashed: the child died or
    sent no readable result; refused: nothing ran (source too large, not UTF-8)."""
    value: Any = None
    """For ok: the task's JSON result (dicts, lists, numbers, strings)."""
    error_type: str = ""
    """The exception's class name for error (e.g. "RuntimeError"), else a category."""
    error_message: str = ""
    """For every status but ok: a sentence for the student or the TA."""
    traceback: str = ""
    """For error: the traceback limited to frames in the student's file."""
    isolation: str = ""
    """The isolation the run had, e.g. "bwrap(net,pid,mount,ipc)+rlimits+uid65534"."""
    seconds: float = 0.0
    """Wall-clock time of the run as measured by the grader."""
    output: str = ""
    """The first 64 KB the child printed (stdout and stderr): for humans only,
    never a result."""


class SandboxError(RuntimeError):
    """The sandbox itself (not the student's code) could not start."""


def isolation_available() -> str:
    """The isolation an automatic ``Sandbox()`` would get here, without starting one."""
    mode = choose_mode(None)
    uid = 65534 if os.geteuid() == 0 else None
    if mode == "bwrap":
        return describe("bwrap", network_namespace=True, uid=uid)
    return describe("rlimits", network_namespace=_can_unshare_network(), uid=uid)


def _can_unshare_network() -> bool:
    probe = "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare(0x40000000) != 0)"
    completed = subprocess.run([sys.executable, "-I", "-c", probe], check=False, timeout=30)
    return completed.returncode == 0


class Sandbox:
    """One warm zygote and the runs it forks; one per worker process, not thread-safe."""

    def __init__(self, limits: Limits | None = None, mode: str | None = None, *, uid: int = 65534) -> None:
        """``mode``: "bwrap", "rlimits" or None/"auto" (then ``$AUTOGRADER_SANDBOX``, then
        the best available). ``uid``: the unprivileged user runs switch to when we are
        root; give concurrent workers different uids in rlimits mode so that one
        worker's fork bomb cannot use up another's process limit."""
        self.limits = limits or Limits()
        self.requested_mode = mode
        self.mode: Mode = choose_mode(mode)
        self.uid = uid
        self.isolation = ""
        self.zygote_start_seconds = 0.0
        self._fallback_reason = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None
        self._host_run_root: str | None = None
        self._zygote_vm_bytes = 0
        self._pending_hello: float | None = None
        """Set by ``prestart``: the zygote was spawned at this time and has not said hello yet."""

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def zygote_pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the zygote (done by ``run`` when needed); raises SandboxError."""
        if self._process is not None and self._process.poll() is None:
            if self._pending_hello is not None:  # spawned by prestart(): finish starting
                try:
                    self._await_hello(self.mode, self._pending_hello)
                except SandboxError as error:
                    self._degrade(error)
            return
        self._stop()
        try:
            self._start(self.mode)
        except SandboxError as error:
            self._degrade(error)

    def prestart(self) -> None:
        """Spawn the zygote without waiting for it: its torch import overlaps the
        caller's other work, and the first ``run`` (or ``start``) waits for it."""
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        try:
            self._pending_hello = self._spawn(self.mode)
        except (OSError, SandboxError):
            self._stop()  # ``start`` will try again and report

    def _degrade(self, error: SandboxError) -> None:
        automatic = (self.requested_mode or os.environ.get(ENV_VAR) or "auto") == "auto"
        if not (automatic and self.mode == "bwrap"):
            raise error
        # Namespaces probed fine but the real sandbox failed: degrade, and say so.
        self.mode = "rlimits"
        self._fallback_reason = f" [bwrap failed: {str(error)[:200]}]"
        self._start("rlimits")

    def close(self) -> None:
        """Stop the zygote and remove its files."""
        self._stop()

    def run(
        self,
        task: str,
        source: str,
        payload: dict[str, Any],
        *,
        filename: str = "submission.py",
        limits: Limits | None = None,
    ) -> RunResult:
        """Run ``task`` (see ``harness.TASKS``) on ``source`` in a fresh child."""
        limits = limits or self.limits
        if task not in TASKS:
            raise ValueError(f"unknown sandbox task {task!r}; expected one of {sorted(TASKS)}")
        if not FILENAME.fullmatch(filename):
            raise ValueError(f"filename {filename!r} must look like 'name.py'")
        started = time.monotonic()
        # len() first: a 50 MB string must be refused without encoding it.
        too_large = len(source) > limits.max_source_bytes
        if not too_large:
            try:
                too_large = len(source.encode("utf-8")) > limits.max_source_bytes
            except UnicodeEncodeError:
                return self._refused("the source is not valid UTF-8 text", started)
        if too_large:
            return self._refused(
                f"the source is larger than {limits.max_source_bytes} bytes; nothing was run",
                started,
            )
        request = json.dumps(
            {
                "task": task,
                "filename": filename,
                "source": source,
                "payload": payload,
                "limits": dataclasses.asdict(limits),
            }
        ).encode()
        self.start()
        if limits.memory_bytes < self._zygote_vm_bytes + MEMORY_HEADROOM:
            raise ValueError(
                f"Limits.memory_bytes={limits.memory_bytes} is too small: the warm interpreter "
                f"already maps {self._zygote_vm_bytes} bytes; allow at least "
                f"{self._zygote_vm_bytes + MEMORY_HEADROOM}"
            )
        deadline = started + limits.wall_seconds + ANSWER_SLACK_SECONDS
        try:
            try:
                header, raw = self._exchange(request, deadline)
            except (EOFError, OSError):
                # The zygote died between runs (its death may not be visible yet
                # when the request is written): restart it and try once more.
                self._stop()
                self.start()
                deadline = time.monotonic() + limits.wall_seconds + ANSWER_SLACK_SECONDS
                header, raw = self._exchange(request, deadline)
        except FrameTimeout:
            self._stop()  # a zygote that misses its own deadline is not trusted again
            return self._result(
                "timeout",
                started,
                error_type="timeout",
                error_message=f"stopped after {limits.wall_seconds:g} s (the sandbox hung)",
            )
        except (EOFError, OSError, ValueError) as error:
            self._stop()
            return self._result(
                "crashed",
                started,
                error_type="crashed",
                error_message=f"the sandbox process died during the run ({error}); restarted",
            )
        return self._interpret(header, raw, limits, started)

    def _exchange(self, request: bytes, deadline: float) -> tuple[dict[str, Any], bytes]:
        process = self._require_process()
        assert process.stdin is not None and process.stdout is not None
        write_frame(process.stdin.fileno(), request)
        header = json.loads(read_frame(process.stdout.fileno(), deadline))
        return header, read_frame(process.stdout.fileno(), deadline)

    def _interpret(self, header: dict[str, Any], raw: bytes, limits: Limits, started: float) -> RunResult:
        output = str(header.get("output", ""))
        cpu_used = float(header.get("cpu_seconds", 0.0))
        number = header.get("signal")
        if header.get("timed_out"):
            return self._result(
                "timeout",
                started,
                output=output,
                error_type="timeout",
                error_message=f"stopped after {limits.wall_seconds:g} s (wall-clock time limit)",
            )
        if number in (signal.SIGXCPU, signal.SIGKILL) and cpu_used >= limits.cpu_seconds - 0.05:
            return self._result(
                "timeout",
                started,
                output=output,
                error_type="timeout",
                error_message=f"used more than {limits.cpu_seconds:g} s of CPU time",
            )
        if header.get("result_overflow"):
            return self._result(
                "crashed",
                started,
                output=output,
                error_type="crashed",
                error_message=f"its result was larger than {limits.max_result_bytes} bytes",
            )
        outcome = _parse_outcome(raw)
        if header.get("exit_code") == 0 and outcome is not None:
            status = outcome["status"]
            if status == "ok":
                return self._result("ok", started, output=output, value=outcome.get("value"))
            if status == "memory":
                return self._result(
                    "memory",
                    started,
                    output=output,
                    error_type="MemoryError",
                    error_message=f"used more than {limits.memory_bytes // MiB} MB of memory",
                )
            return self._result(
                "error",
                started,
                output=output,
                error_type=str(outcome.get("error_type", "Exception")),
                error_message=str(outcome.get("error_message", "")),
                traceback=str(outcome.get("traceback", "")),
            )
        if number is not None:
            name = signal.Signals(number).name if number in signal.valid_signals() else number
            hint = " (perhaps out of memory)" if number == signal.SIGKILL else ""
            message = f"killed by signal {name}{hint} before returning a result"
        elif header.get("exit_code") == 0:
            message = "ended without returning a readable result"
        else:
            message = f"exited with status {header.get('exit_code')} before returning a result"
        return self._result("crashed", started, output=output, error_type="crashed", error_message=message)

    def _refused(self, message: str, started: float) -> RunResult:
        return self._result("refused", started, error_type="refused", error_message=message)

    def _result(self, status: Status, started: float, **fields: Any) -> RunResult:
        isolation = self.isolation or describe(self.mode, network_namespace=False, uid=None)
        return RunResult(status=status, isolation=isolation, seconds=time.monotonic() - started, **fields)

    def _require_process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise SandboxError("the sandbox is not running")
        return self._process

    def _start(self, mode: Mode) -> None:
        self._await_hello(mode, self._spawn(mode))

    def _spawn(self, mode: Mode) -> float:
        """Start the zygote process; returns when it began (for the start deadline)."""
        began = time.monotonic()
        if mode == "bwrap":
            tmp_size = max(64 * MiB, 4 * self.limits.file_size_bytes)
            prefix = bwrap_command(tmp_size)
            arguments = ["--run-root", RUN_ROOT_IN_BWRAP]
        else:
            prefix = []
            self._host_run_root = tempfile.mkdtemp(prefix="autograder-sandbox-")
            # Traversable, not listable: each run's own folder is the only one it can open.
            os.chmod(self._host_run_root, 0o711)
            arguments = ["--run-root", self._host_run_root, "--network-namespace"]
        command = [*prefix, sys.executable, "-I", "-B", "-c", BOOT, IMPORT_ROOT]
        command += ["--uid", str(self.uid), *arguments]
        # Open for the zygote's whole life (closed in _stop), hence no `with`.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=dict(CLEAN_ENV),
            start_new_session=True,
        )
        return began

    def _await_hello(self, mode: Mode, began: float) -> None:
        self._pending_hello = None
        assert self._process is not None and self._process.stdout is not None
        try:
            hello = json.loads(read_frame(self._process.stdout.fileno(), began + ZYGOTE_START_SECONDS))
        except (EOFError, FrameTimeout, OSError, ValueError) as error:
            detail = self._stderr_tail()
            self._stop()
            raise SandboxError(f"the {mode} sandbox did not start ({error}): {detail}") from None
        self.zygote_start_seconds = time.monotonic() - began
        self._zygote_vm_bytes = int(hello.get("vm_bytes", 0))
        self.isolation = (
            describe(mode, network_namespace=bool(hello["network_namespace"]), uid=hello["uid"]) + self._fallback_reason
        )

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text: str = self._stderr.read().decode(errors="replace")
        return text[-2000:].strip() or "no message"

    def _stop(self) -> None:
        self._pending_hello = None
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()  # end of requests: the zygote exits by itself
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                # bwrap's --die-with-parent and the children's PDEATHSIG take the rest.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._host_run_root is not None:
            shutil.rmtree(self._host_run_root, ignore_errors=True)
            self._host_run_root = None


def _parse_outcome(raw: bytes) -> dict[str, Any] | None:
    """The child's answer if it is well-formed; anything else counts as a crash."""
    try:
        outcome = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(outcome, dict) or outcome.get("status") not in ("ok", "error", "memory"):
        return None
    return outcome


_SHARED: Sandbox | None = None
_SHARED_PID = 0


def shared() -> Sandbox:
    """This process's sandbox, created on first use; a forked worker gets its own."""
    global _SHARED, _SHARED_PID
    if _SHARED is None or os.getpid() != _SHARED_PID:
        import atexit

        _SHARED = Sandbox()
        _SHARED_PID = os.getpid()
        atexit.register(_SHARED.close)
    return _SHARED
