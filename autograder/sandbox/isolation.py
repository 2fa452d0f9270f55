"""Which isolation this machine allows, and the bubblewrap command line.

Two modes, chosen once per process (``AUTOGRADER_SANDBOX`` or ``Sandbox(mode=...)``
override the automatic choice):

- ``bwrap``: the zygote runs inside bubblewrap with new network, pid, ipc, uts and
  mount namespaces. Only the system libraries, the Python install, the virtualenv
  and this folder are mounted (read-only); ``/tmp`` is a small private tmpfs. The
  project tree, the reference solutions and the other submissions do not exist
  in there.
- ``rlimits``: for containers that forbid namespaces (some Gradescope images). The
  child still runs in its own process with resource limits, as an unprivileged uid
  when we are root, and the zygote tries ``unshare(CLONE_NEWNET)``; the filesystem
  is NOT isolated (anything world-readable can be read).
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from typing import Literal, get_args

Mode = Literal["bwrap", "rlimits"]
MODES: tuple[Mode, ...] = get_args(Mode)
ENV_VAR = "AUTOGRADER_SANDBOX"

SANDBOX_DIR = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(SANDBOX_DIR)
IMPORT_ROOT = os.path.dirname(PACKAGE_DIR)
"""The folder holding ``autograder/``: put on the zygote's ``sys.path``."""

RUN_ROOT_IN_BWRAP = "/tmp"

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


def choose_mode(requested: str | None = None) -> Mode:
    """The mode to use: ``requested``, else ``$AUTOGRADER_SANDBOX``, else the best available."""
    wanted = requested or os.environ.get(ENV_VAR) or "auto"
    if wanted == "auto":
        return "bwrap" if bwrap_problem() is None else "rlimits"
    if wanted not in MODES:
        raise ValueError(
            f"unknown sandbox mode {wanted!r}; expected 'auto', 'bwrap' or 'rlimits' "
            f"(from Sandbox(mode=...) or ${ENV_VAR})"
        )
    if wanted == "bwrap" and (problem := bwrap_problem()) is not None:
        raise SandboxUnavailable(f"{problem}; use mode 'rlimits' to run without namespaces")
    return "bwrap" if wanted == "bwrap" else "rlimits"


def describe(mode: Mode, *, network_namespace: bool, uid: int | None) -> str:
    """The isolation string recorded on every result."""
    user = f"uid{uid}" if uid is not None else "same-uid (not root: could not switch users)"
    if mode == "bwrap":
        return f"bwrap(net,pid,mount,ipc)+rlimits+{user}"
    if network_namespace:
        return f"rlimits+netns+{user} (no mount/pid namespaces: filesystem not isolated)"
    return f"rlimits+{user} (no namespaces: network and filesystem not isolated)"


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
