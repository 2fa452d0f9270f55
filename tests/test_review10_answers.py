"""Review of issue 10 (reviewer-safety): the note about an answer id given many times must
stay a sentence. ``submission._settle`` lists every line the id is on, so a generated
answers.yaml that repeats ``a:`` 20 000 times gives a note of ~140 000 characters, which is
copied into feedback.html, feedback.md and Gradescope's results.json."""

from __future__ import annotations

import pytest

from autograder.submission import parse_answers

MAX_NOTE = 1000


@pytest.mark.parametrize("same", [True, False])
def test_a_key_given_many_times_gives_a_short_note(same: bool) -> None:
    lines = "".join(f"  a: {'x' if same else f'x{index}'}\n" for index in range(20_000))
    answers, messages = parse_answers(f"q1:\n{lines}".encode(), "answers.yaml")
    assert "q1.a" in answers
    assert messages and max(len(message) for message in messages) <= MAX_NOTE
