"""Peak memory and wall time of run_autograder on one submission, the whole process tree counted.

    .venv/bin/python gradescope/measure.py dist/autograder.zip submissions/01-perfect-plain
    .venv/bin/python gradescope/measure.py dist/autograder.zip --hostile-loop

Unpacks the zip into a fresh root laid out like /autograder, copies the
submission in, runs ``source/run_autograder`` under ``/usr/bin/time -v`` with
AUTOGRADER_ROOT set, and every 50 ms sums the memory of every process below it
(grader, forked grading children, the sandbox zygote and the student's child):
RSS (pages shared between processes counted once per process: an upper bound)
and PSS (shared pages split between their users: what the tree really holds).
``--hostile-loop`` grades submissions/05-unreadable-and-hostile plus a q3.b
whose code never returns (``while True: pass`` at import); ``--hostile-memory MB``
the same with a q3.b that first fills MB megabytes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LOOP = "while True:  # never returns: the sandbox's CPU and wall limits must stop it\n    pass\n"
HOG = "_hog = b'x' * {size}  # touched memory: real pages, not just address space\n"


def children_of(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", encoding="utf-8", errors="replace") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def tree(pid: int) -> list[int]:
    pending, seen = [pid], []
    while pending:
        current = pending.pop()
        seen.append(current)
        pending += children_of(current)
    return seen


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB, 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
            text = rollup.read()
    except OSError:
        return 0, 0
    rss = re.search(r"^Rss:\s+(\d+)", text, re.MULTILINE)
    pss = re.search(r"^Pss:\s+(\d+)", text, re.MULTILINE)
    return (int(rss[1]) if rss else 0), (int(pss[1]) if pss else 0)


def sample(pid: int, peaks: dict[str, int], stop: threading.Event) -> None:
    while not stop.is_set():
        pids = tree(pid)
        totals = [memory_kb(p) for p in pids]
        peaks["rss"] = max(peaks["rss"], sum(rss for rss, _ in totals))
        peaks["pss"] = max(peaks["pss"], sum(pss for _, pss in totals))
        peaks["processes"] = max(peaks["processes"], len(pids))
        stop.wait(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("zip", type=Path)
    parser.add_argument("submission", type=Path, nargs="?", default=PROJECT / "submissions" / "01-perfect-plain")
    parser.add_argument("--hostile-loop", action="store_true")
    parser.add_argument("--hostile-memory", type=int, metavar="MB", help="q3.b code that fills MB megabytes")
    parser.add_argument("--sandbox", default="", help="AUTOGRADER_SANDBOX for the run (bwrap, rlimits)")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="gradescope-measure-"))
    try:
        with zipfile.ZipFile(args.zip) as archive:
            archive.extractall(root / "source")
        os.chmod(root / "source" / "run_autograder", 0o755)
        hostile = args.hostile_loop or args.hostile_memory is not None
        submission = PROJECT / "submissions" / "05-unreadable-and-hostile" if hostile else args.submission
        shutil.copytree(submission, root / "submission")
        if hostile:
            answers = root / "submission" / "answers.yaml"
            text = answers.read_text(encoding="utf-8").replace("q3:\n  a:\n", "q3:\n  b: {file: mha.py}\n  a:\n")
            answers.write_text(text, encoding="utf-8")
            mha = (PROJECT / "submissions" / "01-perfect-plain" / "mha.py").read_text(encoding="utf-8")
            prelude = LOOP if args.hostile_loop else HOG.format(size=(args.hostile_memory or 0) * 10**6)
            (root / "submission" / "mha.py").write_text(prelude + mha, encoding="utf-8")
        (root / "results").mkdir()
        env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
        if args.sandbox:
            env["AUTOGRADER_SANDBOX"] = args.sandbox
        command = ["/usr/bin/time", "-v", str(root / "source" / "run_autograder")]
        peaks = {"rss": 0, "pss": 0, "processes": 0}
        stop = threading.Event()
        began = time.monotonic()
        process = subprocess.Popen(
            command, env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        sampler = threading.Thread(target=sample, args=(process.pid, peaks, stop))
        sampler.start()
        output, _ = process.communicate()
        wall = time.monotonic() - began
        stop.set()
        sampler.join()
        largest = re.search(r"Maximum resident set size \(kbytes\): (\d+)", output)
        cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", output))
        print(output.split("\tCommand being timed")[0].strip())
        print(f"exit status:                  {process.returncode}")
        print(f"wall time:                    {wall:.1f} s")
        print(f"CPU time (user+sys, reaped):  {cpu:.1f} s")
        print(f"peak RSS of one process:      {int(largest[1]) / 1024 if largest else 0:.0f} MB (/usr/bin/time -v)")
        print(f"peak PSS of the whole tree:   {peaks['pss'] / 1024:.0f} MB (sampled every 50 ms)")
        print(f"peak RSS of the whole tree:   {peaks['rss'] / 1024:.0f} MB (shared pages counted per process)")
        print(f"most processes at once:       {peaks['processes']}")
        return process.returncode
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
