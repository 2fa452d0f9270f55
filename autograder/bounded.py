"""Run a function in a forked child process with a wall-clock deadline.

Why a process and not ``signal.alarm`` or a thread: sympy can spin in C-level
loops that a signal does not interrupt promptly, alarms work only in the main
thread, and a thread cannot be killed. A forked child starts with the parent's
imports (sympy, the specs) already loaded, so it costs a few milliseconds.
The child sends back a pickled result; on timeout it is killed. Its address
space is limited (RLIMIT_AS), so a computation that grows without bound (a
huge sympy expansion) fails in the child with MemoryError instead of taking
the machine's memory.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")
MiB = 1024 * 1024
MEMORY_LIMIT_BYTES = 2048 * MiB
"""Address space the child may map beyond what it inherits from the fork (RLIMIT_AS).
Relative, not absolute: the grader's own mappings (sympy, the specs) vary from one
machine to another, and a limit below them would fail every call."""


@dataclass(frozen=True)
class Finished(Generic[T]):
    status: Literal["ok", "error", "memory", "timeout", "crashed"]
    value: T | None = None
    detail: str = ""
    """For error/memory/timeout/crashed: what happened, for a message."""


def call(fn: Callable[..., T], *args: Any, timeout: float, memory_bytes: int = MEMORY_LIMIT_BYTES) -> Finished[T]:
    """``fn(*args)`` in a forked child; never raises for what happens in the child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and always leave without running the parent's code
        exit_code = 1
        try:
            os.close(read_end)
            # Made before the limit: while a MemoryError is handled its huge locals still exist.
            out_of_memory = pickle.dumps(("memory", f"needed more than {memory_bytes // MiB} MB of memory"))
            _limit_address_space(memory_bytes)
            try:
                payload = pickle.dumps(("ok", fn(*args)))
            except MemoryError:
                payload = out_of_memory
            except BaseException as error:  # everything, SystemExit included, is reported
                payload = pickle.dumps(("error", f"{type(error).__name__}: {error}"))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            exit_code = 0
        finally:
            os._exit(exit_code)
    os.close(write_end)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([pipe], [], [], remaining)
            if not ready:
                continue
            chunk = pipe.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return Finished("timeout", detail=f"took longer than {timeout:g} s")
    try:
        kind, value = pickle.loads(b"".join(chunks))
    except Exception:
        return Finished("crashed", detail=f"the grading process ended abnormally (status {status})")
    if kind == "ok":
        return Finished("ok", value)
    if kind == "memory":
        return Finished("memory", detail=str(value))
    return Finished("error", detail=str(value))


def _limit_address_space(extra_bytes: int) -> None:
    """RLIMIT_AS at what this process maps now plus ``extra_bytes`` (never above a hard limit)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        mapped = 0  # not Linux: the budget alone
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = mapped + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
