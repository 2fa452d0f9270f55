"""The one Jinja environment every report is rendered with.

HTML templates are autoescaped: answers are student text (``<script>`` in an
answer must stay text). Markdown templates are not (Markdown has no escaping
that survives every renderer); they put student text in code spans and fenced
blocks, which Markdown renders literally, through the ``code`` and ``block``
filters.

Math in HTML is native MathML (:mod:`autograder.render.mathml`): statements and prompts
through the ``markdown`` filter, typeset readings through ``mathml``, both allow-listed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import jinja2
from markupsafe import Markup, escape

from autograder.render.mathml import inline, markdown, mathml
from autograder.render.mathtext import math_to_unicode
from autograder.result import Verdict

VERDICT_LABELS: dict[Verdict, str] = {
    "correct": "correct",
    "partial": "partially correct",
    "incorrect": "incorrect",
    "unanswered": "not answered",
    "unreadable": "could not be read",
    "needs_review": "waiting for an instructor",
}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("autograder.render", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["points"] = points
    env.filters["percent"] = percent
    env.filters["code"] = markdown_code
    env.filters["block"] = markdown_block
    env.filters["math"] = math_to_unicode
    env.filters["markdown"] = markdown
    env.filters["mathml"] = mathml
    env.filters["inline"] = inline
    env.filters["highlighted"] = highlighted
    env.tests["pointed"] = pointed
    env.globals["verdict_labels"] = VERDICT_LABELS
    return env


HIGHLIGHT_CLASSES = (("denied:", "denied"), ("!", "misconception"))
"""Label prefix → CSS class of a highlight (:attr:`PartResult.highlights`); other labels are found ideas."""


def highlighted(text: str | None, spans: Sequence[Sequence[object]] = (), limit: int | None = None) -> Markup:
    """``text`` escaped, with each ``(start, end, label)`` span in a ``<mark>`` whose class says
    what the grader saw there (a found idea, a denied one, a misconception) and whose title is
    the label. Spans that overlap an earlier one or fall outside the text are left out; with
    ``limit``, the text is cut there (and `` …`` added)."""
    whole = str(text or "")
    shown = whole if limit is None or len(whole) <= limit else whole[:limit]
    pieces: list[Markup] = []
    position = 0
    for start, end, label in sorted((int(str(s)), int(str(e)), str(lab)) for s, e, lab in spans):
        if start < position or not start < end <= len(shown):
            continue
        css = next((name for prefix, name in HIGHLIGHT_CLASSES if label.startswith(prefix)), "found")
        pieces.append(escape(shown[position:start]))
        pieces.append(Markup('<mark class="{}" title="{}">{}</mark>').format(css, label, shown[start:end]))
        position = end
    pieces.append(escape(shown[position:]))
    if len(shown) < len(whole):
        pieces.append(Markup(" …"))
    return Markup("").join(pieces)


#: The line under an answer quoted in a "could not be read" message: spaces, then one caret.
_CARET_LINE = re.compile(r"^ +\^$", re.MULTILINE)


def pointed(text: str | None) -> bool:
    """Does ``text`` point at a character with a caret line? Then it must be shown in a
    monospace block, or the caret lands under the wrong character."""
    return _CARET_LINE.search(str(text or "")) is not None


def points(value: float) -> str:
    """``2.0`` → ``2``, ``0.5`` → ``0.5``: points as a grader writes them."""
    return f"{round(value, 4):g}"


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def markdown_code(text: str | None) -> str:
    """Inline code span that holds any text literally (fence longer than any backtick run)."""
    flat = " ".join(str(text or "").split())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {flat} {fence}"


def markdown_block(text: str | None) -> str:
    """Fenced code block that holds any text literally."""
    body = str(text or "").rstrip("\n")
    longest = max((len(run) for run in re.findall(r"^\s*(`{3,}|~{3,})", body, re.MULTILINE)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{body}\n{fence}"
