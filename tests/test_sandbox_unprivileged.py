"""The sandbox and the hostile end-to-end batch, again as an unprivileged user.

Instructors do not grade as root: there the sandbox cannot switch uids, and only
Landlock (or bubblewrap) keeps student code from the grader's rights. When this
suite runs as root (CI does), it runs those test files once more as a uid no
account uses, so both cases are exercised on every run.

The checkout's venv may use an interpreter that user cannot reach (pyenv under
a 0700 /root): then the run uses a throw-away venv of the system's Python of the
same version, whose one ``.pth`` line adds the checkout's site-packages, as an
instructor's own venv would hold the same packages.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNPRIVILEGED_UID = 64_000 + os.getpid() % 1000
FILES = [
    "tests/test_sandbox.py",
    "tests/test_sandbox_isolation.py",
    "tests/test_sandbox_cleanup.py",
    "tests/graders/test_code_blanks.py",
    "tests/graders/test_module_behaviour.py",
    "tests/test_cli.py",
]


def _as_user(uid: int) -> list[str]:
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to drop to an unprivileged user"
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


def _runs_as(uid: int, python: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The sandbox starts its zygote with sys.executable: that must work too.
    check = "import subprocess, sys, torch, autograder.sandbox; subprocess.run([sys.executable, '-c', ''], check=True)"
    command = [*_as_user(uid), python, "-I", "-c", check]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def _reachable_python(uid: int, folder: Path, env: dict[str, str]) -> tuple[str | None, str]:
    """An interpreter ``uid`` can run that sees this checkout's packages, and why not if none."""
    first = _runs_as(uid, sys.executable, env)
    if first.returncode == 0:
        return sys.executable, ""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = next((p for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}") if os.path.exists(p)), None)
    if system is None:
        return None, first.stderr[-300:]
    venv = folder / "venv"
    subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    packages = next(venv.glob("lib/python*/site-packages"))
    lines = "".join(f"import site; site.addsitedir({path!r})\n" for path in site.getsitepackages())
    (packages / "checkout.pth").write_text(lines)
    python = str(venv / "bin" / "python")
    second = _runs_as(uid, python, env)
    return (python, "") if second.returncode == 0 else (None, second.stderr[-300:])


@pytest.fixture
def public_folder() -> Iterator[Path]:
    """A folder the unprivileged user can reach (pytest's own tmp_path is root's, 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-unprivileged-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="already unprivileged: the sandbox tests run as this user anyway")
def test_the_sandbox_tests_pass_as_an_unprivileged_user(public_folder: Path) -> None:
    home = public_folder / "home"
    home.mkdir()
    os.chown(home, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **({"CI": os.environ["CI"]} if "CI" in os.environ else {}),
    }
    python, problem = _reachable_python(UNPRIVILEGED_UID, public_folder, env)
    if python is None and not os.environ.get("CI"):
        pytest.skip(f"an unprivileged user cannot run this checkout's Python here: {problem}")
    assert python is not None, problem

    command = [*_as_user(UNPRIVILEGED_UID), python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--basetemp", str(home / "pytest"), *FILES]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)

    summary = completed.stdout[-3000:] + completed.stderr[-2000:]
    assert completed.returncode == 0, summary
    assert re.search(r"\d+ passed", completed.stdout), summary
