"""``make gradescope-docker``: the Gradescope zip, set up and graded in a real Docker container.

    make gradescope-docker                                  # as root; idempotent, re-runnable
    python3 gradescope/docker_check.py --zip dist/autograder.zip [--state DIR] [--rebuild]

Steps (each skipped when its result is already there):

1. Docker's engine and debootstrap from Debian's packages (``apt-get install -y
   docker.io debootstrap``) when ``dockerd`` or ``debootstrap`` is missing.
2. The engine, when ``docker info`` fails: ``dockerd --bridge=none --iptables=false``
   in the background, its log in ``STATE/dockerd.log``. No container ever gets a
   bridge network: setup runs with ``--network host``, every grading run with
   ``--network none``.
3. A Debian base image: ``debootstrap --variant=minbase`` from the mirror and suite
   of this machine's apt sources, its sources.list the machine's Debian entries,
   then ``docker import`` (``attention-autograder/debian:<suite>``).
4. The autograder image, like Gradescope builds one: the zip's contents in
   ``/autograder/source``, ``run_autograder`` copied to ``/autograder``,
   ``setup.sh`` run once as root (``--network host``), ``docker commit``
   (``attention-autograder/gradescope:<sha256 of zip and torch source>``).
   torch comes from ``$AUTOGRADER_TORCH_INDEX`` when set; otherwise, when pip's
   find-links on this machine hold a torch 2.13.0 wheel, that folder is
   mounted read-only and ``AUTOGRADER_TORCH_INDEX=`` (pip's own configuration)
   is passed to setup.sh; otherwise setup.sh's default, the CPU index. When
   pip here trusts a CA bundle of its own (``cert``, PIP_CERT: a proxy), that
   file is mounted read-only and passed as PIP_CERT. None of it is committed.
5. ``run_autograder`` with ``--network none --memory 768m --cpus 0.5`` on the
   reference submission, three hostile uploads (read the key in
   ``/autograder/source``, write ``/autograder/results/results.json``, an
   infinite loop) and an empty upload. The submission is ``docker cp``-ed into
   ``/autograder/submission`` and results.json copied out, as Gradescope does.
   Each results.json is checked (full marks for the reference; nothing of the
   key and no forged score in the hostile ones; a clear message for the empty
   upload). Wall time is ``docker start -a`` to exit; memory is sampled every
   100 ms from the container's memory cgroup on the host.

The figures go to ``STATE/summary.md`` and ``STATE/summary.json``. Exit 0 when
every check passed. Standard library only: run it with the system's python3.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
TORCH_PIN = "torch==2.13.0"
LIMITS = ["--memory", "768m", "--cpus", "0.5"]
RUN_TIMEOUT = 900.0
WHEELS_IN_CONTAINER = "/mnt/autograder-wheels"
CERT_IN_CONTAINER = "/mnt/autograder-pip-ca.pem"
BASE_REPO = "attention-autograder/debian"
SETUP_REPO = "attention-autograder/gradescope"
MiB = 1024 * 1024
COLUMNS = (
    "upload",
    "score",
    "wall (docker start -a)",
    "grader's own",
    "peak PSS, processes",
    "peak RSS sum, processes",
    "peak charged to cgroup",
    "cgroup peak (kernel)",
    "OOM kills",
    "isolation in results.json",
    "checks",
)
ONE_LINE = re.compile(r"^\s*deb\s+(?:\[(?P<options>[^]]*)\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)\s+(?P<comps>.*)$")

KEY_FILES = ("reference/hw9/answers.yaml", "reference/hw9/mha.py")
"""Read by the key-reading upload; no line of their headers may reach results.json."""

READ_KEY = """\
import base64 as _b64
import os as _os
import sys as _sys

_LOOT = []
for _path in ("/autograder/source/reference/hw9/answers.yaml", "/autograder/source/reference/hw9/mha.py",
              "/autograder/source/autograder.json", "/proc/1/cmdline", "/proc/1/environ"):
    try:
        with open(_path, "rb") as _file:
            _LOOT.append(_file.read().decode("utf-8", "replace"))
    except Exception as _error:  # noqa: BLE001
        _LOOT.append(f"DENIED {_path}: {type(_error).__name__}")
try:
    _LOOT.append("LISTING " + " ".join(sorted(_os.listdir("/autograder/source/reference/hw9"))))
except Exception as _error:  # noqa: BLE001
    _LOOT.append(f"DENIED listdir: {type(_error).__name__}")
_TEXT = "\\n".join(_LOOT)
print("KEYLEAK<<" + _TEXT + ">>")
print("KEYLEAK64<<" + _b64.b64encode(_TEXT.encode()).decode() + ">>", file=_sys.stderr)
raise RuntimeError("KEYLEAK<<" + _TEXT[:3000] + ">>")
"""

WRITE_RESULTS = """\
import json as _json
import os as _os
import time as _time

_FORGED = _json.dumps({"score": 999, "output": "FORGED-BY-STUDENT",
                       "tests": [{"name": "FORGED-BY-STUDENT", "score": 999, "max_score": 1}]})
_TARGET = "/autograder/results/results.json"


def _forge():
    for _path in (_TARGET, "/autograder/results/forged.json"):
        try:
            with open(_path, "w") as _file:
                _file.write(_FORGED)
            print("WROTE", _path)
        except Exception as _error:  # noqa: BLE001
            print("DENIED", _path, type(_error).__name__)


_forge()
try:  # a daemon that keeps forging after the grader thinks the run is over
    if _os.fork() == 0:
        _os.setsid()
        if _os.fork() == 0:
            for _ in range(240):
                _forge()
                _time.sleep(0.25)
            _os._exit(0)
        _os._exit(0)
except Exception as _error:  # noqa: BLE001
    print("no fork:", type(_error).__name__)
print(_FORGED)
"""

LOOP = "while True:  # never returns: the sandbox's CPU and wall limits must stop it\n    pass\n"


def log(message: str) -> None:
    print(f"[gradescope-docker] {message}", flush=True)


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, text=True, **kwargs)


def docker_client() -> str:
    # Debian's client matches Debian's engine; any other docker client negotiates the API down.
    for candidate in ("/usr/bin/docker", shutil.which("docker") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("no docker client after installing docker.io")


def ensure_packages() -> None:
    if shutil.which("dockerd") and shutil.which("debootstrap") and os.path.exists("/usr/bin/docker"):
        return
    log("installing docker.io and debootstrap from Debian's packages")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update"], check=True, env=env)
    run(["apt-get", "install", "-y", "docker.io", "debootstrap"], check=True, env=env)


def ensure_engine(docker: str, state: Path) -> None:
    if run([docker, "info"], capture_output=True).returncode == 0:
        log("docker engine: already running")
        return
    daemon_log = state / "dockerd.log"
    log(f"starting dockerd --bridge=none --iptables=false (log: {daemon_log})")
    with open(daemon_log, "ab") as output:
        subprocess.Popen(
            ["dockerd", "--bridge=none", "--iptables=false"],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if os.path.exists("/var/run/docker.sock") and run([docker, "info"], capture_output=True).returncode == 0:
            log("docker engine: up")
            return
        time.sleep(1)
    raise SystemExit(f"dockerd did not come up within 90 s; see {daemon_log}")


def apt_sources() -> tuple[str, str, str]:
    """(mirror, suite, deb822 text of the machine's Debian entries) from /etc/apt/sources.list*."""
    stanzas: list[dict[str, str]] = []
    files = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in files:
        if not path.is_file() or (path.suffix not in (".list", ".sources") and path.name != "sources.list"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".sources":
            for block in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = {}
                for line in block.splitlines():
                    if line.startswith("#") or ":" not in line or line[:1].isspace():
                        continue
                    name, value = line.split(":", 1)
                    fields[name.strip()] = value.strip()
                if fields.get("Types", "").split()[:1] == ["deb"] and fields.get("Enabled", "yes") != "no":
                    stanzas.append(fields)
        else:
            for line in text.splitlines():
                match = ONE_LINE.match(line)
                if match:
                    fields = {
                        "Types": "deb",
                        "URIs": match["uri"],
                        "Suites": match["suite"],
                        "Components": match["comps"].split("#")[0].strip(),
                    }
                    signed = re.search(r"signed-by=(\S+)", match["options"] or "")
                    if signed:
                        fields["Signed-By"] = signed[1]
                    stanzas.append(fields)
    debian = [s for s in stanzas if any(re.search(r"/debian(-security)?/?$", uri) for uri in s["URIs"].split())]
    for stanza in debian:
        for uri in stanza["URIs"].split():
            for suite in stanza["Suites"].split():
                if re.fullmatch(r"[a-z]+", suite) and re.search(r"/debian/?$", uri):
                    keep = ("Types", "URIs", "Suites", "Components", "Signed-By")
                    text = "\n\n".join("\n".join(f"{k}: {s[k]}" for k in keep if k in s) for s in debian) + "\n"
                    return uri, suite, text
    raise SystemExit("no Debian mirror and suite in /etc/apt/sources.list*")


def image_exists(docker: str, name: str) -> bool:
    return run([docker, "image", "inspect", name], capture_output=True).returncode == 0


def load_timings(state: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((state / "timings.json").read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return {}


def save_timing(state: Path, image: str, seconds: float, what: str) -> None:
    timings = load_timings(state)
    timings[image] = {"seconds": round(seconds, 1), "what": what, "when": time.strftime("%Y-%m-%d %H:%M:%S")}
    (state / "timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")


def ensure_base(docker: str, state: Path, rebuild: bool) -> str:
    mirror, suite, sources = apt_sources()
    image = f"{BASE_REPO}:{suite}"
    if image_exists(docker, image) and not rebuild:
        log(f"base image {image}: cached")
        return image
    rootfs = state / f"rootfs-{suite}"
    shutil.rmtree(rootfs, ignore_errors=True)
    log(f"debootstrap --variant=minbase {suite} from {mirror}")
    began = time.monotonic()
    with open(state / "debootstrap.log", "w") as output:
        run(
            ["debootstrap", "--variant=minbase", suite, str(rootfs), mirror],
            check=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(sources, encoding="utf-8")
    for leftover in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        leftover.unlink()
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
    run(
        [docker, "import", "--change", 'CMD ["/bin/bash"]', "-", image],
        check=True,
        stdin=tar.stdout,
        stdout=subprocess.DEVNULL,
    )
    if tar.wait() != 0:
        raise SystemExit("tar of the debootstrap root failed")
    seconds = time.monotonic() - began
    save_timing(state, image, seconds, f"debootstrap --variant=minbase {suite} {mirror} + docker import")
    shutil.rmtree(rootfs, ignore_errors=True)
    log(f"base image {image}: built in {seconds:.0f} s")
    return image


def find_torch_wheels() -> Path | None:
    """A folder of pip's find-links (config or PIP_FIND_LINKS) holding a torch 2.13.0 wheel."""
    listed = run([sys.executable, "-m", "pip", "config", "list"], capture_output=True).stdout
    folders = re.findall(r"find-links='([^']*)'", listed) + os.environ.get("PIP_FIND_LINKS", "").split()
    for folder in (Path(f.removeprefix("file://")) for entry in folders for f in entry.split()):
        if folder.is_dir() and any(folder.glob("torch-2.13.0*.whl")):
            return folder
    return None


def pip_cert() -> Path | None:
    """The CA bundle this machine's pip is configured with (``cert`` or PIP_CERT), if any."""
    listed = run([sys.executable, "-m", "pip", "config", "list"], capture_output=True).stdout
    found = [*re.findall(r"\.cert='([^']*)'", listed), os.environ.get("PIP_CERT", "")]
    return next((Path(path) for path in found if path and Path(path).is_file()), None)


def ensure_setup(docker: str, state: Path, base: str, bundle: Path, rebuild: bool) -> tuple[str, str]:
    """The committed image after setup.sh, and how torch was found."""
    mounts: list[str] = []
    setup_env: list[str] = []
    wheels = None
    if "AUTOGRADER_TORCH_INDEX" in os.environ:
        setup_env.append(f"AUTOGRADER_TORCH_INDEX={os.environ['AUTOGRADER_TORCH_INDEX']}")
        torch_from = f"AUTOGRADER_TORCH_INDEX={os.environ['AUTOGRADER_TORCH_INDEX']!r}"
    elif (wheels := find_torch_wheels()) is not None:
        mounts += ["-v", f"{wheels}:{WHEELS_IN_CONTAINER}:ro"]
        setup_env += ["AUTOGRADER_TORCH_INDEX=", f"PIP_FIND_LINKS={WHEELS_IN_CONTAINER}"]
        torch_from = f"AUTOGRADER_TORCH_INDEX='' (pip's config) + this machine's wheel folder {wheels} as find-links"
    else:
        torch_from = "setup.sh's default index (https://download.pytorch.org/whl/cpu)"
    if (cert := pip_cert()) is not None:  # a proxy's CA the container's ca-certificates do not know
        mounts += ["-v", f"{cert}:{CERT_IN_CONTAINER}:ro"]
        setup_env.append(f"PIP_CERT={CERT_IN_CONTAINER}")
    digest = hashlib.sha256(bundle.read_bytes())
    digest.update(
        json.dumps([base, setup_env, sorted(p.name for p in wheels.glob("torch-*")) if wheels else []]).encode()
    )
    image = f"{SETUP_REPO}:{digest.hexdigest()[:12]}"
    if image_exists(docker, image) and not rebuild:
        log(f"autograder image {image}: cached (setup.sh already ran for this zip)")
        return image, torch_from
    context = state / "context"
    shutil.rmtree(context, ignore_errors=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(context / "source")
    name = "ag-setup"
    run([docker, "rm", "-f", name], capture_output=True)
    script = (
        "set -eu; mkdir -p /autograder/submission /autograder/results"
        " && cp -r /mnt/autograder-zip /autograder/source"
        " && cp /autograder/source/run_autograder /autograder/run_autograder"
        " && chmod +x /autograder/run_autograder /autograder/source/setup.sh"
        f" && cd /autograder/source && env {' '.join(setup_env)} bash ./setup.sh"
        " && apt-get clean && rm -rf /var/lib/apt/lists/*"
    )
    log(f"setup.sh in a container on the host network; torch from {torch_from} (log: {state / 'setup.log'})")
    began = time.monotonic()
    with open(state / "setup.log", "w") as output:
        done = run(
            [
                docker,
                "run",
                "--name",
                name,
                "--network",
                "host",
                "-v",
                f"{context / 'source'}:/mnt/autograder-zip:ro",
                *mounts,
                base,
                "bash",
                "-c",
                script,
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        run([docker, "rm", "-f", name], capture_output=True)
        raise SystemExit(f"setup.sh failed (exit {done.returncode}); see {state / 'setup.log'}")
    run(
        [
            docker,
            "commit",
            "--change",
            "WORKDIR /autograder",
            "--change",
            'CMD ["/autograder/run_autograder"]',
            name,
            image,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - began
    run([docker, "rm", name], check=True, stdout=subprocess.DEVNULL)
    save_timing(state, image, seconds, f"setup.sh (torch from {torch_from}) + docker commit")
    for line in run(
        [docker, "images", "--format", "{{.Repository}}:{{.Tag}}", SETUP_REPO], capture_output=True
    ).stdout.split():
        if line != image:  # older builds of this script's own image
            run([docker, "rmi", line], capture_output=True)
    log(f"autograder image {image}: built in {seconds:.0f} s")
    return image, torch_from


def zip_from_ref(ref: str, state: Path) -> tuple[Path, Path]:
    """(zip, checkout) of a git revision: ``git archive`` of it, validated and built with this checkout's venv."""
    sha = run(
        ["git", "-C", str(PROJECT), "rev-parse", "--verify", f"{ref}^{{commit}}"], capture_output=True, check=True
    ).stdout.strip()
    checkout = state / f"src-{sha[:12]}"
    bundle = checkout / "dist" / "autograder.zip"
    if bundle.is_file():
        log(f"zip of {ref} ({sha[:12]}): cached")
        return bundle, checkout
    shutil.rmtree(checkout, ignore_errors=True)
    checkout.mkdir(parents=True)
    archive = subprocess.Popen(["git", "-C", str(PROJECT), "archive", sha], stdout=subprocess.PIPE)
    run(["tar", "-x", "-C", str(checkout)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {sha} failed")
    python = str(PROJECT / ".venv" / "bin" / "python")
    log(f"zip of {ref} ({sha[:12]}): validate, then build in {checkout}")
    run(
        [python, "-m", "autograder", "validate", "problems/hw9", "--reference", "reference/hw9"],
        cwd=checkout,
        check=True,
    )
    run(
        [
            python,
            "-m",
            "autograder",
            "gradescope",
            "build",
            "--problems",
            "problems/hw9",
            "--reference",
            "reference/hw9",
            "-o",
            str(bundle),
        ],
        cwd=checkout,
        check=True,
    )
    return bundle, checkout


def probe_isolation(docker: str, image: str) -> str:
    """What the sandbox would get in a grading container (``sandbox.isolation_available()``), for the summary."""
    probe = "from autograder import sandbox; print(sandbox.isolation_available())"
    done = run(
        [
            docker,
            "run",
            "--rm",
            "--network",
            "none",
            *LIMITS,
            image,
            "/opt/autograder-venv/bin/python",
            "-I",
            "-c",
            probe,
        ],
        capture_output=True,
    )
    lines = (done.stdout.strip() or done.stderr.strip() or "?").splitlines()
    return lines[-1] if lines else "?"


def make_cases(state: Path, checkout: Path) -> dict[str, Path]:
    cases = state / "cases"
    shutil.rmtree(cases, ignore_errors=True)
    perfect = checkout / "submissions" / "01-perfect-plain"
    mha = (perfect / "mha.py").read_text(encoding="utf-8")
    made: dict[str, Path] = {}
    for name, prelude in (
        ("reference", None),
        ("hostile-read-key", READ_KEY),
        ("hostile-write-results", WRITE_RESULTS),
        ("hostile-infinite-loop", LOOP),
        ("empty", ""),
    ):
        folder = cases / name / "submission"
        folder.mkdir(parents=True)
        if name != "empty":
            shutil.copy(perfect / "answers.yaml", folder / "answers.yaml")
            (folder / "mha.py").write_text((prelude or "") + mha, encoding="utf-8")
        made[name] = folder
    return made


def memory_cgroup(container_id: str) -> Path | None:
    for candidate in (
        Path("/sys/fs/cgroup/memory/docker") / container_id,  # v1, cgroupfs driver
        Path("/sys/fs/cgroup/memory/system.slice") / f"docker-{container_id}.scope",
        Path("/sys/fs/cgroup/system.slice") / f"docker-{container_id}.scope",  # v2, systemd driver
        Path("/sys/fs/cgroup/docker") / container_id,  # v2, cgroupfs driver
    ):
        if candidate.is_dir():
            return candidate
    return None


def read_int(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def read_stat(path: Path) -> dict[str, int]:
    try:
        pairs = (line.split() for line in path.read_text().splitlines())
        return {pair[0]: int(pair[1]) for pair in pairs if len(pair) == 2}
    except (OSError, ValueError):
        return {}


def read_stat_kb(path: Path) -> dict[str, int]:
    """``Name: N kB`` lines in bytes."""
    try:
        pairs = (line.split() for line in path.read_text().splitlines())
        return {pair[0]: int(pair[1]) * 1024 for pair in pairs if len(pair) == 3 and pair[2] == "kB"}
    except (OSError, ValueError):
        return {}


def sample_memory(docker: str, name: str, peaks: dict[str, int], stop: threading.Event) -> None:
    """Every 100 ms, from the container's memory cgroup on the host: what is charged to it (usage minus
    inactive file, as ``docker stats`` shows; the kernel's own peak), and the PSS and RSS of its processes
    (``/proc/<pid>/smaps_rollup``), which count torch's library pages even when an earlier container
    brought them into the page cache and so was charged for them."""
    group = None
    while not stop.is_set() and group is None:
        container_id = run([docker, "inspect", "-f", "{{.Id}}", name], capture_output=True).stdout.strip()
        group = memory_cgroup(container_id) if container_id else None
        if group is None:
            stop.wait(0.05)
    while group is not None and not stop.is_set():
        v2 = (group / "memory.current").exists()
        stat = read_stat(group / "memory.stat")
        usage = read_int(group / ("memory.current" if v2 else "memory.usage_in_bytes"))
        inactive = stat.get("inactive_file" if v2 else "total_inactive_file", 0)
        if usage:
            peaks["kernel_peak"] = max(
                peaks["kernel_peak"], read_int(group / ("memory.peak" if v2 else "memory.max_usage_in_bytes"))
            )
            peaks["working_set"] = max(peaks["working_set"], usage - inactive)
            peaks["anon"] = max(peaks["anon"], stat.get("anon" if v2 else "total_rss", 0))
            events = read_stat(group / ("memory.events" if v2 else "memory.oom_control"))
            peaks["oom_kill"] = max(peaks["oom_kill"], events.get("oom_kill", 0))
            pss = rss = 0
            for pid in (group / "cgroup.procs").read_text().split() if (group / "cgroup.procs").exists() else []:
                rollup = read_stat_kb(Path(f"/proc/{pid}/smaps_rollup"))
                pss, rss = pss + rollup.get("Pss:", 0), rss + rollup.get("Rss:", 0)
            peaks["pss"], peaks["rss_sum"] = max(peaks["pss"], pss), max(peaks["rss_sum"], rss)
        stop.wait(0.1)


def grade(docker: str, image: str, case: str, submission: Path, state: Path) -> dict[str, Any]:
    name = f"ag-run-{case}"
    run([docker, "rm", "-f", name], capture_output=True)
    created = run(
        [docker, "create", "--name", name, "--network", "none", *LIMITS, image, "/autograder/run_autograder"],
        capture_output=True,
    )
    if created.returncode != 0:
        raise SystemExit(f"docker create failed: {created.stderr}")
    run([docker, "cp", f"{submission}/.", f"{name}:/autograder/submission"], check=True, capture_output=True)
    peaks = {"kernel_peak": 0, "working_set": 0, "anon": 0, "oom_kill": 0, "pss": 0, "rss_sum": 0}
    stop = threading.Event()
    sampler = threading.Thread(target=sample_memory, args=(docker, name, peaks, stop))
    began = time.monotonic()
    sampler.start()
    try:
        started = run([docker, "start", "-a", name], capture_output=True, timeout=RUN_TIMEOUT)
        exit_code, output = started.returncode, started.stdout + started.stderr
    except subprocess.TimeoutExpired:
        run([docker, "kill", name], capture_output=True)
        exit_code, output = -1, f"killed after {RUN_TIMEOUT:.0f} s"
    wall = time.monotonic() - began
    stop.set()
    sampler.join()
    out = state / "cases" / case
    (out / "run_autograder.log").write_text(output, encoding="utf-8")
    results = out / "results.json"
    results.unlink(missing_ok=True)
    run([docker, "cp", f"{name}:/autograder/results/results.json", str(results)], capture_output=True)
    listing = run([docker, "cp", f"{name}:/autograder/results", str(out / "results-folder")], capture_output=True)
    run([docker, "rm", "-f", name], capture_output=True)
    own = re.search(r"^results: .*, ([\d.]+) s\)$", output, re.MULTILINE)
    extra = sorted(p.name for p in (out / "results-folder").glob("*")) if listing.returncode == 0 else []
    grader = float(own[1]) if own else None
    return {
        "case": case,
        "exit": exit_code,
        "wall": wall,
        "grader": grader,
        "results": results,
        "files": extra,
        **peaks,
    }


def check(case: str, results: Path, files: list[str], checkout: Path) -> tuple[dict[str, Any], list[str]]:
    """(results.json, what is wrong with it) for one case."""
    try:
        text = results.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError) as error:
        return {}, [f"no valid results.json ({error})"]
    problems: list[str] = []
    tests = data.get("tests", [])
    if not isinstance(data.get("score"), int | float) or not isinstance(tests, list):
        return data, ["results.json has no numeric score or no tests list"]
    total = sum(t.get("max_score", 0) for t in tests)
    data["_total"] = total
    score = data["score"]
    if not 0 <= score <= total or total <= 0:
        problems.append(f"score {score} outside 0..{total}")
    if case == "reference" and score != total:
        problems.append(f"reference got {score}/{total}, not full marks")
    if case.startswith("hostile"):
        q3b = [t for t in tests if str(t.get("name", "")).startswith("q3.b")]
        if "FORGED-BY-STUDENT" in text or score == 999:
            problems.append("the forged score or output reached results.json")
        if any(name not in ("results.json",) for name in files):
            problems.append(f"student code left files in /autograder/results: {files}")
        if case != "hostile-write-results" and q3b and q3b[0].get("score", 0) > 0:
            problems.append(f"q3.b got {q3b[0].get('score')} points although its code crashed or looped")
    if case == "hostile-read-key":
        for relative in KEY_FILES:
            key = (checkout / relative).read_text(encoding="utf-8")
            header = key.splitlines()[0]
            if header in text or base64.b64encode(key.encode())[:40].decode() in text:
                problems.append(f"the content of {relative} reached results.json")
        if "LISTING " in text and "answers.yaml" in text.split("LISTING ", 1)[1][:200]:
            problems.append("the listing of the reference folder reached results.json")
    if case == "empty":
        output = str(data.get("output", ""))
        if score != 0 or "answers.yaml" not in output:
            problems.append(
                f"empty upload: score {score}, output {output[:120]!r} (expected 0, a word on answers.yaml)"
            )
    return data, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zip", type=Path, default=PROJECT / "dist" / "autograder.zip")
    parser.add_argument("--ref", help="build the zip from this git revision (git archive) instead of using --zip")
    parser.add_argument(
        "--state", type=Path, default=Path(os.environ.get("AUTOGRADER_DOCKER_STATE", "/var/tmp/autograder-docker"))
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the base and autograder images")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: it installs packages, starts dockerd and runs containers")
    args.state.mkdir(parents=True, exist_ok=True)
    checkout = PROJECT
    if args.ref:
        args.zip, checkout = zip_from_ref(args.ref, args.state)
    elif not args.zip.is_file():
        raise SystemExit(f"{args.zip}: no such zip; run `make gradescope` first")
    ensure_packages()
    docker = docker_client()
    ensure_engine(docker, args.state)
    base = ensure_base(docker, args.state, args.rebuild)
    image, torch_from = ensure_setup(docker, args.state, base, args.zip.resolve(), args.rebuild)
    timings = load_timings(args.state)
    available = probe_isolation(docker, image)
    log(f"sandbox.isolation_available() in a grading container: {available}")
    rows, failures = [], 0
    for case, submission in make_cases(args.state, checkout).items():
        log(f"run_autograder --network none {' '.join(LIMITS)}: {case}")
        measured = grade(docker, image, case, submission, args.state)
        data, problems = check(case, measured["results"], measured["files"], checkout)
        isolation = (data.get("extra_data") or {}).get("isolation", "") if isinstance(data, dict) else ""
        failures += bool(problems)
        row = {
            "case": case,
            "score": f"{data.get('score', '?'):g}/{data.get('_total', '?'):g}" if data else "-",
            "exit": measured["exit"],
            "wall_s": round(measured["wall"], 1),
            "grader_s": measured["grader"],
            "working_set_peak_mb": round(measured["working_set"] / MiB),
            "anon_peak_mb": round(measured["anon"] / MiB),
            "pss_peak_mb": round(measured["pss"] / MiB),
            "rss_sum_peak_mb": round(measured["rss_sum"] / MiB),
            "cgroup_peak_mb": round(measured["kernel_peak"] / MiB),
            "oom_kills": measured["oom_kill"],
            "isolation": isolation or "(not recorded)",
            "ok": not problems,
            "problems": problems,
        }
        rows.append(row)
        log(
            f"  {row['score']}, {row['wall_s']} s, PSS {row['pss_peak_mb']} MB, "
            f"isolation {row['isolation']}: {'ok' if not problems else '; '.join(problems)}"
        )
    lines = [
        f"image build times: base {timings.get(base, {}).get('seconds', '?')} s, "
        f"setup.sh + commit {timings.get(image, {}).get('seconds', '?')} s ({image}; torch from {torch_from})",
        f"sandbox.isolation_available() in a grading container: {available}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        cells = [row["case"], row["score"], f"{row['wall_s']} s", f"{row['grader_s']} s"]
        keys = ("pss_peak_mb", "rss_sum_peak_mb", "working_set_peak_mb", "cgroup_peak_mb")
        cells += [f"{row[key]} MB" for key in keys]
        cells += [
            str(row["oom_kills"]),
            row["isolation"],
            "ok" if row["ok"] else "FAILED: " + "; ".join(row["problems"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    summary = "\n".join(lines) + "\n"
    (args.state / "summary.md").write_text(summary, encoding="utf-8")
    (args.state / "summary.json").write_text(
        json.dumps(
            {
                "base": base,
                "image": image,
                "torch_from": torch_from,
                "timings": timings,
                "isolation_available": available,
                "runs": rows,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print()
    print(summary)
    log(f"{len(rows) - failures}/{len(rows)} uploads passed their checks; details in {args.state}/cases/")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
