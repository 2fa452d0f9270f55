"""The contract every grader kind follows, written once.

A grader kind is a module in ``autograder/graders/`` that builds one
:class:`GraderKind`. Grading an answer is two separate steps, as in
PrairieLearn:

1. ``read(text, part)`` turns the raw answer text into a typed *reading*
   (a sympy expression, a list of them, a normalized code fragment...) or
   raises :class:`~autograder.mathread.Unreadable`. An unreadable answer is a
   format problem the student can fix, never a wrong answer. ``autograder
   check`` runs only this step.
2. ``grade(answer, reference, part)`` compares the student's reading with the
   reading of the reference answer and returns an
   :class:`~autograder.result.Outcome`: verdict, share of the points and
   feedback that explains the difference in the student's terms.
   ``matches(answer, other, part)`` says whether two readings mean the same;
   the engine uses it to apply the spec's feedback rules ("known wrong answer
   → message"), so rules are matched by meaning with the same grader.

Graders do no I/O, never parse raw strings themselves (they call the math
reader) and never name a homework question: everything specific lives in the
spec's ``params`` (one frozen dataclass per kind, ``Params``), built from YAML
by :mod:`autograder.spec`. A grader that cannot decide returns the
``needs_review`` verdict with a provisional credit; it never guesses silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autograder.result import Outcome

if TYPE_CHECKING:
    from autograder.mathread import Vocabulary
    from autograder.problem import Part, ProblemSet


@dataclass(frozen=True)
class GraderKind:
    """One grader kind: its parameters and its three steps."""

    name: str
    """The YAML ``kind:`` that selects it."""
    params: type[Any]
    """Frozen dataclass of the kind's parameters (the part's other YAML keys)."""
    read: Callable[[str, Part], Any]
    """Raw answer text → reading; raises Unreadable."""
    grade: Callable[[Any, Any, Part], Outcome]
    """(student reading, reference reading, part) → outcome."""
    matches: Callable[[Any, Any, Part], bool]
    """Do two readings mean the same? Used for the spec's feedback rules."""
    show: Callable[[Any], str]
    """A reading → the answer as understood, in plain notation, for the student."""
    example: str
    """A format example, used when ``example_for`` is not given."""
    group_key: Callable[[Any], str] | None = None
    """Optional: a canonical text of a reading, equal for readings that mean the same
    (review groups are built from it); default: ``show``."""
    typeset: Callable[[Any], str] | None = None
    """Optional: a reading → a MathML ``<math>`` element showing it, in the student's own
    order of terms where the reading keeps it; default: no typesetting (plain ``show``)."""
    example_for: Callable[[Part], str] | None = None
    """A format example built for the part (from its declared names); never the answer."""
    """An accepted way to write an answer of this kind, shown when one is unreadable."""
    prepare: Callable[[Any, Vocabulary], Any] | None = None
    """Optional: turn textual params (substitutions written as math) into
    typed ones once, at spec load; raises ValueError with a message."""
    bind: Callable[[Part, ProblemSet, Mapping[str, Any]], Any] | None = None
    """Optional: once the reference answers are read, return the params to grade with,
    given every part's reference reading (a code template fills its other blanks
    with them); raises ValueError with a message."""
    names: Callable[[Any], set[str]] | None = None
    """Optional: the declared names a reading uses, for rules with ``mentions``."""
    warm_up: Callable[[], None] | None = None
    """Optional: start slow resources (the sandbox) early; called before other parts are graded."""
    runs_code: bool = False
    """True for kinds that run student code in the sandbox, which bounds their time
    and memory itself; the others are graded in a forked child with a deadline."""
    needs_reference: bool = True
    """False when the reference answer is only shown, never compared (free text)."""
    check_reference: Callable[[Part, Any], str | None] | None = None
    """Optional, for ``autograder validate``: given the bound part and its reference reading,
    a sentence saying why the reference would not earn full credit on this grader (a
    reference blank whose filled template does not run, a reference class that fails on
    the declared inputs), or None when it is fine. Code kinds run the sandbox here."""
