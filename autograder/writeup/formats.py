r"""A write-up file → :class:`~autograder.writeup.model.Document`: speaker turns of
blocks (headings, display math, code, prose) with their exact 1-based source lines.

Formats, by file suffix (:data:`FORMATS`):

- **Markdown and plain text** (``.md``, ``.markdown``, ``.txt``): chat exports and
  typed write-ups. A turn starts at a *speaker label* at the start of a line; the
  accepted styles (``Name`` is a known speaker, below)::

      **User:** text          **User**: text          **User: Problem:** text
      **Gemini**              User: text              Assistant: text
      ChatGPT said:           You said:               Human: … / Claude: …
      ### User                ## User: 4. Heading     #### Gemini: 2(a) Heading
      Q: … / A: …   (only when a document alternates them, ≥ 2 of each, Q first)

  Speakers: user side ``User``, ``You``, ``Human``, ``Me``, ``Prompt``; assistant side
  ``Assistant``, ``AI``, ``Model``, ``Bot``, ``Response`` and model names (``ChatGPT``,
  ``GPT``, ``Gemini``, ``Claude``, ``Bard``, ``Copilot``, ``Llama``, ``Mistral``,
  ``DeepSeek``, ``Grok``, ``Qwen``, ``Perplexity``), each optionally with a version
  (``GPT-4o``, ``Gemini 2.5 Pro``, ``Claude Sonnet 4.5``). What is *not* a label: a bold
  phrase that is not a speaker (``**Multi-Query Attention (MQA):**``), a known name
  followed by prose without a colon (``## Model Performance Summary``), a metadata line
  naming a model (``Model: Gemini 2.5 Pro``), a lone ``A:`` (the name of a fill-in
  blank). A label in a heading keeps the rest as a heading of the same level. The same
  speaker labelled twice in a row (a page break of a PDF-born export) continues one
  turn. A document whose labels are all user-side is not a chat (a ``Student: …``
  header line): like a document with no labels, it is one ``unknown`` turn. Text
  before the first label (a student's notes, a summary table) is an ``unknown`` turn.
  Blocks: ATX headings (``#`` = level 1), fenced code (`````/``~~~``, the info string's
  first word is the language; a fence left open runs to the end), display math
  (``$$…$$``, ``\[…\]``, ``\begin{equation|align|gather|…}``: the text is what would
  sit between ``$$``: ``align`` becomes ``aligned``, ``\label``/``\nonumber`` dropped),
  prose paragraphs (blank lines, list items and table rows' start end one; ``---``
  rules are dropped).
- **LaTeX** (``.tex``): the preamble (before ``\begin{document}``) and comments are
  dropped; ``\section``/``\subsection``/``\subsubsection``/``\paragraph``/
  ``\subparagraph`` are headings of level 1–5 (``\chapter``/``\part`` level 1);
  ``\item`` starts a prose block that begins with its label as typeset (``1.``, ``(a)``,
  ``i.``, ``A.`` by depth, ``label=(\alph*)`` of enumitem, ``\item[(c)]``, ``-`` in
  itemize); display math environments are math blocks; ``verbatim``/``Verbatim``/
  ``lstlisting``/``minted`` are code blocks. The course macro ``\answer{q1.a}{…}``
  (brace-balanced, may span lines) and the environment ``\begin{answerblock}{q1.a} …
  \end{answerblock}`` (which may hold a ``lstlisting``) become one block tagged
  ``("q1.a",)``: math when the body is only math (its delimiters removed), code when it
  is only verbatim (``\verb|…|``, a listing), else prose (raw TeX, ``\texttt{…}``
  included). The two lines a course gives students::

      \newcommand{\answer}[2]{\par\noindent\textbf{#1:} #2\par}
      \newenvironment{answerblock}[1]{\par\noindent\textbf{#1:}\par}{\par}

  (a verbatim listing cannot sit in a macro argument, hence the environment for code; it
  cannot be called ``answer``: an environment ``answer`` would define ``\answer`` too).
  An ``\answer`` never closed is refused with its line: the file would not compile.
- **Notebooks** (``.ipynb``, nbformat 4, read with :mod:`json`: the format is one JSON
  object and nbformat's validation would add a dependency for nothing we use): one
  ``unknown`` turn; markdown cells read as Markdown (no speaker labels), code cells are
  code blocks in the kernel's language, raw cells prose; outputs are not read. A cell is
  tagged with the answer ids among its ``metadata.tags`` (``answer:q1.a``, or a bare tag
  shaped like an id: a dot and a digit, ``q1.a``) and from a marker first line
  (``# answer: q1.a`` in code, ``<!-- answer: q1.a -->`` or ``**Answer q1.a:**`` in
  Markdown; the marker is removed from the text). Line numbers run over the cells'
  sources in order (cell 1's lines are 1…n, cell 2 starts at n+1): the document's
  ``lines`` are those sources, so quotes are stable whatever the JSON's layout.
- **PDF**: refused (we do not read PDFs), and so is a ``.md``/``.txt`` that is a PDF's
  text layer with mangled math (:func:`mangled_math`).

Anything else, a file over :data:`MAX_BYTES`, text that is not UTF-8 (UTF-16 with a
byte-order mark is read), NUL bytes, malformed notebook JSON: :class:`Refused` with a
sentence saying what to upload instead. Nothing here evaluates the text.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.safeio import UnsafePath, read_student_file
from autograder.writeup.model import Block, BlockKind, Document, Refused, Speaker, Turn

MAX_BYTES = 2 * 1024 * 1024
"""Largest write-up read: a long chat export is ~100 kB; 2 MB leaves room for notebooks."""

FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".tex": "tex", ".ipynb": "ipynb"}
"""Suffix → :attr:`Document.format`."""

UPLOAD_INSTEAD = "upload the .tex or .md source, a notebook (.ipynb), or an answers.yaml"

PDF_REFUSAL = (
    "{name} is a PDF, which is not read: math in a PDF's text comes out as separate characters "
    "(√d as 's =' and 'd' on two lines), which would be graded as wrong answers. "
    "Please " + UPLOAD_INSTEAD + "."
)
MANGLED_REFUSAL = (
    "{name} looks like text copied from a PDF: {short} of its {lines} lines ({share:.0%}) hold one or two "
    "characters, which is how rendered math comes out (√d as 's =' and 'd' on two lines, exponents on "
    "lines of their own), so it is not graded. Please " + UPLOAD_INSTEAD + "; math in PDF text layers "
    "comes out as separate characters."
)

MANGLED_SHARE = 0.12
"""Share of short lines (one or two characters, outside code fences, not standing alone) from
which a text is a PDF's mangled text layer. Calibrated on tests/fixtures/writeup_formats/:
the two mangled text layers (typeset solutions, a chat printed to PDF) measure 0.49 and 0.43;
the normal texts (the Gemini chat export, a Markdown write-up with rules, bullets and a table,
two terse chats, one with one-letter replies ``b``, ``c`` between ``You said:`` labels that
would measure 0.22 if counted) measure 0.00. Unseen while calibrating: a blind helper's PDF
text layer (tests/fixtures/writeups_unseen/) measures 0.58, its ChatGPT, Claude, Gemini and
pasted-answers texts 0.00. Below 0.12 a long prose text with a few
fragments is still read (its math is then at worst misread, which the extractor flags)."""
MANGLED_MIN_LINES = 12
"""…and at least this many short lines: a short note with a few ``x``/``1`` lines is not refused."""


def load(path: Path) -> Document:
    """Read one write-up; raises :class:`Refused` (with what to upload instead) for a file
    that must not be graded. Reads at most :data:`MAX_BYTES`, never follows a symlink."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        raise Refused(PDF_REFUSAL.format(name=path.name))
    if suffix not in FORMATS:
        raise Refused(f"{path.name} is not a write-up format that is read (.md, .txt, .tex, .ipynb); {UPLOAD_INSTEAD}.")
    try:
        data = read_student_file(path, MAX_BYTES)
    except UnsafePath as error:
        raise Refused(f"{error} Please {UPLOAD_INSTEAD}.") from None
    return parse(path.name, data, FORMATS[suffix])


def parse(name: str, data: bytes, format: str) -> Document:
    """:func:`load` for bytes already read (from a zip, a test): ``format`` is a value of :data:`FORMATS`."""
    if len(data) > MAX_BYTES:
        raise Refused(f"{name} is {len(data):,} bytes; at most {MAX_BYTES:,} are read. Please {UPLOAD_INSTEAD}.")
    text = _decode(name, data)
    if format == "ipynb":
        return _notebook(name, text)
    lines = _split_lines(text)
    if format == "tex":
        return Document(name, format, (Turn("unknown", "", tuple(_tex_blocks(name, lines))),), tuple(lines))
    short, counted = mangled_math(lines)
    if short:
        raise Refused(MANGLED_REFUSAL.format(name=name, short=short, lines=counted, share=short / counted))
    return Document(name, format, tuple(_chat_turns(lines)), tuple(lines))


# --- bytes → lines ---------------------------------------------------------------------------


def _decode(name: str, data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        raise Refused(PDF_REFUSAL.format(name=name))
    try:
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        text = data.decode("utf-16") if utf16 else data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Refused(
            f"{name} is not UTF-8 text (byte {error.start:,} cannot be read); save it as UTF-8 "
            f"(any editor's 'Save with encoding'), or {UPLOAD_INSTEAD}."
        ) from None
    if "\x00" in text:
        raise Refused(f"{name} holds NUL bytes, so it is not a text file; save it as UTF-8 text, or {UPLOAD_INSTEAD}.")
    return text


def _split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them: CRLF, CR and LF end a line, nothing else (not the
    form feed of a PDF's page break, which :meth:`str.splitlines` would count)."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")


def mangled_math(lines: Sequence[str]) -> tuple[int, int]:
    """``(short lines, lines counted)`` when the text is a PDF text layer with mangled math
    (:data:`MANGLED_SHARE`, :data:`MANGLED_MIN_LINES`), else ``(0, lines counted)``. Counted:
    non-blank lines outside code fences (code has its ``}`` and ``)`` lines). A short line
    standing alone (blank lines or speaker labels on both sides: a chat's reply ``b``, a
    list's ``1.``) is not counted as short: rendered math splits into runs of fragments."""
    counted = short = 0
    fence = ""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if match := _FENCE.match(line):
            fence = match["fence"]
            continue
        if stripped:
            counted += 1
            short += len(stripped) <= 2 and not (_apart(lines, index - 1) and _apart(lines, index + 1))
    if short >= MANGLED_MIN_LINES and short >= MANGLED_SHARE * counted:
        return short, counted
    return 0, counted


def _apart(lines: Sequence[str], index: int) -> bool:
    """Whether ``lines[index]`` separates what is around it: no line, a blank line or a speaker label."""
    return not 0 <= index < len(lines) or not lines[index].strip() or _label(lines[index]) is not None


# --- Markdown and plain text: speaker labels ------------------------------------------------

_USER_NAMES = r"user|you|human|me|prompt"
_ASSISTANT_NAMES = (
    r"assistant|ai|model|bot|chatbot|response|chatgpt|gpt|gemini|bard|claude|copilot|llama|mistral|"
    r"deepseek|grok|qwen|perplexity"
)
_VERSION = r"(?:[ -](?:\w*\d[\w.]*|pro|flash|ultra|sonnet|opus|haiku|mini|turbo|thinking|advanced|plus|max|chat))"
_NAME = rf"(?P<name>(?:{_USER_NAMES}|{_ASSISTANT_NAMES}){_VERSION}{{0,3}})"
_SAID = r"(?P<said>\s+said)?"
_LABELS = [
    # ## User: 4. Heading   ### Gemini   #### **Gemini:** 2(a) …
    re.compile(
        rf"^ {{0,3}}(?P<hashes>#{{1,6}})\s+(?:\*\*)?{_NAME}{_SAID}"
        r"(?:\s*:\s*(?:\*\*)?(?P<rest>.*)|\s*(?:\*\*)?\s*:?\s*)$",
        re.I,
    ),
    # **User:** text   **ChatGPT said:** text
    re.compile(rf"^ {{0,3}}\*\*{_NAME}{_SAID}\s*:\s*\*\*\s*(?P<rest>.*)$", re.I),
    # **User**: text   **User**
    re.compile(rf"^ {{0,3}}\*\*{_NAME}{_SAID}\*\*\s*(?::\s*(?P<rest>.*))?$", re.I),
    # **User: Problem:** text → the rest keeps its bold: "**Problem:** text"
    re.compile(rf"^ {{0,3}}\*\*{_NAME}\s*:\s+(?P<bold>[^*]+?\*\*.*)$", re.I),
    # You said   (alone on its line, no colon)
    re.compile(rf"^ {{0,3}}{_NAME}(?P<said>\s+said)\s*$", re.I),
    # User: text   ChatGPT said:
    re.compile(rf"^ {{0,3}}{_NAME}{_SAID}\s*:(?:\s+(?P<rest>.*))?$", re.I),
]
_QA = re.compile(r"^ {0,3}(?:\*\*)?(?P<name>[QA])(?:\*\*)?\s*:(?:\*\*)?(?:\s+(?P<rest>.*))?$")
_ONLY_NAME = re.compile(rf"^{_NAME}\s*$", re.I)
_USER_SIDE = re.compile(rf"^(?:{_USER_NAMES})\b", re.I)


@dataclass(frozen=True)
class _Label:
    speaker: Speaker
    label: str
    rest: str
    """What follows the label on its line, as a line of its own (a heading keeps its ``#``s)."""


def _label(line: str) -> _Label | None:
    for pattern in _LABELS:
        match = pattern.match(line)
        if not match:
            continue
        name = match["name"]
        speaker: Speaker = "user" if _USER_SIDE.match(name) else "assistant"
        groups = match.groupdict()
        rest = (groups.get("rest") or "").strip() or (f"**{groups['bold'].strip()}" if groups.get("bold") else "")
        if (named := _ONLY_NAME.match(rest.strip("*").rstrip("."))) and not _USER_SIDE.match(named["name"]):
            return None  # "Model: Gemini 2.5 Pro": a header naming the model, not a turn
        if groups.get("hashes") and rest:
            rest = f"{match['hashes']} {rest}"
        return _Label(speaker, name + (" said" if groups.get("said") else ""), rest)
    return None


def _qa_labels(lines: Sequence[str]) -> bool:
    """Whether ``Q:``/``A:`` lines are a chat's labels: ≥ 2 of each, strictly alternating from Q."""
    found = [match["name"] for line in lines if (match := _QA.match(line))]
    return len(found) >= 4 and all(name == "QA"[index % 2] for index, name in enumerate(found))


def _labels(lines: Sequence[str]) -> dict[int, _Label]:
    """Line index → label, outside code fences; none when no label is on the assistant side."""
    qa = _qa_labels(lines)
    found: dict[int, _Label] = {}
    fence = ""
    for index, line in enumerate(lines):
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            continue
        if match := _FENCE.match(line):
            fence = match["fence"]
            continue
        if label := _label(line):
            found[index] = label
        elif qa and (qa_match := _QA.match(line)):
            name = qa_match["name"]
            found[index] = _Label("user" if name == "Q" else "assistant", name, (qa_match["rest"] or "").strip())
    if not any(label.speaker == "assistant" for label in found.values()):
        return {}
    return found


def _chat_turns(lines: Sequence[str]) -> Iterator[Turn]:
    """Turns from speaker labels (see the module docstring); one ``unknown`` turn without them."""
    labels = _labels(lines)
    speaker: Speaker = "unknown"
    label = ""
    start = 0
    view = list(lines)
    for index, found in sorted(labels.items()):
        if found.speaker == speaker:  # a page break's repeated label: the same turn goes on
            view[index] = found.rest
            continue
        if blocks := _markdown_blocks(view[start:index], start + 1):
            yield Turn(speaker, label, tuple(blocks))
        elif speaker != "unknown":
            yield Turn(speaker, label, ())
        speaker, label, start = found.speaker, found.label, index
        view[index] = found.rest
    blocks = _markdown_blocks(view[start:], start + 1)
    if blocks or speaker != "unknown" or not labels:
        yield Turn(speaker, label, tuple(blocks))


# --- Markdown blocks -------------------------------------------------------------------------

_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*))?$")
_RULE = re.compile(r"^ {0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|(?:=\s*){3,})$")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)]|\(?[a-zA-Z]\)|\([ivxlc]+\))\s")
_MATH_ENVIRONMENTS = (
    "equation",
    "equation*",
    "displaymath",
    "math",
    "align",
    "align*",
    "aligned",
    "flalign",
    "flalign*",
    "alignat",
    "alignat*",
    "gather",
    "gather*",
    "gathered",
    "multline",
    "multline*",
    "eqnarray",
    "eqnarray*",
)
_AS_INNER = {
    "align": "aligned",
    "flalign": "aligned",
    "eqnarray": "aligned",
    "alignat": "aligned",
    "gather": "gathered",
}
_BEGIN_MATH = re.compile(r"^\s*\\begin\{(?P<env>" + "|".join(re.escape(env) for env in _MATH_ENVIRONMENTS) + r")\}")
_MATH_NOISE = re.compile(r"\\(?:label\{[^{}]*\}|nonumber\b|notag\b)")


def _math_text(env: str, inner: str) -> str:
    """What would sit between ``$$``: a numbered environment's rows, in its unnumbered form."""
    inner = _MATH_NOISE.sub("", inner).strip()
    base = env.rstrip("*")
    if base in _AS_INNER:
        return f"\\begin{{{_AS_INNER[base]}}}{inner}\\end{{{_AS_INNER[base]}}}"
    if base in {"aligned", "gathered"}:
        return f"\\begin{{{base}}}{inner}\\end{{{base}}}"
    return inner


@dataclass
class _Builder:
    """Blocks of one run of lines; ``first`` is the source line number of ``lines[0]``."""

    lines: Sequence[str]
    first: int
    blocks: list[Block] = field(default_factory=list)
    paragraph: list[str] = field(default_factory=list)
    paragraph_start: int = 0

    def flush(self, before: int) -> None:
        if self.paragraph:
            text = "\n".join(self.paragraph).strip()
            if text:
                self.add("prose", text, self.paragraph_start, before - 1)
            self.paragraph = []

    def add(self, kind: BlockKind, text: str, first: int, last: int, **extra: Any) -> None:
        self.blocks.append(Block(kind, text, self.first + first, self.first + last, **extra))

    def prose(self, index: int, text: str) -> None:
        if self.paragraph and _ITEM.match(text):
            self.flush(index)
        if not self.paragraph:
            self.paragraph_start = index
        self.paragraph.append(text)


def _markdown_blocks(lines: Sequence[str], first: int) -> list[Block]:
    """Headings, fenced code, display math and prose paragraphs of Markdown lines."""
    out = _Builder(lines, first)
    index = 0
    while index < len(lines):
        index = _markdown_line(out, index, lines[index])
    out.flush(len(lines))
    return out.blocks


def _markdown_line(out: _Builder, index: int, line: str) -> int:
    """Reads what starts at ``lines[index]`` (``line``: the line, or what is left of it); returns the next index."""
    lines = out.lines
    stripped = line.strip()
    if not stripped or _RULE.match(line):
        if len(out.paragraph) == 1 and stripped and set(stripped) <= {"=", "-"}:  # a setext heading
            text, out.paragraph = out.paragraph[0].strip(), []
            out.add("heading", text, out.paragraph_start, index, level=1 if stripped[0] == "=" else 2)
        out.flush(index)
        return index + 1
    if fence := _FENCE.match(line):
        out.flush(index)
        end = next((n for n in range(index + 1, len(lines)) if lines[n].strip().startswith(fence["fence"])), len(lines))
        info = fence["info"].strip("{}.").lower()
        out.add("code", "\n".join(lines[index + 1 : end]), index, min(end, len(lines) - 1), language=info)
        return end + 1
    if heading := _HEADING.match(line):
        out.flush(index)
        if text := _heading_text(heading["text"] or ""):
            out.add("heading", text, index, index, level=len(heading["hashes"]))
        return index + 1
    for opening, closing in (("$$", "$$"), ("\\[", "\\]")):
        if stripped.startswith(opening):
            out.flush(index)
            return _display_math(out, index, stripped[len(opening) :], closing, "")
    if begin := _BEGIN_MATH.match(line):
        out.flush(index)
        env = begin["env"]
        return _display_math(out, index, line[begin.end() :], f"\\end{{{env}}}", env)
    out.prose(index, line.rstrip())
    return index + 1


def _heading_text(text: str) -> str:
    """A heading's text without its closing ``#``s (``## Title ##``); string methods, not a
    regex, so a line of a million spaces stays linear."""
    text = text.strip()
    bare = text.rstrip("#")
    if bare != text and (not bare or bare[-1].isspace()):
        text = bare.rstrip()
    return text


def _display_math(out: _Builder, index: int, after: str, closing: str, env: str) -> int:
    """A math block from ``lines[index]`` (``after``: its text past the opening) to ``closing``;
    text after the closing on its line is read on. Unclosed: to the next blank line."""
    lines = out.lines
    parts: list[str] = []
    line_index = index
    rest = after
    while True:
        position = rest.find(closing)
        if position >= 0:
            parts.append(rest[:position])
            out.add("math", _math_text(env, "\n".join(parts)), index, line_index)
            tail = rest[position + len(closing) :].strip()
            if tail:  # "$$x$$ (the final answer)": the words after are prose of that line
                out.prose(line_index, tail)
            return line_index + 1
        parts.append(rest)
        line_index += 1
        if line_index >= len(lines) or not lines[line_index].strip():
            out.add("math", _math_text(env, "\n".join(parts)), index, line_index - 1)
            return line_index
        rest = lines[line_index]


# --- LaTeX -----------------------------------------------------------------------------------

_VERB = re.compile(r"\\(?:verb|lstinline)\*?(.)")
_VERBATIM_ENVIRONMENTS = ("verbatim", "verbatim*", "Verbatim", "lstlisting", "minted")
_SECTIONS = {
    "part": 1,
    "chapter": 1,
    "section": 1,
    "subsection": 2,
    "subsubsection": 3,
    "paragraph": 4,
    "subparagraph": 5,
}
_LISTS = ("enumerate", "itemize", "description")
ANSWER_ENVIRONMENT = "answerblock"
ANSWER_MACRO_DEFINITION = (
    "\\newcommand{\\answer}[2]{\\par\\noindent\\textbf{#1:} #2\\par}\n"
    "\\newenvironment{answerblock}[1]{\\par\\noindent\\textbf{#1:}\\par}{\\par}\n"
)
"""The two lines a course gives students (README, the read-back's hints)."""
_FLOAT_PLACEMENT = re.compile(r"\s*\[[htbpH!]{1,6}\]")
_ANSWER_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*$")
_TEX_SPECIAL = re.compile(
    r"\n[ \t]*\n"  # a paragraph break
    r"|\\begin\{(?P<begin>[A-Za-z*]+)\}"
    r"|\\end\{(?P<end>[A-Za-z*]+)\}"
    r"|\\(?P<section>part|chapter|section|subsection|subsubsection|paragraph|subparagraph)\*?(?![A-Za-z])"
    r"|\\(?P<item>item)(?![A-Za-z])"
    r"|\\(?P<answer>answer)(?![A-Za-z])"
    r"|\\(?P<skip>maketitle|tableofcontents|newpage|clearpage|noindent)(?![A-Za-z])"
    r"|(?P<display>\$\$|\\\[)"
    r"|\\(?P<define>(?:re)?newcommand|providecommand|(?:re)?newenvironment|usepackage|documentclass)\*?(?![A-Za-z])"
)


_BEGIN_VERBATIM = re.compile(r"\\begin\{(" + "|".join(re.escape(env) for env in _VERBATIM_ENVIRONMENTS) + r")\}")


def _comment_start(line: str) -> int:
    """Where a line's ``%`` comment starts (a ``%`` after an even run of backslashes), else its length."""
    position = line.find("%")
    while position >= 0:
        before = position
        while before > 0 and line[before - 1] == "\\":
            before -= 1
        if (position - before) % 2 == 0:
            return position
        position = line.find("%", position + 1)
    return len(line)


def _strip_tex_comments(lines: Sequence[str]) -> list[str]:
    """Each line without its ``%`` comment (not ``\\%``); verbatim environments keep theirs."""
    out: list[str] = []
    verbatim = ""
    for line in lines:
        if verbatim:
            out.append(line)
            if f"\\end{{{verbatim}}}" in line:
                verbatim = ""
            continue
        kept = line[: _comment_start(line)]
        begun = _BEGIN_VERBATIM.search(kept) if "\\begin" in kept else None
        if begun and f"\\end{{{begun[1]}}}" not in line[begun.end() :]:
            verbatim = begun[1]
            kept = line  # a listing's first line may hold options, not comments
        out.append(kept)
    return out


@dataclass
class _ListLevel:
    kind: str
    template: str
    count: int = 0


_DEFAULT_TEMPLATES = ("{arabic}.", "({alph})", "{roman}.", "{Alph}.")


def _roman(number: int) -> str:
    values = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"))
    out = ""
    for value, numeral in (*values, (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out += numeral
            number -= value
    return out


def _alph(number: int) -> str:
    return chr(ord("a") + (number - 1) % 26)


def _list_template(options: str, depth: int) -> str:
    r"""The label template of an enumerate: enumitem's ``label=(\alph*)``, the enumerate
    package's ``[(a)]``, else LaTeX's default for the depth."""
    label = re.search(r"label\s*=\s*(\{[^{}]*\}|[^,\]]+)", options)
    if label:
        text = label[1].strip()
        text = text[1:-1] if text.startswith("{") and text.endswith("}") else text
        for command, slot in (
            ("\\alph*", "{alph}"),
            ("\\Alph*", "{Alph}"),
            ("\\roman*", "{roman}"),
            ("\\Roman*", "{Roman}"),
            ("\\arabic*", "{arabic}"),
        ):
            text = text.replace(command, slot)
        if "{" in text:
            return text
    elif re.fullmatch(r"[^\w{}]*[aAiI1][^\w{}]*", options.strip()):  # the enumerate package's [(a)]
        slots = {"a": "{alph}", "A": "{Alph}", "i": "{roman}", "I": "{Roman}", "1": "{arabic}"}
        return re.sub(r"[aAiI1]", lambda found: slots[found[0]], options.strip(), count=1)
    return _DEFAULT_TEMPLATES[min(depth, len(_DEFAULT_TEMPLATES) - 1)]


def _typeset(template: str, count: int) -> str:
    """A label template's slots filled (plain replacement: a template may hold TeX braces)."""
    roman = _roman(count)
    slots = {
        "{arabic}": str(count),
        "{alph}": _alph(count),
        "{Alph}": _alph(count).upper(),
        "{roman}": roman,
        "{Roman}": roman.upper(),
    }
    for slot, value in slots.items():
        template = template.replace(slot, value)
    return template


_OPTIONS_SPAN = 500
"""How far an option group ``[…]`` may reach (an enumerate's label, a listing's language)."""
_OPTIONS = re.compile(r"\[(?P<inside>(?:\{[^{}\n]*\}|[^\[\]{}\n]){0," + str(_OPTIONS_SPAN) + r"})\]")
_LIST_DEPTH = 8
_BRACE_TOKEN = re.compile(r"\\(?:verb|lstinline)\*?(?P<delim>[^A-Za-z{\s])|\\.|[{}]", re.S)


def _matching_braces(text: str) -> dict[int, int]:
    """Position of each ``{`` → its ``}``: escapes (``\\{``) and ``\\verb|…|`` skipped, unclosed left out."""
    matching: dict[int, int] = {}
    opened: list[int] = []
    position = 0
    while token := _BRACE_TOKEN.search(text, position):
        position = token.end()
        if token["delim"]:
            closing = text.find(token["delim"], position)
            position = len(text) if closing < 0 else closing + 1
        elif token[0] == "{":
            opened.append(token.start())
        elif token[0] == "}" and opened:
            matching[opened.pop()] = token.start()
    return matching


class _Tex:
    """One pass over a LaTeX body (a string with a position → line map)."""

    def __init__(self, name: str, text: str, first_line: int) -> None:
        self.name = name
        self.text = text
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.first_line = first_line
        self.blocks: list[Block] = []
        self.paragraph: list[tuple[int, str]] = []
        self.lists: list[_ListLevel] = []
        self.too_deep = 0
        """Lists opened beyond :data:`_LIST_DEPTH` (LaTeX stops at 4 enumerates), not tracked."""
        self.braces = _matching_braces(text)
        self.found: dict[str, tuple[int, int]] = {}

    def line(self, position: int) -> int:
        return self.first_line + bisect.bisect_right(self.starts, position) - 1

    def add(self, kind: BlockKind, text: str, start: int, end: int, **extra: Any) -> None:
        self.blocks.append(Block(kind, text, self.line(start), self.line(max(start, end - 1)), **extra))

    def flush(self) -> None:
        text = "".join(piece for _, piece in self.paragraph).strip()
        if text:
            start = self.paragraph[0][0] + len(self.paragraph[0][1]) - len(self.paragraph[0][1].lstrip())
            end = self.paragraph[-1][0] + len(self.paragraph[-1][1].rstrip())
            self.add("prose", text, start, end)
        self.paragraph = []

    def prose(self, start: int, piece: str) -> None:
        if piece.strip() or self.paragraph:
            self.paragraph.append((start, piece))

    def group(self, position: int, opening: str = "{", closing: str = "}") -> tuple[str, int] | None:
        """The brace-balanced group starting at ``position`` (after spaces): ``(inside, end)``.
        Braces are matched once for the whole text (linear even for a hostile text of unclosed
        ``{``); an option group ``[…]`` is one line of at most :data:`_OPTIONS_SPAN` characters, braces
        allowed one deep (``[label=\\textbf{\\alph*}]``)."""
        while position < len(self.text) and self.text[position] in " \t\n":
            position += 1
        if position >= len(self.text) or self.text[position] != opening:
            return None
        if opening == "{":
            end = self.braces.get(position)
            return None if end is None else (self.text[position + 1 : end], end + 1)
        options = _OPTIONS.match(self.text, position)
        return (options["inside"], options.end()) if options else None

    def find(self, needle: str, start: int) -> int:
        """``text.find(needle, start)``, remembered: many openings with no closing stay linear."""
        searched_from, found = self.found.get(needle, (len(self.text) + 1, -1))
        if searched_from <= start and (found == -1 or found >= start):
            return found
        found = self.text.find(needle, start)
        self.found[needle] = (start, found)
        return found

    def run(self) -> list[Block]:
        position = 0
        while position < len(self.text):
            match = _TEX_SPECIAL.search(self.text, position)
            if not match:
                self.prose(position, self.text[position:])
                break
            self.prose(position, self.text[position : match.start()])
            position = self.special(match)
        self.flush()
        return self.blocks

    def special(self, match: re.Match[str]) -> int:
        if match["begin"]:
            return self.begin(match["begin"], match)
        if match["end"]:
            if match["end"] in _LISTS and self.too_deep:
                self.too_deep -= 1
            elif match["end"] in _LISTS and self.lists:
                self.lists.pop()
            self.flush()
            return match.end()
        if match["section"]:
            return self.section(match)
        if match["item"]:
            return self.item(match)
        if match["answer"]:
            return self.answer(match)
        if match["display"]:
            closing = "$$" if match["display"] == "$$" else "\\]"
            end = self.find(closing, match.end())
            if end < 0:
                self.prose(match.start(), match[0])
                return match.end()
            self.flush()
            self.add("math", _math_text("", self.text[match.end() : end]), match.start(), end + len(closing))
            return end + len(closing)
        if match["skip"]:
            return match.end()
        if match["define"]:
            return self.definition(match["define"], match.end())
        self.flush()  # a paragraph break
        return match.end()

    def definition(self, command: str, position: int) -> int:
        """Past a definition in a fragment without a preamble (``\\newcommand{\\answer}[2]{…}``):
        not text, and its ``\\answer`` is no answer."""
        self.flush()
        if command in {"usepackage", "documentclass"}:
            options = self.group(position, "[", "]")
            name = self.group(options[1] if options else position)
            return name[1] if name else position
        token = re.compile(r"\s*\\[A-Za-z]+").match(self.text, position)
        name = self.group(position)
        position = name[1] if name else token.end() if token else position
        for _ in range(2):
            if options := self.group(position, "[", "]"):
                position = options[1]
        for _ in range(2 if command.endswith("environment") else 1):
            if body := self.group(position):
                position = body[1]
        return position

    def environment_end(self, env: str, start: int) -> tuple[int, int]:
        """Where ``\\end{env}`` starts and ends; an environment left open runs to the end."""
        closing = f"\\end{{{env}}}"
        end = self.find(closing, start)
        return (len(self.text), len(self.text)) if end < 0 else (end, end + len(closing))

    def begin(self, env: str, match: re.Match[str]) -> int:
        after = match.end()
        if env in _VERBATIM_ENVIRONMENTS:
            self.flush()
            language, body_start = self.listing_options(env, after)
            end, past = self.environment_end(env, body_start)
            self.add("code", self.text[body_start:end].strip("\n"), match.start(), past, language=language)
            return past
        if env in _MATH_ENVIRONMENTS:
            self.flush()
            end, past = self.environment_end(env, after)
            self.add("math", _math_text(env, self.text[after:end]), match.start(), past)
            return past
        if env == ANSWER_ENVIRONMENT:
            return self.answer_environment(match)
        self.flush()
        if env in _LISTS:
            bracket = self.group(after, "[", "]") if self.text[after : after + 1] == "[" else None
            if len(self.lists) >= _LIST_DEPTH:
                self.too_deep += 1
            else:
                self.lists.append(_ListLevel(env, _list_template(bracket[0] if bracket else "", self.depth())))
            return bracket[1] if bracket else after
        placement = _FLOAT_PLACEMENT.match(self.text, after)  # \begin{figure}[h]: not text
        return placement.end() if placement else after

    def depth(self) -> int:
        return sum(level.kind == "enumerate" for level in self.lists)

    def listing_options(self, env: str, position: int) -> tuple[str, int]:
        """A listing's language (``[language=Python]``, minted's ``{python}``) and where its body starts."""
        language = ""
        options = self.group(position, "[", "]")
        if options:
            found = re.search(r"language\s*=\s*\{?([\w+#-]+)", options[0])
            language = found[1].lower() if found else ""
            position = options[1]
        if env == "minted" and (argument := self.group(position)):
            language, position = argument[0].strip().lower(), argument[1]
        newline = self.text.find("\n", position)
        rest_of_line = self.text[position:newline] if newline >= 0 else self.text[position:]
        return language, (newline + 1 if newline >= 0 and not rest_of_line.strip() else position)

    def section(self, match: re.Match[str]) -> int:
        position = match.end()
        short = self.group(position, "[", "]")
        title = self.group(short[1] if short else position)
        if not title:
            self.prose(match.start(), match[0])
            return match.end()
        self.flush()
        self.add("heading", " ".join(title[0].split()), match.start(), title[1], level=_SECTIONS[match["section"]])
        return title[1]

    def item(self, match: re.Match[str]) -> int:
        self.flush()
        position = match.end()
        explicit = self.group(position, "[", "]")
        if explicit:
            label, position = explicit[0].strip(), explicit[1]
        elif self.lists and self.lists[-1].kind == "enumerate":
            self.lists[-1].count += 1
            label = _typeset(self.lists[-1].template, self.lists[-1].count)
        else:
            label = "-"
        start = position
        while start < len(self.text) and self.text[start] in " \t":
            start += 1
        self.paragraph.append((match.start(), label + " "))
        return start

    def answer(self, match: re.Match[str]) -> int:
        found = self.group(match.end())
        body = self.group(found[1]) if found else None
        if not found or not body:
            raise Refused(
                f"{self.name}, line {self.line(match.start())}: \\answer needs two brace groups, "
                "\\answer{id}{your answer}, and one is missing or never closed (a } is missing); "
                "fix the .tex so it compiles, or upload an answers.yaml."
            )
        self.tagged(found[0], body[0], match.start(), body[1])
        return body[1]

    def answer_environment(self, match: re.Match[str]) -> int:
        found = self.group(match.end())
        if not found:
            raise Refused(
                f"{self.name}, line {self.line(match.start())}: \\begin{{{ANSWER_ENVIRONMENT}}} needs the answer id: "
                f"\\begin{{{ANSWER_ENVIRONMENT}}}{{q1.a}}."
            )
        end, past = self.environment_end(ANSWER_ENVIRONMENT, found[1])
        if end == len(self.text):
            raise Refused(
                f"{self.name}, line {self.line(match.start())}: \\begin{{{ANSWER_ENVIRONMENT}}} is never closed "
                f"by \\end{{{ANSWER_ENVIRONMENT}}}."
            )
        self.tagged(found[0], self.text[found[1] : end], match.start(), past)
        return past

    def tagged(self, answer_id: str, body: str, start: int, end: int) -> None:
        answer_id = answer_id.strip()
        if not _ANSWER_ID.match(answer_id):
            raise Refused(
                f"{self.name}, line {self.line(start)}: {answer_id[:40]!r} is not an answer id "
                "(letters, digits, dots: \\answer{q1.a}{…})."
            )
        self.flush()
        kind, text, language = _answer_body(body)
        self.add(kind, text, start, end, tags=(answer_id,), language=language)


_WHOLE_MATH = re.compile(r"^(?:\$\$(?P<a>.*)\$\$|\$(?P<b>[^$]*)\$|\\\[(?P<c>.*)\\\]|\\\((?P<d>.*)\\\))$", re.S)
_WHOLE_ENV = re.compile(
    r"^\\begin\{(?P<env>[A-Za-z*]+)\}(?P<options>\[[^\]\n]*\])?(?P<arg>\{\w+\})?(?P<body>.*)\\end\{(?P=env)\}$", re.S
)
_WHOLE_VERB = re.compile(r"^\\(?:verb|lstinline)\*?(?P<delim>[^A-Za-z{\s])(?P<body>.*?)(?P=delim)$", re.S)


def _answer_body(body: str) -> tuple[BlockKind, str, str]:
    """An ``\\answer``'s body → ``(kind, text, language)``: math or code when it is only that."""
    stripped = body.strip()
    if (math := _WHOLE_MATH.match(stripped)) and "$" not in next(group for group in math.groups() if group is not None):
        return "math", next(group for group in math.groups() if group is not None).strip(), ""
    if verb := _WHOLE_VERB.match(stripped):
        return "code", verb["body"], ""
    if env := _WHOLE_ENV.match(stripped):
        if env["env"] in _MATH_ENVIRONMENTS and "\\end{" + env["env"] + "}" not in env["body"]:
            return "math", _math_text(env["env"], env["body"]), ""
        if env["env"] in _VERBATIM_ENVIRONMENTS:
            language = (env["arg"] or "").strip("{}").lower()
            if options := re.search(r"language\s*=\s*\{?([\w+#-]+)", env["options"] or ""):
                language = options[1].lower()
            return "code", env["body"].strip("\n"), language
    return "prose", stripped, ""


def _tex_blocks(name: str, lines: Sequence[str]) -> list[Block]:
    """A LaTeX file's body: after ``\\begin{document}`` (all of it when a fragment), comments dropped."""
    kept = _strip_tex_comments(lines)
    start = next((n for n, line in enumerate(kept) if "\\begin{document}" in line), None)
    end = next((n for n, line in enumerate(kept) if "\\end{document}" in line), len(kept))
    if start is None:
        body, first = kept[:end], 1
    else:
        body = [kept[start].split("\\begin{document}", 1)[1], *kept[start + 1 : end]]
        first = start + 1
    if end < len(kept):
        body.append(kept[end].split("\\end{document}", 1)[0])
    return _Tex(name, "\n".join(body), first).run()


# --- notebooks -------------------------------------------------------------------------------

_ID = r"[A-Za-z0-9][\w\-]*(?:\.[\w\-]+)+|[A-Za-z]+\d+[\w\-]*"
_TAG = re.compile(rf"^(?:answer\s*[:=\-]\s*)?(?P<id>{_ID})$", re.I)
_CODE_MARKER = re.compile(rf"^\s*#\s*answer\s*[:=]?\s*(?P<ids>(?:{_ID})(?:\s*,\s*(?:{_ID}))*)\s*$", re.I)
_MARKDOWN_MARKERS = (
    re.compile(rf"^\s*<!--\s*answer\s*:?\s*(?P<ids>(?:{_ID})(?:\s*,\s*(?:{_ID}))*)\s*-->\s*(?P<rest>.*)$", re.I),
    re.compile(rf"^\s*\*\*\s*answer\s*:?\s*(?P<ids>{_ID})\s*:?\s*\*\*\s*:?\s*(?P<rest>.*)$", re.I),
    re.compile(rf"^\s*#{{1,6}}\s*answer\s*:?\s*(?P<ids>{_ID})\s*:?\s*$", re.I),
)


def _notebook_json(name: str, text: str) -> dict[str, Any]:
    bad = f"{name} is not a Jupyter notebook"
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise Refused(
            f"{bad}: its JSON does not parse ({error.msg} at line {error.lineno}, column {error.colno}). "
            f"Save it again from Jupyter, or {UPLOAD_INSTEAD}."
        ) from None
    except ValueError:  # a number of more than 4,300 digits
        raise Refused(f"{bad}: its JSON holds a number too long to read. Save it again from Jupyter.") from None
    except RecursionError:
        raise Refused(f"{bad}: its JSON is nested too deeply to read. Save it again from Jupyter.") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        old = isinstance(notebook, dict) and "worksheets" in notebook
        reason = (
            "it is in nbformat 3; save it from a current Jupyter (nbformat 4)" if old else "it has no list of cells"
        )
        raise Refused(f"{bad}: {reason}. Or {UPLOAD_INSTEAD}.")
    return notebook


def _cell_source(name: str, number: int, cell: Any) -> tuple[str, list[str], dict[str, Any]]:
    if not isinstance(cell, dict):
        raise Refused(f"{name}: cell {number} is not a notebook cell (a JSON object). Save it again from Jupyter.")
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(piece, str) for piece in source):
        source = "".join(source)
    if not isinstance(source, str):
        raise Refused(
            f"{name}: cell {number}'s source is neither text nor a list of lines. Save it again from Jupyter."
        )
    metadata = cell.get("metadata")
    return (
        str(cell.get("cell_type", "")),
        _split_lines(source.replace("\x00", "")),
        metadata if isinstance(metadata, dict) else {},
    )


def _tags(metadata: dict[str, Any]) -> list[str]:
    tags = metadata.get("tags")
    if not isinstance(tags, list):
        return []
    return [
        match["id"]
        for tag in tags
        if isinstance(tag, str) and (match := _TAG.match(tag.strip())) and _looks_like_id(tag, match["id"])
    ]


def _looks_like_id(tag: str, answer_id: str) -> bool:
    """``answer:x`` is always an id; a bare tag only when shaped like one (``q1.a``), not ``hide-input``."""
    return tag.strip().lower().startswith("answer") or ("." in answer_id and any(char.isdigit() for char in answer_id))


def _marker(kind: str, lines: list[str]) -> tuple[list[str], int, str]:
    """The ids of a marker first line; returns ``(ids, lines to drop, rest of the marker line)``."""
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return [], 0, ""
    patterns = (_CODE_MARKER,) if kind == "code" else _MARKDOWN_MARKERS
    for pattern in patterns:
        if match := pattern.match(lines[first]):
            ids = [piece.strip() for piece in match["ids"].split(",")]
            return ids, first + 1, (match.groupdict().get("rest") or "").strip()
    return [], 0, ""


def _language(notebook: dict[str, Any]) -> str:
    metadata = notebook.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    for key, inner in (("kernelspec", "language"), ("language_info", "name")):
        section = metadata.get(key)
        if (
            isinstance(section, dict)
            and isinstance(section.get(inner), str)
            and re.fullmatch(r"[\w+#.\-]{1,30}", section[inner])
        ):
            return str(section[inner]).lower()
    return "python"


def _notebook(name: str, text: str) -> Document:
    notebook = _notebook_json(name, text)
    language = _language(notebook)
    blocks: list[Block] = []
    all_lines: list[str] = []
    for number, cell in enumerate(notebook["cells"], start=1):
        kind, lines, metadata = _cell_source(name, number, cell)
        first = len(all_lines) + 1
        all_lines.extend(lines)
        ids, dropped, rest = _marker(kind, lines)
        tags = tuple(dict.fromkeys([*_tags(metadata), *ids]))
        body = ([rest] if rest else []) + lines[dropped:]
        offset = first + dropped - (1 if rest else 0)
        blocks.extend(dataclasses.replace(block, tags=tags) for block in _cell_blocks(kind, body, offset, language))
    return Document(name, "ipynb", (Turn("unknown", "", tuple(blocks)),), tuple(all_lines))


def _cell_blocks(kind: str, lines: list[str], first: int, language: str) -> list[Block]:
    if not any(line.strip() for line in lines):
        return []
    if kind == "markdown":
        return _markdown_blocks(lines, first)
    if kind == "code":
        return [Block("code", "\n".join(lines).strip("\n"), first, first + len(lines) - 1, language=language)]
    return [Block("prose", "\n".join(lines).strip(), first, first + len(lines) - 1)]


__all__ = ["FORMATS", "MAX_BYTES", "load", "mangled_math", "parse"]
