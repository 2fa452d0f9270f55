"""Explanations written around an answer: where the math ends and the prose begins.

LLM write-ups and careful students explain their answer in the same line:
``s = \\sqrt{n}, because Var(q^T k) = d``, ``The variance is d.``,
``[n, m] (one per row)``. The reader keeps only the answer:

* the text is cut at the first *prose boundary* outside brackets: ``,`` or ``;``
  followed by a word, ``\\text{ since }``-style text with English in it, a
  keyword such as `` since `` or `` i.e.``, ``\\quad``, a bracketed group with
  English words in it, or a sentence's period;
* when what is left still cannot be read, leading words ending in ``is``,
  ``are``, ``equals``, … or ``:`` (``The variance is``, ``Answer:``) are dropped.

Only then is the last side of an ``a = b = c`` chain chosen. Everything here is
plain string scanning, linear in the length of the text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

import sympy

from autograder.mathread.errors import ReadError
from autograder.mathread.names import Names
from autograder.mathread.normalize import GREEK_LETTERS, canonical_name, last_side, side_note

T = TypeVar("T")

#: Words that, outside brackets and between spaces, start an explanation.
_KEYWORDS = (
    r"since|because|as|i\.\s?e\.?|e\.\s?g\.?|where|whereas|which|for\s+all|for\s+every|for\s+each|if|iff"
    r"|when|so|hence|thus|therefore|with|assuming|given|but|then|by|due|from|using|note|here"
)
_KEYWORD = re.compile(rf"\s+(?:{_KEYWORDS})(?![A-Za-z])", re.IGNORECASE)
#: After ``,`` / ``;``: spacing, then maybe a text command, then the first word.
_AFTER_SEPARATOR = re.compile(
    r"[\s$]*(?:\\(?:quad|qquad|,|;|:|!|\s)[\s$]*)*(?:\\(?:text|textrm|textnormal|textit|textbf|mathrm)\s*\{\s*)?"
    r"(?P<word>i\.\s?e\.?|e\.\s?g\.?|[A-Za-z]+)"
)
_TEXT_COMMAND = re.compile(r"\\(?:text|textrm|textnormal|textit|textbf|mathrm|mbox)\s*\{")
_SPACING_COMMAND = re.compile(r"\\q?quad(?![A-Za-z])")
_WORD = re.compile(r"(?<![A-Za-z0-9\\^_])[A-Za-z]+(?![A-Za-z0-9_])")
_SENTENCE_END = re.compile(r"[.?!]+\s+(?=[A-Za-z])")
#: Small words of explanations: they are prose even where a longer word test would hesitate.
_COMMON_WORDS_TEXT = """a an the is are was were be been being equals equal equals gives give yields yield get gets
    obtain obtains have has had choose chose take takes taking since because as so hence thus
    therefore where which when if then for all every each with assuming assume given but and or
    not no of to in on at by that this these those it its we our you your they their there here
    answer result value values output shape variance expectation mean expected total overall
    positive negative root roots square scalar vector matrix sum cost costs time space memory
    shared across heads head key keys query queries largest score whose also only just must
    should can could would will need needs than more less same other both one two three
    i.e e.g ie eg via per over under using let note"""
COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
#: Words after which the answer starts: "The variance is d", "We get √d", "Answer: d".
_COPULAS_TEXT = "is are was were equals equal be becomes gives yields get gets obtain obtains have has choose"
_COPULAS = frozenset(_COPULAS_TEXT.split())
_GREEK = frozenset(GREEK_LETTERS)


VALUE_CHANGING = frozenset(
    """
    squared cubed plus minus times over divided multiplied inverse inverted reciprocal negated negative
    half halves halved double doubled twice triple tripled thrice quadruple quadrupled fold
    root roots power powers exponent exponential log logarithm logs percent percentage
    more less fewer than except excluding without extra additional
    dozen hundred hundreds thousand thousands million millions billion billions trillion trillions
    zero one two three four five six seven eight nine ten eleven twelve twenty hundredth thousandth
    k m b kb mb gb tb
    """.split()  # noqa: SIM905  # a word list reads better as words
)
"""Words that would change the value they follow, so a phrase holding one is never left out
as explanation ("\\sqrt{n} squared", "56 million", "d plus one", "4 fewer"): the answer stays
unreadable, for the student to write the value itself."""


def is_prose_word(word: str, names: Names) -> bool:
    """``since``, ``The``, ``variance``: a word, not a name the answer may use."""
    if len(word) < 2 or word.lower() in _GREEK:
        return False
    if word.lower() in COMMON_WORDS:
        name = canonical_name(word)
        return not (name in names.symbols or name in names.vectors or name in names.callables)
    name = canonical_name(word)
    if name in names.callables or name in names.symbols or name in names.vectors:
        return False
    if names.split(name) is not None:
        return False
    return any(vowel in word.lower() for vowel in "aeiouy")


def _prose_words(text: str, start: int, stop: int, names: Names) -> list[re.Match[str]]:
    """The prose words of ``text[start:stop]``; a word right before ``(`` (a call) or before
    ``.name`` (an attribute, as in ``torch.Size``) excluded."""
    found = []
    for match in _WORD.finditer(text, start, stop):
        if match.end() < stop and text[match.end()] in "([":
            continue
        if text.startswith(".", match.end()) and match.end() + 1 < stop and text[match.end() + 1].isalpha():
            continue
        if is_prose_word(match.group(), names):
            found.append(match)
    return found


def looks_like_prose(text: str, names: Names) -> int | None:
    """Where the first word of an explanation is, when the text reads like one."""
    words = _prose_words(text, 0, len(text), names)
    common = [match for match in words if match.group().lower() in COMMON_WORDS]
    longer = [match for match in words if len(match.group()) >= 3]
    if common or len(longer) >= 2:
        return words[0].start()
    return None


def _closings(text: str, start: int, stop: int) -> dict[int, int]:
    """Each bracket's partner, in one pass: ``{opening: closing}``."""
    partners: dict[int, int] = {}
    stack: list[int] = []
    for index in range(start, stop):
        char = text[index]
        if char in "([{":
            stack.append(index)
        elif char in ")]}" and stack:
            partners[stack.pop()] = index
    return partners


def _english_inside(text: str, start: int, stop: int, names: Names) -> bool:
    words = _prose_words(text, start, stop, names)
    return any(match.group().lower() in COMMON_WORDS for match in words) or len(words) >= 2


def _word_follows(text: str, index: int, stop: int, names: Names) -> bool:
    after = _AFTER_SEPARATOR.match(text, index, stop)
    if after is None:
        return False
    word = after.group("word")
    return "." in word or is_prose_word(word, names)


def boundary(text: str, start: int, stop: int, names: Names) -> int | None:
    """Where the first explanation starts in ``text[start:stop]``, outside brackets; None if none.

    Linear: brackets are paired once, and only groups and text commands at the top
    level (which do not overlap) are searched for words.
    """
    partners = _closings(text, start, stop)
    depth = 0
    math_before = False
    index = start
    while index < stop:
        char = text[index]
        if char == "\\" and depth == 0:
            command = _TEXT_COMMAND.match(text, index, stop)
            if command is not None:
                inside_stop = partners.get(command.end() - 1, stop)
                if math_before and _english_inside(text, command.end(), inside_stop, names):
                    return index
            elif math_before and _SPACING_COMMAND.match(text, index, stop) and _word_follows(text, index, stop, names):
                return index  # "d \\quad \\text{since …}"; a bare \\quad is only space (d\\quad\\alpha^2)
            math_before = True
            index += 2  # a command's first letter is not a word's
            continue
        if char in "([{":
            closing = partners.get(index)
            if char == "(" and depth == 0 and math_before and closing is not None:
                words = _prose_words(text, index + 1, closing, names)
                if len(words) >= 2 and any(len(word.group()) >= 3 for word in words):
                    return index
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and math_before:
            if char in ",;":
                if _word_follows(text, index + 1, stop, names):
                    return index
            elif char.isspace() and not (index + 1 < stop and text[index + 1].isspace()):
                # tried at a run's last space only: linear, however long the run of spaces
                keyword = _KEYWORD.match(text, index, stop)
                if keyword is not None:
                    return index - (len(text[start:index]) - len(text[start:index].rstrip()))
            elif char in ".?!":
                sentence = _SENTENCE_END.match(text, index, stop)
                if sentence is not None and _word_follows(text, sentence.end(), stop, names):
                    return index  # "d. Each term …", but not "q . k"
        if not (char.isspace() or char in "$,;:.([{"):
            math_before = True
        index += 1
    return None


def _copula_side(text: str, start: int, stop: int, names: Names) -> int | None:
    """Where the answer starts after the last top-level "is", "are", "equals", "get", … or "…:"."""
    words = _prose_words(text, start, stop, names)
    first_word = words[0].start() if words else stop
    copulas = {match.start(): match.end() for match in words if match.group().lower() in _COPULAS}
    cut: int | None = None
    depth = 0
    for index in range(start, stop):
        char = text[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0 and char == ":" and first_word < index:
            cut = index + 1
        elif depth == 0 and index in copulas:
            cut = copulas[index]
    if cut is None:
        return None
    # "has shape (B, 2HW)", "is of size 10": the words after the verb name the value
    for match in words:
        if match.start() < cut:
            continue
        if text[cut : match.start()].strip(" $"):
            break
        cut = match.end()
    return cut


_LAST_WORD = re.compile(r"(?<![A-Za-z\\_^])([A-Za-z]+)[\s$]*$")


_UNIT_WORD = re.compile(r"(?<![A-Za-z\\_^])[A-Za-z]+(?![A-Za-z0-9_])")


def _only_words(text: str, names: Names) -> bool:
    """Is ``text`` nothing but prose words (``wide``, ``in total``) and spacing?"""
    words = _UNIT_WORD.findall(text)
    leftover = _UNIT_WORD.sub("", text).strip(" $.,;")
    return bool(words) and not leftover and all(is_prose_word(word, names) for word in words)


def unit_stop(text: str, start: int, stop: int, names: Names, units: Sequence[str]) -> tuple[int, str]:
    """Where the number ends when ``text[start:stop]`` ends with a unit word, and a note.

    ``10 pixels`` and ``10px`` (``units`` declares them, any case) end before the unit. A
    word after a number that is neither a declared unit nor a declared name (``10 cm``)
    is an unknown unit: a ReadError that names it. Anything else is left to the parser.
    """
    declared = {unit.lower() for unit in units}
    for word_match in _UNIT_WORD.finditer(text, start, stop):
        before = text[start : word_match.start()].rstrip(" $")
        rest = text[word_match.end() : stop]
        if not (before and rest.strip() and _only_words(rest, names)):
            continue
        word = word_match.group()
        if word.lower() in declared:  # "5 pixels wide": the unit, then words about it
            return start + len(before), f"read the number without its unit '{word}'"
        if (before[-1].isdigit() or before[-1] in ")}") and not _declared(word, names):
            _unknown_unit(word, word_match.start(), units)
    match = _LAST_WORD.search(text, start, stop)
    if match is None or match.start() == start:
        return stop, ""
    word = match.group(1)
    before = text[start : match.start()].rstrip(" $")
    if word.lower() in declared:
        if not before:
            return stop, ""
        return start + len(text[start : match.start()].rstrip()), f"read the number without its unit '{word}'"
    if _declared(word, names):
        return stop, ""
    if before and (before[-1].isdigit() or before[-1] in ")}"):
        _unknown_unit(word, match.start(1), units)
    return stop, ""


def _declared(word: str, names: Names) -> bool:
    """A declared name, or a small word of prose (``is``, ``the``): not an unknown unit."""
    known = canonical_name(word)
    return (
        word.lower() in COMMON_WORDS
        or known in names.symbols
        or known in names.vectors
        or names.split(known) is not None
    )


def _unknown_unit(word: str, position: int, units: Sequence[str]) -> NoReturn:
    accepted = f"this answer's unit may be: {', '.join(units)}" if units else "write the number alone"
    raise ReadError(f"unknown unit '{word}'; {accepted}", position, units[0] if units else "")


def _quoted(text: str, start: int, stop: int) -> str:
    shown = " ".join(text[start:stop].strip(" $").split())
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _trim_end(text: str, start: int, stop: int) -> int:
    while stop > start and (text[stop - 1].isspace() or text[stop - 1] in ",;:.$"):
        stop -= 1
    return stop


#: Words that start a conclusion: "…, so the total is 4N(M+N+1)", "hence = 0.25", "the answer is 3".
_CONCLUSION = re.compile(
    r"(?<![A-Za-z])(?:so|hence|thus|therefore|overall|altogether|in\s+total"
    r"|the\s+(?:total|answer|result|final\s+[A-Za-z]+))(?![A-Za-z])",
    re.IGNORECASE,
)
#: Where a clause ends: a top-level ``,`` or ``;``, a sentence's end, or a conclusion word.
_CLAUSE_END = re.compile(r"[,;]|[.?!](?:\s|$)")
#: "with k =", "where n =": the ``=`` of a definition, whose right side is no final value.
_DEFINES = re.compile(r"(?<![A-Za-z])(?:where|with|for|given|let|letting|assuming|if)\s+[^\s=]+\s*=\s*$", re.IGNORECASE)
#: At most this many clauses are tried as final values (prose is bounded, answers are short).
MAX_CLAUSES = 12


def _clauses(text: str, start: int, stop: int) -> list[tuple[int, int, bool]]:
    """The top-level clauses of ``text[start:stop]``: (start, stop, starts with a conclusion word)."""
    partners = _closings(text, start, stop)
    cuts = [start]
    index = start
    while index < stop and len(cuts) <= MAX_CLAUSES:
        if text[index] in "([{" and index in partners:
            index = partners[index] + 1
            continue
        if _CLAUSE_END.match(text, index, stop) is not None:
            cuts.append(index + 1)
        elif _CONCLUSION.match(text, index, stop) is not None and (index == start or not text[index - 1].isalnum()):
            cuts.append(index)
        index += 1
    cuts.append(stop)
    clauses = []
    for first, last in itertools.pairwise(cuts):
        first += len(text[first:last]) - len(text[first:last].lstrip())
        last = _trim_end(text, first, last)
        if last > first:
            clauses.append((first, last, _CONCLUSION.match(text, first, last) is not None))
    return clauses


def same_value(a: object, b: object) -> bool:
    """Do two readings give the same value? Tuples item by item; sympy by expansion; text is no value."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) or isinstance(b, str):
        return True
    if isinstance(a, sympy.Basic) and isinstance(b, sympy.Basic):
        if a == b:
            return True
        try:
            return bool(sympy.expand(a - b) == 0)
        except (TypeError, ValueError, AttributeError, RecursionError):
            return False
    return a == b


def _final_values(
    text: str, start: int, stop: int, names: Names, read: Callable[[int, int], tuple[T, list[str]]], *, only: bool
) -> list[tuple[T, list[str], int, int]]:
    """The values stated after "is", "has", "=", ":" in the clauses (only conclusions if ``only``)."""
    found: list[tuple[T, list[str], int, int]] = []
    for first, last, conclusion in _clauses(text, start, stop):
        if only and not conclusion:
            continue
        side, separator = last_side(text, first, last)
        if separator == "=" and _DEFINES.search(text, first, side) is not None:
            continue  # "k d with k = h": the value of a definition is not the answer
        cut = side if separator else _copula_side(text, first, last, names)
        if cut is None or not text[cut:last].strip(" $"):
            continue
        try:
            value, more = read(cut, last)
        except ReadError:
            continue
        found.append((value, more, cut, last))
    return found


def _one_final_value(text: str, found: list[tuple[T, list[str], int, int]]) -> tuple[T, list[str]]:
    """The final value when every statement gives the same one; never a silent pick."""
    value, more, cut, last = found[-1]
    for other, _, other_cut, other_last in found[:-1]:
        if not same_value(other, value):
            raise ReadError(
                f"two different final values are stated, '{_quoted(text, other_cut, other_last)}' and "
                f"'{_quoted(text, cut, last)}': write only the answer",
                other_cut,
            )
    return value, [f"read '{_quoted(text, cut, last)}' as the final value; the rest was taken as explanation", *more]


def trailing_stop(text: str, start: int, stop: int, names: Names, *, units: Sequence[str] | None) -> int | None:
    """Where the value ends when ``text[start:stop]`` ends with words of explanation, or None.

    "8d^2 + 7d parameters", "3.16e-3 in magnitude", "4 per step": a noun phrase (no "is", "has",
    …) of prose words after a space (:func:`is_prose_word`: never a declared name or function, nor a run of letters that
    splits into declared names) ends the value. Where a number takes a unit (``units`` is not
    None), one word right after a number is a unit, not explanation: :func:`unit_stop` judges it
    ("0.12 cm" stays an unknown unit), and only a phrase that starts with a small word ("in
    total", "per step") is left out.
    """
    cut: int | None = None
    end = stop
    for match in reversed(list(_UNIT_WORD.finditer(text, start, stop))):
        if text[match.end() : end].strip(" $") or not is_prose_word(match.group(), names):
            break
        cut, end = match.start(), match.start()
    if cut is None:
        return None
    words = [word.lower() for word in _UNIT_WORD.findall(text, cut, stop)]
    if any(word in _COPULAS for word in words):
        return None  # "sqrt(d) is the answer we need" is a sentence about the value, not a noun phrase
    if any(word in VALUE_CHANGING for word in words):
        return None  # "sqrt(d) squared", "56 million", "d plus one": the words are part of the value
    before = text[start:cut].rstrip(" $")
    if not before or len(before) == cut - start:
        return None  # nothing before the words, or a word glued to the value ("7dparams")
    first_word = _UNIT_WORD.match(text, cut)
    assert first_word is not None
    after_number = before[-1].isdigit() or before[-1] in ")}"
    if units is not None and after_number and first_word.group().lower() not in COMMON_WORDS:
        return None
    return start + len(before)


#: "about 56 GB", "roughly 3e-3", "~0.12", "∼ 0.12": words and marks that make the number after
#: them approximate, as ``≈`` does. A ``~`` glued to what precedes it is LaTeX's unbreakable
#: space (``d~=~3``), not an approximation.
_APPROXIMATELY = re.compile(
    r"(?:(?<![A-Za-z\\])(?:about|approximately|approx\.?|roughly|around|circa|ca\.)(?![A-Za-z])"
    r"|(?:(?<=^)|(?<=\s))~|∼)(?=[\s$]*(?:[+\-−][\s$]*)?(?:[0-9]|\.[0-9]))",
    re.IGNORECASE,
)


def mark_approximation(text: str) -> str:
    """``text`` with one "about", "approximately", "~", … before a number spelled ``≈``.

    The word is replaced by ``≈`` and spaces, so every position (for messages) stays where it
    was. Only a single marker is read this way, and only when the text has no ``≈`` of its own:
    "about 3 here, about 4 there" states two values and must stay unreadable, never become the
    last of them.
    """
    found = list(_APPROXIMATELY.finditer(text))
    if len(found) != 1 or "≈" in text or "\\approx" in text:
        return text
    match = found[0]
    return text[: match.start()] + "≈".ljust(match.end() - match.start()) + text[match.end() :]


def read_around_prose(
    text: str,
    start: int,
    stop: int,
    names: Names,
    read: Callable[[int, int], tuple[T, list[str]]],
    *,
    extra: str = "",
    separators: list[str] | None = None,
    units: Sequence[str] | None = None,
) -> tuple[T, list[str]]:
    """Read the answer in ``text[start:stop]``, leaving out the explanation around it.

    ``read(start, stop)`` reads a span and returns its value and notes. The last
    side of an ``=`` chain (or of ``extra`` separators) is read, after cutting at
    the first prose boundary; when that fails, leading words such as "The
    variance is" are dropped too. ``separators``, when given, receives the separator
    whose last side was read (``"="``, ``"≈"``, or ``""`` for none).

    Only when all of that fails are words after the value left out too ("The block has
    8d^2 + 7d parameters."; see :func:`trailing_stop`, ``units`` as there): tried last, so
    that "Each gate has 4 matrices, so the total is …" never reads "4" as a final value.
    """
    try:
        return _read_around_prose(text, start, stop, names, read, extra=extra, separators=separators)
    except ReadError as error:
        first_error = error

    def without_trailing_words(first: int, last: int) -> tuple[T, list[str]]:
        cut = trailing_stop(text, first, last, names, units=units)
        if cut is None:
            return read(first, last)
        value, more = read(first, cut)
        return value, [*more, f"left out the words '{_quoted(text, cut, last)}' after the value"]

    if separators is not None:
        separators.clear()
    try:
        return _read_around_prose(text, start, stop, names, without_trailing_words, extra=extra, separators=separators)
    except ReadError:
        raise first_error from None


def _read_around_prose(
    text: str,
    start: int,
    stop: int,
    names: Names,
    read: Callable[[int, int], tuple[T, list[str]]],
    *,
    extra: str,
    separators: list[str] | None,
) -> tuple[T, list[str]]:
    notes: list[str] = []
    whole_stop = stop
    cut_at = boundary(text, start, stop, names)
    if cut_at is not None:
        stop = _trim_end(text, start, cut_at)
    side, separator = last_side(text, start, stop, extra=extra)
    if separators is not None:
        separators.append(separator)
    if separator and not text[side:stop].strip(" $"):
        raise ReadError(f"nothing after '{separator}'", side - 1)
    try:
        value, more = read(side, stop)
    except ReadError as error:
        prose_start = _copula_side(text, side, stop, names)
        try:
            if prose_start is None or not text[prose_start:stop].strip(" $"):
                raise error
            value, more = read(prose_start, stop)  # its error, if any, is about the answer itself
        except ReadError:
            found = _final_values(text, start, whole_stop, names, read, only=True)
            found = found or _final_values(text, start, whole_stop, names, read, only=False)
            if not found:
                raise
            return _one_final_value(text, found)
        notes.append(f"read '{_quoted(text, prose_start, stop)}'; the rest was taken as explanation")
        _check_conclusions(text, stop, whole_stop, names, read, value, prose_start)
        return value, notes + more
    if separator:
        notes.append(side_note(separator))
    if cut_at is not None:
        notes.append(f"read '{_quoted(text, start, stop)}'; the rest was taken as explanation")
        _check_conclusions(text, stop, whole_stop, names, read, value, side)
    return value, notes + more


def _check_conclusions(
    text: str,
    stop: int,
    whole_stop: int,
    names: Names,
    read: Callable[[int, int], tuple[T, list[str]]],
    value: T,
    side: int,
) -> None:
    """ "10, so the total is 20" states two answers: a ReadError, never a silent pick of one."""
    if stop >= whole_stop:
        return
    for other, _, cut, last in _final_values(text, stop, whole_stop, names, read, only=True):
        if not same_value(other, value):
            raise ReadError(
                f"two different final values are stated, '{_quoted(text, side, stop)}' and "
                f"'{_quoted(text, cut, last)}': write only the answer",
                cut,
            )
