"""Problem specs: ``problems/<set>/*.yaml`` → frozen dataclasses, checked once.

The schema is documented in ``docs/spec.md``. Every error names the file and
the key path and, for a misspelt key or kind, suggests the closest valid one:
``q4.yaml: parts.f.kind: unknown kind 'complexty', did you mean 'complexity'?``
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy
import yaml

from autograder.mathread import Unreadable, Vocabulary

SYMBOL_FLAGS = ("positive", "nonnegative", "real", "integer", "vector")
PART_KEYS = (
    "points",
    "title",
    "prompt",
    "kind",
    "rules",
    "accept",
    "reject",
    "show_reference",
    "example",
    "symbols",
    "functions",
)
QUESTION_KEYS = ("id", "title", "statement", "symbols", "aliases", "functions", "parts")
RULE_KEYS = ("answer", "answers", "mentions", "credit", "message", "note")


class SpecError(Exception):
    """A problem spec that cannot be used, located as ``file: key.path: what``."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Rule:
    """A known answer (usually a wrong or partial one) and what to tell its author."""

    message: str
    credit: float = 0.0
    """Share of the part's points this answer earns (1 for an accepted alternative)."""
    answers: tuple[str, ...] = ()
    """Answers, read with the part's grader and matched by meaning."""
    mentions: tuple[str, ...] = ()
    """Names (declared symbols) whose presence in the answer triggers the rule."""
    note: str = ""
    """Tag for reports; defaults to ``rule:<n>``."""
    readings: tuple[Any, ...] = ()
    """``answers`` as read by the part's grader (filled at load)."""


@dataclass(frozen=True)
class Part:
    """One gradable answer id."""

    id: str
    """Full answer id, e.g. ``q6.c.time``."""
    question: str
    title: str
    prompt: str
    points: float
    kind: str
    params: Any
    """The grader kind's ``Params`` dataclass."""
    vocabulary: Vocabulary
    rules: tuple[Rule, ...] = ()
    accept: tuple[str, ...] = ()
    """Sample answers ``autograder validate`` expects to earn full credit."""
    reject: tuple[str, ...] = ()
    """Sample answers ``autograder validate`` expects to earn less than full credit."""
    show_reference: bool = False
    """Show the reference answer in this part's feedback."""
    example: str = ""
    """A format example shown with an unreadable answer (default: built by the kind)."""
    where: str = ""
    """``file: parts.<key>``, for located messages."""
    folder: Path = Path(".")
    """The folder of the spec file: files a spec names (a code template) are found here."""


@dataclass(frozen=True)
class Question:
    id: str
    title: str
    statement: str
    parts: tuple[Part, ...]
    source: str


@dataclass(frozen=True)
class ProblemSet:
    name: str
    questions: tuple[Question, ...]

    @property
    def parts(self) -> tuple[Part, ...]:
        return tuple(part for question in self.questions for part in question.parts)

    def part(self, answer_id: str) -> Part:
        for part in self.parts:
            if part.id == answer_id:
                return part
        raise KeyError(answer_id)


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice most like ``word`` (a misspelt key, kind or answer id), if any is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return close[0] if close else None


def suggest(word: str, choices: Sequence[str]) -> str:
    """`, did you mean 'x'?` for the closest choice, or the list of choices."""
    close = closest(word, choices)
    if close:
        return f", did you mean '{close}'?"
    return f" (expected one of: {', '.join(choices)})"


def load_problem_set(directory: Path) -> ProblemSet:
    """Load and check every ``*.yaml`` question in ``directory``."""
    if not directory.is_dir():
        raise SpecError(str(directory), "not a folder of question specs (*.yaml)")
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise SpecError(str(directory), "no question specs (*.yaml) in this folder")
    questions = [load_question(path) for path in files]
    seen: dict[str, str] = {}
    for question in questions:
        for part in question.parts:
            if part.id in seen:
                raise SpecError(part.where, f"answer id '{part.id}' is also defined in {seen[part.id]}")
            seen[part.id] = part.where
    questions.sort(key=lambda q: _natural_key(q.id))
    return ProblemSet(name=directory.name, questions=tuple(questions))


def _natural_key(text: str) -> tuple[Any, ...]:
    return tuple(int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", text))


def load_question(path: Path) -> Question:
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise SpecError(where, f"not valid YAML: {error}") from None
    if not isinstance(data, Mapping):
        raise SpecError(where, "a question spec must be a mapping with id, title and parts")
    _check_keys(data, QUESTION_KEYS, where)
    qid = _required_str(data, "id", where)
    symbols = _mapping(data.get("symbols", {}), f"{where}: symbols")
    aliases = {str(k): str(v) for k, v in _mapping(data.get("aliases", {}), f"{where}: aliases").items()}
    functions = _str_list(data.get("functions", []), f"{where}: functions")
    raw_parts = _mapping(data.get("parts"), f"{where}: parts")
    if not raw_parts:
        raise SpecError(f"{where}: parts", "a question needs at least one part")
    parts = tuple(
        _load_part(qid, str(key), raw, symbols, aliases, functions, f"{where}: parts.{key}", path.parent)
        for key, raw in raw_parts.items()
    )
    return Question(
        id=qid,
        title=str(data.get("title", qid)),
        statement=str(data.get("statement", "")),
        parts=parts,
        source=str(path),
    )


def _load_part(
    qid: str,
    key: str,
    raw: Any,
    question_symbols: Mapping[str, Any],
    aliases: Mapping[str, str],
    question_functions: list[str],
    where: str,
    folder: Path,
) -> Part:
    from autograder.graders import REGISTRY

    data = _mapping(raw, where)
    kind_name = _required_str(data, "kind", where)
    if kind_name not in REGISTRY:
        raise SpecError(f"{where}.kind", f"unknown kind '{kind_name}'{suggest(kind_name, sorted(REGISTRY))}")
    kind = REGISTRY[kind_name]
    param_names = [f.name for f in dataclasses.fields(kind.params) if not f.metadata.get("internal")]
    _check_keys(data, (*PART_KEYS, *param_names), where)

    symbols = {**question_symbols, **_mapping(data.get("symbols", {}), f"{where}.symbols")}
    functions = question_functions + _str_list(data.get("functions", []), f"{where}.functions")
    vocabulary = build_vocabulary(symbols, functions, where, aliases)

    points = data.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise SpecError(f"{where}.points", f"points must be a number ≥ 0, not {points!r}")
    raw_params = {name: data[name] for name in param_names if name in data}
    params = build_dataclass(kind.params, raw_params, where)
    if kind.prepare is not None:
        try:
            params = kind.prepare(params, vocabulary)
        except (ValueError, Unreadable) as error:
            raise SpecError(where, str(error)) from None

    part = Part(
        id=f"{qid}.{key}",
        question=qid,
        title=str(data.get("title", key)),
        prompt=str(data.get("prompt", "")),
        points=float(points),
        kind=kind_name,
        params=params,
        vocabulary=vocabulary,
        accept=tuple(_str_list(data.get("accept", []), f"{where}.accept")),
        reject=tuple(_str_list(data.get("reject", []), f"{where}.reject")),
        show_reference=bool(data.get("show_reference", False)),
        example=str(data.get("example", "")),
        where=where,
        folder=folder,
    )
    rules = tuple(
        _load_rule(part, index, raw_rule, f"{where}.rules[{index}]")
        for index, raw_rule in enumerate(_list(data.get("rules", []), f"{where}.rules"))
    )
    return dataclasses.replace(part, rules=rules)


def _load_rule(part: Part, index: int, raw: Any, where: str) -> Rule:
    from autograder.graders import REGISTRY

    data = _mapping(raw, where)
    _check_keys(data, RULE_KEYS, where)
    message = _required_str(data, "message", where)
    answers = _str_list(data.get("answers", []), f"{where}.answers")
    if "answer" in data:
        answers.insert(0, str(data["answer"]))
    mentions = _str_list(data.get("mentions", []), f"{where}.mentions")
    if not answers and not mentions:
        raise SpecError(where, "a rule needs 'answer', 'answers' or 'mentions'")
    for name in mentions:
        if name not in part.vocabulary.symbols:
            known = sorted(part.vocabulary.symbols)
            raise SpecError(f"{where}.mentions", f"'{name}' is not a declared symbol{suggest(name, known)}")
    credit = data.get("credit", 0.0)
    if isinstance(credit, bool) or not isinstance(credit, int | float) or not 0 <= credit <= 1:
        raise SpecError(f"{where}.credit", f"credit is a share of the points from 0 to 1, not {credit!r}")
    kind = REGISTRY[part.kind]
    readings = []
    for answer in answers:
        try:
            readings.append(kind.read(answer, part))
        except Unreadable as error:
            raise SpecError(f"{where}.answer", f"cannot read {answer!r}: {error.message}") from None
    return Rule(
        message=message.strip(),
        credit=float(credit),
        answers=tuple(answers),
        mentions=tuple(mentions),
        note=str(data.get("note", f"rule:{index}")),
        readings=tuple(readings),
    )


def build_vocabulary(
    symbols: Mapping[str, Any], functions: Sequence[str], where: str, aliases: Mapping[str, str] | None = None
) -> Vocabulary:
    """``{name: "positive integer"}`` declarations → the reader's Vocabulary."""
    table: dict[str, sympy.Symbol] = {}
    vectors: set[str] = set()
    for name, flags_text in symbols.items():
        flags = str(flags_text or "").split()
        for flag in flags:
            if flag not in SYMBOL_FLAGS:
                raise SpecError(f"{where}: symbols.{name}", f"unknown flag '{flag}'{suggest(flag, SYMBOL_FLAGS)}")
        assumptions = {flag: True for flag in flags if flag != "vector"}
        if not assumptions:
            assumptions = {"real": True}
        table[str(name)] = sympy.Symbol(str(name), **assumptions)
        if "vector" in flags:
            vectors.add(str(name))
    for alias, target in (aliases or {}).items():
        if target not in table:
            known = list(table)
            raise SpecError(f"{where}: aliases.{alias}", f"'{target}' is not a declared symbol{suggest(target, known)}")
        table[alias] = table[target]  # another spelling of the same quantity (d_model for d)
        if target in vectors:
            vectors.add(alias)
    return Vocabulary(symbols=table, vectors=frozenset(vectors), functions=frozenset(functions))


# --- small typed-YAML helpers -------------------------------------------------


def build_dataclass(cls: type[Any], data: Mapping[str, Any], where: str) -> Any:
    """Build a frozen dataclass from YAML data, checking keys and simple types."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    _check_keys(data, names, where)
    values = {name: _convert(hints[name], value, f"{where}.{name}") for name, value in data.items()}
    try:
        return cls(**values)
    except TypeError as error:
        raise SpecError(where, str(error)) from None


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [arg for arg in args if arg is not type(None)]
        return _convert(inner, value, where)
    if hint is Any:
        return value
    if origin is tuple:
        return tuple(_convert(args[0], item, f"{where}[{i}]") for i, item in enumerate(_list(value, where)))
    if origin in (dict, Mapping) or hint is dict:
        return {str(k): _convert(args[1], v, f"{where}.{k}") for k, v in _mapping(value, where).items()}
    if dataclasses.is_dataclass(hint):
        return build_dataclass(typing.cast(type[Any], hint), _mapping(value, where), where)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(where, f"expected a number, not {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(where, f"expected a whole number, not {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(where, f"expected true or false, not {value!r}")
        return value
    if hint is str:
        if isinstance(value, Mapping | list):
            raise SpecError(where, f"expected text, not {type(value).__name__}")
        return str(value)
    return value


def _check_keys(data: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise SpecError(f"{where}", f"unknown key '{key}'{suggest(str(key), list(allowed))}")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(where, f"expected a mapping, not {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SpecError(where, f"expected a list, not {type(value).__name__}")
    return value


def _str_list(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(item) for item in _list(value, where)]


def _required_str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if value is None or value == "":
        raise SpecError(where, f"missing '{key}'")
    return str(value)
