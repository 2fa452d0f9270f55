"""Format examples shown with an unreadable answer ("An accepted way to write it").

They are built from the part's own declared names so that they are relevant, and
they are shaped so that they are never the answer itself: an example that happens
to be the reference (``sqrt(d)`` for "find the scale") would give the answer away.
"""

from __future__ import annotations

from autograder.mathread.normalize import GREEK_LETTERS
from autograder.problem import Part

GREEK = frozenset(GREEK_LETTERS)


def _scalars(part: Part, count: int) -> list[str]:
    names = sorted(name for name in part.vocabulary.symbols if name not in part.vocabulary.vectors)
    names = names or ["x", "y"]
    return (names * count)[:count]


def _latex(name: str) -> str:
    return f"\\{name}" if name in GREEK else name


def expression(part: Part) -> str:
    a, b = _scalars(part, 2)
    return f"3*{a}^2 + {b}/2 (plain), 3{_latex(a)}^2 + \\frac{{{_latex(b)}}}{{2}} (LaTeX)"


def big_o(part: Part) -> str:
    a, b = _scalars(part, 2)
    return f"O({a}^2 + {a}*{b}), O({a}^2 + {a}{b}) or \\mathcal{{O}}({a}^2 + {a} {b})"


def dimensions(part: Part) -> str:
    a, b = _scalars(part, 2)
    return f"[{a}, {b}, 2] or {a} × {b} × 2"


def components(part: Part) -> str:
    names = getattr(part.params, "variables", ()) or _scalars(part, 3)
    x, y, z = (list(names) * 3)[:3]
    return f"[1, {x} + {y}, {z}^2/2]"
