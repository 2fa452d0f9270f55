"""A submission folder → ``{answer id: answer text}``, never failing.

``answers.yaml`` is read with a loader that keeps every scalar as the text the
student typed (YAML 1.1 would turn ``1:30`` into 90 and ``yes`` into True),
refuses anchors and aliases (the "billion laughs" expansion) and bounds the
file size. Whatever goes wrong becomes a message on the submission; the
answers that could be read are kept.

An answer id given twice (the same key twice in one mapping, or ``q1.a:`` beside
``q1: {a: ...}``) is never settled silently: the same answer twice is read once,
with a note; two different answers make that id unreadable, with a message naming
the lines, since whichever the grader picked could be the one the student meant to
delete. A mapping given twice (``q1:`` twice) is read from both places.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from autograder.safeio import UnsafePath, printable, read_student_file
from autograder.writeup.model import Attempt, Extraction, Stage

ANSWERS_FILE = "answers.yaml"
MAX_ANSWERS_BYTES = 256_000
"""A real answers.yaml is a few kB (a whole class inline included); the cap bounds parsing time."""
MAX_ANSWER_IDS = 500
SALVAGE_BUDGET_FACTOR = 4
"""A broken file is re-read block by block: at most this many times its size in all."""
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 8
MAX_NESTING = 50
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class Answer:
    """One raw answer as submitted."""

    text: str
    """The answer text; a YAML list is joined back into ``[a, b, c]``; for
    ``{file: name}`` the file's content once the folder is loaded."""
    file: str | None = None
    """For ``{file: model.py}``: the named file, relative to the submission folder."""
    problem: str | None = None
    """Why the YAML around this answer could not be read (the answer is then unreadable)."""


@dataclass(frozen=True)
class Submission:
    name: str
    folder: Path
    answers: Mapping[str, Answer]
    messages: tuple[str, ...] = field(default=())
    """What went wrong reading the folder, for the student."""
    extraction: Extraction | None = None
    """The write-up the answers were extracted from; None when they came from answers.yaml."""
    stage: Stage = "final"
    """Which attempt of each extracted part ``answers`` holds."""
    writeup: str = ""
    """The write-up file as the student knows it (``homework/report.md``); empty for answers.yaml."""

    def attempt(self, answer_id: str) -> Attempt | None:
        """The write-up's attempt that became ``answers[answer_id]``; None for answers.yaml."""
        extracted = None if self.extraction is None else self.extraction.parts.get(answer_id)
        if extracted is None or not extracted.attempts:
            return None
        return extracted.at(self.stage)


def from_extraction(
    name: str,
    folder: Path,
    extraction: Extraction,
    *,
    stage: Stage = "final",
    writeup: str = "",
    messages: tuple[str, ...] = (),
) -> Submission:
    """The submission a write-up makes: each extracted part's answer is its attempt at
    ``stage`` (bounded text, made printable as answers.yaml's are), never evaluated."""
    answers = {
        printable(answer_id): Answer(printable(extracted.at(stage).text))
        for answer_id, extracted in extraction.parts.items()
        if extracted.attempts
    }
    said = tuple(printable(message) for message in extraction.messages)
    return Submission(name, folder, answers, (*messages, *said), extraction, stage, writeup or extraction.source)


class _AnswerLoader(yaml.SafeLoader):
    """SafeLoader whose only implicit type is null: every other scalar stays text."""


class _FastAnswerLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml when built in
    """The same on libyaml's parser (PyYAML's wheels include it), tens of times faster:
    a hostile 1 MB file costs about a second instead of minutes, and parsing happens
    before grading's time limits. libyaml refuses lone surrogates (``"\\ud800"``), which
    the pure-Python parser reads, so a file it refuses is read again by that one when
    small enough (``EXACT_PARSE_CHARS``)."""


class _Located(dict[Any, Any]):
    """A YAML mapping that remembers every key as written, repeats included, and its line:
    a plain dict would keep only the last of two equal keys and say nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[tuple[Any, Any, int]] = []


def _construct_located(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[_Located]:
    data = _Located()
    yield data  # filled after yielding, as PyYAML's own constructors do, so nesting stays lazy
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, "found a key that is a list or mapping", key_node.start_mark
            ) from None
        value = loader.construct_object(value_node)
        data[key] = value
        data.entries.append((key, value, key_node.start_mark.line + 1))


_AnswerLoader.add_constructor("tag:yaml.org,2002:map", _construct_located)
_FastAnswerLoader.add_constructor("tag:yaml.org,2002:map", _construct_located)

_NULL_ONLY = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_AnswerLoader.yaml_implicit_resolvers = _NULL_ONLY
_FastAnswerLoader.yaml_implicit_resolvers = _NULL_ONLY
EXACT_PARSE_CHARS = 100_000
"""Files up to this size that libyaml refuses are read again by the pure-Python parser."""


LINKED_FOLDER = (
    "This submission's folder is a symbolic link, so it was not read and nothing was graded; "
    "copy the files into a folder of their own."
)


def load_submission(folder: Path) -> Submission:
    """Read ``folder/answers.yaml``. Never raises for bad content.

    answers.yaml and the files it names must be plain files of the submission:
    a symlink or a hard link (``tar -x`` keeps both) could point at the reference
    or a classmate's answers, so it is refused with a message, not read.
    """
    name = submission_name(folder)
    if folder.is_symlink():  # it could point at the reference or at a classmate's folder
        return Submission(name, folder, {}, (LINKED_FOLDER,))
    path = folder / ANSWERS_FILE
    if not os.path.lexists(path) and os.path.lexists(folder / "answers.yml"):
        path = folder / "answers.yml"
    if not os.path.lexists(path):
        return Submission(
            name, folder, {}, (f"No {ANSWERS_FILE} in this submission: every answer counts as unanswered.",)
        )
    try:
        raw = read_student_file(path, MAX_ANSWERS_BYTES)
    except UnsafePath as error:
        return Submission(name, folder, {}, (f"{printable(str(error))} Nothing was graded.",))
    answers, messages = parse_answers(raw, path.name)
    for answer_id, answer in answers.items():
        if answer.file is not None and answer.problem is None:
            answers[answer_id] = read_named_file(folder, answer.file)
    return Submission(name, folder, answers, tuple(messages))


def submission_name(folder: Path) -> str:
    """The name a submission is shown and filed under: its folder name, made printable
    (a name that is not UTF-8, as old zip tools write them, is shown with ``\\xfc``)."""
    return printable(folder.name)


def read_named_file(folder: Path, name: str) -> Answer:
    """The text of ``{file: name}``: a plain file inside the submission folder, size-capped."""
    relative = Path(name.strip())
    example = "{file: model.py}"
    if not name.strip() or relative.is_absolute() or ".." in relative.parts:
        return Answer(name, file=name, problem=f"'{name}' must name a file inside your submission, e.g. {example}.")
    path = folder / relative
    missing = Answer(name, file=name, problem=f"The file '{name}' named by this answer is not in your submission.")
    try:
        if not os.path.lexists(path) or not path.parent.resolve().is_relative_to(folder.resolve()):
            return missing
        raw = read_student_file(path, MAX_FILE_BYTES)
        return Answer(raw.decode("utf-8"), file=name)
    except UnicodeDecodeError as error:
        return Answer(name, file=name, problem=f"'{name}' is not valid UTF-8 (byte {error.start}); save it as UTF-8.")
    except UnsafePath as error:
        return Answer(name, file=name, problem=printable(str(error)))
    except (OSError, ValueError):
        return missing


def parse_answers(raw: bytes, filename: str = ANSWERS_FILE) -> tuple[dict[str, Answer], list[str]]:
    """answers.yaml bytes → (answers by id, messages). Lone surrogates (YAML's ``"\\ud800"``)
    are escaped into visible text: every later output must be able to encode them."""
    answers, messages = _parse_answers(raw, filename)
    clean = {
        printable(answer_id): Answer(
            printable(answer.text),
            None if answer.file is None else printable(answer.file),
            None if answer.problem is None else printable(answer.problem),
        )
        for answer_id, answer in answers.items()
    }
    return clean, [printable(message) for message in messages]


def _parse_answers(raw: bytes, filename: str) -> tuple[dict[str, Answer], list[str]]:
    messages: list[str] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        text = raw.decode("utf-8", errors="replace")
        messages.append(
            f"{filename} is not valid UTF-8 (first bad byte at offset {error.start}); "
            "the answers with bad bytes could not be read. Save the file as UTF-8."
        )
    text = text.lstrip("\ufeff")
    loader: type[yaml.SafeLoader] = _FastAnswerLoader
    try:
        if _nesting(text) > MAX_NESTING:
            raise yaml.YAMLError(f"nested more than {MAX_NESTING} levels deep")
        try:
            data = _load(text, loader)
        except (yaml.YAMLError, RecursionError):
            if len(text) > EXACT_PARSE_CHARS or loader is _AnswerLoader:
                raise
            loader = _AnswerLoader
            data = _load(text, loader)
    except _AliasFound:
        messages.append(f"{filename} uses a YAML alias (*name); aliases are not allowed. Write each answer out.")
        return {}, messages
    except (yaml.YAMLError, RecursionError) as error:
        messages.append(
            f"{filename} is not valid YAML{_where(error)}: {_problem(error)}. "
            "The answers around it were read one by one; quote an answer that contains ': ' "
            "or starts with a special character, "
            'e.g. e: "lambda: 0".'
        )
        salvaged = _Collected()
        budget = [SALVAGE_BUDGET_FACTOR * len(text)]
        _salvage(text.splitlines(), 0, "", salvaged, messages, depth=0, budget=budget, loader=loader)
        if budget[0] <= 0:
            messages.append(f"{filename} is too broken to read block by block; the rest was ignored.")
        return salvaged.answers(filename, messages), messages
    if data is None:
        messages.append(f"{filename} is empty: every answer counts as unanswered.")
        return {}, messages
    if not isinstance(data, Mapping):
        messages.append(
            f"{filename} must be a mapping of answer ids (q1: {{a: ...}}), not a {_kind(data)}. "
            "Nothing could be graded."
        )
        return {}, messages
    answers = _Collected()
    _flatten(data, "", answers, messages, depth=0)
    return answers.answers(filename, messages), messages


@dataclass
class _Collected:
    """Every answer found, by id, each with the line it was given on (0: not known)."""

    found: dict[str, list[tuple[int, Answer]]] = field(default_factory=dict)

    def add(self, answer_id: str, answer: Answer, line: int) -> None:
        self.found.setdefault(answer_id, []).append((line, answer))

    def __len__(self) -> int:
        return len(self.found)

    def answers(self, filename: str, messages: list[str]) -> dict[str, Answer]:
        """One answer per id; an id given more than once is settled by :func:`_settle`."""
        return {answer_id: _settle(answer_id, given, filename, messages) for answer_id, given in self.found.items()}


LINES_NAMED = 5
"""Lines named in the message about an id given several times (the rest are counted)."""


def _settle(answer_id: str, given: list[tuple[int, Answer]], filename: str, messages: list[str]) -> Answer:
    """The answer of an id given once; of one given several times, the answer if every copy
    says the same, else an unreadable answer: picking one would be a guess at what the
    student meant, and the same file must always grade the same."""
    if len(given) == 1:
        return given[0][1]
    lines = sorted({line for line, _ in given})
    where = ""
    if len(lines) == 1 and lines[0]:
        where = f" (line {lines[0]})"
    elif lines and lines[0] and len(lines) > LINES_NAMED:
        shown = ", ".join(map(str, lines[:LINES_NAMED]))
        where = f" (lines {shown} and {len(lines) - LINES_NAMED} more)"
    elif lines and lines[0]:
        where = f" (lines {', '.join(map(str, lines[:-1]))} and {lines[-1]})"
    twice = f"'{answer_id}' is given {len(given)} times in {filename}{where}"
    distinct = {(answer.text.strip(), answer.file, answer.problem) for _, answer in given}
    if len(distinct) == 1:
        messages.append(f"{twice}, each time with the same answer: it was read once. Delete the extra copies.")
        return given[0][1]
    messages.append(
        f"{twice} with different answers, so it could not be read: the grader does not choose between them. "
        "Keep only the answer you mean."
    )
    return Answer(
        given[-1][1].text,
        problem=f"{twice} with different answers; the grader does not choose one. Keep only the answer you mean.",
    )


def _flatten(
    node: Mapping[Any, Any], prefix: str, out: _Collected, messages: list[str], depth: int, first_line: int = 0
) -> None:
    """Nested mappings → dotted ids in ``out``; ``first_line``: where ``node``'s text starts in the file."""
    if depth > MAX_DEPTH:
        messages.append(f"Answers nested more than {MAX_DEPTH} levels under '{prefix}' were ignored.")
        return
    entries = node.entries if isinstance(node, _Located) else [(key, value, 0) for key, value in node.items()]
    for key, value, line in entries:
        answer_id = f"{prefix}{key}".strip()
        at = first_line + line if line else 0
        if len(out) >= MAX_ANSWER_IDS and answer_id not in out.found:
            messages.append(f"More than {MAX_ANSWER_IDS} answer ids; the rest were ignored.")
            return
        if isinstance(value, Mapping) and set(value) == {"file"}:
            out.add(answer_id, Answer(text=str(value["file"] or ""), file=str(value["file"] or "")), at)
        elif isinstance(value, Mapping):
            _flatten(value, f"{answer_id}.", out, messages, depth + 1, first_line)
        elif value is None:
            continue
        elif isinstance(value, list):
            out.add(answer_id, Answer(text=_list_text(value)), at)
        else:
            out.add(answer_id, Answer(text=str(value)), at)


def _salvage(
    lines: list[str],
    first_line: int,
    prefix: str,
    out: _Collected,
    messages: list[str],
    depth: int,
    budget: list[int],
    loader: type[yaml.SafeLoader],
) -> None:
    """Read a broken answers.yaml block by block, so one bad answer costs that answer only.

    ``lines`` is a block at indentation 0; each top-level key and its indented
    children is parsed on its own; a block that still fails is split again one
    level down, and a broken leaf becomes an unreadable answer.
    """
    starts = [i for i, line in enumerate(lines) if line[:1] not in ("", " ", "\t", "#")]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        chunk = lines[start:end]
        block = "\n".join(chunk)
        budget[0] -= len(block)  # each level re-parses its blocks: bound the total work
        if budget[0] <= 0 or len(out) >= MAX_ANSWER_IDS:
            return
        try:
            if _nesting(block) > MAX_NESTING:
                raise yaml.YAMLError(f"nested more than {MAX_NESTING} levels deep")
            data = yaml.load(block, Loader=loader)
        except (yaml.YAMLError, RecursionError) as error:
            key, _, rest = chunk[0].partition(":")
            answer_id = f"{prefix}{key.strip()}"
            children = [line for line in chunk[1:] if line.strip() and not line.lstrip().startswith("#")]
            if not rest.strip() and children and depth < MAX_DEPTH:
                indent = min(len(line) - len(line.lstrip()) for line in children)
                body = [line[indent:] for line in chunk[1:]]
                _salvage(body, first_line + start + 1, f"{answer_id}.", out, messages, depth + 1, budget, loader)
            else:
                line_no = first_line + start + 1
                problem = f"line {line_no} of answers.yaml is not valid YAML: {_problem(error)}. "
                out.add(answer_id, Answer(text=rest.strip(), problem=problem + "Put the answer in quotes."), line_no)
            continue
        if isinstance(data, Mapping):
            _flatten(data, prefix, out, messages, depth, first_line + start)


class _AliasFound(Exception):
    """answers.yaml uses an alias (*name): refused, since aliases are how YAML bombs grow."""


def _load(text: str, loader: type[yaml.SafeLoader]) -> Any:
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            raise _AliasFound
    return yaml.load(text, Loader=loader)


def _nesting(text: str) -> int:
    """Deepest bracket or indentation nesting, measured before PyYAML recurses into it."""
    depth = deepest = 0
    for char in _BRACKETS.findall(text):
        depth = depth + 1 if char in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    indents = {len(line) - len(line.lstrip(" ")) for line in text.splitlines()}
    return max(deepest, len(indents))


def _where(error: yaml.YAMLError | RecursionError) -> str:
    mark = getattr(error, "problem_mark", None)
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


def _problem(error: yaml.YAMLError | RecursionError) -> str:
    return str(getattr(error, "problem", None) or error)


def _list_text(items: list[Any]) -> str:
    parts = [(_list_text(item) if isinstance(item, list) else "" if item is None else str(item)) for item in items]
    return "[" + ", ".join(parts) + "]"


def _kind(data: Any) -> str:
    return "list" if isinstance(data, list) else "single value"
