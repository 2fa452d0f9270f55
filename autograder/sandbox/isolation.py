"""Which isolation this machine allows, how it is described, and the bubblewrap command line.

Three modes, the best available chosen once per process (``AUTOGRADER_SANDBOX``
or ``Sandbox(mode=...)`` override the automatic choice). Every mode also has
rlimits, a scrubbed environment, an empty folder of the run's own, seccomp
(x86-64 and arm64) and, when the grader is root, a uid of its own per run.

- ``bwrap``: the zygote runs inside bubblewrap with new network, pid, ipc, uts and
  mount namespaces; only the system libraries, the Python install and the
  virtualenv exist in there. Landlock is layered underneath when the kernel has it.
- ``landlock``: no namespaces (a laptop without bubblewrap, Docker, Gradescope).
  Each run confines itself with Landlock: it may read the interpreter, the venv
  and the system libraries, and write only its own folder; TCP is refused
  (ABI 4) and signals and abstract sockets stay inside the run (ABI 6).
- ``rlimits``: neither (kernels before 5.13). Limits, seccomp and, as root, a uid
  per run; the filesystem is NOT isolated (anything world-readable can be read).
  Not root as well, nothing keeps student code from the grader's own rights, so
  the sandbox refuses to run it unless told otherwise (``ALLOW_UNCONFINED_ENV``).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.util
import os
import pwd
import shutil
import site
import subprocess
import sys
import tempfile
from typing import Literal, get_args

from . import landlock

Mode = Literal["bwrap", "landlock", "rlimits"]
MODES: tuple[Mode, ...] = get_args(Mode)
ENV_VAR = "AUTOGRADER_SANDBOX"
ALLOW_UNCONFINED_ENV = "AUTOGRADER_ALLOW_UNCONFINED"
"""Set to 1 (``autograder grade --allow-unconfined-code``) to run student code even
where no layer keeps it from the grader's own rights."""

SANDBOX_DIR = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(SANDBOX_DIR)
IMPORT_ROOT = os.path.dirname(PACKAGE_DIR)
"""The folder holding ``autograder/``: put on the zygote's ``sys.path``."""

RUN_ROOT_IN_BWRAP = "/tmp"

UID_BASE = 200_000
"""Runs switch to uids from here up (when the grader is root): no account uses them."""
UID_SPAN = 1000
"""uids per sandbox (each run of one sandbox gets the next; see ``zygote.UID_SPAN``)."""
UID_SLOTS = 1000
"""Concurrent sandboxes on one machine (one per grading worker)."""

# Environment of the zygote (and so of every child): nothing from the grader's
# environment, so no tokens, HOME or PYTHONPATH leak in; one thread for torch
# because workers already use every core.
CLEAN_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/nonexistent",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

# The zygote needs these to set up each child (chown the run folder, switch to the
# unprivileged uid, kill what the child left behind); every other capability of
# root is dropped for the whole sandbox.
ZYGOTE_CAPABILITIES = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
)


class SandboxUnavailable(RuntimeError):
    """The requested isolation mode cannot be used on this machine."""


@functools.cache
def bwrap_problem() -> str | None:
    """None if bubblewrap can create our namespaces here, else the reason it cannot."""
    executable = shutil.which("bwrap")
    if executable is None:
        return "bwrap is not installed (apt-get install bubblewrap)"
    probe = [executable, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid"]
    probe += ["--unshare-ipc", "--die-with-parent", "--dev", "/dev", "--proc", "/proc", "true"]
    try:
        completed = subprocess.run(probe, capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap could not start: {error}"
    if completed.returncode != 0:
        detail = completed.stderr.decode(errors="replace").strip() or "no message"
        return f"bwrap cannot create namespaces here: {detail}"
    return None


@functools.cache
def landlock_abi() -> int:
    """The kernel's Landlock ABI (0: none)."""
    return landlock.abi()


def landlock_problem() -> str | None:
    if landlock_abi() < 1:
        return "the kernel has no Landlock (Linux 5.13 or later, enabled in the lsm= list)"
    return None


def choose_mode(requested: str | None = None) -> Mode:
    """The mode to use: ``requested``, else ``$AUTOGRADER_SANDBOX``, else the best available."""
    wanted = requested or os.environ.get(ENV_VAR) or "auto"
    if wanted == "auto":
        if bwrap_problem() is None:
            return "bwrap"
        return "landlock" if landlock_problem() is None else "rlimits"
    if wanted not in MODES:
        raise ValueError(
            f"unknown sandbox mode {wanted!r}; expected 'auto', 'bwrap', 'landlock' or 'rlimits' "
            f"(from Sandbox(mode=...) or ${ENV_VAR})"
        )
    if wanted == "bwrap" and (problem := bwrap_problem()) is not None:
        raise SandboxUnavailable(f"{problem}; use mode 'landlock' or 'rlimits' to run without namespaces")
    if wanted == "landlock" and (problem := landlock_problem()) is not None:
        raise SandboxUnavailable(f"{problem}; use mode 'rlimits'")
    return "bwrap" if wanted == "bwrap" else "landlock" if wanted == "landlock" else "rlimits"


def unconfined_allowed() -> bool:
    return os.environ.get(ALLOW_UNCONFINED_ENV, "").strip().lower() in ("1", "true", "yes")


def confined(mode: Mode, *, landlock_abi: int, uid: bool) -> bool:
    """Whether some layer keeps student code from the grader's own rights."""
    return mode == "bwrap" or landlock_abi > 0 or uid


UNCONFINED = "UNCONFINED: student code would run with the grader's own rights"


def describe(
    mode: Mode,
    *,
    landlock_abi: int = 0,
    seccomp: bool = False,
    network_namespace: bool = False,
    uid: str | None = None,
) -> str:
    """The isolation string recorded on every result, e.g. ``landlock(abi7)+seccomp+uid200017+rlimits``.

    ``uid``: ``"uid200017"`` for one run, a range for the sandbox, None when runs
    keep the grader's uid (not root).
    """
    layers = []
    if mode == "bwrap":
        layers.append("bwrap(net,pid,mount,ipc)")
    if landlock_abi:
        layers.append(f"landlock(abi{landlock_abi})")
    if seccomp:
        layers.append("seccomp")
    if network_namespace and mode != "bwrap":
        layers.append("netns")
    layers.append(uid or "same-uid")
    layers.append("rlimits")
    text = "+".join(layers)
    if not confined(mode, landlock_abi=landlock_abi, uid=uid is not None):
        return f"{text} ({UNCONFINED})"
    if mode != "bwrap" and not landlock_abi:
        return f"{text} (no Landlock or mount namespace: the filesystem is not isolated)"
    return text


def _taken_uids() -> list[tuple[int, int]]:
    """uid ranges in use here: accounts, and subordinate ids of user namespaces."""
    ranges = [(entry.pw_uid, entry.pw_uid + 1) for entry in pwd.getpwall()]
    with contextlib.suppress(OSError, ValueError), open("/etc/subuid", encoding="utf-8") as subuid:
        for line in subuid:
            fields = line.strip().split(":")
            if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                ranges.append((int(fields[1]), int(fields[1]) + int(fields[2])))
    return ranges


def claim_uid_base() -> tuple[int, int] | None:
    """A block of ``UID_SPAN`` uids no account and no other sandbox on this machine uses.

    Returns (first uid, lock descriptor); the block is ours while the descriptor
    stays open (an exclusive ``flock`` on a file in a root-only folder). None
    when not root (runs then keep our uid) or no block is free.
    """
    if os.geteuid() != 0:
        return None
    folder = os.path.join(tempfile.gettempdir(), "autograder-sandbox-uids")
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    info = os.lstat(folder)
    if not os.path.isdir(folder) or os.path.islink(folder) or info.st_uid != 0 or info.st_mode & 0o077:
        raise SandboxUnavailable(f"{folder} must be a folder owned by root and closed to others")
    taken = _taken_uids()
    for slot in range(UID_SLOTS):
        first = UID_BASE + slot * UID_SPAN
        if any(start < first + UID_SPAN and first < end for start, end in taken):
            continue
        fd = os.open(os.path.join(folder, f"{slot}.lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        return first, fd
    return None


def package_folders(*names: str) -> list[str]:
    """The folders these packages are (or would be) imported from, found without importing them."""
    found = []
    for name in names:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            found.append(os.path.dirname(os.path.dirname(os.path.realpath(spec.origin))))
    return found


def _readonly_paths() -> list[str]:
    """What the child needs to see: libraries, the Python install, the venv, this folder."""
    candidates = [
        "/usr",
        sys.base_prefix,
        sys.base_exec_prefix,
        sys.prefix,
        sys.exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        *site.getsitepackages(),
        # Package folders added by .pth files or site.addsitedir, and wherever torch is.
        *(path for path in sys.path if os.path.basename(path) in ("site-packages", "dist-packages")),
        *package_folders("torch"),
        SANDBOX_DIR,
        # autograder/__init__.py only (a version string): lets ``autograder.sandbox``
        # import through the editable-install finder while graders stay absent.
        os.path.join(PACKAGE_DIR, "__init__.py"),
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
    ]
    chosen: list[str] = []
    for path in sorted({os.path.abspath(p) for p in candidates if os.path.exists(p)}, key=len):
        if not any(path == kept or path.startswith(kept + os.sep) for kept in chosen):
            chosen.append(path)
    return chosen


def bwrap_command(tmp_size_bytes: int) -> list[str]:
    """The bubblewrap prefix that starts the zygote in its own namespaces."""
    executable = shutil.which("bwrap") or "bwrap"
    command = [executable, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    # --new-session: without it a child could push keystrokes into the grader's
    # terminal (TIOCSTI); --die-with-parent: nothing outlives the grader.
    command += ["--unshare-cgroup-try", "--die-with-parent", "--new-session"]
    command += ["--hostname", "sandbox", "--cap-drop", "ALL"]
    for capability in ZYGOTE_CAPABILITIES:
        command += ["--cap-add", capability]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + name
        if os.path.islink(path):
            command += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            command += ["--ro-bind", path, path]
    # The private tmpfs comes before the read-only binds: a project checked out under
    # /tmp (a CI clone) must stay visible on top of it, not be hidden by it.
    command += ["--perms", "0755", "--size", str(tmp_size_bytes), "--tmpfs", RUN_ROOT_IN_BWRAP]
    created: set[str] = {"/", RUN_ROOT_IN_BWRAP}
    for path in _readonly_paths():
        # bwrap creates missing parents with mode 0700, which the unprivileged
        # child could not traverse (e.g. /root/.pyenv/...).
        parents: list[str] = []
        parent = os.path.dirname(path)
        while parent not in created:
            parents.append(parent)
            parent = os.path.dirname(parent)
        for missing in reversed(parents):
            command += ["--perms", "0755", "--dir", missing]
            created.add(missing)
        command += ["--ro-bind", path, path]
        created.add(path)
    command += ["--proc", "/proc", "--dev", "/dev"]
    command += ["--clearenv"]
    for name, value in CLEAN_ENV.items():
        command += ["--setenv", name, value]
    command += ["--chdir", "/"]
    return command
