"""Run a function in a forked child process with a wall-clock deadline.

Why a process and not ``signal.alarm`` or a thread: sympy can spin in C-level
loops that a signal does not interrupt promptly, alarms work only in the main
thread, and a thread cannot be killed. A forked child starts with the parent's
imports (sympy, the specs) already loaded, so it costs a few milliseconds.
The child sends back a pickled result; on timeout it is killed.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Finished(Generic[T]):
    status: Literal["ok", "error", "timeout", "crashed"]
    value: T | None = None
    detail: str = ""
    """For error/timeout/crashed: what happened, for a message."""


def call(fn: Callable[..., T], *args: Any, timeout: float) -> Finished[T]:
    """``fn(*args)`` in a forked child; never raises for what happens in the child."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running the parent's cleanup
        os.close(read_end)
        try:
            payload = pickle.dumps(("ok", fn(*args)))
        except BaseException as error:  # everything, SystemExit included, is reported
            payload = pickle.dumps(("error", f"{type(error).__name__}: {error}"))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
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
    return Finished("error", detail=str(value))
