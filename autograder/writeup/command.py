"""``autograder extract WRITEUP --problems DIR [-o answers.yaml] [--stage first|final]
[--readback FILE.md]``: a write-up's answers as a draft answers.yaml and a read-back.

Exit status: 0 when every part was found with at least medium confidence; 1 when a part
is missing or low-confidence (someone must look), the write-up is refused (a PDF's
mangled text layer: its message says what to upload) or the specs cannot be loaded;
2 for a usage error (no such file, an output that would overwrite the write-up).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from autograder import safeio
from autograder.spec import SpecError, load_problem_set
from autograder.writeup import formats
from autograder.writeup.extract import extract
from autograder.writeup.model import Refused, Stage
from autograder.writeup.readback import draft_answers, needs_attention, readback

EXIT_OK, EXIT_ATTENTION, EXIT_USAGE = 0, 1, 2
EPILOG = (
    "exit status: 0 when every part was found with at least medium confidence; 1 when a part is missing "
    "or low-confidence, the write-up is refused or the specs cannot be loaded; 2 for a usage error"
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``extract`` subcommand."""
    command = commands.add_parser(
        "extract",
        help="find each part's answer in a write-up (chat export, .md, .tex, .ipynb, .txt): "
        "a draft answers.yaml and a read-back",
        epilog=EPILOG,
    )
    command.add_argument("writeup", type=Path, help="the write-up file")
    command.add_argument(
        "--problems", type=Path, required=True, help="folder of the homework's question specs, e.g. problems/<set>"
    )
    command.add_argument("-o", "--output", type=Path, default=None, help="write the draft answers.yaml here")
    command.add_argument(
        "--stage",
        choices=("first", "final"),
        default="final",
        help="which attempt at a re-prompted part goes into the draft (default: final)",
    )
    command.add_argument(
        "--readback", type=Path, default=None, help="write the read-back (Markdown) here instead of printing it"
    )


def run(args: argparse.Namespace, stdout: TextIO) -> int:
    """The ``extract`` command; prints what it wrote and what needs a look."""
    writeup: Path = args.writeup
    if not writeup.is_file():
        print(safeio.for_terminal(f"error: {writeup} is not a file"), file=sys.stderr)
        return EXIT_USAGE
    for target in (args.output, args.readback):
        if target is not None and target.resolve() == writeup.resolve():
            print(safeio.for_terminal(f"error: {target} is the write-up itself; choose another file"), file=sys.stderr)
            return EXIT_USAGE
    try:
        problems = load_problem_set(args.problems)
    except SpecError as error:
        print(safeio.for_terminal(f"error: {error}"), file=sys.stderr)
        return EXIT_ATTENTION
    try:
        document = formats.load(writeup)
    except Refused as refused:
        print(safeio.for_terminal(f"refused: {refused}"), file=sys.stderr)
        return EXIT_ATTENTION
    stage: Stage = "first" if args.stage == "first" else "final"
    extraction = extract(document, problems)
    page = readback(extraction, problems, stage)
    if args.output is not None:
        args.output.write_text(draft_answers(extraction, problems, stage), encoding="utf-8")
        print(safeio.for_terminal(f"wrote {args.output}: {len(extraction.parts)} answer(s)"), file=stdout)
    if args.readback is not None:
        args.readback.write_text(page, encoding="utf-8")
        print(safeio.for_terminal(f"wrote {args.readback}: the read-back"), file=stdout)
    else:
        stdout.write(page)
    flagged = needs_attention(extraction, stage)
    if flagged:
        print(f"needs a look ({len(flagged)}): {', '.join(flagged)}", file=stdout)
        return EXIT_ATTENTION
    return EXIT_OK
