"""Specs load into typed parts; a bad spec fails fast with file, key path and a suggestion."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml

from autograder.spec import SpecError, build_dataclass, load_problem_set, load_question

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
id: q9
symbols: {d: positive integer, mu: real vector}
parts:
  a:
    kind: symbolic
    points: 2
    rules:
      - answer: d*mu
        message: square it
"""

BAD_SPECS = [
    (
        "id: q9\nparts:\n  f:\n    kind: complexty\n",
        "q9.yaml: parts.f.kind: unknown kind 'complexty', did you mean 'complexity'?",
    ),
    (
        "id: q9\nparts:\n  a:\n    kind: symbolic\n    pionts: 2\n",
        "parts.a: unknown key 'pionts', did you mean 'points'?",
    ),
    ("id: q9\nparts:\n  a:\n    title: x\n", "parts.a: missing 'kind'"),
    ("- id: q9\n", "a question spec must be a mapping"),
    ("id: q9\nparts: {}\n", "a question needs at least one part"),
    ("id: q9\nparts:\n  a: {kind: symbolic, points: -1}\n", "parts.a.points: points must be a number ≥ 0"),
    (
        "id: q9\nsymbols: {sigma: positive}\nparts:\n  a:\n    kind: symbolic\n    rules:\n"
        "      - {mentions: [sgima], message: m}\n",
        "parts.a.rules[0].mentions: 'sgima' is not a declared symbol, did you mean 'sigma'?",
    ),
    (
        "id: q9\nsymbols: {d: positive}\nparts:\n  a:\n    kind: symbolic\n    rules:\n"
        "      - {answer: 'd +* 2', message: m}\n",
        "parts.a.rules[0].answer: cannot read 'd +* 2'",
    ),
    (
        "id: q9\nparts:\n  a:\n    kind: symbolic\n    rules:\n      - {message: m}\n",
        "needs 'answer', 'answers' or 'mentions'",
    ),
    (
        "id: q9\nsymbols: {d: postive}\nparts:\n  a: {kind: symbolic}\n",
        "unknown flag 'postive', did you mean 'positive'?",
    ),
    ("id: q9\nparts:\n  a: {kind: symbolic, substitute: {z: 1}}\n", "'z' is not a declared symbol"),
    ("id: q9\nparts:\n  a: {kind: vector, abs_tol: tiny}\n", "parts.a.abs_tol: expected a number"),
    ("id: q9\nparts: [\n", "not valid YAML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SPECS)
def test_bad_specs_fail_with_a_located_message(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "q9.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_question(path)
    assert message in str(raised.value)


def test_good_spec_loads_into_typed_parts(tmp_path: Path) -> None:
    path = tmp_path / "q9.yaml"
    path.write_text(GOOD, encoding="utf-8")
    question = load_question(path)
    (part,) = question.parts
    assert part.id == "q9.a"
    assert part.points == 2.0
    assert part.vocabulary.symbols["d"].is_integer
    assert "mu" in part.vocabulary.vectors
    assert part.rules[0].readings, "rule answers are read once, at load"


def test_duplicate_answer_ids_across_files_are_refused(tmp_path: Path) -> None:
    for name in ("one.yaml", "two.yaml"):
        (tmp_path / name).write_text("id: q9\nparts:\n  a: {kind: symbolic}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="also defined in"):
        load_problem_set(tmp_path)


def test_hw9_and_the_tiny_set_load() -> None:
    hw9 = load_problem_set(ROOT / "problems" / "hw9")
    assert [q.id for q in hw9.questions] == ["q1", "q2", "q3", "q4", "q6"]
    ids = {part.id for part in hw9.parts}
    assert {"q1.a", "q3.a.e", "q3.b", "q4.g", "q6.b.ii", "q6.c.time", "q6.d.space"} <= ids
    tiny = load_problem_set(ROOT / "tests" / "fixtures" / "tiny" / "problems")
    assert {part.kind for part in tiny.parts} == {"symbolic", "numeric", "vector", "complexity", "token", "manual"}


MISTYPED = [
    # (part keys, exact located message): every field's type is checked, nothing is coerced
    (
        "kind: symbolic\n    show_reference: flase",
        "q9.yaml: parts.a.show_reference: expected true or false, not the text 'flase'",
    ),
    ("kind: symbolic\n    show_reference: 1", "q9.yaml: parts.a.show_reference: expected true or false, not 1"),
    (
        "kind: symbolic\n    show_reference:",
        "q9.yaml: parts.a.show_reference: expected true or false, not null (an empty value)",
    ),
    ("kind: symbolic\n    points: '2'", "q9.yaml: parts.a.points: points must be a number ≥ 0, not the text '2'"),
    ("kind: symbolic\n    points: true", "q9.yaml: parts.a.points: points must be a number ≥ 0, not true"),
    ("kind: symbolic\n    title: [a, b]", "q9.yaml: parts.a.title: expected text, not a list"),
    (
        "kind: symbolic\n    title:",
        "q9.yaml: parts.a.title: expected text, not null (an empty value) (quote it to write it as text)",
    ),
    ("kind: symbolic\n    prompt: {x: 1}", "q9.yaml: parts.a.prompt: expected text, not a mapping"),
    (
        "kind: symbolic\n    example: yes",
        "q9.yaml: parts.a.example: expected text, not true (quote it to write it as text)",
    ),
    ("kind: [symbolic]", "q9.yaml: parts.a.kind: expected text, not a list"),
    (
        "kind: symbolic\n    accept: d",
        "q9.yaml: parts.a.accept: expected a list of text, not the text 'd' (write [d] for a list of one)",
    ),
    (
        "kind: symbolic\n    reject:",
        "q9.yaml: parts.a.reject: expected a list of text, not null (an empty value) "
        "(write [] for none, or leave the key out)",
    ),
    ("kind: symbolic\n    accept: [d, [d]]", "q9.yaml: parts.a.accept[1]: expected text, not a list"),
    (
        "kind: symbolic\n    accept: [d, null]",
        "q9.yaml: parts.a.accept[1]: expected text, not null (an empty value) (quote it to write it as text)",
    ),
    ("kind: symbolic\n    rules: {answer: d}", "q9.yaml: parts.a.rules: expected a list, not a mapping"),
    ("kind: symbolic\n    rules: [d]", "q9.yaml: parts.a.rules[0]: expected a mapping, not the text 'd'"),
    (
        "kind: symbolic\n    rules: [{answer: d, message: [m]}]",
        "q9.yaml: parts.a.rules[0].message: expected text, not a list",
    ),
    (
        "kind: symbolic\n    rules: [{answer: no, message: m}]",
        "q9.yaml: parts.a.rules[0].answer: expected text, not false (quote it to write it as text)",
    ),
    (
        "kind: symbolic\n    rules: [{answers: d, message: m}]",
        "q9.yaml: parts.a.rules[0].answers: expected a list of text, not the text 'd' (write [d] for a list of one)",
    ),
    (
        "kind: symbolic\n    rules: [{mentions: d, message: m}]",
        "q9.yaml: parts.a.rules[0].mentions: expected a list of text, not the text 'd' (write [d] for a list of one)",
    ),
    (
        "kind: symbolic\n    rules: [{answer: d, message: m, credit: '1'}]",
        "q9.yaml: parts.a.rules[0].credit: credit is a share of the points from 0 to 1, not the text '1'",
    ),
    (
        "kind: symbolic\n    rules: [{answer: d, message: m, note: 3}]",
        "q9.yaml: parts.a.rules[0].note: expected text, not 3 (quote it to write it as text)",
    ),
    (
        "kind: symbolic\n    rules: [{answer: d, mesage: m}]",
        "q9.yaml: parts.a.rules[0]: unknown key 'mesage', did you mean 'message'?",
    ),
    (
        "kind: symbolic\n    symbols: {x: [positive]}",
        "q9.yaml: parts.a: symbols.x: expected flags as text ('positive integer'), not a list",
    ),
    (
        "kind: symbolic\n    functions: phi",
        "q9.yaml: parts.a.functions: expected a list of text, not the text 'phi' (write [phi] for a list of one)",
    ),
    (
        "kind: symbolic\n    substitute: [d]",
        "q9.yaml: parts.a.substitute: expected a mapping of names to text, not a list",
    ),
    (
        "kind: symbolic\n    substitute: {d: true}",
        "q9.yaml: parts.a.substitute.d: expected text, not true (quote it to write it as text)",
    ),
    ("kind: numeric\n    abs_tol: null", "q9.yaml: parts.a.abs_tol: expected a number, not null (an empty value)"),
    ("kind: numeric\n    rel_tol: '1e-3'", "q9.yaml: parts.a.rel_tol: expected a number, not the text '1e-3'"),
    ("kind: numeric\n    abs_tl: 0.1", "q9.yaml: parts.a: unknown key 'abs_tl', did you mean 'abs_tol'?"),
    (
        "kind: token\n    strip_prefix: torch.",
        "q9.yaml: parts.a.strip_prefix: expected a list of text, not the text 'torch.' "
        "(write [torch.] for a list of one)",
    ),
    (
        "kind: token\n    aliases: {F.softmax: [softmax]}",
        "q9.yaml: parts.a.aliases.F.softmax: expected text, not a list",
    ),
    ("kind: einsum\n    sizes: {b: 2.5}", "q9.yaml: parts.a.sizes.b: expected a whole number, not 2.5"),
    ("kind: einsum\n    operands: [{name: x}]", "q9.yaml: parts.a.operands[0]: missing 'shape' (a list of text)"),
    ("kind: feature_map\n    kernel: x", "q9.yaml: parts.a: missing 'variables' (a list of text)"),
]
QUESTION_MISTYPED = [
    ("id: q9\ntitle: [x]\nparts:\n  a: {kind: symbolic}\n", "q9.yaml: title: expected text, not a list"),
    ("id: [q9]\nparts:\n  a: {kind: symbolic}\n", "q9.yaml: id: expected text, not a list"),
    (
        "id: q9\nsymbols:\nparts:\n  a: {kind: symbolic}\n",
        "q9.yaml: symbols: expected a mapping, not null (an empty value) (write {} for none, or leave the key out)",
    ),
    (
        "id: q9\naliases: {d_model: [d]}\nsymbols: {d: positive}\nparts:\n  a: {kind: symbolic}\n",
        "q9.yaml: aliases.d_model: expected text, not a list",
    ),
    ("id: q9\nparts: [a]\n", "q9.yaml: parts: expected a mapping, not a list"),
    ("id: q9\nparts:\n  a: symbolic\n", "q9.yaml: parts.a: expected a mapping, not the text 'symbolic'"),
    ("id: q9\n", "q9.yaml: parts: a question needs at least one part"),
]


@pytest.mark.parametrize(("keys", "message"), MISTYPED)
def test_a_mistyped_part_field_fails_with_its_expected_type(tmp_path: Path, keys: str, message: str) -> None:
    path = tmp_path / "q9.yaml"
    path.write_text(f"id: q9\nsymbols: {{d: positive}}\nparts:\n  a:\n    {keys}\n", encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_question(path)
    assert str(raised.value) == message


@pytest.mark.parametrize(("text", "message"), QUESTION_MISTYPED)
def test_a_mistyped_question_field_fails_with_its_expected_type(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "q9.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_question(path)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("keys", "field", "value"),
    [
        ("show_reference: true", "show_reference", True),
        ("show_reference: false", "show_reference", False),
        ("example: 0.25", "example", "0.25"),
        ("accept: [1, '2', 3.5]", "accept", ("1", "2", "3.5")),
        ("accept: []", "accept", ()),
        ("title: 'yes'", "title", "yes"),
        ("abs_tol: 1e-3", "params", 0.001),  # YAML 1.2 reads it as a number, as editors do
        ("abs_tol: 2E+1", "params", 20.0),
        ("abs_tol: 1.5e-2", "params", 0.015),
    ],
)
def test_well_typed_fields_keep_their_values(tmp_path: Path, keys: str, field: str, value: object) -> None:
    path = tmp_path / "q9.yaml"
    path.write_text(f"id: q9\nparts:\n  a:\n    kind: numeric\n    {keys}\n", encoding="utf-8")
    (part,) = load_question(path).parts
    got = part.params.abs_tol if field == "params" else getattr(part, field)
    assert got == value


SET_FILES = [
    ("title: HW\nreference: ../ref\n", "HW", "ref"),
    ("reference: ../ref\n", "", "ref"),
    ("title: HW\n", "HW", None),
]


@pytest.mark.parametrize(("text", "title", "reference"), SET_FILES)
def test_set_file_names_the_title_and_the_reference(
    tmp_path: Path, text: str, title: str, reference: str | None
) -> None:
    folder = tmp_path / "problems"
    folder.mkdir()
    (folder / "set.yaml").write_text(text, encoding="utf-8")
    (folder / "q9.yaml").write_text("id: q9\nparts:\n  a: {kind: symbolic}\n", encoding="utf-8")
    problem_set = load_problem_set(folder)
    assert [q.id for q in problem_set.questions] == ["q9"], "set.yaml is not read as a question"
    assert problem_set.title == title
    assert problem_set.reference == (None if reference is None else (tmp_path / reference).resolve())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("reference: [../ref]\n", "set.yaml: reference: expected text, not a list"),
        ("referense: ../ref\n", "set.yaml: unknown key 'referense', did you mean 'reference'?"),
        ("- ../ref\n", "set.yaml: expected a mapping with reference and title, not a list"),
        ("reference: ''\n", "set.yaml: reference: expected a folder path, not empty text"),
        ("title: true\n", "set.yaml: title: expected text, not true (quote it to write it as text)"),
    ],
)
def test_a_bad_set_file_fails_with_a_located_message(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "set.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "q9.yaml").write_text("id: q9\nparts:\n  a: {kind: symbolic}\n", encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_problem_set(tmp_path)
    assert str(raised.value) == message


def test_hw9_and_the_tiny_set_name_their_reference() -> None:
    assert load_problem_set(ROOT / "problems" / "hw9").reference == ROOT / "reference" / "hw9"
    tiny = ROOT / "tests" / "fixtures" / "tiny"
    assert load_problem_set(tiny / "problems").reference == tiny / "reference"


@dataclass(frozen=True)
class _Item:
    name: str


@dataclass(frozen=True)
class _Params:
    mode: Literal["none", "causal"] = "none"
    size: int | str = 1
    limit: float | None = None
    items: tuple[_Item, ...] = ()


CONVERSIONS = [
    ({"mode": "causal"}, "mode", "causal"),
    ({"size": 3}, "size", 3),
    ({"size": "d_model"}, "size", "d_model"),
    ({"limit": None}, "limit", None),
    ({"limit": 2}, "limit", 2.0),
    ({"items": [{"name": "x"}]}, "items", (_Item("x"),)),
]


@pytest.mark.parametrize(("data", "field", "value"), CONVERSIONS)
def test_typed_fields_convert_by_their_declared_type(data: dict[str, Any], field: str, value: Any) -> None:
    assert getattr(build_dataclass(_Params, data, "q.yaml: parts.a"), field) == value


BAD_CONVERSIONS = [
    (
        {"mode": "casual"},
        "q.yaml: parts.a.mode: expected one of 'none', 'causal', not the text 'casual', did you mean 'causal'?",
    ),
    ({"mode": True}, "q.yaml: parts.a.mode: expected one of 'none', 'causal', not true"),
    ({"size": [1]}, "q.yaml: parts.a.size: expected a whole number or text, not a list"),
    ({"limit": "x"}, "q.yaml: parts.a.limit: expected a number, not the text 'x'"),
    ({"items": [{"nmae": "x"}]}, "q.yaml: parts.a.items[0]: unknown key 'nmae', did you mean 'name'?"),
    ({"items": [{}]}, "q.yaml: parts.a.items[0]: missing 'name' (text)"),
]


@pytest.mark.parametrize(("data", "message"), BAD_CONVERSIONS)
def test_mistyped_fields_name_their_declared_type(data: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        build_dataclass(_Params, data, "q.yaml: parts.a")
    assert str(raised.value) == message


def _part_keys() -> list[tuple[str, str, str]]:
    """(file, part, key) for every key of every part of the tiny set."""
    found = []
    for path in sorted((ROOT / "tests" / "fixtures" / "tiny" / "problems").glob("[!s]*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [(path.name, part, key) for part, keys in data["parts"].items() for key in keys]
    return found


@pytest.mark.parametrize(("name", "part", "key"), _part_keys())
def test_any_field_of_the_wrong_type_is_a_spec_error_never_a_crash(
    tmp_path: Path, name: str, part: str, key: str
) -> None:
    source = ROOT / "tests" / "fixtures" / "tiny" / "problems" / name
    for wrong in (None, [], {}, True, [None], {"x": None}):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        was_a_list = isinstance(data["parts"][part][key], list)
        data["parts"][part][key] = wrong
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        try:
            load_question(path)
        except SpecError as error:
            assert error.where.startswith(f"{name}: parts.{part}"), error
        else:  # only an empty list where a list belongs is still a valid spec
            assert wrong == [] and was_a_list, f"parts.{part}.{key}: {wrong!r} was accepted"
