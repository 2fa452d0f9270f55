"""``autograder grade | check | validate``: a thin layer over :mod:`autograder.api`.

Only this module prints and chooses exit codes: 0 when the job ran (whatever
the scores), 1 when the grader is misconfigured, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO, cast

from autograder import api, gradescope, gradescope_build, render, safeio
from autograder.launch import ALLOW_UNCONFINED_FLAG, allow_unconfined_code
from autograder.result import VERDICTS, SubmissionResult

EXIT_OK, EXIT_CONFIG, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description="Grade HW answers by meaning, not spelling.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grade = commands.add_parser("grade", help="grade one submission folder or a folder of them")
    grade.add_argument(
        "path",
        type=Path,
        nargs="?",
        default=Path("submissions"),
        help="a submission folder (holding answers.yaml) or a folder of them (default: submissions)",
    )
    _add_problems(grade)
    _add_reference(grade)
    grade.add_argument(
        "--out",
        type=Path,
        default=api.DEFAULT_OUT,
        help=f"where OUT/<submission>/results.json go (default: {api.DEFAULT_OUT})",
    )
    grade.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="submissions graded in parallel (default: 2 or the number of CPUs, if fewer)",
    )
    _add_show_solutions(grade)
    _add_allow_unconfined(grade)

    check = commands.add_parser("check", help="show how each answer of a submission is read (no grading)")
    check.add_argument("submission", type=Path, help="a submission folder holding answers.yaml")
    _add_problems(check)

    validate = commands.add_parser("validate", help="check the specs, the reference and the specs' sample answers")
    validate.add_argument("problems", type=Path, help="folder of question specs (*.yaml), e.g. problems/<set>")
    _add_reference(validate)
    report = commands.add_parser(
        "report",
        help="rebuild feedback, report.html and grades.csv from a graded OUT folder (applies overrides.yaml)",
    )
    report.add_argument(
        "out_dir",
        type=Path,
        nargs="?",
        default=api.DEFAULT_OUT,
        help=f"the --out folder of 'autograder grade' (default: {api.DEFAULT_OUT})",
    )
    report.add_argument(
        "--overrides",
        type=Path,
        default=None,
        help="instructor grades to apply (default: OUT_DIR/overrides.yaml, if it exists)",
    )
    report.add_argument(
        "--compare",
        type=Path,
        metavar="OLD_OUT_DIR",
        default=None,
        help="list every grade that changed since this earlier grading (also written to OUT_DIR/changes.html)",
    )
    _add_show_solutions(report)
    _add_gradescope(commands)
    return parser


def _add_show_solutions(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--show-solutions",
        action="store_true",
        help="show every part's reference answer in the feedback (default: only parts whose spec says show_reference)",
    )


def _add_allow_unconfined(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        ALLOW_UNCONFINED_FLAG,
        action="store_true",
        help="run student code even where no isolation keeps it from your own files and rights "
        "(by default such code parts go to review): only for code you trust",
    )


def _add_problems(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--problems",
        type=Path,
        required=True,
        help="folder of the homework's question specs (*.yaml), e.g. problems/<set>",
    )


def _add_reference(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference answers folder (default: the one the problem set's set.yaml names)",
    )


class _TerminalSafe(io.TextIOBase):
    """Writes to ``stream`` with control characters and unencodable text escaped: names and
    answers are student text, and an ESC sequence in a folder name could rewrite the terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(safeio.for_terminal(text))

    def flush(self) -> None:
        self._stream.flush()


def _error(message: str) -> None:
    print(safeio.for_terminal(f"error: {message}"), file=sys.stderr)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    stdout = cast(TextIO, _TerminalSafe(out or sys.stdout))  # a TextIOBase, used only through write()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    try:
        if args.command == "grade":
            return _grade(args, stdout)
        if args.command == "check":
            return _check(args, stdout)
        if args.command == "report":
            return _report(args, stdout)
        if args.command == "gradescope":
            return _gradescope(args, stdout)
        return _validate(args, stdout)
    except api.ConfigError as error:
        _error(str(error))
        return EXIT_CONFIG


def _grade(args: argparse.Namespace, stdout: TextIO) -> int:
    if args.jobs < 1:
        _error("--jobs must be at least 1")
        return EXIT_USAGE
    if not args.path.is_dir():
        _error(f"{args.path} is not a folder; give a submission folder or a folder of them")
        return EXIT_USAGE
    if args.allow_unconfined_code:
        allow_unconfined_code()  # before grading: the workers fork and inherit it
    shown = list(VERDICTS)
    labels = {"needs_review": "review"}
    header = f"{'submission':<28} {'score':>11}  " + " ".join(f"{labels.get(v, v):>10}" for v in shown)
    print(header, file=stdout)
    print("-" * len(header), file=stdout)

    def row(result: SubmissionResult) -> None:
        counts = Counter(part.verdict for part in result.parts)
        score = f"{result.score:g}/{result.max_score:g}"
        print(
            f"{safeio.for_terminal(result.submission)[:28]:<28} {score:>11}  "
            + " ".join(f"{counts[v]:>10}" for v in shown),
            file=stdout,
        )
        for message in result.messages:
            if message.startswith(api.GRADER_FAILED):
                print(f"  ! {message}", file=stdout)

    results = api.grade_with_feedback(
        args.path,
        problems=args.problems,
        reference=args.reference,
        out=args.out,
        jobs=args.jobs,
        on_result=row,
        show_solutions=args.show_solutions,
    )
    print(f"\nGraded {len(results)} submission(s); results in {args.out}/<submission>/results.json", file=stdout)
    print(f"Feedback in {args.out}/<submission>/feedback.html and feedback.md", file=stdout)
    isolation = "; ".join(dict.fromkeys(result.isolation for result in results if result.isolation))
    print(f"Student code isolation: {isolation or 'not recorded'}", file=stdout)
    return EXIT_OK


def _report(args: argparse.Namespace, stdout: TextIO) -> int:
    for folder in (args.out_dir, args.compare):
        if folder is not None and not folder.is_dir():
            _error(f"{folder} is not a folder; give the --out folder of 'autograder grade'")
            return EXIT_USAGE
    if args.overrides is not None and not args.overrides.is_file():
        _error(f"{args.overrides}: no such overrides file")
        return EXIT_USAGE
    built = api.report(args.out_dir, overrides=args.overrides, compare=args.compare, show_solutions=args.show_solutions)
    summary = built.report
    print(
        f"{summary.count} submission(s): mean {summary.mean:.2f}, median {summary.median:g} of {summary.max_score:g}; "
        f"{len(summary.review)} part(s) waiting for review, {len(summary.overridden)} overridden",
        file=stdout,
    )
    if built.changes is not None:
        print(f"\nChanges since {args.compare}:\n", file=stdout)
        print(render.changes_table(built.changes), file=stdout)
        print("", file=stdout)
    for path in built.written:
        if path.parent == args.out_dir:
            print(f"wrote {path}", file=stdout)
    print(f"wrote {args.out_dir}/<submission>/feedback.html and feedback.md", file=stdout)
    return EXIT_OK


def _check(args: argparse.Namespace, stdout: TextIO) -> int:
    if not args.submission.is_dir():
        _error(f"{args.submission} is not a folder")
        return EXIT_USAGE
    submission, reads = api.check(args.submission, problems=args.problems)
    print(f"How {submission.name}'s answers were read (nothing is graded here):\n", file=stdout)
    unreadable = 0
    for answer_id, read in reads:
        if read is None:
            print(f"{answer_id:<12} not answered", file=stdout)
        elif read.problem is not None:
            unreadable += 1
            text = read.problem.replace("\n", "\n" + " " * 13)
            print(f"{answer_id:<12} COULD NOT BE READ: {text}", file=stdout)
        else:
            print(f"{answer_id:<12} read as: {read.as_read}", file=stdout)
    for message in submission.messages:
        print(f"\nnote: {message}", file=stdout)
    known = {answer_id for answer_id, _ in reads}
    for answer_id in submission.answers:
        if answer_id not in known:
            print(f"\nwarning: '{answer_id}' is not an answer id of this homework", file=stdout)
    if not submission.answers and submission.messages:
        verdict = "No answer could be read: fix the problem in the note above first."
    elif unreadable:
        verdict = "Fix the answers marked COULD NOT BE READ before you submit."
    else:
        verdict = "Every answer could be read."
    print(f"\n{verdict}", file=stdout)
    return EXIT_OK


def _validate(args: argparse.Namespace, stdout: TextIO) -> int:
    problems_found = api.validate(problems=args.problems, reference=args.reference)
    for problem in problems_found:
        print(problem, file=stdout)
    if problems_found:
        print(f"\n{len(problems_found)} problem(s) found in {args.problems} and its reference.", file=stdout)
        return EXIT_CONFIG
    print(f"{args.problems}: specs, reference and sample answers are consistent.", file=stdout)
    return EXIT_OK


def _add_gradescope(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    gradescope = commands.add_parser("gradescope", help="build the Gradescope autograder zip, or run it")
    actions = gradescope.add_subparsers(dest="gradescope_command", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write autograder.zip for Gradescope")
    _add_problems(build)
    _add_reference(build)
    build.add_argument("-o", "--output", type=Path, default=Path("autograder.zip"), help="the zip to write")
    run = actions.add_parser(
        "run",
        help="what run_autograder does: grade $AUTOGRADER_ROOT/submission (default root /autograder)",
    )
    _add_allow_unconfined(run)


def _gradescope(args: argparse.Namespace, stdout: TextIO) -> int:
    if args.gradescope_command == "run":
        if args.allow_unconfined_code:
            allow_unconfined_code()
        return gradescope.run(gradescope.default_root(), log=stdout)
    zip_path = gradescope_build.build(args.output, problems=args.problems, reference=args.reference)
    print(f"wrote {zip_path}: upload it as the assignment's autograder (README: Gradescope)", file=stdout)
    return EXIT_OK
