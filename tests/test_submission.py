"""answers.yaml → {answer id: Answer}: nested ids, raw text kept, bad files never raise."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from autograder.submission import MAX_ANSWERS_BYTES, Answer, load_submission, parse_answers
from tests.conftest import HW9_REFERENCE

NESTED = b"""
q1:
  a: d*mu^2
  b: 1:30
  c: yes
q3:
  a:
    e: softmax
  b: {file: mha.py}
q4:
  a: [h, d, q]
q6:
  c:
    time: O(N^2 (D + M))
  d:
    time:
"""


def test_nested_mapping_becomes_dotted_ids_with_raw_text() -> None:
    answers, messages = parse_answers(NESTED)
    assert messages == []
    assert answers["q1.a"] == Answer("d*mu^2")
    # YAML 1.1 would read these as 90 and True; students meant the text.
    assert answers["q1.b"].text == "1:30"
    assert answers["q1.c"].text == "yes"
    assert answers["q3.a.e"].text == "softmax"
    assert answers["q3.b"] == Answer("mha.py", file="mha.py")
    assert answers["q4.a"].text == "[h, d, q]"
    assert answers["q6.c.time"].text == "O(N^2 (D + M))"
    assert "q6.d.time" not in answers  # empty = not answered


def test_flat_dotted_keys_are_accepted_too() -> None:
    answers, _ = parse_answers(b"q1.a: d\nq2:\n  a: [1, 4, 3]\n")
    assert answers["q1.a"].text == "d"
    assert answers["q2.a"].text == "[1, 4, 3]"


BROKEN = [
    (b"- d\n- sqrt(d)\n", "must be a mapping"),
    (b"", "is empty"),
    (b"a: &x [1]\nb: *x\n", "alias"),
]


@pytest.mark.parametrize(("raw", "fragment"), BROKEN)
def test_broken_files_give_a_message_and_no_answers(raw: bytes, fragment: str) -> None:
    answers, messages = parse_answers(raw)
    assert answers == {}
    assert any(fragment in message for message in messages), messages


SALVAGED = [
    (b"q1: [unclosed\n", "q1"),
    (b"q1:\n  a: !!python/object:os.system x\n", "q1.a"),
]


@pytest.mark.parametrize(("raw", "answer_id"), SALVAGED)
def test_yaml_errors_make_that_answer_unreadable(raw: bytes, answer_id: str) -> None:
    answers, messages = parse_answers(raw)
    assert answers[answer_id].problem is not None
    assert any("not valid YAML" in message for message in messages)


def test_invalid_utf8_keeps_the_other_answers() -> None:
    answers, messages = parse_answers(b"q1:\n  a: d\n  b: \xff\xfe\n")
    assert answers["q1.a"].text == "d"
    assert "\ufffd" in answers["q1.b"].text
    assert any("not valid UTF-8" in message for message in messages)


def test_missing_folder_contents_and_oversized_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    submission = load_submission(empty)
    assert submission.answers == {}
    assert "No answers.yaml" in submission.messages[0]

    big = tmp_path / "big"
    big.mkdir()
    (big / "answers.yaml").write_bytes(b"q1: {a: " + b"d" * (MAX_ANSWERS_BYTES + 10) + b"}\n")
    submission = load_submission(big)
    assert submission.answers == {}
    assert "at most" in submission.messages[0]


def test_answers_yml_spelling_is_found(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").write_text("q1: {a: d}\n", encoding="utf-8")
    assert load_submission(tmp_path).answers["q1.a"].text == "d"


def test_a_yaml_error_costs_only_the_answer_it_is_in() -> None:
    raw = b"q1:\n  a: d\n  b: lambda: 0\n  c: sqrt(d)\nq2:\n  a: [1, 4, 3]\n"
    answers, messages = parse_answers(raw)
    assert answers["q1.a"].text == "d"
    assert answers["q1.c"].text == "sqrt(d)"
    assert answers["q2.a"].text == "[1, 4, 3]"
    broken = answers["q1.b"]
    assert broken.problem is not None and "line 3" in broken.problem
    assert any("not valid YAML (line 3" in message for message in messages)


FILE_REFERENCES = [
    ("mha.py", None),
    ("../escape.py", "inside your submission"),
    ("/etc/passwd", "inside your submission"),
    ("missing.py", "not in your submission"),
    ("link.py", "is a symbolic link"),
    ("hard.py", "is a hard link"),
    ("fifo.py", "not a plain file"),
    ("outside/escape.py", "not in your submission"),
    ("big.py", "at most"),
    ("latin1.py", "not valid UTF-8"),
]


@pytest.mark.parametrize(("name", "problem"), FILE_REFERENCES)
def test_file_answers_are_read_from_inside_the_folder_only(tmp_path: Path, name: str, problem: str | None) -> None:
    folder = tmp_path / "student"
    folder.mkdir()
    (tmp_path / "escape.py").write_text("secret", encoding="utf-8")
    (folder / "mha.py").write_text("class MultiHeadAttention: ...\n", encoding="utf-8")
    (folder / "link.py").symlink_to(tmp_path / "escape.py")
    os.link(tmp_path / "escape.py", folder / "hard.py")
    os.mkfifo(folder / "fifo.py")
    (folder / "outside").symlink_to(tmp_path)
    (folder / "big.py").write_bytes(b"#" * 2_000_000)
    (folder / "latin1.py").write_bytes("# caf\xe9\n".encode("latin-1"))
    (folder / "answers.yaml").write_text(f"q3:\n  b: {{file: '{name}'}}\n", encoding="utf-8")
    answer = load_submission(folder).answers["q3.b"]
    if problem is None:
        assert answer.problem is None
        assert answer.text.startswith("class MultiHeadAttention")
    else:
        assert answer.problem is not None and problem in answer.problem
        assert "secret" not in answer.text


# How answers.yaml is made unsafe (given the reference answers, which it must never read) → the message.
UNSAFE_ANSWER_FILES = {
    "symlink": "is a symbolic link",
    "hard link": "is a hard link",
    "fifo": "not a plain file",
    "folder": "not a plain file",
}


@pytest.mark.parametrize(("how", "problem"), UNSAFE_ANSWER_FILES.items(), ids=list(UNSAFE_ANSWER_FILES))
def test_answers_file_that_is_not_a_plain_file_is_refused_not_read(tmp_path: Path, how: str, problem: str) -> None:
    key = tmp_path / "reference.yaml"
    key.write_bytes((HW9_REFERENCE / "answers.yaml").read_bytes())
    folder = tmp_path / "student"
    folder.mkdir()
    answers = folder / "answers.yaml"
    if how == "symlink":
        answers.symlink_to(key)
    elif how == "hard link":
        os.link(key, answers)
    elif how == "fifo":
        os.mkfifo(answers)  # would block a plain open() forever
    else:
        answers.mkdir()
    submission = load_submission(folder)
    assert submission.answers == {}
    assert len(submission.messages) == 1
    assert problem in submission.messages[0] and "Nothing was graded" in submission.messages[0]


def test_answers_yml_behind_a_symlink_is_refused_too(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").symlink_to(HW9_REFERENCE / "answers.yaml")
    submission = load_submission(tmp_path)
    assert submission.answers == {}
    assert "answers.yml is a symbolic link" in submission.messages[0]


# answers.yaml → (answer id, the text kept): lone surrogates become visible text that any output can encode.
UNENCODABLE = [
    (b'q1:\n  a: "\\ud800"\n', "q1.a", "\\ud800"),
    (b'q1:\n  a: "sqrt(d) \\udfff"\n', "q1.a", "sqrt(d) \\udfff"),
    (b'q1:\n  a: "M\\udcfcller"\n', "q1.a", "M\\xfcller"),
    (b'"\\ud800": d\n', "\\ud800", "d"),
    (b'q1:\n  a: ["\\ud800", d]\n', "q1.a", "[\\ud800, d]"),
    (b'q3:\n  b: {file: "\\ud800.py"}\n', "q3.b", "\\ud800.py"),
]


@pytest.mark.parametrize(("raw", "answer_id", "text"), UNENCODABLE)
def test_lone_surrogates_are_escaped_into_visible_text(raw: bytes, answer_id: str, text: str) -> None:
    answers, messages = parse_answers(raw)
    assert answers[answer_id].text == text
    for answer_id, answer in answers.items():
        (answer_id + answer.text + (answer.problem or "") + "".join(messages)).encode("utf-8")  # never raises


def test_a_folder_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    folder = tmp_path / os.fsdecode(b"M\xfcller")  # what an old zip tool leaves; Python keeps \udcfc
    folder.mkdir()
    (folder / "answers.yaml").write_text("q3:\n  b: {file: mha.py}\n", encoding="utf-8")
    (folder / "mha.py").write_text("class MultiHeadAttention: ...\n", encoding="utf-8")
    submission = load_submission(folder)
    assert submission.name == "M\\xfcller"
    assert submission.answers["q3.b"].text.startswith("class MultiHeadAttention"), "the real folder is still read"


def test_a_hostile_yaml_file_is_parsed_in_bounded_work() -> None:
    # Nested keys over hundreds of flow lists, broken on the last line: the pure-Python parser
    # and a re-parse per nesting level once took minutes here, before any deadline applies.
    head = "".join(f"{'  ' * level}k{level}:\n" for level in range(8))
    body = "".join(f"{'  ' * 8}l{n}: [{', '.join(['a'] * 180)}]\n" for n in range(200))
    raw = (head + body + "bad: a: b\n").encode()
    assert len(raw) < MAX_ANSWERS_BYTES

    started = time.process_time()
    _, messages = parse_answers(raw)
    assert time.process_time() - started < 20  # loose guard; bench/ measures speed
    assert any("not valid YAML" in message for message in messages)


# answers.yaml with an id given twice → (the id, its text, its problem fragment or None, a message fragment).
DUPLICATES = [
    (b"q1:\n  a: d\n  a: sqrt(d)\n", "q1.a", "sqrt(d)", "lines 2 and 3", "with different answers"),
    (b"q1:\n  a: d\nq1.a: sqrt(d)\n", "q1.a", "sqrt(d)", "lines 2 and 3", "with different answers"),
    (b"q1:\n  a: d\n  a: ' d '\n", "q1.a", None, "lines 2 and 3", "same answer: it was read once"),
    (b"q1: {a: [1, 2], a: [1, 2]}\n", "q1.a", None, "(line 1)", "same answer"),
    (b"q3:\n  b: {file: a.py}\n  b: {file: b.py}\n", "q3.b", "b.py", "lines 2 and 3", "different answers"),
    (b"q1:\n  a: d\n  b: lambda: 0\n  a: e\n", "q1.a", "e", "lines 2 and 4", "different answers"),  # salvaged
]


@pytest.mark.parametrize(("raw", "answer_id", "problem_text", "lines", "fragment"), DUPLICATES)
def test_an_id_given_twice_is_never_settled_silently(
    raw: bytes, answer_id: str, problem_text: str | None, lines: str, fragment: str
) -> None:
    answers, messages = parse_answers(raw)
    answer = answers[answer_id]
    said = [message for message in messages if f"'{answer_id}' is given 2 times" in message]
    assert len(said) == 1 and lines in said[0] and fragment in said[0], messages
    if problem_text is None:
        assert answer.problem is None
    else:  # different answers: neither is graded, the student is told why
        assert answer.text == problem_text
        assert answer.problem is not None and "Keep only the answer you mean" in answer.problem


def test_a_question_given_twice_is_read_from_both_places(tmp_path: Path) -> None:
    (tmp_path / "answers.yaml").write_text("q1:\n  a: d\nq2:\n  a: [1]\nq1:\n  b: '2'\n", encoding="utf-8")
    submission = load_submission(tmp_path)
    assert {key: answer.text for key, answer in submission.answers.items()} == {"q1.a": "d", "q2.a": "[1]", "q1.b": "2"}
    assert submission.messages == ()


def test_a_mapping_key_that_is_a_list_is_a_yaml_error_not_a_crash() -> None:
    answers, messages = parse_answers(b"? [a, b]\n: d\nq1:\n  a: d\n")
    assert answers["q1.a"].text == "d"
    assert any("not valid YAML" in message for message in messages)
