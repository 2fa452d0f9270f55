"""What the extractor found, written back for the people who must check it.

:func:`readback` is a Markdown page for the student or the staff: per answer id the text
found, the source lines it came from (quoted with their numbers), how it was picked,
how sure the pick is, the first and the final attempt and how many there were; the ids
with nothing found are listed. :func:`draft_answers` is an answers.yaml with the same
answers, each under a comment saying where it came from, that ``autograder check`` and
``grade`` read like a hand-written one (:func:`autograder.submission.parse_answers`).
"""

from __future__ import annotations

import json
import re

from autograder.problem import ProblemSet
from autograder.writeup.model import Attempt, Extraction, Stage

_LINE_BREAKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\x85", "\ufeff": "\\ufeff"}
_BACKTICKS = re.compile(r"`+")


def needs_attention(extraction: Extraction, stage: Stage) -> list[str]:
    """The ids someone must look at: missing, or picked with low confidence at ``stage``."""
    low = [answer_id for answer_id, found in extraction.parts.items() if found.at(stage).confidence == "low"]
    return [*extraction.missing, *low]


def lines_of(attempt: Attempt) -> str:
    if attempt.first_line == attempt.last_line:
        return f"line {attempt.first_line}"
    return f"lines {attempt.first_line}–{attempt.last_line}"


def readback(extraction: Extraction, problems: ProblemSet, stage: Stage = "final") -> str:
    """The read-back page (Markdown) of ``extraction``, the ``stage`` attempt being the one graded."""
    found = len(extraction.parts)
    total = len(problems.parts)
    low = [answer_id for answer_id, item in extraction.parts.items() if item.at(stage).confidence == "low"]
    out = [
        f"# Read-back of {extraction.source} ({extraction.format})",
        "",
        f"{found} of {total} answers found; the {stage} attempt at each is the one graded.",
    ]
    if low:
        out.append(f"Low confidence (reviewed, not graded silently): {', '.join(low)}.")
    if extraction.missing:
        out.append(f"Not found: {', '.join(extraction.missing)}.")
    out += [f"- {message}" for message in extraction.messages]
    for part in problems.parts:
        item = extraction.parts.get(part.id)
        if item is None:
            continue
        chosen = item.at(stage)
        out += ["", f"## {part.id}: {part.title}", "", "Found:", "", *_fenced(chosen.text), ""]
        out.append(f"- picked by: {chosen.method}; confidence: {chosen.confidence}")
        if chosen.note:
            out.append(f"- why: {chosen.note}")
        if chosen.others:
            out.append("- other candidates: " + "; ".join(_inline(other) for other in chosen.others))
        first, final = item.at("first"), item.at("final")
        out.append(f"- attempts: {len(item.attempts)} (first at {lines_of(first)}, final at {lines_of(final)})")
        if item.reprompts:
            out.append(f"- re-prompted {item.reprompts} time{'s' if item.reprompts > 1 else ''} by the user")
        other = first if stage == "final" else final
        if other is not chosen and other.text != chosen.text:
            out.append(f"- {'first' if stage == 'final' else 'final'} attempt: {_inline(other.text)}")
        out += ["", f"Source ({lines_of(chosen)}):", "", *_fenced(_numbered(chosen))]
    return "\n".join(out) + "\n"


def _numbered(attempt: Attempt) -> str:
    lines = attempt.quote.split("\n")
    if len(lines) == attempt.last_line - attempt.first_line + 1:
        return "\n".join(f"{attempt.first_line + index:>5}  {line}" for index, line in enumerate(lines))
    return attempt.quote


def _fenced(text: str) -> list[str]:
    """``text`` in a code fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text, fence]


def _inline(text: str) -> str:
    flat = " ".join(text.split())
    shown = flat if len(flat) <= 200 else flat[:199] + "…"
    longest = max((len(run) for run in _BACKTICKS.findall(shown)), default=0)
    ticks = "`" * (longest + 1)
    return f"{ticks} {shown} {ticks}"


def draft_answers(extraction: Extraction, problems: ProblemSet, stage: Stage = "final") -> str:
    """An answers.yaml of the ``stage`` attempts, flat dotted ids, each under a comment saying
    where it came from; ids with nothing found are listed as comments only (unanswered)."""
    out = [
        f"# Draft answers extracted from {_comment(extraction.source)} by `autograder extract` ({stage} attempts).",
        "# Check each one against the read-back before relying on it: low confidence means review.",
    ]
    for part in problems.parts:
        item = extraction.parts.get(part.id)
        if item is None:
            out += ["", f"# {part.id}: nothing found"]
            continue
        chosen = item.at(stage)
        number = item.attempts.index(chosen) + 1
        out += [
            "",
            f"# {part.id}: {lines_of(chosen)}, {chosen.method}, {chosen.confidence} confidence, "
            f"attempt {number} of {len(item.attempts)}",
            f"{part.id}: {_scalar(chosen.text)}",
        ]
    return "\n".join(out) + "\n"


def _comment(text: str) -> str:
    return " ".join(text.split())


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back exactly: a literal block for plain multi-line
    text, a double-quoted string (JSON's escapes are YAML's) otherwise."""
    lines = text.split("\n")
    plain = all(line == line.rstrip() and "\t" not in line and line.isprintable() for line in lines)
    if len(lines) > 1 and plain and text.strip("\n") == text:
        return "|2-\n" + "\n".join(f"  {line}" for line in lines)
    quoted = json.dumps(text, ensure_ascii=False)
    for char, escape in _LINE_BREAKS.items():
        quoted = quoted.replace(char, escape)
    return quoted
