"""Gradescope: the one place that turns a :class:`SubmissionResult` into
``results.json`` (https://gradescope-autograders.readthedocs.io/en/latest/specs/),
and ``run``, what ``run_autograder`` does on Gradescope.

``run(root)`` grades ``root/submission`` with the specs and reference unpacked
in ``root/source`` (by ``autograder gradescope build``) and writes
``root/results/results.json``. The root is ``/autograder`` on Gradescope and
``$AUTOGRADER_ROOT`` anywhere else, so the whole flow runs in tests.

What students see, and when:

- every part is a test, ``visible`` at once: the feedback is meant to be acted on;
- a part whose spec says ``show_reference: true`` gets a second, score-less test
  "<id>: reference answer" with visibility ``after_published``, so the reference
  appears only once the instructor publishes the grades;
- ``output`` (top level) holds the problems with the upload as a whole (where
  answers.yaml was found, why it could not be read); everything is plain
  ``text``, since answers are full of ``*``, ``_`` and ``^`` that Markdown would eat;
- the grader's own stdout (``stdout_visibility``) is for instructors only.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import stat
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

from autograder import safeio
from autograder.errors import ConfigError
from autograder.locate import walk
from autograder.result import PartResult, SubmissionResult
from autograder.sandbox import shared as shared_sandbox
from autograder.sandbox.isolation import UID_BASE
from autograder.session import Grading, load_key

#: Gradescope shows "passed" in green and "failed" in red; partial and
#: provisional grades are failed tests with a score, and the output says why.
STATUS = {"correct": "passed"}

ROOT_ENV = "AUTOGRADER_ROOT"
DEFAULT_ROOT = Path("/autograder")
CONFIG_FILE = "autograder.json"
"""Written into the zip by the builder: where the specs and the reference are, relative to source/."""
RESULTS_FILE = "results.json"
SANDBOX_UID = UID_BASE
"""A uid of the block the sandbox's runs switch to when the grader is root: the probe of
``protected`` checks what such a run could still reach (Landlock, where the kernel has it,
keeps runs from these folders as well)."""
SANDBOX_MEMORY_BYTES = 896 * 1024 * 1024
"""Address space of one student run here (``Limits`` allows 1.5 GiB). Gradescope gives the whole
container 768 MB: the warm zygote maps ~585 MiB (~220 MB resident), so student code may touch
about 300 MB more and the grader, zygote and child stay under the limit together."""

NOT_PROTECTED = (
    "The autograder could not protect its reference files from submitted code, so it did not grade. "
    "This is not your mistake: an instructor has been told and will grade your submission."
)
INTERNAL_ERROR = (
    "The autograder failed (an internal error, not your mistake); an instructor will grade your submission by hand."
)


# --- results.json ----------------------------------------------------------


def write_results(
    result: SubmissionResult | None,
    folder: Path,
    *,
    reveal: Mapping[str, str] | None = None,
    failure: str = "",
    execution_time: float | None = None,
) -> Path:
    """The one writer of ``folder/results.json``, for local grading and Gradescope alike:
    ``result`` (with ``reveal``, see :func:`to_gradescope`), or, when there is no result,
    a valid file with score 0 saying ``failure``."""
    data = to_gradescope(result, reveal=reveal) if result is not None else failure_results(failure)
    if execution_time is not None:
        data["execution_time"] = max(1, round(execution_time))
    return safeio.write_json(safeio.ensure_folder(folder) / RESULTS_FILE, data)


def to_gradescope(result: SubmissionResult, *, reveal: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``results.json`` for one submission.

    ``reveal``: answer id → reference answer text, for the parts whose spec says
    ``show_reference: true``; each becomes a test visible only after publication.
    """
    tests: list[dict[str, Any]] = []
    for part in result.parts:
        tests.append(_test(part))
        if reveal and part.id in reveal:
            tests.append(_reference_test(part, reveal[part.id]))
    data: dict[str, Any] = {
        "score": round(result.score, 4),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if result.messages:
        data["output"] = "\n".join(result.messages)
    if result.isolation:
        data["extra_data"] = {"isolation": result.isolation}
    return data


def _test(part: PartResult) -> dict[str, Any]:
    output = part.feedback
    if part.answer_raw is not None:
        read = part.answer_as_read if part.answer_as_read is not None else "(could not be read)"
        if "\n" in part.answer_raw.strip():  # code: echoing it flattened helps nobody
            output = f"Your answer was read as: {read}\n{output}"
        else:
            output = f"Your answer: {_one_line(part.answer_raw)}\nRead as: {read}\n{output}"
    if part.source:
        output = f"{_provenance(part)}\n{output}"
    extra: dict[str, Any] = {}
    if part.source or part.attempts:
        extra = {"source": part.source, "attempts": part.attempts, "first_verdict": part.first_verdict}
    return {
        "name": f"{part.id}: {part.title}",
        "score": part.score,
        "max_score": part.max_score,
        "status": STATUS.get(part.verdict, "failed"),
        "output": output,
        "visibility": "visible" if part.visible else "after_published",
        "extra_data": {
            "id": part.id,
            "verdict": part.verdict,
            "answer_as_read": part.answer_as_read,
            "note": part.note,
            **extra,
        },
    }


def _provenance(part: PartResult) -> str:
    """Where a write-up's answer was found, the lines quoted, and the first attempt when it differs."""
    lines = [f"Found in your write-up: {part.source}"]
    if part.quote:
        lines.extend(f"  | {line}" for line in part.quote.splitlines())
    if part.first_answer is not None:
        verdict = f" ({part.first_verdict}; the last attempt counts)" if part.first_verdict else ""
        lines.append(f"First attempt{verdict}: {_one_line(part.first_answer)}")
    return "\n".join(lines)


def _reference_test(part: PartResult, reference: str) -> dict[str, Any]:
    """No score, no status: it only carries the reference, shown once grades are published."""
    return {
        "name": f"{part.id}: reference answer",
        "output": f"Reference answer:\n{reference.strip()}",
        "visibility": "after_published",
        "extra_data": {"id": part.id, "reference": True},
    }


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + " …"


def failure_results(message: str) -> dict[str, Any]:
    """A valid results.json when nothing could be graded: score 0 and why."""
    return {
        "score": 0.0,
        "output": message,
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


# --- run_autograder --------------------------------------------------------


def default_root() -> Path:
    return Path(os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def run(root: Path, *, log: TextIO | None = None) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; 0 when graded, 1 when the grader failed.

    A valid results.json is written whatever happens. While anything runs,
    ``source/`` and ``results/`` are root-only (0700), so student code, which the
    sandbox runs as a uid of its own, can neither read the reference nor forge results;
    results are written after the sandbox has stopped.
    """
    log = log or sys.stdout
    started = time.monotonic()
    source, results = root / "source", root / "results"
    results.mkdir(parents=True, exist_ok=True)
    code = 0
    try:
        with protected(source, results) as exposed:
            if exposed:
                print("refusing to grade: " + "; ".join(exposed), file=log)
                graded: tuple[SubmissionResult | None, Mapping[str, str], str] = (None, {}, NOT_PROTECTED)
                code = 1
            else:
                with _sandbox_memory(SANDBOX_MEMORY_BYTES):
                    graded, code = _grade(root, log)
            result, reveal, failure = graded
            written = write_results(
                result, results, reveal=reveal, failure=failure, execution_time=time.monotonic() - started
            )
    except Exception:
        traceback.print_exc(file=log)
        write_results(None, results, failure=INTERNAL_ERROR)
        return 1
    score = result.score if result is not None else 0.0
    print(f"results: {written} (score {score:g}, {time.monotonic() - started:.1f} s)", file=log)
    return code


def _grade(root: Path, log: TextIO) -> tuple[tuple[SubmissionResult | None, Mapping[str, str], str], int]:
    """(the result, the reference texts it may reveal, a failure message when there is no result), exit code."""
    try:
        config = read_config(root / "source")
        key = load_key(problems=config["problems"], reference=config["reference"])
    except (ConfigError, OSError, ValueError, KeyError) as error:
        print(f"the autograder is misconfigured: {error}", file=log)
        return (None, {}, INTERNAL_ERROR), 1
    submission = root / "submission"
    result = Grading(key).grade_folder(submission)  # finds the answers however the upload was packed
    notes = "".join(f"\n  {safeio.for_terminal(message)}" for message in result.messages)
    print(f"graded {submission}{notes}", file=log)
    return (result, key.revealed, ""), 0


def read_config(source: Path) -> dict[str, Path]:
    """``source/autograder.json`` → absolute paths of the specs and the reference."""
    raw = json.loads((source / CONFIG_FILE).read_text(encoding="utf-8"))
    return {name: source / str(raw[name]) for name in ("problems", "reference")}


@contextlib.contextmanager
def _sandbox_memory(limit: int) -> Iterator[None]:
    """Student runs get at most ``limit`` bytes of address space; afterwards the sandbox (and so
    every student process) is stopped, before results are written, and its limits restored."""
    sandbox = shared_sandbox()
    saved = sandbox.limits
    sandbox.limits = dataclasses.replace(saved, memory_bytes=min(saved.memory_bytes, limit))
    try:
        yield
    finally:
        sandbox.close()
        sandbox.limits = saved


# --- keeping student code away from the grader's files ---------------------


@contextlib.contextmanager
def protected(source: Path, results: Path, *, uid: int = SANDBOX_UID) -> Iterator[list[str]]:
    """While grading, make ``source`` and ``results`` root-only (0700), then restore them.

    Yields what ``uid`` could still do (read a file under source, write under
    results), checked by a forked probe that switches to ``uid``: empty when the
    files are safe. Without root the sandbox cannot switch users either, and
    nothing is changed.
    """
    if os.geteuid() != 0:
        yield []
        return
    saved = []
    for folder in (source, results):
        info = folder.stat()
        saved.append((folder, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid))
        os.chown(folder, 0, 0)
        os.chmod(folder, 0o700)
    try:
        # The reference is what matters most; any file of source/ stands for the rest.
        samples = list(itertools.islice(walk(source / "reference"), 20))
        samples += list(itertools.islice(walk(source), 1))
        yield probe(uid, read=samples, write=[results])
    finally:
        for folder, mode, owner, group in saved:
            os.chown(folder, owner, group)
            os.chmod(folder, mode)


def probe(uid: int, *, read: list[Path], write: list[Path]) -> list[str]:
    """What ``uid`` can do of: read these files, create a file in these folders (run in a forked child)."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child process
        found: list[str] = []
        try:
            os.close(reader)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            for path in read:
                with contextlib.suppress(OSError), open(path, "rb") as handle:
                    handle.read(1)
                    found.append(f"uid {uid} can read {path}")
            for folder in write:
                with contextlib.suppress(OSError):
                    descriptor, name = tempfile.mkstemp(dir=folder, prefix=".probe-")
                    os.close(descriptor)
                    os.unlink(name)
                    found.append(f"uid {uid} can write in {folder}")
            os.write(writer, json.dumps(found).encode())
        except BaseException as error:
            os.write(writer, json.dumps([f"the permission probe failed: {error}"]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as answer:
        raw = answer.read()
    os.waitpid(pid, 0)
    try:
        decoded = json.loads(raw)
    except ValueError:
        return ["the permission probe gave no answer"]
    return [str(item) for item in decoded]
