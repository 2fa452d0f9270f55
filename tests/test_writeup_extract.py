"""The extractor: cues from the specs, sections, picks per kind, attempts, the draft
answers.yaml and the ``extract`` command.

Documents are built here by a tiny reader (``#`` headings, ``$$`` math, fenced code, the
rest prose), so these tests pin the extractor, not the format readers."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from autograder import cli
from autograder.problem import ProblemSet
from autograder.spec import SpecError, load_problem_set
from autograder.submission import parse_answers
from autograder.writeup.cues import compile_cues
from autograder.writeup.extract import extract
from autograder.writeup.model import Block, BlockKind, Document, Extraction, Speaker, Turn
from autograder.writeup.readback import draft_answers, readback

ROOT = Path(__file__).resolve().parents[1]
HW9 = ROOT / "problems" / "hw9"

SPEC = """\
id: p7
title: Sorting networks
symbols: {n: positive integer, m: positive integer, k: positive integer}
parts:
  a:
    kind: symbolic
    title: comparators
    cues: {lines: ["count = ___"]}
  b.i: {kind: symbolic, title: depth}
  b.ii: {kind: symbolic, title: width}
  c.time: {kind: complexity, title: time}
  c.space: {kind: complexity, title: space}
  d: {kind: rubric, title: why, concepts: [{id: idea, credit: 1, description: an idea, patterns: [idea]}]}
  e:
    kind: shape
    title: shape M
    cues: {aliases: [M]}
"""
SECOND = """\
id: p8
title: Merging
statement: Two sorted sequences of length n are merged into one sorted sequence by repeated comparisons.
symbols: {n: positive integer}
parts:
  a: {kind: symbolic, title: merges}
"""


@pytest.fixture(scope="module")
def problems(tmp_path_factory: pytest.TempPathFactory) -> ProblemSet:
    folder = tmp_path_factory.mktemp("set")
    (folder / "p7.yaml").write_text(SPEC, encoding="utf-8")
    (folder / "p8.yaml").write_text(SECOND, encoding="utf-8")
    return load_problem_set(folder)


@pytest.fixture(scope="module")
def hw9() -> ProblemSet:
    return load_problem_set(HW9)


def blocks(lines: list[str], start: int) -> list[Block]:
    """``#`` headings, ``$$…$$`` math (one line), fenced code, the rest prose (one block a line)."""
    out: list[Block] = []
    index = 0
    while index < len(lines):
        line, number = lines[index], start + index
        if line.startswith("```"):
            end = index + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            out.append(Block("code", "\n".join(lines[index + 1 : end]), number + 1, start + end - 1))
            index = end + 1
            continue
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            out.append(Block("heading", line.lstrip("#").strip(), number, number, level=level))
        elif line.startswith("$$") and line.endswith("$$"):
            out.append(Block("math", line[2:-2].strip(), number, number))
        elif line.strip():
            out.append(Block("prose", line, number, number))
        index += 1
    return out


def document(*turns: tuple[Speaker, str]) -> Document:
    all_lines: list[str] = []
    built = []
    for speaker, text in turns:
        lines = text.strip("\n").split("\n")
        built.append(
            Turn(speaker, speaker.title() if speaker != "unknown" else "", tuple(blocks(lines, len(all_lines) + 1)))
        )
        all_lines += lines
    return Document("chat.md", "markdown", tuple(built), tuple(all_lines))


def answer(extraction: Extraction, answer_id: str) -> str:
    return extraction.parts[answer_id].at("final").text


# --- cues -----------------------------------------------------------------------------------------


def test_defaults_come_from_ids_and_titles(problems: ProblemSet) -> None:
    cues = compile_cues(problems)
    question = cues.question("p7")
    assert question.number == "7"
    assert "sortingnetworks" in question.names
    time = cues.part("p7.c.time")
    assert time.segments == ("c", "time")
    assert time.words == ((1, "time"),)
    assert cues.part("p7.b.ii").words == ()  # a roman numeral is numbering, not a word
    assert cues.part("p7.e").aliases == ("M",)


def test_a_misspelt_cue_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p1.yaml").write_text("id: p1\nparts:\n  a: {kind: symbolic, cues: {marker: [x]}}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="did you mean 'markers'"):
        load_problem_set(tmp_path)


@pytest.mark.parametrize(
    "announce",
    [
        "7(a)",
        "## 7(a) Comparators",
        "**7(a)** Comparators",
        "7.a",
        "Question 7 (a)",
        "(a)",
        "a)",
        "Part (a)",
        "Part a:",
        "#### Assistant: 7(a) Comparators",
    ],
)
def test_markers_of_every_style(problems: ProblemSet, announce: str) -> None:
    found = extract(document(("assistant", f"## 7. Sorting networks\n{announce}\n$$n \\log n$$")), problems)
    assert answer(found, "p7.a") == "n \\log n"


def test_nested_numbering_and_the_next_question(problems: ProblemSet) -> None:
    text = """\
## Problem 7
### 7(b)
(i) $$n$$
(ii)
$$m$$
### (c)
Time: $O(n^2)$
Space: $O(n)$
## Question 8
$$2n$$
"""
    found = extract(document(("assistant", text)), problems)
    assert [answer(found, i) for i in ("p7.b.i", "p7.b.ii", "p7.c.time", "p7.c.space", "p8.a")] == [
        "n",
        "m",
        "O(n^2)",
        "O(n)",
        "2n",
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Time: $O(n^2)$, space: $O(n)$",
        "The time complexity is $O(n^2)$ and the space complexity is $O(n)$.",
        "- **Time:** $O(n^2)$; **Space:** $O(n)$",
    ],
)
def test_time_and_space_words_split_one_line(problems: ProblemSet, line: str) -> None:
    found = extract(document(("assistant", f"7(c)\n{line}")), problems)
    assert answer(found, "p7.c.time") == "O(n^2)"
    assert answer(found, "p7.c.space") == "O(n)"


@pytest.mark.parametrize("line", ["M = [n, m]", "**M:** `[n, m]`", "Blank M: [n, m]", "M is `[n, m]`"])
def test_aliases(problems: ProblemSet, line: str) -> None:
    found = extract(document(("assistant", f"## 7. Sorting networks\n{line}")), problems)
    assert "[n, m]" in answer(found, "p7.e")


def test_a_numbered_step_is_not_a_question(problems: ProblemSet) -> None:
    text = """\
## 7. Sorting networks
#### 7(a) Comparators
##### 8. Count the comparators
$$n$$
3. **Compute:** the number is
$$n - 1$$
"""
    found = extract(document(("assistant", text)), problems)
    assert answer(found, "p7.a") == "n - 1"
    assert "p8.a" in found.missing


# --- picking ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "text", "method", "confidence"),
    [
        ("$$n^2$$\nso $\\boxed{n}$ comparators\n$$m$$", "n", "boxed", "high"),
        ("$$n^2$$\n**Answer:** $n$\n$$m$$", "n", "answer-line", "high"),
        ("$$n^2$$\nFinal answer:\n$$n + 1$$\nchecked.", "n + 1", "answer-line", "high"),
        ("$$n^2 = n \\cdot n$$\n$$k = n$$", "k = n", "display-math", "medium"),
        ("we get $n^2$ in the end", "n^2", "last-match", "low"),
        ("$\\boxed{n}$ or $\\boxed{m}$", "m", "boxed", "low"),
        ("Answer: n\nAnswer: m", "m", "answer-line", "low"),
    ],
)
def test_precedence_and_rivals(problems: ProblemSet, body: str, text: str, method: str, confidence: str) -> None:
    found = extract(document(("assistant", f"7(a)\n{body}")), problems).parts["p7.a"].at("final")
    assert (found.text, found.method, found.confidence) == (text, method, confidence)
    assert bool(found.others) == (confidence == "low" and method != "last-match")


def test_free_text_is_the_prose_without_derivations(problems: ProblemSet) -> None:
    text = "7(d)\nThe idea is to compare.\n$$a = b = c \\\\ d = e$$\nIt halves the work.\n7(e) M = [n, m]"
    found = extract(document(("assistant", text)), problems).parts["p7.d"].at("final")
    assert found.text == "The idea is to compare. It halves the work."
    assert (found.method, found.confidence, found.first_line, found.last_line) == ("prose", "medium", 2, 4)


def test_quotes_are_numbered_source_lines(problems: ProblemSet) -> None:
    found = extract(document(("assistant", "intro\n7(a)\n$$n$$")), problems)
    attempt = found.parts["p7.a"].at("final")
    assert (attempt.first_line, attempt.quote) == (3, "$$n$$")
    assert "    3  $$n$$" in readback(found, problems)


# --- turns and attempts ---------------------------------------------------------------------------


def test_user_turns_are_never_graded(problems: ProblemSet) -> None:
    found = extract(
        document(("user", "7(a) what is it? I think $$n$$"), ("assistant", "Sure, let me think.")), problems
    )
    assert "p7.a" in found.missing


def test_the_user_turn_sets_the_question(problems: ProblemSet) -> None:
    found = extract(document(("user", "## Problem 8\nHow many merges?"), ("assistant", "$$n - 1$$")), problems)
    assert answer(found, "p8.a") == "n - 1"


def test_a_reprompted_part_has_a_first_and_a_final_attempt(problems: ProblemSet) -> None:
    found = extract(
        document(
            ("user", "## Problem 7\n(a) How many comparators? (b) …"),
            ("assistant", "7(a)\n$$n^2$$\n7(b)\n(i) $$n$$"),
            ("user", "Your answer to 7(a) is wrong, try again."),
            ("assistant", "You are right, sorry. It is\n$$n - 1$$"),
        ),
        problems,
    )
    part = found.parts["p7.a"]
    assert [attempt.text for attempt in part.attempts] == ["n^2", "n - 1"]
    assert (part.at("first").text, part.at("final").text, part.reprompts) == ("n^2", "n - 1", 1)
    assert found.parts["p7.b.i"].reprompts == 0 and len(found.parts["p7.b.i"].attempts) == 1


def test_a_label_repeated_at_a_page_break_is_one_attempt(problems: ProblemSet) -> None:
    found = extract(document(("assistant", "7(a)\n$$n$$"), ("assistant", "$$n - 1$$")), problems)
    assert [attempt.text for attempt in found.parts["p7.a"].attempts] == ["n - 1"]


# --- code -----------------------------------------------------------------------------------------

CLASS = """\
3(a)
```python
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        self.W_k = nn.Linear(d_model,  self.d_model)   # (b)
        self.W_v = nn.Linear(d_model, d_model)
        self.W_o = nn.Linear(d_model, d_model)
    def scaled_dot_product_attention(self, Q, K, V, mask=None):
        attn_scores = torch.matmul(Q, K.transpose(-2, -1))
        attn_probs = torch.softmax(attn_scores, dim=-1)
```
3(b)
```python
class MultiHeadAttention(nn.Module):
    pass
```
"""


def test_blanks_are_read_by_aligning_the_template(hw9: ProblemSet) -> None:
    found = extract(document(("assistant", CLASS)), hw9)
    assert answer(found, "q3.a.a") == "self.d_model"  # the shifted "# (b)" label does not matter
    assert [answer(found, i) for i in ("q3.a.b", "q3.a.c", "q3.a.d", "q3.a.e")] == [
        "d_model",
        "d_model",
        "Q",
        "softmax",
    ]
    assert found.parts["q3.a.a"].at("final").method == "template-line"
    assert answer(found, "q3.b") == "class MultiHeadAttention(nn.Module):\n    pass"
    assert found.parts["q3.b"].at("final").method == "code-block"


def test_a_blank_given_twice_differently_is_low(hw9: ProblemSet) -> None:
    found = extract(document(("assistant", CLASS.replace("3(b)", "(a) (e): `sigmoid`\n3(b)"))), hw9)
    blank = found.parts["q3.a.e"].at("final")
    assert blank.confidence == "low"
    assert set(blank.others) | {blank.text} == {"softmax", "sigmoid"}


# --- the draft answers.yaml and the command ---------------------------------------------------------


def test_draft_answers_read_back_to_the_same_texts(hw9: ProblemSet) -> None:
    found = extract(
        document(
            (
                "assistant",
                CLASS + '\n## 1(a)\n$$\\mu^T\\mu \\text{ "quoted" } é$$\n## 2(b)\nIt: has # colons and tabs\tok',
            )
        ),
        hw9,
    )
    draft = draft_answers(found, hw9)
    answers, messages = parse_answers(draft.encode("utf-8"))
    assert messages == []
    assert {key: value.text for key, value in answers.items()} == {
        key: item.at("final").text for key, item in found.parts.items()
    }
    line = found.parts["q1.a"].at("final").first_line
    assert f"# q1.a: line {line}, display-math, medium confidence, attempt 1 of 1" in draft
    assert "# q4.a: nothing found" in draft


COMPLETE = """\
**User:** go
**Assistant:**
## 7. Sorting networks
7(a) $$n$$
7(b) (i) $$n$$
(ii) $$m$$
7(c) Time: $O(n)$, space: $O(1)$
7(d) The idea.
7(e) M = [n, m]
## Problem 8
$$n$$
"""


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main(list(argv), out=out), out.getvalue()


def test_extract_command_exit_codes(problems: ProblemSet, tmp_path: Path) -> None:
    folder = Path(problems.questions[0].source).parent
    complete = tmp_path / "complete.md"
    complete.write_text(COMPLETE, encoding="utf-8")
    code, shown = run("extract", str(complete), "--problems", str(folder), "-o", str(tmp_path / "answers.yaml"))
    assert code == 0, shown
    assert "# Read-back of complete.md" in shown
    answers, _ = parse_answers((tmp_path / "answers.yaml").read_bytes())
    assert answers["p7.c.space"].text == "O(1)"

    partial = tmp_path / "partial.md"
    partial.write_text(COMPLETE.split("## Problem 8")[0], encoding="utf-8")
    readback_file = tmp_path / "readback.md"
    code, shown = run("extract", str(partial), "--problems", str(folder), "--readback", str(readback_file))
    assert code == 1
    assert "needs a look (1): p8.a" in shown
    assert "Not found: p8.a." in readback_file.read_text(encoding="utf-8")

    pdf = tmp_path / "chat.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    assert run("extract", str(pdf), "--problems", str(folder))[0] == 1
    assert run("extract", str(tmp_path / "absent.md"), "--problems", str(folder))[0] == 2
    assert run("extract", str(complete))[0] == 2  # --problems is required
    assert run("extract", str(complete), "--problems", str(folder), "--stage", "last")[0] == 2


def test_the_first_stage_drafts_the_first_attempt(problems: ProblemSet, tmp_path: Path) -> None:
    folder = Path(problems.questions[0].source).parent
    chat = tmp_path / "chat.md"
    chat.write_text(
        "**User:** 7(a)?\n\n**Assistant:** 7(a) $$n^2$$\n\n**User:** 7(a) is wrong.\n\n**Assistant:** $$n - 1$$\n",
        encoding="utf-8",
    )
    out = tmp_path / "first.yaml"
    run("extract", str(chat), "--problems", str(folder), "--stage", "first", "-o", str(out))
    answers, _ = parse_answers(out.read_bytes())
    assert answers["p7.a"].text == "n^2"
    assert "attempt 1 of 2" in out.read_text(encoding="utf-8")


# --- layouts other write-ups use ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "✅ **Final answer (a):** $n - 1$",
        "**Corrected final answer:**\n$$n - 1$$",
        "> **Final Answer:** $n - 1$",
        "Answer to (a): $n - 1$",
    ],
)
def test_answer_lines_in_other_words(problems: ProblemSet, body: str) -> None:
    found = extract(document(("assistant", f"7(a)\n$$n^2$$\n{body}")), problems).parts["p7.a"].at("final")
    assert (found.text.strip("$"), found.method, found.confidence) == ("n - 1", "answer-line", "high")


@pytest.mark.parametrize(
    ("text", "answer_id", "expected", "method"),
    [
        ("7a) the count is\nE[count] = n - 1", "p7.a", "E[count] = n - 1", "math-line"),
        ("| Part | Answer |\n|---|---|\n| 7(a) | $n - 1$ | One shot |", "p7.a", "n - 1", "cue-line"),
        ("7(a)\n```\ncount = n - 1   # comparators\n```", "p7.a", "n - 1", "template-line"),
        ("7(c)\n$$\\text{time } O(n^2), \\qquad \\text{space } O(n)$$", "p7.c.space", "O(n)", "big-o"),
        ("7(c) Time: $O(n k) = O(n^2)$", "p7.c.time", "O(n^2)", "big-o"),
        ("7(e) \\texttt{[n, m]}", "p7.e", "[n, m]", "cue-span"),
        ("- **M (the shape):** `[n, m]` — not `[m]`, since `n` rows\nso `k` is free", "p7.e", "[n, m]", "cue-span"),
        ("7(e) the shape is `[n, m]`", "p7.e", "[n, m]", "inline-code"),
    ],
)
def test_plain_text_tables_code_lines_and_latex(
    problems: ProblemSet, text: str, answer_id: str, expected: str, method: str
) -> None:
    found = extract(document(("assistant", f"## Problem 7\n{text}")), problems).parts[answer_id].at("final")
    assert (found.text, found.method, found.confidence) == (expected, method, "medium")


@pytest.mark.parametrize(
    ("text", "confidence"),
    [
        ("- **(e)** `[n, m]` takes the rows, whose count is `n`.", "low"),  # the span is the sentence's subject
        ("- **(e)** `[n, m]`, since there are `n` rows", "medium"),  # a value, then why
        ("- **(e)** `[n, m]` takes the rows.", "medium"),  # one span: nothing else it could be
    ],
)
def test_a_span_that_is_the_subject_of_a_sentence_is_a_guess(
    problems: ProblemSet, text: str, confidence: str
) -> None:
    found = extract(document(("assistant", f"## Problem 7\n{text}")), problems).parts["p7.e"].at("final")
    assert (found.text, found.method, found.confidence) == ("[n, m]", "cue-span", confidence)


def test_a_restated_question_without_its_number(problems: ProblemSet) -> None:
    user = "Two sorted sequences get merged into one sorted sequence by comparisons. How many?"
    found = extract(document(("user", user), ("assistant", "$$n - 1$$")), problems)
    assert answer(found, "p8.a") == "n - 1"


def test_a_question_named_by_its_title_inside_a_user_turn(hw9: ProblemSet) -> None:
    found = extract(
        document(("user", "ok. Next: argmax attention, just part (a)."), ("assistant", "$$[1, 4, 3]$$")), hw9
    )
    assert answer(found, "q2.a") == "[1, 4, 3]"


@pytest.mark.parametrize(
    "layout",
    [
        "## Problem 3\n(h) `W_o`\n(b) the modified class\n```\nclass M: pass\n```",
        "## Problem 3\n## (a) filled in\n```\nx = 1\n```\n## (b) modified\n```\nclass M: pass\n```",
    ],
)
def test_a_bare_letter_moves_on_in_the_specs_order(hw9: ProblemSet, layout: str) -> None:
    found = extract(document(("assistant", layout)), hw9)
    assert answer(found, "q3.b") == "class M: pass"


def test_the_opening_text_answers_the_first_part_at_low_confidence(problems: ProblemSet) -> None:
    found = extract(document(("assistant", "## Problem 7\nThe count is $n - 1$.\n(b)(i) $$n$$")), problems)
    first = found.parts["p7.a"].at("final")
    assert (first.text, first.confidence) == ("n - 1", "low")
    assert "not announced" in first.note


def test_a_skipped_free_text_part_is_missing(problems: ProblemSet) -> None:
    found = extract(document(("assistant", "7(d) skipped for now, will come back to it.\n7(e) M = [n, m]")), problems)
    assert "p7.d" in found.missing


def test_a_part_announced_again_as_corrected_is_a_new_attempt(problems: ProblemSet) -> None:
    text = "7(a)\n$$n^2$$\n[the student told it that was wrong]\n7(a) corrected\n$$n - 1$$"
    part = extract(document(("unknown", text)), problems).parts["p7.a"]
    assert [attempt.text for attempt in part.attempts] == ["n^2", "n - 1"]
    assert part.reprompts == 1


def tagged(text: str, tag: str, first_line: int) -> Block:
    kind: BlockKind = "math" if text.startswith("\\") else "prose"
    return Block(kind, text, first_line, first_line, tags=(tag,))


@pytest.mark.parametrize(
    ("blocks", "text", "method", "confidence"),
    [
        ([("\\texttt{n\\_1}", "p7.a")], "n_1", "tag", "high"),
        ([("Since it halves:", "p7.a"), ("\\frac{n}{2}", "p7.a")], "\\frac{n}{2}", "tag, display-math", "medium"),
        ([("so \\boxed{n - 1}.", "p7.a"), ("\\frac{n}{2}", "p7.a")], "n - 1", "tag, boxed", "high"),
    ],
)
def test_tagged_blocks_are_that_part_s_answer(
    problems: ProblemSet, blocks: list[tuple[str, str]], text: str, method: str, confidence: str
) -> None:
    turn = Turn("unknown", "", tuple(tagged(body, tag, index + 1) for index, (body, tag) in enumerate(blocks)))
    found = extract(Document("hw.ipynb", "ipynb", (turn,)), problems).parts["p7.a"].at("final")
    assert (found.text, found.method, found.confidence) == (text, method, confidence)


def test_a_tagged_todo_is_no_answer_and_an_unknown_tag_is_named(problems: ProblemSet) -> None:
    turn = Turn("unknown", "", (tagged("TODO", "p7.a", 1), tagged("n", "p9.z", 2)))
    found = extract(Document("hw.ipynb", "ipynb", (turn,)), problems)
    assert "p7.a" in found.missing
    assert found.messages[0] == "Line 2 is tagged 'p9.z', which is not an answer id of the homework."
    assert found.messages[1].startswith("No answer in hw.ipynb could be matched to a part")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- Space: $O(n k)$ on the fly (it would be $O(n^2)$ if all were kept).", "O(n k)"),
        ("- Space: $O(n)$ assuming $k \\approx n$", "O(n) assuming k \\approx n"),
        ("- Space: $O\\!\\left(n\\right)$", "O \\left(n\\right)"),
    ],
)
def test_a_big_o_keeps_its_assumption_and_drops_asides(problems: ProblemSet, line: str, expected: str) -> None:
    found = extract(document(("assistant", f"7(c)\n{line}")), problems).parts["p7.c.space"].at("final")
    assert (found.text, found.confidence) == (expected, "medium")


def test_an_alias_inside_a_sentence(problems: ProblemSet) -> None:
    text = "## Problem 7\nThe count is a warm-up, and M, the shape asked, is `[n, m]` as said."
    assert answer(extract(document(("assistant", text)), problems), "p7.e") == "[n, m]"


def test_code_in_a_question_s_own_section_goes_to_its_only_code_part(hw9: ProblemSet) -> None:
    found = extract(document(("assistant", "## Problem 3\nHere it is:\n```\nclass M: pass\n```")), hw9)
    code = found.parts["q3.b"].at("final")
    assert (code.text, code.confidence) == ("class M: pass", "low")


def test_hostile_lines_cost_linear_time(hw9: ProblemSet) -> None:
    lines = [
        "## Problem 4",
        "(f) " + "O(" * 30_000,
        "(c) q = " + "x" * 100_000,
        "(a) " + "$" * 20_000,
        "(b) " + "word" * 50_000,
        "| 4(a) |" + "|" * 10_000,
        "(a)" * 5_000,
        "(g) " + "\\boxed{" * 20_000,
    ]
    start = time.monotonic()
    found = extract(document(("assistant", "\n".join(lines))), hw9)
    assert time.monotonic() - start < 20
    assert all(len(item.at("final").text) <= 200_000 for item in found.parts.values())
