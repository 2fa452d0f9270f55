"""Specs load into typed parts; a bad spec fails fast with file, key path and a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.spec import SpecError, load_problem_set, load_question

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
