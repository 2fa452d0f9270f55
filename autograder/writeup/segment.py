"""A write-up's turns → sections, one per (question, part) announcement, with the
problem set's cues (:mod:`autograder.writeup.cues`).

Why a state machine over lines, not a search per part: a part's answer runs from its
announcement (a heading, a marker line, a word such as ``Time:``) to the next one, and
what a bare ``(b)`` means depends on the question and part before it (``(ii)`` after
``6(b)`` is ``q6.b.ii``). User turns are never picked from, but their cues set the
context of the reply (the question restated before "Solution") and a user turn that
names a part and says it is wrong counts as a re-prompt of that part. Turns between
two user turns form one *exchange*: a speaker label repeated at a page break starts no
new attempt, a part answered again after a user turn does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from autograder.writeup.cues import Cues, PartCue, QuestionCue, content_words, norm
from autograder.writeup.model import BlockKind, Document, Turn

SPEAKER_NAMES = (
    "user",
    "assistant",
    "model",
    "ai",
    "student",
    "me",
    "you",
    "gemini",
    "chatgpt",
    "chatgpt said",
    "you said",
    "claude",
    "bard",
    "copilot",
    "llama",
    "mistral",
    "deepseek",
    "gpt-4",
    "gpt-4o",
    "gpt-5",
)
"""Speaker labels a line may start with inside a heading (``#### Gemini: 2(a) …``)."""
_DECORATION = re.compile(r"^(?:\s+|#+|>+|[-*+•]\s|\*{1,3}|_{2,3}|\\item\b|\\textbf\{)")
_SPEAKER = re.compile(r"^(?:" + "|".join(re.escape(name) for name in SPEAKER_NAMES) + r")\s*:", re.I)
_NUMBER = re.compile(
    r"(?:(?P<qword>question|problem|exercise|task|q)\s*\.?\s*)?(?P<number>\d{1,3})(?![\d]|[.,]\d)", re.I
)
_PART_WORD = re.compile(r"(?:part|sub-?part|blank)\s+", re.I)
_SEG_PAREN = re.compile(r"\s*\(\s*([a-z]{1,5}|\d{1,2})\s*\)", re.I)
_SEG_DOT = re.compile(r"\.([a-z]{1,5})(?![a-z(])", re.I)
_SEG_BARE = re.compile(r"([a-z]{1,5})[.)](?=\s|$)", re.I)
_SEG_GLUED = re.compile(r"([a-z]{1,4})(?=[).:](?:\s|$))", re.I)
_SEG_WORD = re.compile(r"([a-z]{1,5})\b", re.I)
_RANGE = re.compile(r"\s*(?:-+|–|—|to)\s*(?:\d{1,3})?\s*\(?\s*([a-z]{1,5})\s*\)?", re.I)
_REST_START = re.compile(r"^[\s.:)\-–—*]+")
NEGATIVE = re.compile(
    r"\b(?:wrong|incorrect|not (?:correct|right|quite)|isn'?t (?:correct|right)|mistakes?|try again|re-?check|"
    r"reconsider|double[- ]check|check (?:it |that |this )?again|are you sure|redo|re-?do)\b",
    re.I,
)
"""A user turn saying an answer was wrong (a re-prompt when it names parts)."""
REPROMPT_CHARS = 1500
"""A user turn longer than this restates questions: its "wrong" is not a verdict."""
_INLINE_ADDRESS = re.compile(
    r"(?:(?:question|problem|q)\s*)?(\d{1,3})\s*\(\s*([a-z]{1,5})\s*\)(?:\s*\(\s*([a-z]{1,5})\s*\))?", re.I
)
_INLINE_PART = re.compile(r"\bpart\s*\(?\s*([a-z]{1,5})\s*\)?(?:\s*\(\s*([a-z]{1,5})\s*\))?", re.I)
_INLINE_SHORT = re.compile(
    r"(?:\bpart\s*|(?<![\w(]))\(?\s*([a-z]{1,5})\s*\)(?:\s*\(\s*([a-z]{1,5})\s*\))?|\bpart\s+([a-z]{1,5})\b", re.I
)
"""A part named in a short user turn: ``(g)``, ``part (b)(ii)``, ``part c``."""
_MENTION = re.compile(r"\b(?:question|problem|exercise|q)\s*\.?\s*(\d{1,3})(?!\d)", re.I)
RESTATED_WORDS = 4
"""Content words a user turn must share with a question's spec to be taken as restating it."""
_MATH_TEXT = re.compile(r"\\(?:text|textbf|mathrm)\{([^}]*)\}")
_CORRECTION = re.compile(r"\b(?:corrected|correction|revised|updated|fixed|second attempt|re-?attempt|retry)\b", re.I)
_INLINE_ALIAS = r"(?<![\w`$\\]){alias}(?:\s*\([^()]{{0,60}}\)|,[^,]{{1,60}},)?\s*(?:=|:|\bis\b)\s*(?=[`$\[\\])"
"""An alias stating its value inside a sentence: ``B, the shape of `W`, is `[d, k]```, ``C = `…```."""
_WORD_AFTER = r"\s*(?:complexity|cost|requirement|usage|bound)?\s*(?:[:=]|\bis\b|\bof\b|\(|\$)"


@dataclass(frozen=True)
class Unit:
    """A piece of a turn as the picker sees it: one line of prose or a heading, a whole
    math or code block; ``text`` without the cue that started its section."""

    turn: int
    kind: BlockKind
    text: str
    first_line: int
    last_line: int
    tags: tuple[str, ...] = ()
    cued: bool = False
    """The unit is the rest of a line that announced its section (``A = [h, d]`` after ``A =``)."""


@dataclass
class Section:
    exchange: int
    question: str | None
    path: tuple[str, ...]
    units: list[Unit] = field(default_factory=list)


@dataclass(frozen=True)
class Segmented:
    sections: tuple[Section, ...]
    tagged: tuple[tuple[int, Unit], ...]
    """Whole blocks the author tagged with answer ids (``\\answer``, cell tags), in non-user
    turns, each with its exchange."""
    reprompts: Mapping[str, tuple[int, ...]]
    """Answer id → the exchanges that follow a user turn re-prompting it."""


@dataclass
class _State:
    question: str | None = None
    path: tuple[str, ...] = ()
    level: int = 0
    """Heading level that set the question (a deeper numbered heading is a step, not a question)."""
    heading: int = 0
    """The level of the heading being read (0: not a heading)."""
    part_level: int = 0
    """Heading level that set the current part (a heading as high starts no sub-part of it); 0: no heading."""


@dataclass(frozen=True)
class _Address:
    number: str | None
    qword: bool
    segments: tuple[str, ...]
    is_range: bool
    rest: str


def segment(document: Document, cues: Cues) -> Segmented:
    """The document's sections in order, its tagged blocks and its re-prompts."""
    state = _State()
    sections: list[Section] = []
    tagged: list[tuple[int, Unit]] = []
    reprompts: dict[str, list[int]] = {}
    exchange = 0
    last_answered: set[str] = set()
    for index, turn in enumerate(document.turns):
        if turn.speaker == "user":
            named = _user_turn(turn, index, state, cues)
            exchange += 1
            text = "\n".join(block.text for block in turn.blocks)
            if len(text) <= REPROMPT_CHARS and NEGATIVE.search(text):
                for answer_id in sorted(named or last_answered):
                    reprompts.setdefault(answer_id, []).append(exchange)
            state.path = _common_path(cues, named, state)
            continue
        before = len(sections)
        tagged += [
            (exchange, Unit(index, block.kind, block.text, block.first_line, block.last_line, block.tags))
            for block in turn.blocks
            if block.tags
        ]
        levels = _levels(turn)
        for unit in units_of(turn, index):
            if unit.kind in ("prose", "heading"):
                level = levels.get(unit.first_line, 0)
                row = _table_row(unit.text, state, cues)
                pieces = row or detect(unit.text, unit.kind == "heading", level, state, cues, turn.label)
                corrected = _corrected(unit.text, pieces, state, cues)
                if corrected is not None:  # "Q2 (a) corrected": the part answered again, a new attempt
                    exchange += 1
                    reprompts.setdefault(corrected, []).append(exchange)
                for question, path, text in pieces:
                    cued = len(pieces) > 1 or text != unit.text
                    piece = Unit(unit.turn, unit.kind, text, unit.first_line, unit.last_line, unit.tags, cued)
                    _add(sections, exchange, question, path, piece)
            elif unit.kind == "math":
                for question, path, text in _math_words(unit.text, state, cues):
                    piece = Unit(unit.turn, unit.kind, text, unit.first_line, unit.last_line, unit.tags)
                    _add(sections, exchange, question, path, piece)
            else:
                _add(sections, exchange, state.question, state.path, unit)
        answered = {
            part.id
            for section in sections[before:]
            if section.question is not None
            for part in [cues.question(section.question).resolve(section.path)]
            if part is not None and section.units
        }
        last_answered = answered or last_answered
    return Segmented(tuple(sections), tuple(tagged), {key: tuple(value) for key, value in reprompts.items()})


def _corrected(
    text: str, pieces: list[tuple[str | None, tuple[str, ...], str]], state: _State, cues: Cues
) -> str | None:
    """The part a line announces as corrected (``Q2 (a) corrected``, ``Revised answer to 1(c)``)."""
    if not pieces or pieces[0][2] == text or state.question is None:
        return None
    if _CORRECTION.search(" ".join(clean(text).split()[:6])) is None:
        return None
    part = cues.question(state.question).resolve(state.path)
    return part.id if part is not None else None


def units_of(turn: Turn, index: int) -> list[Unit]:
    """A turn's blocks as units: prose split into lines (each with its own line number)."""
    units: list[Unit] = []
    for block in turn.blocks:
        if block.kind == "prose":
            for offset, line in enumerate(block.text.split("\n")):
                if line.strip():
                    number = min(block.first_line + offset, max(block.last_line, block.first_line))
                    units.append(Unit(index, "prose", line, number, number, block.tags))
        else:
            units.append(Unit(index, block.kind, block.text, block.first_line, block.last_line, block.tags))
    return units


def _levels(turn: Turn) -> dict[int, int]:
    """The heading level at each line where a heading of ``turn`` starts (the first heading
    there), built once per turn: looking it up per line was quadratic in a turn's length."""
    levels: dict[int, int] = {}
    for block in turn.blocks:
        if block.kind == "heading":
            levels.setdefault(block.first_line, block.level or 1)
    return levels


def _add(sections: list[Section], exchange: int, question: str | None, path: tuple[str, ...], unit: Unit) -> None:
    last = sections[-1] if sections else None
    if last is None or (last.exchange, last.question, last.path) != (exchange, question, path):
        last = Section(exchange, question, path)
        sections.append(last)
    if unit.text.strip():
        last.units.append(unit)


def _user_turn(turn: Turn, index: int, state: _State, cues: Cues) -> set[str]:
    """Follow a user turn's cues (they set the reply's context); the part ids it names."""
    named: set[str] = set()
    moved = False
    levels = _levels(turn)
    for unit in units_of(turn, index):
        if unit.kind not in ("prose", "heading"):
            continue
        level = levels.get(unit.first_line, 0)
        before = (state.question, state.path)
        detect(unit.text, unit.kind == "heading", level, state, cues, turn.label)
        moved = moved or state.question != before[0]
        if (state.question, state.path) != before and state.path and state.question is not None:
            named |= _parts_under(cues.question(state.question), state.path)
        named |= _inline_named(unit.text, state, cues)
    if not moved:
        text = "\n".join(block.text for block in turn.blocks)
        question = _mentioned(text, cues) or _restated(text, cues)
        if question is not None and question != state.question:
            _move(state, question, (), "")
            named = _inline_named(text, state, cues)  # "(a)" was read in the previous question
    return named


def _mentioned(text: str, cues: Cues) -> str | None:
    """The one question a user turn names inside its text (``Please solve Q1 (a)``, or its title)."""
    numbers = {match.group(1) for match in _MENTION.finditer(text)}
    found = {question.id for number in numbers for question in [cues.by_number(number)] if question is not None}
    if not found:  # "Next: argmax attention." names it by its title
        flat = norm(text)
        found = {
            question.id for question in cues.questions if len(question.names[0]) >= 8 and question.names[0] in flat
        }
    return found.pop() if len(found) == 1 else None


def _restated(text: str, cues: Cues) -> str | None:
    """The question a user turn restates without its number: the one whose spec shares
    clearly the most content words with it (at least :data:`RESTATED_WORDS`, and half again
    as many as the next)."""
    words = content_words(text)
    scores = sorted(((len(words & question.words), question.id) for question in cues.questions), reverse=True)
    if not scores or scores[0][0] < RESTATED_WORDS:
        return None
    if len(scores) > 1 and scores[0][0] < 1.5 * scores[1][0]:
        return None
    return scores[0][1]


def _inline_named(text: str, state: _State, cues: Cues) -> set[str]:
    named: set[str] = set()
    for match in _INLINE_ADDRESS.finditer(text):
        question = cues.by_number(match.group(1))
        path = tuple(group.lower() for group in match.groups()[1:] if group)
        if question is not None and path in question.prefixes():
            named |= _parts_under(question, path)
    if state.question is not None:
        question = cues.question(state.question)
        pattern = _INLINE_PART if len(text) > REPROMPT_CHARS else _INLINE_SHORT
        for match in pattern.finditer(text):
            path = tuple(group.lower() for group in match.groups() if group)
            for depth in range(len(state.path), -1, -1):
                if state.path[:depth] + path in question.prefixes():
                    named |= _parts_under(question, state.path[:depth] + path)
                    break
    return named


def _parts_under(question: QuestionCue, path: tuple[str, ...]) -> set[str]:
    return {part.id for part in question.parts if part.segments[: len(path)] == path}


def _common_path(cues: Cues, named: set[str], state: _State) -> tuple[str, ...]:
    """The part context a reply starts in: the one part (or group) a user turn named, else none."""
    if state.question is None or not named:
        return ()
    parts = [cues.part(answer_id) for answer_id in named]
    if any(part.question != state.question for part in parts):
        return ()
    common: tuple[str, ...] = parts[0].segments
    for part in parts[1:]:
        depth = 0
        while depth < min(len(common), len(part.segments)) and common[depth] == part.segments[depth]:
            depth += 1
        common = common[:depth]
    return common


# --- cues in one line -----------------------------------------------------------------------------


def clean(text: str, label: str = "") -> str:
    """A line without what decorates its start: Markdown heading marks, bullets, bold,
    quote marks and a speaker label (``#### **Gemini:** 2(a)`` → ``2(a)``)."""
    labels = [re.compile(re.escape(label) + r"\s*:", re.I)] if label.strip() else []
    previous = None
    while previous != text:
        previous = text
        text = _DECORATION.sub("", text, count=1)
        text = _SPEAKER.sub("", text, count=1)
        for pattern in labels:
            text = pattern.sub("", text, count=1) if pattern.match(text) else text
    return text


def detect(
    text: str, heading: bool, level: int, state: _State, cues: Cues, label: str = ""
) -> list[tuple[str | None, tuple[str, ...], str]]:
    """The (question, path, text) pieces of one line, updating ``state``: a cue at its start
    moves to its section, a sub-part word further on (``…; space: O(N)``) splits it."""
    line = clean(text, label)
    state.heading = level if heading else 0
    rest = _line_cue(line, heading, level, state, cues)
    if rest is None:
        rest = text
    return _split_words(rest, state, cues)


def _line_cue(line: str, heading: bool, level: int, state: _State, cues: Cues) -> str | None:
    """Apply the cue at the line's start to ``state``; the rest of the line, or None for no cue."""
    for finder in (_address_cue, _marker_cue, _name_cue, _alias_cue, _word_cue):
        rest = finder(line, heading, level, state, cues)
        if rest is not None:
            if heading and (state.level == 0 or finder in (_address_cue, _name_cue)):
                state.level = level
            state.part_level = level if heading else 0
            return _REST_START.sub("", rest)
    return None


def parse_address(line: str, segments: set[str]) -> _Address | None:
    """A numbering at the line's start: ``1(a)``, ``6(b)(ii)``, ``1.a``, ``Question 2``, ``4.``,
    ``(ii)``, ``a)``, ``Part (c)``, ``4(a)-(e)`` (a range); None when there is none."""
    position, number, qword, part_word = 0, None, False, False
    match = _NUMBER.match(line)
    if match:
        number, qword, position = match.group("number"), bool(match.group("qword")), match.end()
    else:
        word = _PART_WORD.match(line)
        if word:
            position, part_word = word.end(), True
    found: list[str] = []
    while True:
        step = _SEG_PAREN.match(line, position)
        if step is None and (number is not None or found):
            step = _SEG_DOT.match(line, position)
        if step is None and number is None and not found:
            step = (_SEG_WORD if part_word else _SEG_BARE).match(line, position)
        if step is None and number is not None and not found:
            step = _SEG_GLUED.match(line, position)  # 1a), 2b.
        if step is None or step.group(1).lower() not in segments:
            break
        found.append(step.group(1).lower())
        position = step.end()
    is_range = False
    if found:
        over = _RANGE.match(line, position)
        if over and over.group(1).lower() in segments:
            is_range, position = True, over.end()
    if number is None and not found:
        return None
    if number is not None and not found and not qword and line[position : position + 1] not in (".", ")", ":", ""):
        return None  # "3 heads", "12%": a number, not a question's
    return _Address(number, qword, tuple(found), is_range, line[position:])


def _address_cue(line: str, heading: bool, level: int, state: _State, cues: Cues) -> str | None:
    address = parse_address(line, cues.segment_tokens())
    if address is None:
        return None
    if address.number is not None:
        question = cues.by_number(address.number)
        if question is None:
            return None
        if not address.segments and not address.qword and not _bare_number_ok(address, question, heading, level, state):
            return None
        path = address.segments[:-1] if address.is_range else address.segments
        if path and path not in question.prefixes():
            return None if not address.qword else _move(state, question.id, (), address.rest)
        return _move(state, question.id, path, address.rest)
    return _relative(address, state, cues)


def _bare_number_ok(address: _Address, question: QuestionCue, heading: bool, level: int, state: _State) -> bool:
    """``4.`` starts question 4 as a heading not deeper than the current question's, or
    when the title follows it; otherwise it is a numbered step (``1. Calculate …``)."""
    rest = norm(address.rest)
    if len(rest) >= 8 and any(rest.startswith(name) or name.startswith(rest) for name in question.names):
        return True
    return heading and (state.level == 0 or level <= state.level)


def _relative(address: _Address, state: _State, cues: Cues) -> str | None:
    """``(b)`` in the current question: deepest first (``(ii)`` after ``(b)`` is ``b.ii``)."""
    wanted = address.segments[:-1] if address.is_range else address.segments
    if state.question is not None:
        order = cues.question(state.question).order()
        here = order.get(state.path, 0)
        deepest = len(state.path)
        if state.heading and state.part_level and state.heading <= state.part_level:
            deepest -= 1  # "## (b)" after "## (a)" is its sibling, never its sub-part
        valid = [state.path[:depth] + wanted for depth in range(max(deepest, 0), -1, -1)]
        valid = [path for path in valid if path in order]
        forward = [path for path in valid if order[path] > here]
        if valid:  # "(b)" after blank (h) of part (a) is part (b), not blank (b): write-ups move on
            return _move(state, state.question, (forward or valid)[0], address.rest)
        return None
    owners = [question for question in cues.questions if wanted in question.prefixes()]
    if len(owners) == 1:
        return _move(state, owners[0].id, wanted, address.rest)
    return None


def _move(state: _State, question: str, path: tuple[str, ...], rest: str) -> str:
    if question != state.question:
        state.level = 0
    state.question, state.path = question, path
    return rest


def _consumed(line: str, count: int) -> int:
    """The offset in ``line`` after its first ``count`` letters and digits."""
    seen = 0
    for offset, char in enumerate(line):
        if seen == count:
            return offset
        if char.isalnum():
            seen += 1
    return len(line)


def _starts(line: str, cue: str) -> str | None:
    """The rest of ``line`` when it starts with ``cue`` (``norm``-ed) as whole words."""
    if not cue or not line[:1].isalnum() or not norm(line).startswith(cue):
        return None
    end = _consumed(line, len(cue))
    if end < len(line) and line[end].isalnum() and line[end - 1].isalnum():
        return None
    return line[end:]


def _marker_cue(line: str, heading: bool, level: int, state: _State, cues: Cues) -> str | None:
    for question in cues.questions:
        found: list[PartCue] = []
        rest = ""
        for part in question.parts:
            for marker in part.markers:
                after = _starts(line, marker)
                contained = heading and question.id == state.question and len(marker) >= 6 and marker in norm(line)
                if after is not None or contained:
                    found.append(part)
                    rest = after if after is not None else ""
                    break
        if found:
            path = found[0].segments
            for part in found[1:]:
                depth = 0
                while depth < min(len(path), len(part.segments)) and path[depth] == part.segments[depth]:
                    depth += 1
                path = path[:depth]
            return _move(state, question.id, path, rest)
    return None


def _name_cue(line: str, heading: bool, level: int, state: _State, cues: Cues) -> str | None:
    for question in cues.questions:
        if question.id == state.question and not heading:
            continue  # "Argmax attention: compute …" inside question 2 is prose about it
        for name in question.names:
            after = _starts(line, name)
            if after is not None or (heading and len(name) >= 8 and name in norm(line)):
                return _move(state, question.id, (), after if after is not None else "")
    return None


def _alias_cue(line: str, heading: bool, level: int, state: _State, cues: Cues) -> str | None:
    questions = [cues.question(state.question)] if state.question is not None else list(cues.questions)
    for question in questions:
        for part in question.parts:
            for alias in part.aliases:
                pattern = (
                    rf"^(?:blank\s+)?(?:_*){re.escape(alias)}(?:_*)"
                    r"(?:\s*\([^()]{0,60}\))?(?:\s*(?:\*\*)?\s*(?:[:=)]|\bis\b|\?)|\s*$)"
                )  # "A = …", "A: …", "A (shape of W): …", "A is …", "Blank A"
                match = re.match(pattern, line, re.I if len(alias) > 1 else 0)
                if match is None and len(alias) == 1:
                    match = re.match(rf"^(?i:blank)\s+{re.escape(alias)}\b", line)
                if match is not None:
                    return _move(state, question.id, part.segments, line[match.end() :])
    return None


def _word_cue(line: str, heading: bool, level: int, state: _State, cues: Cues) -> str | None:
    if state.question is None:
        return None
    lowered = line.lower()
    for depth, word, part in _words(state, cues):
        if lowered.startswith(word) and not lowered[len(word) : len(word) + 1].isalnum():
            return _move(state, state.question, part.segments[: depth + 1], line[len(word) :])
    return None


def _table_row(text: str, state: _State, cues: Cues) -> list[tuple[str | None, tuple[str, ...], str]]:
    """A table row whose first cell announces a part (``| 1(a) | $d\\mu^2$ | One shot |``, a
    summary table): that part, with the next cell as its text; [] for any other line."""
    line = text.strip()
    if not line.startswith("|"):
        return []
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    if len(cells) < 2 or not cells[0]:
        return []
    trial = _State(state.question, state.path, state.level)
    rest: str | None = clean(cells[0])
    moved = False
    while rest:
        rest = _line_cue(rest, False, 0, trial, cues)
        moved = moved or rest is not None
    if not moved or trial.question is None:
        return []
    state.question, state.path, state.level = trial.question, trial.path, trial.level
    answer = next((cell for cell in cells[1:] if cell), "")
    return [(state.question, state.path, answer)] if answer else []


def _math_words(text: str, state: _State, cues: Cues) -> list[tuple[str | None, tuple[str, ...], str]]:
    """A display formula naming sub-parts (``\\text{time } O(N^2), \\qquad \\text{space } O(N)``):
    one piece per ``\\text{…}`` that starts with a sub-part word, the formula whole otherwise."""
    pieces: list[tuple[str | None, tuple[str, ...], str]] = []
    start = 0
    for match in _MATH_TEXT.finditer(text):
        before = (state.question, state.path)
        if _word_cue(match.group(1).strip(), False, 0, state, cues) is None:
            continue
        if text[start : match.start()].strip(" ,;\\q"):
            pieces.append((before[0], before[1], text[start : match.start()]))
        start = match.end()
    pieces.append((state.question, state.path, text[start:]))
    return [piece for piece in pieces if piece[2].strip()]


def _words(state: _State, cues: Cues) -> list[tuple[int, str, PartCue]]:
    """The sub-part words that apply where ``state`` is: those whose parent is on the current path."""
    if state.question is None:
        return []
    return [
        (depth, word, part)
        for part in cues.question(state.question).parts
        for depth, word in part.words
        if len(state.path) >= depth and part.segments[:depth] == state.path[:depth]
    ]


def _split_words(text: str, state: _State, cues: Cues) -> list[tuple[str | None, tuple[str, ...], str]]:
    """``Time: O(N²D); space: O(N²)`` → one piece per sub-part word after the line's start; and
    ``…, while B, the shape of `W`, is `[d, k]`; C = `…`'' → one piece per alias stating a value."""
    pieces: list[tuple[str | None, tuple[str, ...], str]] = []
    starts = sorted(_inline_cues(text, state, cues))
    if not starts:
        return [(state.question, state.path, text)]
    start = 0
    for position, value_at, question, path in starts:
        if position < start:
            continue
        if text[start:position].strip():
            pieces.append((state.question, state.path, text[start:position]))
        _move(state, question, path, "")
        start = value_at
    pieces.append((state.question, state.path, text[start:]))
    return [piece for piece in pieces if piece[2].strip()]


def _inline_cues(text: str, state: _State, cues: Cues) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """(where the cue starts, where its piece starts, question, path) of the inline cues in ``text``."""
    found: list[tuple[int, int, str, tuple[str, ...]]] = []
    words = _words(state, cues)
    if words:
        pattern = re.compile(
            r"\b(" + "|".join(re.escape(word) for _, word, _ in words) + r")\b(?=" + _WORD_AFTER + ")", re.I
        )
        for match in pattern.finditer(text):
            depth, _, part = next(item for item in words if item[1] == match.group(1).lower())
            found.append((match.start(), match.start(), part.question, part.segments[: depth + 1]))
    if state.question is not None:
        for part in cues.question(state.question).parts:
            for alias in part.aliases:
                for match in re.finditer(_INLINE_ALIAS.format(alias=re.escape(alias)), text):
                    if match.start() > 0:
                        found.append((match.start(), match.end(), part.question, part.segments))
    return found
