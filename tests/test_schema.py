"""The JSON Schema and the kinds' parameter tables: generated, current, and agreeing with the loader."""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from autograder import schema
from autograder.graders import REGISTRY
from autograder.spec import SET_FILE, SpecError, load_question, read_yaml
from tests.conftest import ROOT, TINY
from tests.test_spec import MISTYPED, QUESTION_MISTYPED

SPECS = sorted(
    path for path in [*ROOT.glob("problems/*/*.yaml"), *TINY.glob("problems/*.yaml")] if path.name != SET_FILE
)
MODELINE = "# yaml-language-server: $schema=../../docs/spec.schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    committed = json.loads(schema.SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(committed)
    return jsonschema.Draft7Validator(committed)


def test_the_committed_schema_is_the_generated_one() -> None:
    assert schema.SCHEMA_FILE.read_text(encoding="utf-8") == schema.schema_text(), (
        "docs/spec.schema.json is stale: run python -m autograder.schema --write"
    )


def test_the_docs_list_every_kinds_current_parameters() -> None:
    markdown = schema.SPEC_DOC.read_text(encoding="utf-8")
    assert schema.docs_with_kinds(markdown) == markdown, (
        "docs/spec.md's kind parameters are stale: run python -m autograder.schema --write"
    )
    for name, kind in REGISTRY.items():
        assert f"### `{name}`" in markdown
        for field in schema.public_fields(kind.params):
            assert f"| `{field.name}` |" in markdown


def test_check_reports_nothing_stale() -> None:
    assert schema.stale() == []
    assert schema.main(["--check"]) == 0


@pytest.mark.parametrize("path", SPECS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_spec_in_the_repository_follows_the_schema(validator: jsonschema.Draft7Validator, path: Path) -> None:
    data = read_yaml(path, path.name)
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(data)]
    assert errors == []


def test_hw9_specs_name_the_schema_for_editors() -> None:
    for path in sorted((ROOT / "problems" / "hw9").glob("q*.yaml")):
        assert path.read_text(encoding="utf-8").splitlines()[0] == MODELINE, path.name
    assert (ROOT / "problems" / "hw9" / MODELINE.rsplit("=", 1)[1]).resolve() == schema.SCHEMA_FILE


def _part_spec(keys: str) -> str:
    return f"id: q9\nsymbols: {{d: positive}}\nparts:\n  a:\n    {keys}\n"


@pytest.mark.parametrize(("keys", "message"), MISTYPED)
def test_the_schema_refuses_what_the_loader_refuses(
    validator: jsonschema.Draft7Validator, tmp_path: Path, keys: str, message: str
) -> None:
    path = tmp_path / "q9.yaml"
    path.write_text(_part_spec(keys), encoding="utf-8")
    with pytest.raises(SpecError):
        load_question(path)
    assert not validator.is_valid(yaml.safe_load(_part_spec(keys))), f"the schema accepts: {keys}"


@pytest.mark.parametrize(("text", "message"), QUESTION_MISTYPED)
def test_the_schema_refuses_bad_questions(validator: jsonschema.Draft7Validator, text: str, message: str) -> None:
    assert not validator.is_valid(yaml.safe_load(text))


WELL_TYPED = [
    "kind: symbolic\n    show_reference: true\n    points: 2.5\n    substitute: {d: 1}",
    "kind: numeric\n    abs_tol: 0.01\n    example: 0.25\n    accept: [1, '1.0']",
    "kind: token\n    strip_prefix: [torch.]\n    rules: [{answer: x, credit: 1, message: m}]",
    "kind: einsum\n    operands: [{name: x, shape: [b, d]}]\n    sizes: {b: 2}",
    "kind: manual",
]


@pytest.mark.parametrize("keys", WELL_TYPED)
def test_the_schema_accepts_what_the_loader_accepts(
    validator: jsonschema.Draft7Validator, tmp_path: Path, keys: str
) -> None:
    path = tmp_path / "q9.yaml"
    path.write_text(_part_spec(keys), encoding="utf-8")
    load_question(path)
    errors = [error.message for error in validator.iter_errors(yaml.safe_load(_part_spec(keys)))]
    assert errors == []


def test_each_kind_gets_its_own_parameters(validator: jsonschema.Draft7Validator) -> None:
    """A kind's parameter is refused on another kind (the per-kind if/then)."""
    assert validator.is_valid(yaml.safe_load(_part_spec("kind: numeric\n    abs_tol: 0.1")))
    assert not validator.is_valid(yaml.safe_load(_part_spec("kind: symbolic\n    abs_tol: 0.1")))
    assert not validator.is_valid(yaml.safe_load(_part_spec("kind: numerik")))


@dataclass(frozen=True)
class _Documented:
    plain: int
    """One line."""
    wrapped: str = "x"
    """Two lines,
    joined into one."""
    bare: float = 0.5


def test_field_docstrings_are_read_from_the_source() -> None:
    assert schema.field_docs(_Documented) == {"plain": "One line.", "wrapped": "Two lines, joined into one."}


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("plain", {"type": "integer", "description": "One line."}),
        ("wrapped", {"type": ["string", "number"], "description": "Two lines, joined into one.", "default": "x"}),
        ("bare", {"type": "number", "default": 0.5}),
    ],
)
def test_a_field_becomes_a_typed_described_property(field: str, expected: dict[str, Any]) -> None:
    generated = schema.dataclass_schema(_Documented)
    assert generated["properties"][field] == expected
    assert generated["required"] == ["plain"]


def _undocumented(cls: type[Any], seen: set[type[Any]]) -> list[str]:
    if cls in seen:
        return []
    seen.add(cls)
    docs = schema.field_docs(cls)
    missing = []
    for field in schema.public_fields(cls):
        if field.name not in docs:
            missing.append(f"{cls.__module__}.{cls.__qualname__}.{field.name}")
        nested = schema._nested_dataclass(typing.get_type_hints(cls)[field.name])
        if nested is not None:
            missing.extend(_undocumented(nested, seen))
    return missing


def test_every_kind_parameter_has_a_docstring() -> None:
    """The docs table's meaning column comes from these: a parameter without one is undocumented."""
    seen: set[type[Any]] = set()
    assert [name for kind in REGISTRY.values() for name in _undocumented(kind.params, seen)] == []
