"""A write-up's answers, part by part: :func:`extract` (a :class:`Document` and the problem
set → an :class:`Extraction` with every attempt at every part).

The steps: the problem set's cues are compiled (:mod:`.cues`), the document is cut into
sections (:mod:`.segment`), and each part's answer is picked in its section, once per
exchange between user turns (:mod:`.pick`); blocks the author tagged with an id win,
and a ``code_blanks`` part also reads its blank from printed copies of its template.
Callers choose the attempt they grade with ``Extracted.at(stage)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from autograder.problem import Part, ProblemSet
from autograder.writeup.cues import Cues, PartCue, compile_cues
from autograder.writeup.model import Attempt, Document, Extracted, Extraction
from autograder.writeup.pick import (
    ANSWER_CHARS,
    CODE_KINDS,
    NON_ANSWER,
    NON_ANSWER_CHARS,
    Candidate,
    Picked,
    clean_answer,
    family,
    pick,
    strip_fence,
)
from autograder.writeup.segment import Section, Segmented, Unit, segment

QUOTE_LINES = 12
TEMPLATE_LINE_CHARS = 400
"""Longer lines are not matched against template lines (no printed code line is that long)."""
QUOTE_CHARS = 2000


def extract(document: Document, problems: ProblemSet) -> Extraction:
    """Every part's attempts in ``document``, the ids with none, and notes on the whole."""
    cues = compile_cues(problems)
    segmented = segment(document, cues)
    units = _units_by_part(segmented.sections, cues)
    implied = _implied(segmented.sections, cues, units)
    aligned = _aligned(segmented.sections, cues)
    tagged, messages = _tagged(segmented, problems)
    parts: dict[str, Extracted] = {}
    for part in problems.parts:
        cue = cues.part(part.id)
        exchanges = sorted(
            set(units.get(part.id, {}))
            | set(aligned.get(part.id, {}))
            | set(tagged.get(part.id, {}))
            | set(implied.get(part.id, {}))
        )
        attempts = []
        for exchange in exchanges:
            picked = _pick_one(part, cue, units, aligned, tagged, exchange, document.format)
            if picked is None and exchange in implied.get(part.id, {}):
                picked = _pick_implied(part, cue, implied[part.id][exchange])
            if picked is not None:
                attempts.append(_attempt(picked, part, document))
        if attempts:
            parts[part.id] = Extracted(part.id, tuple(attempts), reprompts=len(segmented.reprompts.get(part.id, ())))
    missing = tuple(part.id for part in problems.parts if part.id not in parts)
    if not parts:
        messages.append(
            f"No answer in {document.name} could be matched to a part: announce each answer with its "
            "number (1(a), Question 2, (b)) or tag it with its id."
        )
    return Extraction(
        source=document.name, format=document.format, parts=parts, missing=missing, messages=tuple(messages)
    )


def _pick_one(
    part: Part,
    cue: PartCue,
    units: Mapping[str, Mapping[int, list[Unit]]],
    aligned: Mapping[str, Mapping[int, list[Candidate]]],
    tagged: Mapping[str, Mapping[int, list[Unit]]],
    exchange: int,
    format: str,
) -> Picked | None:
    marked = tagged.get(part.id, {}).get(exchange, [])
    if marked:
        return _pick_tagged(part, cue, marked, format)
    return pick(units.get(part.id, {}).get(exchange, []), part, cue, aligned.get(part.id, {}).get(exchange, []))


def _pick_implied(part: Part, cue: PartCue, units: list[Unit]) -> Picked | None:
    found = pick(units, part, cue)
    if found is None:
        return None
    return Picked(found.candidate, "low", found.others, IMPLIED)


IMPLIED = (
    "not announced: taken as the question's first part (its text precedes the next part's cue) "
    "or as its only code part (code in the question's own section)"
)


def _implied(
    sections: Sequence[Section], cues: Cues, found: Mapping[str, Mapping[int, list[Unit]]]
) -> dict[str, dict[int, list[Unit]]]:
    """A question's opening text as its first part's answer when the write-up announces only the
    later parts (``Problem 2`` … ``(b)`` …): kept, at low confidence (reviewed, never silent)."""
    implied: dict[str, dict[int, list[Unit]]] = {}
    for index, section in enumerate(sections):
        if section.question is None or section.path or not section.units:
            continue
        question = cues.question(section.question)
        first = question.parts[0]
        if len(question.parts) < 2 or section.exchange in found.get(first.id, {}):
            continue
        following = next((later for later in sections[index + 1 :] if later.units), None)
        if following is None or (following.exchange, following.question) != (section.exchange, section.question):
            continue
        if not following.path or first.segments[: len(following.path)] == following.path:
            continue
        implied.setdefault(first.id, {}).setdefault(section.exchange, []).extend(section.units)
    for section in sections:  # code in a question's own section, when only one of its parts takes code
        if section.question is None or not any(unit.kind == "code" for unit in section.units):
            continue
        question = cues.question(section.question)
        if question.resolve(section.path) is not None:
            continue
        takers = [
            part
            for part in question.parts
            if part.kind in CODE_KINDS and part.segments[: len(section.path)] == section.path
        ]
        if len(takers) == 1 and section.exchange not in found.get(takers[0].id, {}):
            implied.setdefault(takers[0].id, {}).setdefault(section.exchange, []).extend(section.units)
    return implied


def _units_by_part(sections: Sequence[Section], cues: Cues) -> dict[str, dict[int, list[Unit]]]:
    """Part id → exchange → the units of its sections in that exchange."""
    found: dict[str, dict[int, list[Unit]]] = {}
    for section in sections:
        if section.question is None or not section.units:
            continue
        part = cues.question(section.question).resolve(section.path)
        if part is not None:
            found.setdefault(part.id, {}).setdefault(section.exchange, []).extend(section.units)
    return found


def _aligned(sections: Sequence[Section], cues: Cues) -> dict[str, dict[int, list[Candidate]]]:
    """A blank's values read from printed template lines, in sections that may hold its code:
    its question's (or no question's), not another part's."""
    found: dict[str, dict[int, list[Candidate]]] = {}
    parts = [part for question in cues.questions for part in question.parts if part.template_lines]
    for part in parts:
        for section in sections:
            if section.question not in (None, part.question) or not _compatible(section.path, part.segments):
                continue
            for unit in section.units:
                for candidate in _template_values(unit, part):
                    found.setdefault(part.id, {}).setdefault(section.exchange, []).append(candidate)
    return found


def _compatible(path: tuple[str, ...], segments: tuple[str, ...]) -> bool:
    depth = min(len(path), len(segments))
    return path[:depth] == segments[:depth]


def _template_values(unit: Unit, part: PartCue) -> list[Candidate]:
    found = []
    text = strip_fence(unit.text) if unit.kind == "code" else unit.text
    for offset, line in enumerate(text.split("\n")):
        if len(line) > TEMPLATE_LINE_CHARS:
            continue
        code = line.split("  #", 1)[0].split("\t#", 1)[0].strip().strip("`")
        for pattern in part.template_lines:
            match = pattern.fullmatch(code)
            if match is None:
                continue
            value = match.group("value").strip()
            if value and "___" not in value:
                number = unit.first_line + offset + (1 if unit.kind == "code" and _fenced(unit.text) else 0)
                found.append(Candidate(value, unit, "template-line", "medium", number, number))
    return found


def _fenced(text: str) -> bool:
    return text.lstrip().startswith("```")


def _tagged(segmented: Segmented, problems: ProblemSet) -> tuple[dict[str, dict[int, list[Unit]]], list[str]]:
    """Blocks the author tagged with answer ids, by id and exchange; unknown ids named."""
    known = {part.id for part in problems.parts}
    found: dict[str, dict[int, list[Unit]]] = {}
    messages: list[str] = []
    for exchange, unit in segmented.tagged:
        for tag in unit.tags:
            if tag not in known:
                messages.append(f"Line {unit.first_line} is tagged '{tag}', which is not an answer id of the homework.")
                continue
            found.setdefault(tag, {}).setdefault(exchange, []).append(unit)
    return found, list(dict.fromkeys(messages))


def _pick_tagged(part: Part, cue: PartCue, blocks: list[Unit], format: str) -> Picked | None:
    """The answer in the blocks tagged with the part's id: one block is the answer (``high``);
    several (a notebook cell of prose and math) are picked from by the kind, in that region
    only; a region that only says it is left out (``TODO``) is no answer."""
    method = "answer-macro" if format == "tex" else "tag"
    text = "\n".join(block.text for block in blocks)
    if len(text) <= NON_ANSWER_CHARS and NON_ANSWER.search(text):
        return None
    if len(blocks) == 1:
        return Picked(Candidate(clean_answer(text, part.kind), blocks[0], method, "high"), "high")
    inner = pick(blocks, part, cue)
    if inner is None:
        return None
    candidate = replace(inner.candidate, method=f"{method}, {inner.candidate.method}")
    return Picked(candidate, inner.confidence, inner.others, inner.note)


def _attempt(picked: Picked, part: Part, document: Document) -> Attempt:
    candidate = picked.candidate
    limit = ANSWER_CHARS[family(part.kind)]
    text, confidence, note = candidate.text, picked.confidence, picked.note
    if len(text) > limit:
        text, confidence = text[:limit], "low"
        note = f"cut to {limit:,} characters (the answer found is {len(candidate.text):,} long)"
    first, last = candidate.lines
    return Attempt(
        text=text,
        first_line=first,
        last_line=last,
        quote=quote(document, first, last, candidate.unit.text),
        method=candidate.method,
        confidence=confidence,
        turn=candidate.unit.turn,
        others=picked.others,
        note=note,
    )


def quote(document: Document, first: int, last: int, fallback: str) -> str:
    """The source lines ``first``–``last`` as written, at most :data:`QUOTE_LINES` of them."""
    if document.lines and 1 <= first <= len(document.lines):
        lines = list(document.lines[first - 1 : max(first, min(last, len(document.lines)))])
    else:
        lines = fallback.split("\n")
    if len(lines) > QUOTE_LINES:
        head = QUOTE_LINES // 2
        lines = [
            *lines[:head],
            f"… ({len(lines) - QUOTE_LINES + 1} lines left out) …",
            *lines[-(QUOTE_LINES - head - 1) :],
        ]
    text = "\n".join(lines)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
