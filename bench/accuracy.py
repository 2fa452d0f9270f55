"""Accuracy benchmark: how often the graders agree with a human instructor.

``bench/accuracy/cases.py`` holds 759 answers written the way students and
language models write them (every notation the contract allows, prose around
answers, typical and unanticipated mistakes), each with the verdict an
instructor expects. It was written by a red team before the fixes it
prompted, so the agreement measured here is partly in-sample; new cases belong
in it too.

    .venv/bin/python bench/accuracy.py [PART_PREFIX] [-v]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench" / "accuracy")]

from cases import CASES  # noqa: E402

from autograder.api import load_key  # noqa: E402
from autograder.grading import grade_part  # noqa: E402
from autograder.submission import Answer  # noqa: E402


def main() -> None:
    only = next((arg for arg in sys.argv[1:] if arg != "-v"), None)
    verbose = "-v" in sys.argv
    key = load_key(problems=ROOT / "problems" / "hw9", reference=ROOT / "reference" / "hw9")
    disagreements = graded = 0
    slow = []
    for case_id, part_id, answer, expected in CASES:
        if only and not part_id.startswith(only):
            continue
        start = time.perf_counter()
        result = grade_part(key.problems.part(part_id), Answer(answer), key.readings.get(part_id))
        elapsed = time.perf_counter() - start
        graded += 1
        if elapsed > 0.5:
            slow.append((case_id, elapsed))
        agrees = result.verdict in expected.split("|")
        disagreements += not agrees
        if verbose or not agrees:
            mark = "ok " if agrees else "MIS"
            print(f"{mark} {case_id:12} expected {expected:12} got {result.verdict}: {answer!r}")
    print(f"agreement: {graded - disagreements} of {graded} ({100 * (graded - disagreements) / max(graded, 1):.1f}%)")
    for case_id, elapsed in slow:
        print(f"slow: {case_id} {elapsed:.2f} s")


if __name__ == "__main__":
    main()
