"""The warm process that forks one limited child per run (trusted code).

Started once per ``Sandbox`` (inside bubblewrap when available) as
``python -I -B -c BOOT <import root> --uid N --run-root DIR [--network-namespace]``.
It imports torch once, then serves requests read from its stdin: for each one it
writes the student's file into a fresh folder and forks a child that limits
itself, drops to the unprivileged uid and runs the task. The child's answer comes
back on a pipe of its own (never stdout); the zygote enforces the wall-clock
deadline, kills whatever the child left behind and answers on its stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import math
import os
import resource
import select
import shutil
import signal
import sys
import time
from typing import Any

from . import harness
from .protocol import read_frame, write_frame

CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
OUTPUT_KEPT_BYTES = 64 * 1024
OPEN_FILES = 256
CHILD_FAILED_SETUP = 71

_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> bool:
    return int(_libc.prctl(option, value, 0, 0, 0)) == 0


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="zygote")
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--run-root", required=True)
    parser.add_argument("--network-namespace", action="store_true")
    options = parser.parse_args(argv)

    requests, answers = os.dup(0), os.dup(1)
    # Stray prints from libraries must never land in the protocol pipe.
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    os.close(devnull)

    network_namespace = False
    if options.network_namespace:
        # Fallback mode: an empty network namespace (not even loopback is up)
        # still works in many containers that refuse mount namespaces.
        network_namespace = int(_libc.unshare(CLONE_NEWNET)) == 0
    # Orphans of the child (a double fork) are re-parented to us, so we can find
    # and kill them after each run instead of letting them linger.
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    harness.warm_up()
    uid = options.uid if os.geteuid() == 0 else None
    hello = {"network_namespace": network_namespace, "uid": uid, "vm_bytes": _vm_bytes()}
    write_frame(answers, json.dumps(hello).encode())

    zygote = Zygote(requests, answers, options.run_root, uid)
    while True:
        try:
            frame = read_frame(requests)
        except EOFError:  # the grader is done; skip torch's slow interpreter shutdown
            os._exit(0)
        header, result = zygote.serve(json.loads(frame))
        write_frame(answers, json.dumps(header).encode())
        write_frame(answers, result)


def _vm_bytes() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class Zygote:
    def __init__(self, requests: int, answers: int, run_root: str, uid: int | None) -> None:
        self.requests = requests
        self.answers = answers
        self.run_root = run_root
        self.uid = uid
        self.count = 0

    def serve(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
        self.count += 1
        run_dir = os.path.join(self.run_root, f"run-{self.count}")
        shutil.rmtree(run_dir, ignore_errors=True)
        os.mkdir(run_dir, 0o700)
        source_path = os.path.join(run_dir, os.path.basename(request["filename"]))
        with open(source_path, "w", encoding="utf-8") as source:
            source.write(request["source"])
        os.chmod(source_path, 0o444)
        if self.uid is not None:
            os.chown(run_dir, self.uid, self.uid)
        result_read, result_write = os.pipe()
        output_read, output_write = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(result_read)
                os.close(output_read)
                os.close(self.requests)
                os.close(self.answers)
                run_child(request, run_dir, source_path, result_write, output_write, self.uid)
            finally:
                os._exit(CHILD_FAILED_SETUP)
        os.close(result_write)
        os.close(output_write)
        try:
            return supervise(pid, started, request["limits"], result_read, output_read)
        finally:
            kill_descendants()
            os.close(result_read)
            os.close(output_read)
            shutil.rmtree(run_dir, ignore_errors=True)


def run_child(
    request: dict[str, Any],
    run_dir: str,
    source_path: str,
    result_fd: int,
    output_fd: int,
    uid: int | None,
) -> None:
    """In the forked child: confine ourselves, run the task, write the result, exit."""
    os.setsid()  # its own process group, so the whole group can be killed at once
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.close(devnull)
    os.close(output_fd)
    os.chdir(run_dir)
    apply_limits(request["limits"], switching_user=uid is not None)
    if uid is not None:
        drop_privileges(uid)
    # No setuid binary (su, mount, ...) can give root back after this.
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    os.environ.clear()
    os.environ.update(PATH="/usr/bin:/bin", HOME=run_dir, TMPDIR=run_dir, LANG="C.UTF-8")
    import_root = os.path.dirname(os.path.dirname(os.path.dirname(harness.__file__)))
    sys.path[:] = [path for path in sys.path if path and path != import_root]
    sys.argv = [source_path]

    import torch

    torch.set_num_threads(1)
    me = os.getpid()
    outcome = harness.execute(request["task"], source_path, request["payload"])
    if os.getpid() != me:  # a process the student forked returned here: it has no say
        os._exit(0)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    try:
        data = json.dumps(outcome).encode()
    except (TypeError, ValueError) as error:
        data = json.dumps({"status": "error", **harness.describe_error(error, source_path)}).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(result_fd, view) :]
    os._exit(0)


def apply_limits(limits: dict[str, Any], *, switching_user: bool) -> None:
    """Hard limits, set while still root: the child can never raise them again."""
    cpu = max(1, math.ceil(limits["cpu_seconds"]))
    # SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    # Address space rather than RSS: the only memory limit the kernel enforces on
    # one process without cgroups; torch's import reserves about 0.5 GB of it.
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_bytes"], limits["memory_bytes"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
    processes = limits["max_processes"]
    if not switching_user:
        # RLIMIT_NPROC counts every process of the real uid; without a uid of our
        # own, allow what the user already runs plus the budget.
        processes += _processes_of(os.getuid())
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (uid, uid, uid):
        os._exit(CHILD_FAILED_SETUP)
    try:
        os.setuid(0)
    except PermissionError:
        return
    os._exit(CHILD_FAILED_SETUP)  # never run student code with a way back to root


def supervise(
    pid: int, started: float, limits: dict[str, Any], result_fd: int, output_fd: int
) -> tuple[dict[str, Any], bytes]:
    """Collect the child's result and output until it exits or the deadline passes."""
    deadline = started + limits["wall_seconds"]
    result_cap = limits["max_result_bytes"]
    result = bytearray()
    output = bytearray()
    open_fds = {result_fd, output_fd}
    try:
        exit_watch: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        exit_watch = None
    timed_out = overflow = False
    exited: tuple[int, Any] | None = None
    while exited is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or overflow:
            timed_out = not overflow
            _kill_group(pid)
            _, status, usage = os.wait4(pid, 0)
            exited = (status, usage)
            break
        watched = [*open_fds, exit_watch] if exit_watch is not None else list(open_fds)
        wait = remaining if exit_watch is not None else min(remaining, 0.02)
        ready, _, _ = select.select(watched, [], [], wait)
        for fd in ready:
            if fd == exit_watch:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                open_fds.discard(fd)
            elif fd == result_fd:
                result += chunk
                overflow = len(result) > result_cap
            elif len(output) < OUTPUT_KEPT_BYTES:
                output += chunk[: OUTPUT_KEPT_BYTES - len(output)]
        waited, status, usage = os.wait4(pid, os.WNOHANG)
        if waited == pid:
            exited = (status, usage)
    if exit_watch is not None:
        os.close(exit_watch)
    kill_descendants()
    # Everyone who could write is dead now, so these reads end.
    for fd in tuple(open_fds):
        while len(result) <= result_cap and (chunk := os.read(fd, 1 << 16)):
            if fd == result_fd:
                result += chunk
            elif len(output) < OUTPUT_KEPT_BYTES:
                output += chunk[: OUTPUT_KEPT_BYTES - len(output)]
    overflow = overflow or len(result) > result_cap
    status, usage = exited
    header = {
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "timed_out": timed_out,
        "result_overflow": overflow,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "output": output.decode("utf-8", errors="replace"),
    }
    return header, b"" if overflow else bytes(result)


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def kill_descendants() -> None:
    """Kill and reap every process the child left behind (all re-parented to us)."""
    for _ in range(1000):
        children = _children()
        if not children:
            return
        for child in children:
            _kill_group(child)
        for child in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0)


def _children() -> list[int]:
    me = os.getpid()
    try:
        found: list[int] = []
        for task in os.listdir(f"/proc/{me}/task"):
            with open(f"/proc/{me}/task/{task}/children", encoding="ascii") as listing:
                found += [int(pid) for pid in listing.read().split()]
        return found
    except OSError:  # kernels without CONFIG_PROC_CHILDREN: scan every process
        return [pid for pid in _all_pids() if _parent_of(pid) == me]


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _processes_of(uid: int) -> int:
    count = 0
    for pid in _all_pids():
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                count += 1
        except OSError:
            pass
    return count
