"""How the write-up grader does on write-ups it was not built from: each file of
tests/fixtures/writeups_unseen/ (blind transcripts of other models, with an expert's
verdicts) graded from the raw file, then compared part by part.

    .venv/bin/python bench/writeups.py [--details] [--set writeups_unseen2]

A part matches when its verdict is the expert's; ``needs_review`` is not a match but not
silent either (an instructor sees it); any other difference is a silent wrong grade.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.cli import main as cli  # noqa: E402

UNSEEN = ROOT / "tests" / "fixtures" / "writeups_unseen"
HW9 = ["--problems", str(ROOT / "problems" / "hw9"), "--reference", str(ROOT / "reference" / "hw9")]


def grade(path: Path, scratch: Path) -> dict[str, str]:
    submission = scratch / path.stem / "submission"
    submission.mkdir(parents=True)
    shutil.copy(path, submission / path.name)
    out = scratch / path.stem / "out"
    cli(["grade", str(submission), *HW9, "--out", str(out)], io.StringIO())
    [folder] = [child for child in out.iterdir() if child.is_dir()]
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    return {test["extra_data"]["id"]: test["extra_data"]["verdict"] for test in data["tests"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--details", action="store_true", help="list every part that does not match")
    parser.add_argument("--set", default=UNSEEN.name, help=f"a folder of tests/fixtures (default {UNSEEN.name})")
    args = parser.parse_args()
    folder = UNSEEN.parent / args.set
    expected = yaml.safe_load((folder / "verdicts.yaml").read_text(encoding="utf-8"))
    total: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name, verdicts in expected.items():
            graded = grade(folder / name, Path(tmp))
            if verdicts == "refused":
                answered = sum(verdict != "unanswered" for verdict in graded.values())
                print(f"{name}: refused as expected" if answered == 0 else f"{name}: {answered} parts GRADED")
                continue
            outcome: Counter[str] = Counter()
            for answer_id, want in verdicts.items():
                got = graded.get(answer_id)
                kind = "match" if got == want["final"] else "review" if got == "needs_review" else "silent"
                outcome[kind] += 1
                if kind != "match" and args.details:
                    print(f"  {kind:6} {name} {answer_id}: graded {got}, expert {want['final']}")
            total.update(outcome)
            parts = sum(outcome.values())
            print(f"{name}: {outcome['match']}/{parts} match, {outcome['review']} review, {outcome['silent']} silent")
    parts = sum(total.values())
    print(
        f"unseen write-ups: {total['match']} of {parts} parts match the expert ({total['match'] / parts:.1%}), "
        f"{total['review']} in review, {total['silent']} graded wrong silently"
    )


if __name__ == "__main__":
    main()
