"""Benchmark: batch grading of generated submissions whose answers repeat as a
real class's do, plus the cold time of grading one submission from a new process.

    .venv/bin/python bench/bench_grade.py [--submissions 1000] [--jobs 2]

Answers are drawn from the example submissions in submissions/ and, for the free-text
parts, a TA's blind answers in tests/fixtures/freetext/ (right, wrong,
unreadable, unanswered), so the mix is realistic; the seed is fixed. It also prints
the review load: parts in review, the answer groups they form (what an instructor
looks at) and their distinct readings.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import api  # noqa: E402
from autograder.groups import review_load  # noqa: E402
from autograder.submission import load_submission  # noqa: E402

FREE_TEXT = ROOT / "tests" / "fixtures" / "freetext" / "answers.yaml"
"""A TA's blind free-text answers (right, wrong, self-contradicting); its HW9 parts join the pool,
so the review queue holds as many distinct free-text answers as a real class writes."""
HW9_FREE_TEXT = ("q2.b", "q6.a")


def answer_pool() -> dict[str, list[str]]:
    pool: dict[str, list[str]] = {}
    for folder in sorted((ROOT / "submissions").iterdir()):
        for answer_id, answer in load_submission(folder).answers.items():
            pool.setdefault(answer_id, []).append(answer.text)
    written = yaml.safe_load(FREE_TEXT.read_text(encoding="utf-8"))
    for answer_id in HW9_FREE_TEXT:
        pool.setdefault(answer_id, []).extend(str(row["answer"]) for row in written[answer_id])
    return pool


def nest(flat: dict[str, str]) -> dict[str, object]:
    tree: dict[str, object] = {}
    for answer_id, text in flat.items():
        node = tree
        *parents, leaf = answer_id.split(".")
        for key in parents:
            node = node.setdefault(key, {})  # type: ignore[assignment]
        node[leaf] = text  # type: ignore[index]
    return tree


def generate(target: Path, count: int, seed: int = 9) -> None:
    rng = random.Random(seed)
    pool = answer_pool()
    for index in range(count):
        folder = target / f"s{index:04d}"
        folder.mkdir(parents=True)
        flat = {answer_id: rng.choice(texts) for answer_id, texts in pool.items() if rng.random() > 0.05}
        (folder / "answers.yaml").write_text(yaml.safe_dump(nest(flat), allow_unicode=True), encoding="utf-8")
        shutil.copy(ROOT / "reference" / "hw9" / "mha.py", folder / "mha.py")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "subs", args.submissions)

        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "autograder",
                "grade",
                str(root / "subs" / "s0000"),
                "--problems",
                str(ROOT / "problems" / "hw9"),
                "--out",
                str(root / "cold"),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        cold = time.perf_counter() - start

        start = time.perf_counter()
        results = api.grade(
            root / "subs",
            problems=ROOT / "problems" / "hw9",
            reference=ROOT / "reference" / "hw9",
            out=root / "out",
            jobs=args.jobs,
        )
        batch = time.perf_counter() - start
    parts = sum(len(result.parts) for result in results)
    print(f"submissions: {len(results)}  jobs: {args.jobs}")
    print(
        f"batch: {batch:.1f} s  ->  {len(results) / batch:.1f} submissions/s, "
        f"{1000 * batch * args.jobs / parts:.2f} ms per part per worker"
    )
    print(f"cold, one submission in a new process (imports, specs, reference, grading): {cold:.2f} s")
    print(f"review: {review_load((result.submission, part) for result in results for part in result.parts)}")


if __name__ == "__main__":
    main()
