"""A submission folder → ``{answer id: answer text}``, never failing.

``answers.yaml`` is read with a loader that keeps every scalar as the text the
student typed (YAML 1.1 would turn ``1:30`` into 90 and ``yes`` into True),
refuses anchors and aliases (the "billion laughs" expansion) and bounds the
file size. Whatever goes wrong becomes a message on the submission; the
answers that could be read are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ANSWERS_FILE = "answers.yaml"
MAX_ANSWERS_BYTES = 1_000_000
MAX_ANSWER_IDS = 500
MAX_DEPTH = 8


@dataclass(frozen=True)
class Answer:
    """One raw answer as submitted."""

    text: str
    """The answer text; a YAML list is joined back into ``[a, b, c]``."""
    file: str | None = None
    """For ``{file: mha.py}``: the named file, relative to the submission folder."""


@dataclass(frozen=True)
class Submission:
    name: str
    folder: Path
    answers: Mapping[str, Answer]
    messages: tuple[str, ...] = field(default=())
    """What went wrong reading the folder, for the student."""


class _AnswerLoader(yaml.SafeLoader):
    """SafeLoader whose only implicit type is null: every other scalar stays text."""


_AnswerLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_submission(folder: Path) -> Submission:
    """Read ``folder/answers.yaml``. Never raises for bad content."""
    name = folder.name
    path = folder / ANSWERS_FILE
    if not path.is_file() and (folder / "answers.yml").is_file():
        path = folder / "answers.yml"
    if not path.is_file():
        return Submission(name, folder, {}, (f"No {ANSWERS_FILE} in this submission: every answer counts as unanswered.",))
    try:
        size = path.stat().st_size
        if size > MAX_ANSWERS_BYTES:
            return Submission(
                name, folder, {},
                (f"{path.name} is {size:,} bytes; at most {MAX_ANSWERS_BYTES:,} are read. Nothing was graded.",),
            )
        raw = path.read_bytes()
    except OSError as error:
        return Submission(name, folder, {}, (f"{path.name} could not be opened: {error.strerror}.",))
    answers, messages = parse_answers(raw, path.name)
    return Submission(name, folder, answers, tuple(messages))


def parse_answers(raw: bytes, filename: str = ANSWERS_FILE) -> tuple[dict[str, Answer], list[str]]:
    """answers.yaml bytes → (answers by id, messages)."""
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
    try:
        for event in yaml.parse(text, Loader=_AnswerLoader):
            if isinstance(event, yaml.AliasEvent):
                messages.append(f"{filename} uses a YAML alias (*name); aliases are not allowed. Write each answer out.")
                return {}, messages
        data = yaml.load(text, Loader=_AnswerLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        messages.append(
            f"{filename} is not valid YAML{where}: {problem}. Nothing could be graded. "
            "Quote answers that start with a special character, e.g. q1.c: \"*\"."
        )
        return {}, messages
    if data is None:
        messages.append(f"{filename} is empty: every answer counts as unanswered.")
        return {}, messages
    if not isinstance(data, Mapping):
        messages.append(
            f"{filename} must be a mapping of answer ids (q1: {{a: ...}}), not a {_kind(data)}. Nothing could be graded."
        )
        return {}, messages
    answers: dict[str, Answer] = {}
    _flatten(data, "", answers, messages, depth=0)
    return answers, messages


def _flatten(node: Mapping[Any, Any], prefix: str, out: dict[str, Answer], messages: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        messages.append(f"Answers nested more than {MAX_DEPTH} levels under '{prefix}' were ignored.")
        return
    for key, value in node.items():
        answer_id = f"{prefix}{key}".strip()
        if len(out) >= MAX_ANSWER_IDS:
            messages.append(f"More than {MAX_ANSWER_IDS} answer ids; the rest were ignored.")
            return
        if isinstance(value, Mapping) and set(value) == {"file"}:
            out[answer_id] = Answer(text=str(value["file"] or ""), file=str(value["file"] or ""))
        elif isinstance(value, Mapping):
            _flatten(value, f"{answer_id}.", out, messages, depth + 1)
        elif value is None:
            continue
        elif isinstance(value, list):
            out[answer_id] = Answer(text=_list_text(value))
        else:
            out[answer_id] = Answer(text=str(value))


def _list_text(items: list[Any]) -> str:
    parts = [(_list_text(item) if isinstance(item, list) else "" if item is None else str(item)) for item in items]
    return "[" + ", ".join(parts) + "]"


def _kind(data: Any) -> str:
    return "list" if isinstance(data, list) else "single value"
