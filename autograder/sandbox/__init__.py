"""Run untrusted student code (PyTorch modules) in a limited child process.

The grader never executes student code itself. A ``Sandbox`` starts one warm
"zygote" process (inside bubblewrap when the machine allows namespaces) that has
already imported torch; each ``run`` forks a fresh child from it that limits its
CPU time, memory, processes and file sizes, switches to a uid of its own (when
the grader is root), confines itself with Landlock and seccomp, works in an
empty folder holding only the student's file, and returns plain JSON data on a
private pipe. The request (the student's source, the payload) reaches only that
child, on a descriptor passed through the zygote unread. Whatever the child
prints, patches or forges inside its own process, the grader only receives
numbers and strings and makes every comparison itself. See ``isolation`` for
what each mode guarantees; every result records the layers it had.

    with Sandbox() as sandbox:
        result = sandbox.run("module", source, {"class_name": "Model", ...})
        if result.status == "ok":
            outputs = result.value["outputs"]

``autograder.bounded`` is the other helper that forks: it is for our own code
(sympy) and gives no protection; this package is for code we do not trust.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from . import seccomp
from .cleanup import remove_tree
from .harness import TASKS
from .isolation import (
    ALLOW_UNCONFINED_ENV,
    CLEAN_ENV,
    ENV_VAR,
    IMPORT_ROOT,
    RUN_ROOT_IN_BWRAP,
    UID_BASE,
    UID_SPAN,
    Mode,
    SandboxUnavailable,
    bwrap_command,
    bwrap_problem,
    choose_mode,
    claim_uid_base,
    confined,
    describe,
    landlock_abi,
    unconfined_allowed,
)
from .protocol import FrameTimeout, read_frame

__all__ = [
    "ALLOW_UNCONFINED_ENV",
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
CHILD_FAILED_SETUP = 71
"""The child's exit status when it could not confine itself (``zygote.CHILD_FAILED_SETUP``)."""
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
    """The isolation the run had, e.g. "landlock(abi7)+seccomp+uid200017+rlimits"."""
    seconds: float = 0.0
    """Wall-clock time of the run as measured by the grader."""
    output: str = ""
    """The first 64 KB the child printed (stdout and stderr): for humans only,
    never a result."""
    signal: int | None = None
    """For crashed: the signal that killed the child, when one did (not our own time-limit kill)."""


class SandboxError(RuntimeError):
    """The sandbox itself (not the student's code) could not start."""


PER_RUN_UID = "uid-per-run"
"""How a sandbox (not one run) names its uids: each run records its own, e.g. ``uid200017``."""

UNCONFINED_REFUSAL = (
    "Student code was not run: on this machine no isolation layer would keep it from the "
    "grader's own rights (no bubblewrap namespaces, no Landlock, and the grader is not root). "
    "Install bubblewrap, use Linux 5.13 or later, or grade as root; an instructor who accepts "
    "the risk can pass --allow-unconfined-code."
)


@functools.cache
def isolation_available() -> str:
    """The isolation an automatic ``Sandbox()`` would get here, without starting one.

    From the kernel's answers (bubblewrap's probe, the Landlock ABI); the zygote's
    own start-up probe, recorded on every result, has the last word.
    """
    mode = choose_mode(None)
    uid = PER_RUN_UID if os.geteuid() == 0 else None
    network = mode == "bwrap" or _can_unshare_network()
    abi = landlock_abi() if mode in ("bwrap", "landlock") else 0
    return describe(mode, landlock_abi=abi, seccomp=seccomp.supported(), network_namespace=network, uid=uid)


def _can_unshare_network() -> bool:
    probe = "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare(0x40000000) != 0)"
    completed = subprocess.run([sys.executable, "-I", "-c", probe], check=False, timeout=30)
    return completed.returncode == 0


class Sandbox:
    """One warm zygote and the runs it forks; one per worker process, not thread-safe."""

    def __init__(
        self,
        limits: Limits | None = None,
        mode: str | None = None,
        *,
        uid_base: int | None = None,
        allow_unconfined: bool | None = None,
    ) -> None:
        """``mode``: "bwrap", "landlock", "rlimits" or None/"auto" (then
        ``$AUTOGRADER_SANDBOX``, then the best available). ``uid_base``: when we are
        root, runs switch to uids ``uid_base`` .. ``uid_base + UID_SPAN - 1``, a new one
        per run; by default a free block is claimed (so concurrent workers never
        share a uid). ``allow_unconfined``: run student code even where nothing
        keeps it from our own rights (default: ``$AUTOGRADER_ALLOW_UNCONFINED``)."""
        self.limits = limits or Limits()
        self.requested_mode = mode
        self.mode: Mode = choose_mode(mode)
        self.uid_base = uid_base
        self.allow_unconfined = allow_unconfined
        self.isolation = ""
        self.confined = True
        self.zygote_start_seconds = 0.0
        self._fallback_reason = ""
        self._layers: dict[str, Any] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: socket.socket | None = None
        self._stderr: Any = None
        self._host_run_root: str | None = None
        self._uid_lock: int | None = None
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
        except (OSError, SandboxError, SandboxUnavailable):
            self._stop()  # ``start`` will try again and report

    def _degrade(self, error: SandboxError) -> None:
        automatic = (self.requested_mode or os.environ.get(ENV_VAR) or "auto") == "auto"
        if not (automatic and self.mode == "bwrap"):
            raise error
        # Namespaces probed fine but the real sandbox failed: degrade, and say so.
        self.mode = "landlock" if landlock_abi() else "rlimits"
        self._fallback_reason = f" [bwrap failed: {str(error)[:200]}]"
        self._start(self.mode)

    def close(self) -> None:
        """Stop the zygote and remove its files."""
        self._stop()
        if self._uid_lock is not None:
            os.close(self._uid_lock)
            self._uid_lock = None

    def run(
        self,
        task: str,
        source: str,
        payload: dict[str, Any],
        *,
        filename: str = "submission.py",
        limits: Limits | None = None,
        hide_source: bool = False,
    ) -> RunResult:
        """Run ``task`` (see ``harness.TASKS``) on ``source`` in a fresh child.

        ``hide_source``: the child runs the source from memory and no file of it
        exists (for a template that holds text the student must not read)."""
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
        try:
            body = json.dumps(
                {"task": task, "filename": filename, "source": source, "payload": payload, "hide_source": hide_source}
            ).encode()
        except UnicodeEncodeError:
            return self._refused("the request holds text that is not valid UTF-8", started)
        header = json.dumps({"limits": dataclasses.asdict(limits)}).encode()
        self.start()
        if not self.confined and not self._unconfined_allowed():
            return self._result("refused", started, error_type="unconfined", error_message=UNCONFINED_REFUSAL)
        if limits.memory_bytes < self._zygote_vm_bytes + MEMORY_HEADROOM:
            raise ValueError(
                f"Limits.memory_bytes={limits.memory_bytes} is too small: the warm interpreter "
                f"already maps {self._zygote_vm_bytes} bytes; allow at least "
                f"{self._zygote_vm_bytes + MEMORY_HEADROOM}"
            )
        deadline = started + limits.wall_seconds + ANSWER_SLACK_SECONDS
        try:
            try:
                reply, raw = self._exchange(header, body, deadline)
            except (EOFError, OSError):
                # The zygote died between runs (its death may not be visible yet
                # when the request is written): restart it and try once more.
                self._stop()
                self.start()
                deadline = time.monotonic() + limits.wall_seconds + ANSWER_SLACK_SECONDS
                reply, raw = self._exchange(header, body, deadline)
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
        return self._interpret(reply, raw, limits, started)

    def _unconfined_allowed(self) -> bool:
        return self.allow_unconfined if self.allow_unconfined is not None else unconfined_allowed()

    def _exchange(self, header: bytes, body: bytes, deadline: float) -> tuple[dict[str, Any], bytes]:
        """Send the header to the zygote with the body on a memfd only the child reads."""
        process = self._require_process()
        assert self._requests is not None and process.stdout is not None
        request_fd = os.memfd_create("autograder-request", os.MFD_CLOEXEC)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(request_fd, view) :]
            frame = len(header).to_bytes(4, "big") + header
            sent = socket.send_fds(self._requests, [frame[:4]], [request_fd])
            if sent != 4:
                raise OSError("the zygote did not take the request")
            self._requests.sendall(frame[4:])
        finally:
            os.close(request_fd)
        reply = json.loads(read_frame(process.stdout.fileno(), deadline))
        return reply, read_frame(process.stdout.fileno(), deadline)

    def _interpret(self, header: dict[str, Any], raw: bytes, limits: Limits, started: float) -> RunResult:
        output = str(header.get("output", ""))
        cpu_used = float(header.get("cpu_seconds", 0.0))
        number = header.get("signal")
        uid = header.get("uid")
        fields: dict[str, Any] = {"output": output, "uid": uid}
        if header.get("timed_out"):
            return self._result(
                "timeout",
                started,
                error_type="timeout",
                error_message=f"stopped after {limits.wall_seconds:g} s (wall-clock time limit)",
                **fields,
            )
        # SIGXCPU comes only from RLIMIT_CPU; a SIGKILL is ours only once the hard limit was used.
        if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu_used >= limits.cpu_seconds - 0.05):
            return self._result(
                "timeout",
                started,
                error_type="timeout",
                error_message=f"used more than {limits.cpu_seconds:g} s of CPU time",
                **fields,
            )
        if header.get("result_overflow"):
            return self._result(
                "crashed",
                started,
                error_type="crashed",
                error_message=f"its result was larger than {limits.max_result_bytes} bytes",
                **fields,
            )
        outcome = _parse_outcome(raw)
        if header.get("exit_code") == 0 and outcome is not None:
            status = outcome["status"]
            if status == "ok":
                return self._result("ok", started, value=outcome.get("value"), **fields)
            if status == "memory":
                return self._result(
                    "memory",
                    started,
                    error_type="MemoryError",
                    error_message=f"used more than {limits.memory_bytes // MiB} MB of memory",
                    **fields,
                )
            return self._result(
                "error",
                started,
                error_type=str(outcome.get("error_type", "Exception")),
                error_message=str(outcome.get("error_message", "")),
                traceback=str(outcome.get("traceback", "")),
                **fields,
            )
        if number is not None:
            name = signal.Signals(number).name if number in signal.valid_signals() else number
            hint = " (perhaps out of memory)" if number == signal.SIGKILL else ""
            message = f"killed by signal {name}{hint} before returning a result"
            fields["signal"] = number
        elif header.get("exit_code") == 0:
            message = "ended without returning a readable result"
        elif header.get("exit_code") == CHILD_FAILED_SETUP:
            message = "the sandbox could not confine the run, so nothing was run"
        else:
            message = f"exited with status {header.get('exit_code')} before returning a result"
        return self._result("crashed", started, error_type="crashed", error_message=message, **fields)

    def _refused(self, message: str, started: float) -> RunResult:
        return self._result("refused", started, error_type="refused", error_message=message)

    def _result(self, status: Status, started: float, *, uid: int | None = None, **fields: Any) -> RunResult:
        if uid is not None and self._layers:
            isolation = self._describe(f"uid{uid}") + self._fallback_reason
        else:
            isolation = self.isolation or describe(self.mode)
        return RunResult(status=status, isolation=isolation, seconds=time.monotonic() - started, **fields)

    def _describe(self, uid: str | None) -> str:
        return describe(
            self.mode,
            landlock_abi=int(self._layers.get("landlock_abi", 0)),
            seccomp=bool(self._layers.get("seccomp")),
            network_namespace=bool(self._layers.get("network_namespace")),
            uid=uid,
        )

    def _require_process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise SandboxError("the sandbox is not running")
        return self._process

    def _start(self, mode: Mode) -> None:
        self._await_hello(mode, self._spawn(mode))

    def _spawn(self, mode: Mode) -> float:
        """Start the zygote process; returns when it began (for the start deadline)."""
        began = time.monotonic()
        if self.uid_base is None and os.geteuid() == 0:
            try:
                claimed = claim_uid_base()
            except (OSError, SandboxUnavailable) as error:
                raise SandboxError(f"no block of uids for the runs: {error}") from None
            if claimed is None:  # never run student code as root
                raise SandboxError(f"every block of {UID_SPAN} uids from {UID_BASE} up is in use or taken")
            self.uid_base, self._uid_lock = claimed
        if mode == "bwrap":
            tmp_size = max(64 * MiB, 4 * self.limits.file_size_bytes)
            prefix = bwrap_command(tmp_size)
            arguments = ["--run-root", RUN_ROOT_IN_BWRAP]
        else:
            prefix = []
            self._host_run_root = tempfile.mkdtemp(prefix="autograder-sandbox-")
            # Traversable, not listable: each run's own folder is the only one it can open.
            os.chmod(self._host_run_root, 0o711)
            arguments = ["--run-root", self._host_run_root, "--network-namespace", "--remove-run-root"]
        if mode in ("bwrap", "landlock") and landlock_abi():
            arguments.append("--landlock")
        if seccomp.supported():
            arguments.append("--seccomp")
        if self.uid_base is not None:
            arguments += ["--uid-base", str(self.uid_base)]
        command = [*prefix, sys.executable, "-I", "-B", "-c", BOOT, IMPORT_ROOT, *arguments]
        # Open for the zygote's whole life (closed in _stop), hence no `with`.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._process = subprocess.Popen(
                command,
                stdin=theirs.fileno(),
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=dict(CLEAN_ENV),
                start_new_session=True,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._requests = ours
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
        self._layers = hello
        base = hello.get("uid_base")
        uids = PER_RUN_UID if base is not None else None
        self.confined = confined(mode, landlock_abi=int(hello.get("landlock_abi", 0)), uid=base is not None)
        self.isolation = self._describe(uids) + self._fallback_reason

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text: str = self._stderr.read().decode(errors="replace")
        return text[-2000:].strip() or "no message"

    def _stop(self) -> None:
        self._pending_hello = None
        process, self._process = self._process, None
        requests, self._requests = self._requests, None
        if requests is not None:
            requests.close()  # end of requests: the zygote exits by itself
        if process is not None:
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
        root, self._host_run_root = self._host_run_root, None
        if root is not None:
            remove_tree(root)


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
