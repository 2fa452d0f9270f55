"""The write-up format readers (:mod:`autograder.writeup.formats`): a file → Document of
speaker turns and blocks with exact source lines, or Refused with what to upload instead."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from autograder.writeup import formats
from autograder.writeup.model import Block, Document, Refused, Turn
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "writeup_formats"
GEMINI = ROOT / "tests" / "fixtures" / "writeups" / "gemini-hw9-chat.txt"  # a copy of ../shared/writeups/


def _read(text: str, format: str = "markdown", name: str = "writeup.md") -> Document:
    return formats.parse(name, text.encode("utf-8"), format)


def _speakers(document: Document) -> list[tuple[str, str]]:
    return [(turn.speaker, turn.label) for turn in document.turns]


def _texts(turn: Turn) -> list[str]:
    return [block.text for block in turn.blocks]


# --- speaker labels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "assistant", "labels"),
    [
        ("**User:** What is 2+2?", "**Gemini:** It is 4.", ("User", "Gemini")),
        ("**User**: What is 2+2?", "**Assistant**: It is 4.", ("User", "Assistant")),
        ("**User: Problem:** What is 2+2?", "**Gemini 2.5 Pro:** It is 4.", ("User", "Gemini 2.5 Pro")),
        ("**User**\nWhat is 2+2?", "**ChatGPT**\nIt is 4.", ("User", "ChatGPT")),
        ("User: What is 2+2?", "Assistant: It is 4.", ("User", "Assistant")),
        ("Human: What is 2+2?", "Claude: It is 4.", ("Human", "Claude")),
        ("You said:\nWhat is 2+2?", "ChatGPT said:\nIt is 4.", ("You said", "ChatGPT said")),
        ("You said\nWhat is 2+2?", "Gemini said\nIt is 4.", ("You said", "Gemini said")),
        ("### User\nWhat is 2+2?", "### Assistant\nIt is 4.", ("User", "Assistant")),
        ("## User:\nWhat is 2+2?", "## Model:\nIt is 4.", ("User", "Model")),
        ("Me: What is 2+2?", "GPT-4o: It is 4.", ("Me", "GPT-4o")),
        ("Prompt: What is 2+2?", "Response: It is 4.", ("Prompt", "Response")),
        ("user: What is 2+2?", "AI: It is 4.", ("user", "AI")),
        ("**You:** What is 2+2?", "**Claude Sonnet 4.5:** It is 4.", ("You", "Claude Sonnet 4.5")),
    ],
)
def test_each_label_style_starts_a_turn(user: str, assistant: str, labels: tuple[str, str]) -> None:
    document = _read(f"{user}\n\n{assistant}\n")
    assert _speakers(document) == [("user", labels[0]), ("assistant", labels[1])]
    question, answer = document.turns
    assert "What is 2+2?" in _texts(question)[-1]
    assert _texts(answer)[-1].endswith("It is 4.")
    assert answer.blocks[-1].first_line == document.lines.index(next(x for x in document.lines if "It is 4." in x)) + 1


def test_a_bold_label_with_more_bold_keeps_the_rest() -> None:
    document = _read("**User: Problem:** Compute $x$.\n\n**Gemini:** $x = 1$.\n")
    assert _texts(document.turns[0]) == ["**Problem:** Compute $x$."]


@pytest.mark.parametrize(
    "line",
    [
        "**Multi-Query Attention (MQA):** a variant where heads share keys.",
        "**Apply Argmax:** the maximum score is 11.",
        "## Model Performance Summary",
        "Model: Gemini 2.5 Pro",
        "**Model:** GPT-4o.",
        "## Assistant: Claude",
        "Note: the user can re-prompt.",
        "Users: many of them.",
        "Username: alice",
        "The user said: nothing.",
        "A: [h, d, q]",
        "Q: what is A?",
    ],
)
def test_prose_that_is_not_a_label_stays_in_its_turn(line: str) -> None:
    document = _read(f"**Gemini:** First.\n\n{line}\n")
    assert _speakers(document) == [("assistant", "Gemini")]
    assert any(line.lstrip("#").strip() in text for text in _texts(document.turns[0]))


def test_q_and_a_labels_count_only_when_they_alternate() -> None:
    chat = "Q: What is 2+2?\nA: 4.\nQ: And 3+3?\nA: 6.\n"
    assert [turn.speaker for turn in _read(chat).turns] == ["user", "assistant", "user", "assistant"]
    lone = "Blanks:\nA: [h, d, q]\nB: [d, k]\n"
    assert _speakers(_read(lone)) == [("unknown", "")]


@pytest.mark.parametrize(
    ("line", "speaker", "heading", "level"),
    [
        ("## User: 4. Transformer Decoding Optimization", "user", "4. Transformer Decoding Optimization", 2),
        ("#### Gemini: 2(a) Argmax Attention Output", "assistant", "2(a) Argmax Attention Output", 4),
        ("### Gemini: Solution", "assistant", "Solution", 3),
        ("## **Assistant:** 1(c) Determine s", "assistant", "1(c) Determine s", 2),
    ],
)
def test_a_label_inside_a_heading_keeps_the_heading(line: str, speaker: str, heading: str, level: int) -> None:
    other = "**Gemini:** earlier answer." if speaker == "user" else "**User:** the question."
    document = _read(f"{other}\n\n{line}\n\nBody text.\n")
    turn = document.turns[1]
    assert turn.speaker == speaker
    assert turn.blocks[0] == Block("heading", heading, 3, 3, level=level)
    assert turn.blocks[1].text == "Body text."


@pytest.mark.parametrize(
    "repeat",
    ["**Gemini:**", "**Gemini:** ", "Gemini:", "## Gemini", "**Assistant:**"],
)
def test_a_label_repeated_at_a_page_break_continues_the_turn(repeat: str) -> None:
    text = f"**User:** Solve it.\n\n**Gemini:** Step one.\n\f\n{repeat}\nStep two, $x = 2$.\n\n**User:** Thanks.\n"
    document = _read(text)
    assert [turn.speaker for turn in document.turns] == ["user", "assistant", "user"]
    answer = document.turns[1]
    assert _texts(answer) == ["Step one.", "Step two, $x = 2$."]
    assert [block.first_line for block in answer.blocks] == [3, 6]


def test_the_user_side_keeps_its_blocks() -> None:
    document = _read("**Gemini:** $s = d$\n\n**User:** Part (c) is wrong: recheck the variance.\n")
    assert document.turns[1].speaker == "user"
    assert _texts(document.turns[1]) == ["Part (c) is wrong: recheck the variance."]


def test_text_before_the_first_label_is_an_unknown_turn() -> None:
    document = _read(
        "# My report\n\n| Q | verdict |\n|---|---|\n| 1 | One Shot |\n\n**User:** Go.\n\n**Gemini:** Done.\n"
    )
    assert [turn.speaker for turn in document.turns] == ["unknown", "user", "assistant"]
    assert _texts(document.turns[0]) == ["My report", "| Q | verdict |\n|---|---|\n| 1 | One Shot |"]


@pytest.mark.parametrize(
    "text",
    [
        "# Homework 1\n\n## 1(a)\n\n$$x = 1$$\n",
        "Student: Jane Doe\n\n## 1(a)\n\n$$x = 1$$\n",  # only user-side labels: not a chat
        "1(a) The answer is $x = 1$.\n",
    ],
)
def test_a_document_without_chat_labels_is_one_unknown_turn(text: str) -> None:
    document = _read(text)
    assert _speakers(document) == [("unknown", "")]
    assert any("x = 1" in block.text for block in document.turns[0].blocks)


def test_a_speaker_label_inside_a_code_fence_is_code() -> None:
    document = _read("**Gemini:** Here:\n\n```\nUser: not a label\n```\n")
    assert _speakers(document) == [("assistant", "Gemini")]
    assert document.turns[0].blocks[1] == Block("code", "User: not a label", 3, 5)


def test_an_empty_document_is_one_empty_turn() -> None:
    assert _read("").turns == (Turn("unknown", "", ()),)


# --- Markdown blocks --------------------------------------------------------------------------

MARKDOWN = """\
# Title

Some prose
on two lines.

---

$$
s = \\sqrt{d}
$$

$$\\|\\mu\\|^2$$ (the final answer)

\\[ O(N^2 D) \\]

\\begin{align}
x &= 1 \\label{eq:x} \\\\
y &= 2
\\end{align}

```python
def f(x):
    return x
```

- (a) first item
- (b) second item
  continued
1. numbered
~~~
open fence
"""


def test_markdown_blocks_with_their_lines() -> None:
    blocks = _read(MARKDOWN).turns[0].blocks
    assert blocks == (
        Block("heading", "Title", 1, 1, level=1),
        Block("prose", "Some prose\non two lines.", 3, 4),
        Block("math", "s = \\sqrt{d}", 8, 10),
        Block("math", "\\|\\mu\\|^2", 12, 12),
        Block("prose", "(the final answer)", 12, 12),
        Block("math", "O(N^2 D)", 14, 14),
        Block("math", "\\begin{aligned}x &= 1  \\\\\ny &= 2\\end{aligned}", 16, 19),
        Block("code", "def f(x):\n    return x", 21, 24, language="python"),
        Block("prose", "- (a) first item", 26, 26),
        Block("prose", "- (b) second item\n  continued", 27, 28),
        Block("prose", "1. numbered", 29, 29),
        Block("code", "open fence", 30, 31),
    )


@pytest.mark.parametrize(("underline", "level"), [("===", 1), ("---", 2), ("- - -", 0)])
def test_a_setext_heading_is_a_heading(underline: str, level: int) -> None:
    blocks = _read(f"Part (a)\n{underline}\n\nThe answer.\n").turns[0].blocks
    title = Block("heading", "Part (a)", 1, 2, level=level) if level else Block("prose", "Part (a)", 1, 1)
    assert blocks == (title, Block("prose", "The answer.", 4, 4))


def test_an_unclosed_display_math_ends_at_the_blank_line() -> None:
    blocks = _read("$$ x = \n 1\n\nAfter.\n").turns[0].blocks
    assert blocks == (Block("math", "x =\n 1", 1, 2), Block("prose", "After.", 4, 4))


# --- the real Gemini export -------------------------------------------------------------------


def _gemini() -> Document:
    return formats.load(GEMINI)


def test_the_gemini_export_has_five_questions_and_five_answers() -> None:
    document = _gemini()
    speakers = [turn.speaker for turn in document.turns]
    # Counted by hand: **User:**/**Gemini:** (setup), **User: Problem:**/**Gemini:** (Q1),
    # **User: Problem:**/#### Gemini: 2(a) (Q2), ## User: 4./### Gemini: Solution (Q4),
    # ## User: 6./## Gemini: Solution (Q6); the student's summary before them.
    assert speakers == ["unknown"] + ["user", "assistant"] * 5
    assert [turn.label for turn in document.turns[1:3]] == ["User", "Gemini"]
    assert document.format == "text"


def test_the_gemini_part_headings_are_in_assistant_turns() -> None:
    document = _gemini()
    headings = {
        block.text.split()[0]: (turn.speaker, block.first_line)
        for turn in document.turns
        for block in turn.blocks
        if block.kind == "heading"
    }
    for part in ("1(a)", "1(b)", "1(c)", "2(a)", "2(b)", "4(a)-(e)", "4(f)", "4(g)", "6(b)", "6(c)"):
        speaker, line = headings[part]
        assert speaker == "assistant", part
        assert part in document.lines[line - 1]
    assert headings["4."][0] == "user"  # "## User: 4. Transformer Decoding Optimization"


def test_the_gemini_answers_keep_their_source_lines() -> None:
    document = _gemini()
    math = [
        block for turn in document.turns if turn.speaker == "assistant" for block in turn.blocks if block.kind == "math"
    ]
    final = next(block for block in math if block.text == "s = \\sqrt{d}")
    assert document.lines[final.first_line - 1] == "$$s = \\sqrt{d}$$"
    code = [block for turn in document.turns for block in turn.blocks if block.kind == "code"]
    assert all(not block.text.startswith("**") for block in code)
    assert formats.mangled_math(document.lines) == (0, 147)


# --- LaTeX ------------------------------------------------------------------------------------

TEX = r"""\documentclass{article}
\newcommand{\answer}[2]{\par\noindent\textbf{#1:} #2\par}
\begin{document}
\section{Scaled dot products} % a comment
Since the mean is 5\% of nothing.
\subsection*{Part (a)}
\answer{q1.a}{$\|\mu\|_2^{2}$}
\answer{q1.b}{
  The variance is $d$, since each term
  has variance {1} \{ not a group
}
\answer{q1.c}{\[ s = \sqrt{d} \]}
\begin{enumerate}
\item First
\item Second
  \begin{enumerate}[label=(\alph*)]
  \item inner
  \end{enumerate}
\item[(c)] Third
\end{enumerate}
\begin{equation}
E = mc^2 \label{eq:e}
\end{equation}
\begin{lstlisting}[language=Python]
x = 1  % not a comment
\end{lstlisting}
\answer{q3.b}{\verb|y = x @ w|}
\begin{answerblock}{q3.c}
\begin{lstlisting}
def f(x):
    return {x}
\end{lstlisting}
\end{answerblock}
\paragraph{Notes} final words.
\end{document}
ignored after the end
"""


def _tex(text: str) -> tuple[Block, ...]:
    return _read(text, "tex", "writeup.tex").turns[0].blocks


def test_latex_blocks_with_their_lines() -> None:
    assert _tex(TEX) == (
        Block("heading", "Scaled dot products", 4, 4, level=1),
        Block("prose", "Since the mean is 5\\% of nothing.", 5, 5),
        Block("heading", "Part (a)", 6, 6, level=2),
        Block("math", "\\|\\mu\\|_2^{2}", 7, 7, tags=("q1.a",)),
        Block(
            "prose",
            "The variance is $d$, since each term\n  has variance {1} \\{ not a group",
            8,
            11,
            tags=("q1.b",),
        ),
        Block("math", "s = \\sqrt{d}", 12, 12, tags=("q1.c",)),
        Block("prose", "1. First", 14, 14),
        Block("prose", "2. Second", 15, 15),
        Block("prose", "(a) inner", 17, 17),
        Block("prose", "(c) Third", 19, 19),
        Block("math", "E = mc^2", 21, 23),
        Block("code", "x = 1  % not a comment", 24, 26, language="python"),
        Block("code", "y = x @ w", 27, 27, tags=("q3.b",)),
        Block("code", "def f(x):\n    return {x}", 28, 33, tags=("q3.c",)),
        Block("heading", "Notes", 34, 34, level=4),
        Block("prose", "final words.", 34, 34),
    )


@pytest.mark.parametrize(
    ("body", "kind", "text"),
    [
        ("$\\sqrt{d}$", "math", "\\sqrt{d}"),
        ("$$ \\frac{1}{2} $$", "math", "\\frac{1}{2}"),
        ("\\( O(nd) \\)", "math", "O(nd)"),
        ("\\begin{align*} a &= b \\end{align*}", "math", "\\begin{aligned}a &= b\\end{aligned}"),
        ("$a$ and $b$", "prose", "$a$ and $b$"),
        ('\\texttt{torch.einsum("bd,dk->bk", x, w)}', "prose", '\\texttt{torch.einsum("bd,dk->bk", x, w)}'),
        ("\\verb+a{b+", "code", "a{b"),
        ("argmax has no gradient", "prose", "argmax has no gradient"),
        ("{\\bf nested {braces {deep}}}", "prose", "{\\bf nested {braces {deep}}}"),
    ],
)
def test_an_answer_body_is_math_code_or_prose(body: str, kind: str, text: str) -> None:
    (block,) = _tex(f"\\answer{{q2.b}}{{{body}}}\n")
    assert (block.kind, block.text, block.tags) == (kind, text, ("q2.b",))


@pytest.mark.parametrize(
    ("options", "labels"),
    [
        ("", ["1.", "2.", "3."]),
        ("[label=(\\alph*)]", ["(a)", "(b)", "(c)"]),
        ("[label=\\roman*)]", ["i)", "ii)", "iii)"]),
        ("[(a)]", ["(a)", "(b)", "(c)"]),
        ("[label=\\textbf{\\Alph*.}]", ["\\textbf{A.}", "\\textbf{B.}", "\\textbf{C.}"]),
        ("[noitemsep]", ["1.", "2.", "3."]),
    ],
)
def test_enumerate_labels_are_kept(options: str, labels: list[str]) -> None:
    items = "".join(f"\\item text {n}\n" for n in range(3))
    blocks = _tex(f"\\begin{{enumerate}}{options}\n{items}\\end{{enumerate}}\n")
    assert [block.text for block in blocks] == [f"{label} text {n}" for n, label in enumerate(labels)]


def test_itemize_and_nested_enumerate_depths() -> None:
    text = (
        "\\begin{itemize}\\item dot\\end{itemize}\n"
        "\\begin{enumerate}\\item a\\begin{enumerate}\\item b\\end{enumerate}\\end{enumerate}\n"
    )
    assert [block.text for block in _tex(text)] == ["- dot", "1. a", "(a) b"]


def test_the_documented_definition_compiles_away() -> None:
    preamble = "\\documentclass{article}\n\\usepackage{listings}\n" + formats.ANSWER_MACRO_DEFINITION
    body = "\\begin{document}\n\\begin{figure}[h]\nA figure.\n\\end{figure}\n\\answer{q1}{$x$}\n\\end{document}\n"
    assert _tex(preamble + body) == (Block("prose", "A figure.", 7, 7), Block("math", "x", 9, 9, tags=("q1",)))
    assert _tex(formats.ANSWER_MACRO_DEFINITION + "\\answer{q1}{$x$}\n") == (Block("math", "x", 3, 3, tags=("q1",)),)


def test_a_fragment_without_preamble_skips_the_macro_definition() -> None:
    text = "\\newcommand{\\answer}[2]{\\par\\noindent\\textbf{#1:} #2\\par}\n\\usepackage{amsmath}\n\\answer{q1}{$x$}\n"
    assert _tex(text) == (Block("math", "x", 3, 3, tags=("q1",)),)


@pytest.mark.parametrize(
    "text",
    [
        "\\answer{q1.a}{$x$\n\nmore text with no closing brace\n",
        "\\answer{q1.a}\n",
        "\\answer{q1 a}{x}\n",
        "\\begin{answerblock}{q1.a}\nnever closed\n",
    ],
)
def test_a_broken_answer_macro_is_refused_with_its_line(text: str) -> None:
    with pytest.raises(Refused, match=r"writeup\.tex, line 1: "):
        _tex(text)


# --- notebooks --------------------------------------------------------------------------------


def _cell(kind: str, source: str | list[str], tags: list[str] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {"tags": tags} if tags is not None else {}, "source": source}
    if kind == "code":
        cell.update(outputs=[{"output_type": "stream", "text": ["printed, not read\n"]}], execution_count=1)
    return cell


def _notebook(*cells: dict[str, Any], language: str = "python") -> Document:
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"language": language}},
        "cells": list(cells),
    }
    return formats.parse("hw.ipynb", json.dumps(notebook, indent=1).encode(), "ipynb")


def test_notebook_cells_become_blocks_with_running_lines() -> None:
    document = _notebook(
        _cell("markdown", ["# Question 1\n", "\n", "Some words."]),
        _cell("code", "x = 1\ny = 2\n", tags=["q1.a"]),
        _cell("raw", "raw text"),
    )
    assert document.format == "ipynb"
    assert _speakers(document) == [("unknown", "")]
    assert document.turns[0].blocks == (
        Block("heading", "Question 1", 1, 1, level=1),
        Block("prose", "Some words.", 3, 3),
        Block("code", "x = 1\ny = 2", 4, 5, language="python", tags=("q1.a",)),
        Block("prose", "raw text", 6, 6),
    )
    assert document.lines == ("# Question 1", "", "Some words.", "x = 1", "y = 2", "raw text")


@pytest.mark.parametrize(
    ("cell", "tags", "text", "first_line"),
    [
        (_cell("code", "x @ w", ["answer:q4.c"]), ("q4.c",), "x @ w", 1),
        (_cell("code", "x @ w", ["answer-q4.c", "hide-input", "q9"]), ("q4.c",), "x @ w", 1),
        (_cell("code", "x @ w", ["q4.c", "solution"]), ("q4.c",), "x @ w", 1),
        (_cell("code", "# answer: q4.c\nx @ w"), ("q4.c",), "x @ w", 2),
        (_cell("code", "\n# Answer q4.c, q4.d\nx @ w"), ("q4.c", "q4.d"), "x @ w", 3),
        (_cell("markdown", "<!-- answer: q1.c -->\n$$s = \\sqrt{d}$$"), ("q1.c",), "s = \\sqrt{d}", 2),
        (_cell("markdown", "**Answer q1.c:** $\\sqrt{d}$"), ("q1.c",), "$\\sqrt{d}$", 1),
        (_cell("markdown", "## answer: q1.c\nthe scale"), ("q1.c",), "the scale", 2),
        (_cell("markdown", "$\\sqrt{d}$", ["q1.c"]), ("q1.c",), "$\\sqrt{d}$", 1),
        (_cell("code", "# answer this later\nx"), (), "# answer this later\nx", 1),
    ],
)
def test_notebook_tags_and_markers(cell: dict[str, Any], tags: tuple[str, ...], text: str, first_line: int) -> None:
    (block,) = _notebook(cell).turns[0].blocks
    assert (block.tags, block.text, block.first_line) == (tags, text, first_line)


def test_a_notebook_code_language_comes_from_its_kernel() -> None:
    (block,) = _notebook(_cell("code", "x <- 1"), language="R").turns[0].blocks
    assert block.language == "r"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"cells": [', "its JSON does not parse"),
        (b"not json at all", "its JSON does not parse"),
        (b"[1, 2]", "it has no list of cells"),
        (b'{"nbformat": 3, "worksheets": []}', "nbformat 3"),
        (b'{"cells": [42]}', "cell 1 is not a notebook cell"),
        (b'{"cells": [{"cell_type": "code", "source": 5}]}', "cell 1's source"),
        (b"[" * 100_000, "nested too deeply|does not parse"),
        (b'{"cells": [], "n": ' + b"9" * 5000 + b"}", "a number too long"),
    ],
)
def test_a_malformed_notebook_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(Refused, match=message):
        formats.parse("hw.ipynb", data, "ipynb")


# --- PDFs and their text layers ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["mangled-solutions.txt", "mangled-chat.txt"])
def test_a_mangled_pdf_text_layer_is_refused(name: str) -> None:
    with pytest.raises(Refused, match=r"upload the \.tex or \.md source.*math in PDF text layers comes out"):
        formats.load(FIXTURES / name)


@pytest.mark.parametrize("name", ["normal-writeup.md", "normal-terse-chat.txt", "normal-chatgpt-short-replies.txt"])
def test_normal_texts_with_short_lines_are_read(name: str) -> None:
    document = formats.load(FIXTURES / name)
    assert document.turns and formats.mangled_math(document.lines)[0] == 0


UNSEEN = ROOT / "tests" / "fixtures" / "writeups_unseen"


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("pdf-text-layer.txt", True),
        ("chatgpt-export.md", False),
        ("claude-export.md", False),
        ("gemini-summary-table.md", False),
        ("pasted-answers.txt", False),
    ],
)
def test_the_threshold_holds_on_texts_written_without_it(name: str, refused: bool) -> None:
    """Written by a blind helper who never saw the threshold: the calibration's check."""
    if refused:
        with pytest.raises(Refused, match="looks like text copied from a PDF"):
            formats.load(UNSEEN / name)
    else:
        assert formats.load(UNSEEN / name).turns


def test_a_prose_text_with_a_few_fragments_is_read_but_a_fragment_run_is_not() -> None:
    prose = [f"Line {n} of a long explanation in words." for n in range(100)]
    few = "\n".join(prose[:50] + ["s =", "√", "d"] * 3 + prose[50:])
    assert _read(few, "text").turns
    many = "\n".join(prose[:50] + ["s =", "√", "d", "x", "2"] * 6 + prose[50:])
    with pytest.raises(Refused, match="24 of its 130 lines"):
        _read(many, "text")


@pytest.mark.parametrize(("name", "data"), [("hw.pdf", b"%PDF-1.7 ..."), ("hw.txt", b"%PDF-1.4\n%\xe2\xe3")])
def test_a_pdf_is_refused(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(Refused, match=r"is a PDF, which is not read.*upload the \.tex or \.md source"):
        formats.load(path)


# --- hostile files ----------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"word " * (3 * 1024 * 1024 // 5))
    with pytest.raises(Refused, match="at most 2,097,152 are read"):
        formats.load(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [("hw.docx", "not a write-up format"), ("answers.html", "not a write-up format"), ("hw", "not a write-up format")],
)
def test_other_formats_are_refused(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_text("**User:** hi")
    with pytest.raises(Refused, match=message):
        formats.load(path)


def test_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text("x")
    (tmp_path / "link.md").symlink_to(tmp_path / "real.md")
    with pytest.raises(Refused, match="symbolic link"):
        formats.load(tmp_path / "link.md")


CHAT = "**User:** Solve.\n\n**Gemini:**\n\n$$x = 1$$\n"


@pytest.mark.parametrize(
    ("data", "format"),
    [
        (CHAT.encode(), "markdown"),
        (CHAT.replace("\n", "\r\n").encode(), "markdown"),
        (CHAT.replace("\n", "\r").encode(), "markdown"),
        (b"\xef\xbb\xbf" + CHAT.encode(), "markdown"),
        (CHAT.encode("utf-16"), "markdown"),
        (CHAT.replace("\n", "\r\n").encode(), "text"),
    ],
)
def test_line_endings_and_byte_order_marks_read_the_same(data: bytes, format: str) -> None:
    document = formats.parse("chat.md", data, format)
    assert _speakers(document) == [("user", "User"), ("assistant", "Gemini")]
    assert document.turns[1].blocks == (Block("math", "x = 1", 5, 5),)
    assert document.lines[0] == "**User:** Solve."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"**User:** hi\x00there", "NUL bytes"),
        (b"caf\xe9 au lait", "not UTF-8 text \\(byte 3 cannot be read\\)"),
        (b"\xff\xfe\x00\xd8", "not UTF-8 text"),  # UTF-16 with a lone surrogate
    ],
)
def test_undecodable_text_is_refused_with_a_sentence(data: bytes, message: str) -> None:
    with pytest.raises(Refused, match=message):
        formats.parse("hw.md", data, "markdown")


LONG_LINES = [
    "x = {1} + $y$ \\[ " * 100_000,
    "## User: " + " " * 1_500_000 + "x",
    "## Title" + " " * 1_500_000 + "x ##",
    "\\" * 1_000_000 + "%",
    "{" * 1_500_000,
    "\\section{" * 150_000,
    "\\begin{enumerate}[" * 100_000,
    "$$" * 700_000 + "x",
    "**Gemini: " + "a" * 1_500_000,
]


@pytest.mark.parametrize("format", ["markdown", "text", "tex"])
@pytest.mark.parametrize("line", LONG_LINES, ids=lambda line: repr(line[:12]))
def test_very_long_lines_are_read_quickly(format: str, line: str) -> None:
    started = time.monotonic()
    document = _read(f"**User:** q\n\n**Gemini:** {line}\n", format)
    assert time.monotonic() - started < 15  # linear: ~1 s each on a 2-core machine; quadratic would take minutes
    kept = sum(len(block.text) for turn in document.turns for block in turn.blocks)
    if format != "tex":
        assert kept > 1_000_000
    else:  # LaTeX's commands are structure, not text: 350,000 empty $$…$$ are 350,000 empty blocks
        assert kept > 100_000 or sum(len(turn.blocks) for turn in document.turns) > 100_000


def test_a_form_feed_is_not_a_line_break() -> None:
    document = _read("page one\fpage two\nnext\n")
    assert document.lines == ("page one\fpage two", "next")
