"""What ``autograder grade`` shows while a batch grades and when it ends.

One row per submission (score and verdict counts), in plain lines when the
output is a file or a pipe, so logs and ``| grep`` see exactly those rows; on a
terminal the same rows scroll above a progress bar (count, elapsed time, ETA)
that disappears when the batch ends. The bar is redrawn as each submission is
written, not by a timer: rich's refresh thread would be running while grading
forks its workers and per-submission children, and a child that inherits the
stdout lock that thread held would hang when it flushes at exit. The end-of-run summary says what needs
the instructor: the review load in answer groups, unreadable parts and the
submissions with problems, by name.

Names and messages are student text: every one passes through
:func:`autograder.safeio.for_terminal` (an ESC sequence in a folder name could
rewrite the terminal), and rich gets no markup, emoji or highlighting to read in
them. Names are never cut: the column is as wide as the longest name, up to
:data:`NAME_COLUMN_MAX`; a longer name gets a line of its own above its row.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from types import TracebackType
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from autograder import safeio
from autograder.groups import review_load
from autograder.locate import is_found_note
from autograder.result import VERDICTS, SubmissionResult
from autograder.session import GRADER_FAILED

NAME_COLUMN_MAX = 48
"""Names up to this many terminal cells share their row; longer ones get a line of their own."""
LISTED_WITH_MESSAGE = 20
"""Submissions with problems listed with their first message; the rest by name only."""
MESSAGE_CELLS = 110
"""A message in the summary is shortened to this (its full text is in the feedback)."""
LABELS = {"needs_review": "review"}


def one_line(text: str) -> str:
    """Student text for one line of a table: terminal-safe, with line breaks and tabs shown escaped."""
    return safeio.for_terminal(text).replace("\n", "\\n").replace("\t", "\\t")


def terminal_console(stream: TextIO) -> Console:
    """A console that draws on ``stream`` and reads nothing in the text it is given."""
    return Console(file=stream, markup=False, emoji=False, highlight=False)


class BatchView:
    """The rows of a batch, with a progress bar when ``console`` is given (a terminal)."""

    def __init__(self, stream: TextIO, names: Sequence[str], *, console: Console | None = None) -> None:
        self._stream = stream
        self._console = console
        self._total = len(names)
        shown = [one_line(name) for name in names]
        self._width = max([len("submission"), *(cell_len(name) for name in shown if cell_len(name) <= NAME_COLUMN_MAX)])
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> BatchView:
        self._line(self.header())
        self._line("-" * cell_len(self.header()))
        if self._console is not None:
            self._progress = Progress(
                TextColumn("grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("elapsed"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
                auto_refresh=False,  # no drawing thread: grading forks, and a fork must not inherit a held stdout lock
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("grading", total=self._total)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def header(self) -> str:
        return f"{'submission':<{self._width}} {'score':>11}  " + " ".join(f"{LABELS.get(v, v):>10}" for v in VERDICTS)

    def rows(self, result: SubmissionResult) -> list[str]:
        """The lines of one graded submission: its row, and a line per grader failure."""
        name = one_line(result.submission)
        counts = Counter(part.verdict for part in result.parts)
        score = f"{result.score:g}/{result.max_score:g}"
        cells = f" {score:>11}  " + " ".join(f"{counts[v]:>10}" for v in VERDICTS)
        lines = []
        if cell_len(name) > self._width:
            lines += [name, " " * self._width + cells]
        else:
            lines.append(name + " " * (self._width - cell_len(name)) + cells)
        lines += [f"  ! {safeio.for_terminal(m)}" for m in result.messages if m.startswith(GRADER_FAILED)]
        return lines

    def add(self, result: SubmissionResult) -> None:
        """Show one graded submission (called as each one is written)."""
        for line in self.rows(result):
            self._line(line)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, refresh=True)

    def _line(self, text: str) -> None:
        if self._console is not None:
            self._console.out(text, highlight=False)
        else:
            print(text, file=self._stream)


def summary(results: Sequence[SubmissionResult]) -> list[str]:
    """The end-of-run lines: scores, the review load, what could not be read, who has problems."""
    if not results:
        return ["No submission was graded."]
    scores = [result.score for result in results]
    top = max(result.max_score for result in results)
    lines = [
        f"Graded {len(results)} submission(s): mean {statistics.mean(scores):.2f}, "
        f"median {statistics.median(scores):g} of {top:g}"
    ]
    load = review_load((result.submission, part) for result in results for part in result.parts)
    lines.append(
        f"Review: {load.parts} part(s) in review → {load.groups} answer group(s) to look at"
        if load.parts
        else "Review: no part waits for review"
    )
    unreadable = [result for result in results if any(part.verdict == "unreadable" for part in result.parts)]
    count = sum(part.verdict == "unreadable" for result in unreadable for part in result.parts)
    lines.append(f"Unreadable: {count} part(s) in {len(unreadable)} submission(s)" if count else "Unreadable: none")
    lines += _problems(results)
    return lines


def _problems(results: Sequence[SubmissionResult]) -> list[str]:
    """Submissions whose folder or grading had a problem, grader failures first, by full name."""
    troubled = [result for result in results if _problem_messages(result)]
    if not troubled:
        return ["Submissions with problems: none"]
    troubled.sort(key=lambda result: not any(m.startswith(GRADER_FAILED) for m in result.messages))
    failures = sum(any(m.startswith(GRADER_FAILED) for m in result.messages) for result in troubled)
    lines = [
        f"Submissions with problems: {len(troubled)}"
        + (f", {failures} where the grader failed (!)" if failures else "")
        + " (full messages in their feedback):"
    ]
    for result in troubled[:LISTED_WITH_MESSAGE]:
        messages = _problem_messages(result)
        failed = any(m.startswith(GRADER_FAILED) for m in messages)
        first = next((m for m in messages if m.startswith(GRADER_FAILED)), messages[0])
        more = f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""
        lines.append(f"  {'! ' if failed else ''}{one_line(result.submission)}: {_short(first)}{more}")
    rest = troubled[LISTED_WITH_MESSAGE:]
    if rest:
        lines.append(f"  and {len(rest)} more: " + ", ".join(one_line(r.submission) for r in rest))
    return lines


def _problem_messages(result: SubmissionResult) -> list[str]:
    """The messages that are problems: where the answers were found (a nested folder, a zip,
    a write-up) is information, not something to fix."""
    return [message for message in result.messages if not is_found_note(message)]


def _short(message: str) -> str:
    text = " ".join(safeio.for_terminal(message).split())
    return text if len(text) <= MESSAGE_CELLS else text[: MESSAGE_CELLS - 1] + "…"


__all__ = ["BatchView", "one_line", "summary", "terminal_console"]
