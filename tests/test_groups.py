"""Answer groups (autograder.groups), group decisions in overrides.yaml, what --compare
says about them, the review reason a review row shows, and the review load of a
generated class."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from autograder import api
from autograder.groups import answer_groups, group_of, review_groups, review_load
from autograder.render import write_reports
from autograder.render.compare import compare
from autograder.render.overrides import (
    GroupDecision,
    Override,
    OverrideError,
    Overrides,
    apply_overrides,
    load_overrides,
)
from autograder.render.records import GradedPart, GradedQuestion, GradedSubmission
from autograder.render.report import review_reason, rubric_summary
from bench.bench_grade import generate
from tests.conftest import HW9_PROBLEMS, HW9_REFERENCE
from tests.test_reports import parse_html

SOURCE = Path("overrides.yaml")


def part(
    part_id: str = "q6.a",
    as_read: str | None = "sim(q, k) ≥ 0",
    *,
    group: str | None = None,
    note: str = "rubric:-nonzero",
    verdict: Any = "needs_review",
    score: float = 0.5,
    raw: str | None = None,
    feedback: str = "",
) -> GradedPart:
    return GradedPart(
        id=part_id,
        question=part_id.split(".")[0],
        title=part_id,
        max_score=2.0,
        score=score,
        verdict=verdict,
        feedback=feedback,
        answer_raw=raw if raw is not None else as_read,
        answer_as_read=as_read,
        note=note,
        group=(as_read or "") if group is None else group,
    )


def record(name: str, *parts: GradedPart) -> GradedSubmission:
    return GradedSubmission(name, (GradedQuestion("q", "Q", "", parts),))


def by_name(records: list[GradedSubmission]) -> dict[str, GradedPart]:
    """Each record's only part."""
    return {item.submission: item.parts[0] for item in records}


# --- grouping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        pytest.param(  # equivalent math: the kind's canonical text is the same
            [part(as_read="sqrt(d)", group="d^(1/2)"), part(as_read="d^(1/2)", group="d^(1/2)")],
            [("a", "b")],
            id="equivalent-math",
        ),
        pytest.param(
            [part(as_read="Argmax has no gradient."), part(as_read="Argmax has no gradient.")],
            [("a", "b")],
            id="identical-free-text",
        ),
        pytest.param(  # same words, other ideas found: other outcome, other group
            [part(note="rubric:+zero"), part(note="rubric:-zero")],
            [("a",), ("b",)],
            id="other-note",
        ),
        pytest.param([part("q6.a"), part("q6.b")], [("a",), ("b",)], id="other-part"),
        pytest.param(  # not read: by the text as typed, white space collapsed
            [part(as_read=None, raw="sim >=  0"), part(as_read=None, raw="sim >= 0\n")],
            [("a", "b")],
            id="unread-raw-text",
        ),
        pytest.param(  # largest first
            [part(as_read="x"), part(as_read="y"), part(as_read="y")],
            [("b", "c"), ("a",)],
            id="largest-first",
        ),
    ],
)
def test_answers_group_by_part_reading_and_note(answers: list[GradedPart], expected: list[tuple[str, ...]]) -> None:
    names = "abcdefgh"
    groups = answer_groups(zip(names, answers, strict=False))
    assert [group.members for group in groups] == expected
    for group in groups:
        assert all(group_of(member) == group.id for member in group.parts)


def test_group_ids_are_stable_and_name_their_part() -> None:
    first = answer_groups([("a", part())])[0].id
    again = answer_groups([("z", part()), ("y", part(as_read="other"))])
    assert re.fullmatch(r"q6\.a#[0-9a-f]{8}", first)
    assert first in {group.id for group in again}  # same reading, other class, same id
    assert group_of(part("q6.b")) != first


def test_review_load_counts_parts_groups_and_readings() -> None:
    items = [
        ("a", part(as_read="sqrt(d)", group="d^(1/2)")),
        ("b", part(as_read="d^(1/2)", group="d^(1/2)")),
        ("c", part(as_read="d^(1/2)", group="d^(1/2)")),
        ("d", part(verdict="correct")),
    ]
    load = review_load(items)
    assert (load.parts, load.groups, load.readings) == (3, 1, 2)
    assert str(load) == "3 parts in review → 1 groups (2 distinct readings in review)"
    assert [group.size for group in review_groups(items)] == [3]


# --- group decisions -------------------------------------------------------------------


def test_a_group_decision_grades_every_member_and_nobody_else() -> None:
    members = [record(name, part()) for name in ("a", "b", "c")]
    other = record("d", part(as_read="sim(q, k) > 0"))
    decision = GroupDecision("q6.a", 2.0, "Right idea.", group=group_of(part()))
    graded = by_name(apply_overrides([*members, other], _overrides(decision), SOURCE))
    for name in "abc":
        assert (graded[name].score, graded[name].verdict, graded[name].override_comment) == (
            2.0,
            "correct",
            "Right idea.",
        )
        assert (graded[name].override_group, graded[name].graded_score) == (decision.group, 0.5)
    assert graded["d"].score == 0.5 and not graded["d"].overridden


@pytest.mark.parametrize(
    "answer",
    ["sim(q, k) ≥ 0", "sim(q,k)≥0", "  sim(q, k)   ≥ 0 ", "canonical sim"],
)
def test_a_decision_by_answer_matches_the_answer_as_read_or_its_canonical_text(answer: str) -> None:
    records = [record("a", part(group="canonical sim")), record("b", part(as_read="sim(q, k) > 0"))]
    graded = by_name(apply_overrides(records, _overrides(GroupDecision("q6.a", 1.0, "", answer=answer)), SOURCE))
    assert graded["a"].score == 1.0 and graded["a"].override_group == f'q6.a: "{answer}"'
    assert not graded["b"].overridden


def test_a_decision_by_answer_that_reads_like_several_groups_asks_for_their_ids() -> None:
    """Code is shown as a summary: two different programs both read "Python source, 3 lines"."""
    summary = "Python source, 3 lines"
    records = [
        record("a", part("q3.b", summary, group="python:aaaa", note="module:call_fails")),
        record("b", part("q3.b", summary, group="python:bbbb", note="module:call_fails")),
    ]
    decision = GroupDecision("q3.b", 1.0, "", answer=summary)
    with pytest.raises(OverrideError, match=r"2 different groups read like this.*group id"):
        apply_overrides(records, _overrides(decision), SOURCE)


def test_a_per_submission_entry_wins_over_a_group_decision() -> None:
    records = [record("a", part()), record("b", part())]
    overrides = _overrides(
        GroupDecision("q6.a", 2.0, "group", group=group_of(part())), submissions=(Override("b", "q6.a", 0.0, "own"),)
    )
    graded = by_name(apply_overrides(records, overrides, SOURCE))
    assert (graded["a"].score, graded["a"].override_comment, graded["a"].override_group) == (
        2.0,
        "group",
        group_of(part()),
    )
    assert (graded["b"].score, graded["b"].override_comment, graded["b"].override_group) == (0.0, "own", None)


def test_after_a_regrade_the_decision_follows_the_answers_still_in_the_group() -> None:
    decision = _overrides(GroupDecision("q6.a", 2.0, "", group=group_of(part())))
    before = [record(name, part()) for name in ("a", "b", "c")]
    regraded = [record("a", part()), record("b", part(as_read="sim(q, k) > 0", score=2.0)), record("c", part())]
    graded = by_name(apply_overrides(regraded, decision, SOURCE))
    assert graded["a"].overridden and graded["c"].overridden
    assert not graded["b"].overridden and graded["b"].score == 2.0  # changed its answer: its own grade
    assert by_name(apply_overrides(before, decision, SOURCE))["b"].overridden


def test_compare_names_the_group_decision_behind_a_change() -> None:
    records = [record("a", part()), record("b", part()), record("c", part(as_read="other"))]
    decision = GroupDecision("q6.a", 1.0, "", group=group_of(part()))
    new = apply_overrides(records, _overrides(decision), SOURCE)
    changes = compare(records, new)
    assert [change.submission for change in changes] == ["a", "b"]
    assert all(change.parts[0].cause == f"group decision {decision.group}" for change in changes)

    regraded = [record("a", part(as_read="left the group", score=0.0)), *records[1:]]
    later = apply_overrides(regraded, _overrides(decision), SOURCE)
    (left,) = compare(new, later)
    assert left.submission == "a" and left.parts[0].cause == f"no longer under group decision {decision.group}"


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ('groups:\n  "q6.a#00000000": 1\n', "no graded answer is in this group"),
        ('groups:\n  "q6.x#00000000": 1\n', "q6.x#00000000: no such part, did you mean 'q6.a'?"),
        ('groups:\n  "q6.a#zz": 1\n', "not a group id"),
        ("groups:\n  q6.a:\n    - {answer: 'sim(q, k) ≥ 1', score: 1}\n", "did you mean 'sim(q, k) ≥ 0'?"),
        ("groups:\n  q6.a:\n    - {answer: 'nothing like it at all', score: 1}\n", "no graded answer reads as this"),
        ("groups:\n  q6.a:\n    - {score: 1}\n", "'answer' must be the answer as the report reads it"),
        ("groups:\n  q6.a:\n    - {answer: 'sim(q, k) ≥ 0', score: 3}\n", "score 3 is outside 0 to 2"),
        ("groups:\n  q6.a:\n    - {answer: 'sim(q, k) ≥ 0', scor: 1}\n", "did you mean 'score'?"),
        (
            "groups:\n  q6.a:\n    - {answer: 'sim(q, k) ≥ 0', score: 1}\n    - {answer: 'sim(q,k) ≥ 0', score: 2}\n",
            "decide a's q6.a differently",
        ),
        ("groups: [1, 2]\n", "expected a mapping group id"),
    ],
)
def test_a_group_entry_that_matches_nothing_or_is_malformed_is_an_error(
    tmp_path: Path, yaml_text: str, message: str
) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(OverrideError, match=re.escape(message)):
        apply_overrides([record("a", part()), record("b", part(as_read="x"))], load_overrides(path), path)


def test_group_decisions_load_from_yaml_beside_per_submission_entries(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    gid = group_of(part())
    path.write_text(
        f"a:\n  q6.a: 0\ngroups:\n  \"{gid}\": {{score: 2, comment: ok}}\n  q6.b:\n    answer: 'x'\n    score: 1\n",
        encoding="utf-8",
    )
    loaded = load_overrides(path)
    assert loaded.submissions == (Override("a", "q6.a", 0.0, ""),)
    assert loaded.groups == (
        GroupDecision("q6.a", 2.0, "ok", group=gid),
        GroupDecision("q6.b", 1.0, "", answer="x"),
    )


def _overrides(*decisions: GroupDecision, submissions: tuple[Override, ...] = ()) -> Overrides:
    return Overrides(submissions, decisions)


# --- why a group is in review ------------------------------------------------------------

RUBRIC_FEEDBACK = """You explain: the denominator must not vanish
Something is missing. What must hold for every i?
sim ≥ 0 alone is not enough.
The ideas recognised so far earn 50% of the points.
This grade is provisional: an instructor will review it."""


@pytest.mark.parametrize(
    ("note", "feedback", "why"),
    [
        (
            "rubric:+nonzero,-every_i,!nonnegative_only",
            RUBRIC_FEEDBACK,
            ("Missing: What must hold for every i?", "sim ≥ 0 alone is not enough."),
        ),
        (
            "complexity:undecided",
            "Your bound reads as O(n).\nIt could not be compared.\nTry fewer terms.\n"
            "This grade is provisional: an instructor will review it.",
            ("It could not be compared.", "Try fewer terms."),
        ),
        ("manual", "Received.\nThis grade is provisional: an instructor will review it.", ("Received.",)),
    ],
)
def test_a_review_row_keeps_only_why_the_answer_is_in_review(note: str, feedback: str, why: tuple[str, ...]) -> None:
    assert review_reason(part(note=note, feedback=feedback)) == why


@pytest.mark.parametrize(
    ("note", "summary"),
    [
        ("rubric:+a,-b,!c", "missing: b · asserts: c"),
        ("rubric:+a,~b,?c", "contradicted: b · may assert: c"),
        ("rubric:+a", ""),
        ("rule:answer=sqrt(d)", ""),
    ],
)
def test_rubric_notes_summarise_what_is_missing_or_wrong(note: str, summary: str) -> None:
    assert rubric_summary(note) == summary


# --- the review load of a generated class -------------------------------------------------


def test_a_generated_class_reviews_in_fewer_groups_than_readings(tmp_path: Path) -> None:
    generate(tmp_path / "subs", 40)
    results = api.grade(tmp_path / "subs", problems=HW9_PROBLEMS, reference=HW9_REFERENCE, out=tmp_path / "out", jobs=2)
    items = [(result.submission, item) for result in results for item in result.parts]
    load = review_load(items)
    assert load.parts > load.groups > 0
    assert load.groups <= load.readings
    same_text: dict[tuple[str, str], set[str]] = {}
    for _, item in items:
        if item.verdict == "needs_review":
            same_text.setdefault((item.id, " ".join((item.answer_raw or "").split())), set()).add(group_of(item))
    assert all(len(ids) == 1 for ids in same_text.values())  # identical answers: one group

    write_reports(tmp_path / "out", plots=False)
    rows = parse_html(tmp_path / "out" / "report.html").find("table", id="review-queue").find_all("tr")
    groups = [row for row in rows if "review-group" in row.attrs.get("class", "")]
    assert len(groups) == load.groups
    assert sum(int(row.attrs["data-count"]) for row in groups) == load.parts
