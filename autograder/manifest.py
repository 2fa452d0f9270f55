"""``OUT/grading.json``: which submission folders the last grading wrote.

An OUT folder outlives its gradings: rename a submission and grade the folder
again, and the old ``OUT/<old name>/`` is still there with its grades. Reports
built from every folder would count that student twice. So each grading
records the names it files results under, and ``autograder report`` counts
only those; the other folders are *stale*: listed, never deleted (they may be
the only copy of something), never counted or exported.

Grading a folder of submissions replaces the list. Grading one submission
into an existing OUT adds its name to the list, so regrading one student
leaves the others current, unless the list came from another problem set
(then the others are not comparable and the list starts again). An OUT
folder without this file (graded by an older version) counts every folder,
as it always did; a single-submission grading does not create the file
there, for the same reason.

The file is written twice: when the grading starts (``finished`` is null)
and when it ends, so a grading that was killed halfway is reported as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from autograder import safeio

MANIFEST_FILE = "grading.json"
MANIFEST_FORMAT = 1


class ManifestError(Exception):
    """A ``grading.json`` that cannot be read; the message says what to do."""


@dataclass(frozen=True)
class Manifest:
    graded: tuple[str, ...]
    """The OUT folder names of every current submission, sorted."""
    problems: str = ""
    """The problem set's name (its folder) of the last grading."""
    started: str = ""
    """When the last grading started (ISO 8601, UTC)."""
    finished: str | None = None
    """When it ended; None while it runs, or when it was killed."""
    merged: bool = False
    """The last grading was of one submission, added to the list before it."""


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_manifest(out: Path) -> Manifest | None:
    """The manifest in ``out``, or None when there is none (an OUT folder from an older version)."""
    path = out / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {MANIFEST_FORMAT}")
        graded = data["graded"]
        if not isinstance(graded, list) or not all(isinstance(name, str) for name in graded):
            raise ValueError("'graded' is not a list of folder names")
        finished = data.get("finished")
        return Manifest(
            graded=tuple(sorted(graded)),
            problems=str(data.get("problems", "")),
            started=str(data.get("started", "")),
            finished=None if finished is None else str(finished),
            merged=bool(data.get("merged", False)),
        )
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as error:
        raise ManifestError(
            f"{path}: not a grading record ({type(error).__name__}: {error}); "
            "grade the folder again, or delete it to count every folder"
        ) from None


def start_grading(out: Path, names: Iterable[str], *, single: bool, problems: str) -> Manifest | None:
    """Record that a grading of ``names`` starts, merged with the list before it when ``single``.

    Returns what was written, or None when nothing was (one submission into an OUT folder
    without a manifest: every folder keeps counting). An unreadable manifest is replaced
    by a batch grading and left alone by a single one.
    """
    try:
        before = read_manifest(out)
    except ManifestError:
        if single:
            return None
        before = None
    graded = set(names)
    if single:
        if before is None:
            return None
        if before.problems == problems:
            graded |= set(before.graded)
    manifest = Manifest(tuple(sorted(graded)), problems, now(), None, merged=single)
    write_manifest(out, manifest)
    return manifest


def finish_grading(out: Path, manifest: Manifest | None) -> None:
    """Record that the grading ``start_grading`` announced has ended."""
    if manifest is not None:
        write_manifest(out, replace(manifest, finished=now()))


def write_manifest(out: Path, manifest: Manifest) -> Path:
    data = {
        "format": MANIFEST_FORMAT,
        "problems": manifest.problems,
        "started": manifest.started,
        "finished": manifest.finished,
        "merged": manifest.merged,
        "graded": list(manifest.graded),
    }
    return safeio.write_json(out / MANIFEST_FILE, data)
