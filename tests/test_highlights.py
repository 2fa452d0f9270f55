"""What a free-text grader recognised is marked in the pages: found ideas, denied ones and
misconceptions (``PartResult.highlights``), escaped like every other piece of student text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from autograder import api
from autograder.render.env import highlighted
from autograder.result import PartResult

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("text", "spans", "limit", "expected"),
    [
        ("sim > 0 always", [(0, 7, "positive")], None, '<mark class="found" title="positive">sim &gt; 0</mark> always'),
        ("a b", [(2, 3, "denied:x")], None, 'a <mark class="denied" title="denied:x">b</mark>'),
        ("a b", [(0, 1, "!wrong")], None, '<mark class="misconception" title="!wrong">a</mark> b'),
        (
            "<script>x</script>",
            [(8, 9, "<b>")],
            None,
            '&lt;script&gt;<mark class="found" title="&lt;b&gt;">x</mark>&lt;/script&gt;',
        ),
        # overlapping, empty and out-of-range spans are left out, never a crash
        (
            "abcdef",
            [(0, 3, "a"), (2, 5, "b"), (4, 4, "c"), (5, 99, "d")],
            None,
            '<mark class="found" title="a">abc</mark>def',
        ),
        ("abcdef", [(1, 2, "a"), (3, 6, "b")], 4, 'a<mark class="found" title="a">b</mark>cd …'),
        ("plain", [], None, "plain"),
        (None, [], None, ""),
    ],
)
def test_highlighted_marks_and_escapes(
    text: str | None, spans: list[tuple[int, int, str]], limit: int | None, expected: str
) -> None:
    assert str(highlighted(text, spans, limit)) == expected


def test_a_free_text_answer_is_shown_with_what_was_recognised(
    tmp_path: Path, grade_hw9: Callable[[str, str], PartResult]
) -> None:
    answer = "The sum of sim(Q_i, K_j) over j must be non-zero for every i; sim > 0 for all q, k does it."
    graded = grade_hw9("q6.a", answer)
    assert graded.highlights, "the rubric marks the words that matched an idea"
    submission = tmp_path / "subs" / "alice"
    submission.mkdir(parents=True)
    (submission / "answers.yaml").write_text(f'q6:\n  a: "{answer}"\n', encoding="utf-8")
    api.grade_with_feedback(
        submission, problems=ROOT / "problems" / "hw9", reference=ROOT / "reference" / "hw9", out=tmp_path / "out"
    )
    page = (tmp_path / "out" / "alice" / "feedback.html").read_text(encoding="utf-8")
    assert '<mark class="found"' in page
