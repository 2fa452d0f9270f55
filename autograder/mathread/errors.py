"""Internal failure type and the guard that turns every failure into Unreadable."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import TypeVar

from autograder.mathread.api import MAX_CHARS, Unreadable

T = TypeVar("T")


class ReadError(Exception):
    """A failure inside the reader; :func:`guard` adds the text and turns it into Unreadable."""

    def __init__(self, message: str, position: int | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.hint = hint


def check_text(text: object) -> str:
    """The text if it is worth reading at all; cheap checks only, before any parsing."""
    if not isinstance(text, str):
        raise ReadError(f"the answer is not text (got {type(text).__name__})")
    if len(text) > MAX_CHARS:
        raise ReadError(f"answer too long ({len(text):,} characters; at most {MAX_CHARS})", 0)
    for index, char in enumerate(text):
        if char in "\t\n\r":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn"):
            raise ReadError(f"unexpected control character U+{ord(char):04X}", index)
    if not text.strip():
        raise ReadError("the answer is empty", 0)
    return text


def guarded(text: object, hint: str, work: Callable[[], T]) -> T:
    """Run a reading; whatever goes wrong leaves as :class:`Unreadable` and nothing else."""
    shown = text if isinstance(text, str) else ""
    try:
        return work()
    except Unreadable:
        raise
    except ReadError as error:
        raise Unreadable(error.message, shown, error.position, error.hint or hint) from None
    except RecursionError:
        raise Unreadable("nested too deeply", shown, None, hint) from None
    except Exception as error:  # a sympy surprise must not stop the grading
        raise Unreadable(f"could not read this answer ({type(error).__name__})", shown, None, hint) from None
