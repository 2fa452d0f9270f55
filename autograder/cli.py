"""``autograder grade | check | validate``: a thin layer over :mod:`autograder.api`.

Only this module prints and chooses exit codes: 0 when the job ran (whatever
the scores), 1 when the grader is misconfigured, 2 for a usage error (an
unknown option or command gets the closest known one suggested).

``check`` is what students run, so its exit code answers their question:
0 when every answer given was read, 1 when an answer could not be read (an id
given twice with different answers included), was ignored (an id the homework
does not have) or none could be read at all (no answers.yaml, not a mapping),
2 for a usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO, cast

from rich.console import Console

import autograder
from autograder import api, gradescope, gradescope_build, progress, render, safeio, student
from autograder.launch import ALLOW_UNCONFINED_FLAG, allow_unconfined_code
from autograder.render.gradebook import CANVAS_FILE, GRADES_FILE, GRADESCOPE_SCORES_FILE
from autograder.spec import closest
from autograder.submission import ANSWERS_FILE, Submission
from autograder.writeup import command as extract_command
from autograder.writeup.graded import bounded_quote, source_text

EXIT_OK, EXIT_CONFIG, EXIT_USAGE = 0, 1, 2
EXIT_NOT_READ = 1
"""``check``: something could not be read or was ignored."""
ANSWERS_FILES = (ANSWERS_FILE, "answers.yml")
UPLOAD_SUFFIXES = (".zip", ".yaml", ".yml", ".md", ".markdown", ".tex", ".ipynb", ".txt", ".pdf")
"""Files ``check`` passes on as a whole upload (the answer finder reads them as ``grade`` does,
a write-up included: ``autograder.locate.WRITEUP_SUFFIXES``)."""
CHECK_EPILOG = (
    "exit status: 0 when every answer given was read; 1 when an answer could not be read or was ignored, "
    "or no answer could be read at all; 2 for a usage error"
)


def package_version() -> str:
    """The installed distribution's version; the source tree's when it is not installed."""
    try:
        return importlib.metadata.version("attention-autograder")
    except importlib.metadata.PackageNotFoundError:
        return autograder.__version__


class _Parser(argparse.ArgumentParser):
    """argparse, with "did you mean" for a mistyped option or command (Python 3.11's argparse
    suggests nothing, and a mistyped required option is reported as a missing one)."""

    def parse_known_args(  # type: ignore[override]  # the same call, remembering its arguments
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(self._given, namespace)

    def error(self, message: str) -> NoReturn:
        found = _unknown_word(self, getattr(self, "_given", []))
        parser, said = found if found is not None else (self, message)
        parser.print_usage(sys.stderr)
        parser.exit(EXIT_USAGE, safeio.for_terminal(f"{parser.prog}: error: {said}\n"))


def _unknown_word(parser: argparse.ArgumentParser, given: Sequence[str]) -> tuple[argparse.ArgumentParser, str] | None:
    """The first option or command in ``given`` that ``parser`` (or the command it leads to)
    does not know, said with the closest known one, and the parser it was given to; None
    when every word is known."""
    options = list(parser._option_string_actions)
    commands = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    for index, word in enumerate(given):
        if word == "--":
            return None
        if word.startswith("-") and len(word) > 1 and not parser._negative_number_matcher.match(word):
            name = word.split("=", 1)[0]
            known = name in options or (name.startswith("--") and any(o.startswith(name) for o in options))
            if not known:
                close = closest(name, [o for o in options if o.startswith("--")])
                return parser, f"unknown option {name}" + (f" (did you mean {close}?)" if close else "")
        elif commands is not None:
            choices = cast(dict[str, argparse.ArgumentParser], commands.choices)
            if word in choices:
                return _unknown_word(choices[word], given[index + 1 :])
            close = closest(word, list(choices))
            listed = ", ".join(choices)
            said = f"unknown command '{word}'" + (f" (did you mean '{close}'?)" if close else f" (one of: {listed})")
            return parser, said
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="autograder", description="Grade HW answers by meaning, not spelling.")
    parser.add_argument("--version", action="version", version=f"autograder {package_version()}")
    commands = cast(  # each command's parser is a _Parser too (argparse makes them of the parser's class)
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", required=True, metavar="COMMAND"),
    )

    grade = commands.add_parser("grade", help="grade one submission folder or a folder of them")
    grade.add_argument(
        "path",
        type=Path,
        nargs="?",
        default=Path("submissions"),
        help="a submission folder (holding answers.yaml or one write-up) or a folder of them (default: submissions)",
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

    check = commands.add_parser(
        "check", help="show how each answer of a submission is read (no grading)", epilog=CHECK_EPILOG
    )
    check.add_argument(
        "submission",
        type=Path,
        help="a submission folder (answers.yaml or one write-up: .md, .tex, .ipynb, .txt), or that file itself",
    )
    _add_problems(check)

    validate = commands.add_parser("validate", help="check the specs, the reference and the specs' sample answers")
    validate.add_argument("problems", type=Path, help="folder of question specs (*.yaml), e.g. problems/<set>")
    _add_reference(validate)
    report = commands.add_parser(
        "report",
        help="rebuild feedback, report.html, grades.csv (and with a roster the Gradescope and Canvas files) "
        "from a graded OUT folder (applies overrides.yaml)",
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
    report.add_argument(
        "--roster",
        type=Path,
        default=None,
        help="CSV or YAML mapping each submission folder to a student (folder, name, email, sid, section); "
        "adds them to grades.csv and writes gradescope_scores.csv and canvas_grades.csv "
        "(default: OUT_DIR/roster.csv or roster.yaml, if there is one)",
    )
    report.add_argument(
        "--bom",
        action="store_true",
        help="start every CSV with a UTF-8 byte-order mark, so Excel shows accented names (Doé) right",
    )
    report.add_argument(
        "--assignment",
        metavar="NAME",
        default=None,
        help="the assignment's name in the Canvas file (default: the problem set's folder name)",
    )
    report.add_argument(
        "--canvas-assignment-id",
        metavar="ID",
        default="",
        help="Canvas's ID of the assignment (the number in its URL), so the import updates it "
        "instead of creating a new assignment",
    )
    _add_show_solutions(report)
    _add_gradescope(commands)
    student.add_parser(commands)
    extract_command.add_parser(commands)
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
        self.stream = stream
        """Where the text goes, for a progress bar that draws its own (escaped) text."""

    def isatty(self) -> bool:
        isatty = getattr(self._stream, "isatty", None)
        return bool(isatty()) if callable(isatty) else False

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
        with contextlib.redirect_stdout(stdout):  # --help and --version print to sys.stdout
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
        if args.command == "bundle":
            return student.run(args, stdout)
        if args.command == "extract":
            return extract_command.run(args, stdout)
        return _validate(args, stdout)
    except api.ConfigError as error:
        _error(str(error))
        return EXIT_CONFIG


def _grade(args: argparse.Namespace, stdout: TextIO) -> int:
    if args.jobs < 1:
        _error("--jobs must be at least 1")
        return EXIT_USAGE
    try:
        uploads = api.find_submissions(args.path)  # before anything loads: a wrong path is a usage error
    except api.ConfigError as error:
        _error(f"{error}; give a submission folder or a folder of them")
        return EXIT_USAGE
    if args.allow_unconfined_code:
        allow_unconfined_code()  # before grading: the workers fork and inherit it
    key = api.load_key(problems=args.problems, reference=args.reference)  # a bad spec fails before the table
    names = api.output_names(uploads)  # to size the name column and the bar
    with progress.BatchView(stdout, names, console=_terminal_console(stdout)) as view:
        results = api.grade_with_feedback(
            args.path,
            key=key,
            out=args.out,
            jobs=args.jobs,
            on_result=view.add,
            show_solutions=args.show_solutions,
        )
    print("", file=stdout)
    for line in progress.summary(results):
        print(line, file=stdout)
    isolation = "; ".join(dict.fromkeys(result.isolation for result in results if result.isolation))
    print(f"Results in {args.out}/<submission>/results.json", file=stdout)
    print(f"Feedback in {args.out}/<submission>/feedback.html and feedback.md", file=stdout)
    print(f"Next: autograder report {args.out} (report.html with the review groups, grades.csv)", file=stdout)
    print(f"Student code isolation: {isolation or 'not recorded'}", file=stdout)
    return EXIT_OK


def _terminal_console(stdout: TextIO) -> Console | None:
    """A console for the progress bar when the output is a terminal; None for a file or a pipe."""
    if isinstance(stdout, _TerminalSafe) and stdout.isatty():
        return progress.terminal_console(stdout.stream)
    return None


def _report(args: argparse.Namespace, stdout: TextIO) -> int:
    for folder in (args.out_dir, args.compare):
        if folder is not None and not folder.is_dir():
            _error(f"{folder} is not a folder; give the --out folder of 'autograder grade'")
            return EXIT_USAGE
    if args.overrides is not None and not args.overrides.is_file():
        _error(f"{args.overrides}: no such overrides file")
        return EXIT_USAGE
    if args.roster is not None and not args.roster.is_file():
        _error(f"{args.roster}: no such roster file")
        return EXIT_USAGE
    if args.canvas_assignment_id and not args.canvas_assignment_id.isdigit():
        _error(f"--canvas-assignment-id {args.canvas_assignment_id!r}: Canvas's assignment IDs are digits")
        return EXIT_USAGE
    built = api.report(
        args.out_dir,
        overrides=args.overrides,
        compare=args.compare,
        show_solutions=args.show_solutions,
        roster=args.roster,
        bom=args.bom,
        assignment=args.assignment,
        canvas_assignment_id=args.canvas_assignment_id,
    )
    summary = built.report
    print(
        f"{summary.count} submission(s): mean {summary.mean:.2f}, median {summary.median:g} of {summary.max_score:g}; "
        f"{len(summary.review)} part(s) waiting for review, {len(summary.overridden)} overridden",
        file=stdout,
    )
    if summary.review_load.parts:  # what the instructor looks at: each group once (overrides.yaml `groups:`)
        load = summary.review_load
        print(f"Review: {load.parts} part(s) in review → {load.groups} answer group(s) to look at", file=stdout)
    _print_out_state(built, stdout)
    if built.changes is not None:
        print(f"\nChanges since {args.compare}:\n", file=stdout)
        print(render.changes_table(built.changes), file=stdout)
        print("", file=stdout)
    for path in built.written:
        if path.parent == args.out_dir and path not in {export.path for export in built.exports}:
            print(f"wrote {path}", file=stdout)
    for export in built.exports:
        unlisted = f"; {len(export.unlisted)} not in the roster left out" if export.unlisted else ""
        unmatched = f"; {len(export.unmatched)} left out:" if export.unmatched else ""
        print(f"wrote {export.path} ({export.rows} row(s){unlisted}{unmatched})", file=stdout)
        for line in export.unmatched:
            print(f"  - {line}", file=stdout)
    if not any(export.path.name != GRADES_FILE for export in built.exports):
        print(
            "  (no roster: grades.csv is keyed by folder only; give --roster FILE or put roster.csv in "
            f"{args.out_dir} for gradescope_scores.csv and canvas_grades.csv)",
            file=stdout,
        )
        for name in (GRADESCOPE_SCORES_FILE, CANVAS_FILE):
            if (args.out_dir / name).is_file():
                print(f"  ! {args.out_dir / name} is from an earlier report and was not updated", file=stdout)
    print(f"wrote {args.out_dir}/<submission>/feedback.html and feedback.md", file=stdout)
    return EXIT_OK


def _print_out_state(built: render.Reports, stdout: TextIO) -> None:
    """What was left out of the counts (stale folders) and the roster's warnings: never silent."""
    last = built.manifest
    if last is not None and last.finished is None:
        print(
            f"! the last grading (started {last.started}) did not finish; some folders may hold older grades",
            file=stdout,
        )
    if built.stale:
        print(
            f"{len(built.stale)} stale folder(s), not written by the last grading"
            f"{f' ({last.started}, {last.problems})' if last is not None else ''}: "
            "left out of counts and exports, kept on disk:",
            file=stdout,
        )
        for name in built.stale:
            print(f"  - {name}", file=stdout)
    for name in built.missing:
        print(f"! {name}: listed by the last grading but it has no grades", file=stdout)
    if built.roster_warnings:
        print(f"{len(built.roster_warnings)} roster warning(s):", file=stdout)
        for line in built.roster_warnings:
            print(f"  - {line}", file=stdout)


def _check(args: argparse.Namespace, stdout: TextIO) -> int:
    folder = _check_folder(args.submission)
    if folder is None:
        return EXIT_USAGE
    submission, reads = api.check(folder, problems=args.problems)
    print(f"How {submission.name}'s answers were read (nothing is graded here):\n", file=stdout)
    width = max((len(answer_id) for answer_id, _ in reads), default=0) + 1
    unreadable = answered = unsettled = 0
    for answer_id, read in reads:
        unsettled += _print_extracted(submission, answer_id, width, stdout)
        if read is None:
            if submission.extraction is None:
                print(f"{answer_id:<{width}} not answered", file=stdout)
            continue
        answered += 1
        label = "" if submission.attempt(answer_id) is not None else answer_id  # a write-up's id is said above
        if read.problem is not None:
            unreadable += 1
            text = read.problem.replace("\n", "\n" + " " * (width + 1))
            print(f"{label:<{width}} COULD NOT BE READ: {text}", file=stdout)
        else:
            print(f"{label:<{width}} read as: {read.as_read}", file=stdout)
    for message in submission.messages:
        print(f"\nnote: {message}", file=stdout)
    known = [answer_id for answer_id, _ in reads]
    ignored = [answer_id for answer_id in submission.answers if answer_id not in known]
    for answer_id in ignored:
        print(f"\nwarning: {ignored_answer(answer_id, known)}", file=stdout)
    verdict, code = _check_verdict(answered, len(reads), unreadable, len(ignored), submission.messages, unsettled)
    print(f"\n{verdict}", file=stdout)
    return code


def _print_extracted(submission: Submission, answer_id: str, width: int, stdout: TextIO) -> int:
    """For a write-up: where ``answer_id``'s answer was found and how surely, the lines quoted,
    or that nothing was found; 1 when the part is not settled (low confidence, nothing found)."""
    if submission.extraction is None:
        return 0
    indent = " " * (width + 1)
    attempt = submission.attempt(answer_id)
    if attempt is None:
        print(f"{answer_id:<{width}} NOTHING FOUND in {submission.writeup}", file=stdout)
        return 1
    count = len(submission.extraction.parts[answer_id].attempts)
    source = safeio.for_terminal(source_text(attempt, submission.writeup, count, submission.stage))
    print(f"{answer_id:<{width}} found in {source}", file=stdout)
    for line in safeio.for_terminal(bounded_quote(attempt.quote)).splitlines()[:CHECK_QUOTE_LINES]:
        print(f"{indent}| {line}", file=stdout)
    print(f"{indent}extracted: {safeio.for_terminal(' '.join(attempt.text.split()))[:300]}", file=stdout)
    if attempt.confidence == "low":
        why = f": {safeio.for_terminal(attempt.note)}" if attempt.note else ""
        print(f"{indent}LOW CONFIDENCE{why}; an instructor would review this part", file=stdout)
        return 1
    return 0


CHECK_QUOTE_LINES = 6
"""Lines of a write-up quoted per part by ``check`` (the read-back of ``extract`` has them all)."""


def _check_folder(path: Path) -> Path | None:
    """What ``check`` reads: a folder, or the folder of a path to its answers.yaml (what a
    student drags into the terminal), or an upload given as a .zip or another .yaml file
    (found as ``grade`` finds it); None, said why, for anything else."""
    if path.is_dir():
        return path
    if path.name in ANSWERS_FILES and os.path.lexists(path):
        return path.parent
    if path.is_file() and path.suffix.lower() in UPLOAD_SUFFIXES:
        return path
    if os.path.lexists(path):
        _error(f"{path}: give your submission folder, its {ANSWERS_FILE}, your write-up or the .zip you upload")
    else:
        _error(f"{path}: no such folder or file; give your submission folder or its {ANSWERS_FILE}")
    return None


def ignored_answer(answer_id: str, known: Sequence[str]) -> str:
    """Why an answer id in answers.yaml was ignored, and what the student probably meant."""
    below = [part for part in known if part.startswith(f"{answer_id}.")]
    above = [part for part in known if answer_id.startswith(f"{part}.")]
    if below:
        return (
            f"'{answer_id}' has parts ({', '.join(below)}), so an answer given to '{answer_id}' itself "
            f"was ignored: answer each part under its own key, e.g. {below[0]}."
        )
    if above:
        return (
            f"'{answer_id}' is nested below the answer id '{above[0]}' and was ignored: "
            f"give the answer directly, as {above[0]}: <your answer>."
        )
    close = closest(answer_id, list(known))
    return f"'{answer_id}' is not an answer id of this homework and was ignored" + (
        f" (did you mean '{close}'?)." if close else "."
    )


def _check_verdict(
    answered: int, parts: int, unreadable: int, ignored: int, notes: Sequence[str], unsettled: int = 0
) -> tuple[str, int]:
    """The last line of ``check`` and its exit code: what to fix, counted; "read" only when
    nothing was lost. A note alone (where the answers were found, a key given twice with the
    same answer) loses no answer, so it is pointed at, not counted. ``unsettled``: parts of a
    write-up found with low confidence or not at all (each would wait for an instructor or
    count as unanswered)."""
    if answered == 0 and not ignored and notes:
        return "No answer could be read: fix the problem in the note above first.", EXIT_NOT_READ
    problems: list[str] = []
    for count, one, many in ((unreadable, "could not be read", "could not be read"), (ignored, "was", "were")):
        if count:
            noun = "" if problems else ("answer " if count == 1 else "answers ")
            problems.append(f"{count} {noun}{one if count == 1 else many}" + ("" if one != "was" else " ignored"))
    if unsettled:
        problems.append(
            f"{unsettled} part{'' if unsettled == 1 else 's'} of the write-up found with low confidence or not at all"
        )
    see = "; see the notes above" if notes else ""
    if problems:
        read = f"{answered - unreadable} of {parts} parts were read"
        return f"Fix before you submit: {', '.join(problems)}. {read}{see}.", EXIT_NOT_READ
    return f"Every answer given was read ({answered} of {parts} parts answered){see}.", EXIT_OK


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
        root = gradescope.default_root()
        missing = [name for name in ("source", "submission") if not (root / name).is_dir()]
        if missing:  # not a Gradescope container: say what to set, write nothing (no root/results)
            where = f"{gradescope.ROOT_ENV}={root}" if os.environ.get(gradescope.ROOT_ENV) else f"the default {root}"
            _error(
                f"{where} is not a Gradescope autograder root: it has no {' and no '.join(f'{m}/' for m in missing)}. "
                f"Nothing was graded or written. Outside Gradescope, set "
                f"{gradescope.ROOT_ENV}=/path/with/source-and-submission"
            )
            return EXIT_USAGE
        if args.allow_unconfined_code:
            allow_unconfined_code()
        return gradescope.run(root, log=stdout)
    zip_path = gradescope_build.build(args.output, problems=args.problems, reference=args.reference)
    print(f"wrote {zip_path}: upload it as the assignment's autograder (README: Gradescope)", file=stdout)
    return EXIT_OK
