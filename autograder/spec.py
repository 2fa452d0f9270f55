"""Problem specs: ``problems/<set>/*.yaml`` → frozen dataclasses, checked once.

The schema is documented in ``docs/spec.md``. Every error names the file and
the key path and, for a misspelt key or kind, suggests the closest valid one:
``q4.yaml: parts.f.kind: unknown kind 'complexty', did you mean 'complexity'?``

Every value is checked against the type its field declares, never coerced: a
boolean must be a YAML boolean (``show_reference: flase`` is refused rather than
read as true), text must be text, a list must be a list. A folder may hold
``set.yaml`` (:data:`SET_FILE`), which names the set's reference folder.

A set whose ``set.yaml`` says ``student: true`` (written by ``autograder bundle
--student``) is loaded in *read mode*: only the keys :mod:`autograder.student_format`
keeps are allowed, no rules are loaded, and ``prepare`` runs only where reading needs
it. Such a set reads answers (``check``) and is never graded.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sympy
import yaml

from autograder import student_format
from autograder.graders import REGISTRY
from autograder.mathread import Unreadable, Vocabulary
from autograder.problem import Part, PartCues, ProblemSet, Question, Rule

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
    "cues",
)
QUESTION_KEYS = ("id", "title", "statement", "symbols", "aliases", "functions", "parts", "cues")
RULE_KEYS = ("answer", "answers", "mentions", "credit", "message", "note")
SET_FILE = "set.yaml"
"""The problem set's own file in its folder (not a question): its title and reference folder."""
RULE_NOTE_CHARS = 40
"""Longest answer text quoted in a rule's default note."""
SET_KEYS = ("title", "reference", student_format.STUDENT_KEY)


class SpecError(Exception):
    """A problem spec that cannot be used, located as ``file: key.path: what``."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


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
    files = [
        path for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")) if path.name != SET_FILE
    ]
    title, reference, student = load_set_file(directory)
    if not files:
        raise SpecError(str(directory), "no question specs (*.yaml) in this folder")
    questions = [load_question(path, student=student) for path in files]
    seen: dict[str, str] = {}
    for question in questions:
        for part in question.parts:
            if part.id in seen:
                raise SpecError(part.where, f"answer id '{part.id}' is also defined in {seen[part.id]}")
            seen[part.id] = part.where
    questions.sort(key=lambda q: _natural_key(q.id))
    return ProblemSet(
        name=directory.name, questions=tuple(questions), title=title, reference=reference, student=student
    )


def load_set_file(directory: Path) -> tuple[str, Path | None, bool]:
    """``set.yaml`` → (title, reference folder, student set); ("", None, False) when the folder has none.

    The reference is a path relative to the set's folder, so a set and its key move
    together. It is not required to exist here: specs load without their key (``check``
    on a student's machine); the commands that read the key say when it is missing.
    ``student: true`` marks a student bundle's set, which names no reference."""
    path = directory / SET_FILE
    if not path.exists():
        return "", None, False
    where = SET_FILE
    data = read_yaml(path, where)
    if not isinstance(data, Mapping):
        raise SpecError(where, f"expected a mapping with reference and title, not {describe(data)}")
    _check_keys(data, SET_KEYS, where)
    title = _text(data.get("title", ""), f"{where}: title")
    student = data.get(student_format.STUDENT_KEY, False)
    if not isinstance(student, bool):
        raise SpecError(f"{where}: {student_format.STUDENT_KEY}", f"expected true or false, not {describe(student)}")
    if "reference" not in data:
        return title, None, student
    if student:
        raise SpecError(f"{where}: reference", "a student set (student: true) names no reference")
    named = _text(data["reference"], f"{where}: reference")
    if not named.strip():
        raise SpecError(f"{where}: reference", "expected a folder path, not empty text")
    return title, (directory / named).resolve(), False


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader that also reads ``1e-3`` as a number, as YAML 1.2 (and so the editors
    checking a spec against its schema) does; PyYAML's YAML 1.1 wants ``1.0e-3``."""


_SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def read_yaml(path: Path, where: str) -> Any:
    """A spec file's YAML data, read as the loader reads it (the schema tests do the same)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SpecLoader)  # a SafeLoader: no objects
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise SpecError(where, f"not valid YAML: {error}") from None


def _natural_key(text: str) -> tuple[Any, ...]:
    return tuple(int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", text))


def load_question(path: Path, *, student: bool = False) -> Question:
    """One question spec; ``student``: in read mode (a student set's stripped spec)."""
    where = path.name
    data = read_yaml(path, where)
    if not isinstance(data, Mapping):
        raise SpecError(where, "a question spec must be a mapping with id, title and parts")
    _check_keys(data, QUESTION_KEYS, where)
    qid = _required_str(data, "id", where)
    symbols = _mapping(data.get("symbols", {}), f"{where}: symbols")
    aliases = _text_mapping(data.get("aliases", {}), f"{where}: aliases")
    functions = _str_list(data.get("functions", []), f"{where}: functions")
    raw_parts = _mapping(data.get("parts", {}), f"{where}: parts")
    if not raw_parts:
        raise SpecError(f"{where}: parts", "a question needs at least one part")
    parts = tuple(
        _load_part(qid, str(key), raw, symbols, aliases, functions, f"{where}: parts.{key}", path.parent, student)
        for key, raw in raw_parts.items()
    )
    return Question(
        id=qid,
        title=_text(data.get("title", qid), f"{where}: title"),
        statement=_text(data.get("statement", ""), f"{where}: statement"),
        parts=parts,
        source=str(path),
        cues=tuple(_str_list(data.get("cues", []), f"{where}: cues")),
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
    student: bool = False,
) -> Part:
    data = _mapping(raw, where)
    kind_name = _required_str(data, "kind", where)
    if kind_name not in REGISTRY:
        raise SpecError(f"{where}.kind", f"unknown kind '{kind_name}'{suggest(kind_name, sorted(REGISTRY))}")
    kind = REGISTRY[kind_name]
    param_names = [f.name for f in dataclasses.fields(kind.params) if not f.metadata.get("internal")]
    if student:
        param_names = _student_keys(data, kind_name, param_names, where)
    else:
        _check_keys(data, (*PART_KEYS, *param_names), where)

    symbols = {**question_symbols, **_mapping(data.get("symbols", {}), f"{where}.symbols")}
    functions = question_functions + _str_list(data.get("functions", []), f"{where}.functions")
    vocabulary = build_vocabulary(symbols, functions, where, aliases)

    points = data.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int | float) or points < 0:
        raise SpecError(f"{where}.points", f"points must be a number ≥ 0, not {describe(points)}")
    if not isinstance(show_reference := data.get("show_reference", False), bool):
        raise SpecError(f"{where}.show_reference", f"expected true or false, not {describe(show_reference)}")
    raw_params = {name: data[name] for name in param_names if name in data}
    params = build_dataclass(kind.params, raw_params, where)
    if kind.prepare is not None and (not student or student_format.policy(kind_name).prepare):
        try:
            params = kind.prepare(params, vocabulary)
        except (ValueError, Unreadable) as error:
            raise SpecError(where, str(error)) from None

    part = Part(
        id=f"{qid}.{key}",
        question=qid,
        title=_text(data.get("title", key), f"{where}.title"),
        prompt=_text(data.get("prompt", ""), f"{where}.prompt"),
        points=float(points),
        kind=kind_name,
        params=params,
        vocabulary=vocabulary,
        accept=tuple(_str_list(data.get("accept", []), f"{where}.accept")),
        reject=tuple(_str_list(data.get("reject", []), f"{where}.reject")),
        show_reference=show_reference,
        example=_answer_text(data.get("example", ""), f"{where}.example"),
        where=where,
        folder=folder,
        cues=build_dataclass(PartCues, _mapping(data.get("cues", {}), f"{where}.cues", PartCues), f"{where}.cues"),
    )
    rules = tuple(
        _load_rule(part, index, raw_rule, f"{where}.rules[{index}]")
        for index, raw_rule in enumerate(_list(data.get("rules", []), f"{where}.rules"))
    )
    return dataclasses.replace(part, rules=rules)


def _student_keys(data: Mapping[str, Any], kind_name: str, param_names: list[str], where: str) -> list[str]:
    """Read mode: the part may hold only what a student set keeps; the parameter names it may give."""
    if kind_name not in student_format.POLICIES:
        raise SpecError(f"{where}.kind", f"kind '{kind_name}' has no student policy (autograder.student_format)")
    kept = [name for name in param_names if name in student_format.policy(kind_name).keep]
    allowed = (*student_format.PART_KEYS, *kept)
    for key in data:
        if key not in allowed and (key in PART_KEYS or key in param_names):
            raise SpecError(where, f"'{key}' is grading data, which a student set (student: true) does not carry")
    _check_keys(data, allowed, where)
    return kept


def _load_rule(part: Part, index: int, raw: Any, where: str) -> Rule:
    data = _mapping(raw, where)
    _check_keys(data, RULE_KEYS, where)
    message = _required_str(data, "message", where)
    answers = _str_list(data.get("answers", []), f"{where}.answers")
    if "answer" in data:
        answers.insert(0, _answer_text(data["answer"], f"{where}.answer"))
    mentions = _str_list(data.get("mentions", []), f"{where}.mentions")
    if not answers and not mentions:
        raise SpecError(where, "a rule needs 'answer', 'answers' or 'mentions'")
    for name in mentions:
        if name not in part.vocabulary.symbols:
            known = sorted(part.vocabulary.symbols)
            raise SpecError(f"{where}.mentions", f"'{name}' is not a declared symbol{suggest(name, known)}")
    credit = data.get("credit", 0.0)
    if isinstance(credit, bool) or not isinstance(credit, int | float) or not 0 <= credit <= 1:
        raise SpecError(f"{where}.credit", f"credit is a share of the points from 0 to 1, not {describe(credit)}")
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
        note=_text(data["note"], f"{where}.note") if "note" in data else default_rule_note(answers, mentions),
        readings=tuple(readings),
    )


def default_rule_note(answers: Sequence[str], mentions: Sequence[str]) -> str:
    """The tag of a rule without ``note``: what it matches, so that reports can name the rule
    (``rule:answer=±sqrt(d)``, ``rule:mentions=sigma,mu``) rather than number it (``rule:0``,
    which says nothing and changes meaning when rules are reordered)."""
    if answers:
        text = " ".join(answers[0].split())
        if len(text) > RULE_NOTE_CHARS:
            text = text[: RULE_NOTE_CHARS - 1].rstrip() + "…"
        return f"rule:answer={text}"
    return f"rule:mentions={','.join(mentions)}"


def build_vocabulary(
    symbols: Mapping[str, Any], functions: Sequence[str], where: str, aliases: Mapping[str, str] | None = None
) -> Vocabulary:
    """``{name: "positive integer"}`` declarations → the reader's Vocabulary."""
    table: dict[str, sympy.Symbol] = {}
    vectors: set[str] = set()
    for name, flags_text in symbols.items():
        if flags_text is not None and not isinstance(flags_text, str):
            raise SpecError(
                f"{where}: symbols.{name}", f"expected flags as text ('positive integer'), not {describe(flags_text)}"
            )
        flags = (flags_text or "").split()
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
        table[alias] = table[target]  # another spelling of the same quantity (d_in for d)
        if target in vectors:
            vectors.add(alias)
    return Vocabulary(symbols=table, vectors=frozenset(vectors), functions=frozenset(functions))


# --- small typed-YAML helpers -------------------------------------------------


def build_dataclass(cls: type[Any], data: Mapping[str, Any], where: str) -> Any:
    """Build a frozen dataclass from YAML data: every key known, every value of its field's type."""
    hints = typing.get_type_hints(cls)
    fields = [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]
    _check_keys(data, [f.name for f in fields], where)
    missing = [f.name for f in fields if f.name not in data and _required(f)]
    if missing:
        raise SpecError(where, f"missing '{missing[0]}' ({type_name(hints[missing[0]])})")
    values = {name: _convert(hints[name], value, f"{where}.{name}") for name, value in data.items()}
    try:
        return cls(**values)
    except TypeError as error:
        raise SpecError(where, str(error)) from None


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def type_name(hint: Any, plural: bool = False) -> str:
    """A field's type in the words of a spec author (``a list of whole numbers``), for messages
    and the docs; ``plural``: as the items of a list (``whole numbers``)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(arg, plural) for arg in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(arg) for arg in args)
    if origin is tuple:
        return f"{'lists' if plural else 'a list'} of {type_name(args[0], plural=True)}"
    if origin in (dict, Mapping) or hint is dict:
        values = type_name(args[1], plural=True) if args else "anything"
        return f"{'mappings' if plural else 'a mapping'} of names to {values}"
    if dataclasses.is_dataclass(hint):
        keys = ", ".join(f.name for f in dataclasses.fields(hint) if not f.metadata.get("internal"))
        return f"{'mappings' if plural else 'a mapping'} with {keys}"
    singular, many = _SCALAR_NAMES.get(hint, ("anything", "anything"))
    return many if plural else singular


_SCALAR_NAMES: dict[Any, tuple[str, str]] = {
    float: ("a number", "numbers"),
    int: ("a whole number", "whole numbers"),
    bool: ("true or false", "booleans (true or false)"),
    str: ("text", "text"),
    type(None): ("null", "nulls"),
}


def describe(value: Any) -> str:
    """A YAML value as its author wrote it, for "expected …, not …" messages."""
    if value is None:
        return "null (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"the text {shown!r}" if value else "empty text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _convert(hint: Any, value: Any, where: str) -> Any:
    """``value`` as the type ``hint`` declares, or a SpecError; never a silent coercion."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        return _convert_union(hint, args, value, where)
    if origin is typing.Literal:
        if value in args and not isinstance(value, bool):
            return value
        raise SpecError(where, f"expected {type_name(hint)}, not {describe(value)}{_close(value, args)}")
    if origin is tuple:
        return tuple(_convert(args[0], item, f"{where}[{i}]") for i, item in enumerate(_list(value, where, hint)))
    if origin in (dict, Mapping) or hint is dict:
        value_hint = args[1] if args else Any
        return {k: _convert(value_hint, v, f"{where}.{k}") for k, v in _mapping(value, where, hint).items()}
    if dataclasses.is_dataclass(hint):
        return build_dataclass(typing.cast(type[Any], hint), _mapping(value, where, hint), where)
    return _convert_scalar(hint, value, where)


def _convert_union(hint: Any, args: tuple[Any, ...], value: Any, where: str) -> Any:
    if value is None and type(None) in args:
        return None
    arms = [arg for arg in args if arg is not type(None)]
    for arm in arms:
        try:
            return _convert(arm, value, where)
        except SpecError:
            if len(arms) == 1:
                raise
    raise SpecError(where, f"expected {type_name(hint)}, not {describe(value)}")


def _convert_scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SpecError(where, f"expected a number, not {describe(value)}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(where, f"expected a whole number, not {describe(value)}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise SpecError(where, f"expected true or false, not {describe(value)}")
        return value
    if hint is str:
        return _answer_text(value, where)
    return value


def _close(value: Any, choices: Sequence[Any]) -> str:
    if not isinstance(value, str):
        return ""
    close = closest(value, [str(choice) for choice in choices])
    return f", did you mean '{close}'?" if close else ""


def _check_keys(data: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise SpecError(f"{where}", f"unknown key '{key}'{suggest(str(key), list(allowed))}")


def _mapping(value: Any, where: str, hint: Any = None) -> dict[str, Any]:
    """A YAML mapping with its keys as text; anything else (null included) is refused."""
    if not isinstance(value, Mapping):
        wanted = type_name(hint) if hint is not None else "a mapping"
        advice = " (write {} for none, or leave the key out)" if value is None else ""
        raise SpecError(where, f"expected {wanted}, not {describe(value)}{advice}")
    return {str(k): v for k, v in value.items()}


def _list(value: Any, where: str, hint: Any = None) -> list[Any]:
    """A YAML list; a single value where a list belongs is refused with the way to write it."""
    if isinstance(value, list):
        return value
    wanted = type_name(hint) if hint is not None else "a list"
    if value is None:
        advice = " (write [] for none, or leave the key out)"
    elif isinstance(value, Mapping):
        advice = ""
    else:
        advice = f" (write [{value}] for a list of one)" if isinstance(value, str) else ""
    raise SpecError(where, f"expected {wanted}, not {describe(value)}{advice}")


def _str_list(value: Any, where: str) -> list[str]:
    """A list of answers or names; numbers are kept as YAML wrote them, anything else refused."""
    return [_answer_text(item, f"{where}[{i}]") for i, item in enumerate(_list(value, where, tuple[str, ...]))]


def _text(value: Any, where: str) -> str:
    """Prose (a title, a prompt, a message): text only."""
    if not isinstance(value, str):
        advice = "" if isinstance(value, Mapping | list) else _QUOTE_IT
        raise SpecError(where, f"expected text, not {describe(value)}{advice}")
    return value


def _answer_text(value: Any, where: str) -> str:
    """An answer or a value written as math: text, or a number YAML read as one (``0.25``).
    A boolean, null, list or mapping is refused: ``yes`` would become ``True``."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    advice = _QUOTE_IT if value is None or isinstance(value, bool) else ""
    raise SpecError(where, f"expected text, not {describe(value)}{advice}")


_QUOTE_IT = " (quote it to write it as text)"


def _text_mapping(value: Any, where: str) -> dict[str, str]:
    return {key: _text(item, f"{where}.{key}") for key, item in _mapping(value, where).items()}


def _required_str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if value is None or value == "":
        raise SpecError(where, f"missing '{key}'")
    return _text(value, f"{where}.{key}" if ": " in where else f"{where}: {key}")
