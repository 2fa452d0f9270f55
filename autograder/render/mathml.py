"""MathML and Markdown for the HTML pages: typeset answers, statements rendered from Markdown.

Pages run no scripts and load nothing (their CSP is ``default-src 'none'``), so math is
native MathML, which Chromium ≥ 109 and Firefox render with the fonts they have.

* :func:`clean` is the one door MathML goes through into a page: it re-builds the markup
  from an allow-list of MathML elements and attributes, escaping every text, and refuses
  anything else (a record read back from disk is data, not trusted markup).
* :func:`markdown` renders a spec's statement or prompt (CommonMark, raw HTML disabled so a
  ``<script>`` in a spec stays text); ``$…$`` and ``$$…$$`` become MathML through
  ``latex2mathml``, and LaTeX it cannot read is shown as its source in ``<code>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from functools import lru_cache
from html import entities, escape
from typing import Any

import latex2mathml.converter
from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markupsafe import Markup

MATHML_NAMESPACE = "http://www.w3.org/1998/Math/MathML"
ELEMENTS = frozenset(
    {
        "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub", "msubsup",
        "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd",
        "mstyle", "mpadded", "mphantom",
    }
)  # fmt: skip
"""MathML Core's presentation elements: no ``semantics``/``annotation`` (arbitrary content),
no ``maction``, no links."""
ATTRIBUTES = frozenset(
    {
        "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "form",
        "accent", "accentunder", "linethickness", "displaystyle", "scriptlevel", "columnalign",
        "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "minsize",
        "maxsize", "largeop", "movablelimits", "symmetric", "width", "height", "depth",
    }
)  # fmt: skip
"""Layout attributes only: no ``style``, ``class``, ``id``, ``href`` or event handlers."""
ARITY = {"mfrac": 2, "msup": 2, "msub": 2, "mroot": 2, "mover": 2, "munder": 2, "msubsup": 3, "munderover": 3}
"""Elements that take a fixed number of children; another count is broken markup
(latex2mathml writes ``\\frac{a}`` as an ``<mfrac>`` with one child)."""
KNOWN_ENVIRONMENTS = frozenset(
    {
        "matrix",
        "pmatrix",
        "bmatrix",
        "Bmatrix",
        "vmatrix",
        "Vmatrix",
        "smallmatrix",
        "array",
        "cases",
        "aligned",
        "split",
    }
)
"""LaTeX environments latex2mathml converts; it drops others silently."""
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")


class Rejected(ValueError):
    """Markup that is not allow-listed MathML."""


def clean(markup: str) -> str:
    """``markup`` re-built from allow-listed MathML only, every text escaped; "" when it is not
    a single well-formed ``<math>`` element of such MathML (the page then shows the plain text)."""
    try:
        return _rebuild(_parse(markup))
    except Rejected:
        return ""


def _parse(markup: str) -> ElementTree.Element:
    if not markup or "<!" in markup or "<?" in markup:  # no doctype, entities or processing
        raise Rejected("not MathML")
    text = _NAMED_ENTITY.sub(_entity, markup)
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise Rejected(str(error)) from None
    if _local(root.tag) != "math":
        raise Rejected("not a <math> element")
    return root


def _entity(match: re.Match[str]) -> str:
    """HTML's named entities (``&InvisibleTimes;``) as characters; XML knows only five."""
    name = match[1]
    if name in _XML_ENTITIES:
        return match[0]
    return escape(entities.html5.get(f"{name};", ""), quote=False)


def _local(tag: str) -> str:
    namespace, _, name = tag.rpartition("}")
    if namespace and namespace.lstrip("{") != MATHML_NAMESPACE:
        raise Rejected(f"element in namespace {namespace}")
    return name


def _rebuild(element: ElementTree.Element) -> str:
    name = _local(element.tag)
    if name not in ELEMENTS:
        raise Rejected(f"<{name}> is not allowed")
    if name in ARITY and len(element) != ARITY[name]:
        raise Rejected(f"<{name}> with {len(element)} children")
    attributes = "".join(
        f' {key}="{escape(value)}"' for key, value in sorted(element.attrib.items()) if key in ATTRIBUTES
    )
    inner = escape(element.text or "", quote=False) + "".join(
        _rebuild(child) + escape(child.tail or "", quote=False) for child in element
    )
    return f"<{name}{attributes}>{inner}</{name}>"


# --- LaTeX ----------------------------------------------------------------------------------------


def latex(source: str, *, display: bool = False) -> str:
    """``$source$`` as clean MathML; the LaTeX in ``<code>`` when it cannot be converted
    (an unknown command, unbalanced braces), never an exception."""
    try:
        converted = latex2mathml.converter.convert(source, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types on bad input; the reader sees the source
        converted = ""
    cleaned = clean(converted) if _balanced(source) and _known_environments(source) else ""
    if not cleaned or _unknown_command(converted):
        delimiter = "$$" if display else "$"
        return f'<code class="latex">{escape(delimiter + source + delimiter)}</code>'
    return cleaned


def _balanced(source: str) -> bool:
    """Braces balance (``\\{`` and ``\\}`` are characters): latex2mathml guesses otherwise."""
    depth = 0
    for brace in re.sub(r"\\\\|\\[{}]", "", source):
        depth += {"{": 1, "}": -1}.get(brace, 0)
        if depth < 0:
            return False
    return depth == 0


def _known_environments(source: str) -> bool:
    return all(name in KNOWN_ENVIRONMENTS for name in re.findall(r"\\(?:begin|end)\s*\{([^}]*)\}", source))


def _unknown_command(converted: str) -> bool:
    """latex2mathml passes a command it does not know through as text (``<mi>\\foo</mi>``)."""
    return re.search(r">[^<]*\\[A-Za-z]", converted) is not None


# --- Markdown -------------------------------------------------------------------------------------


def _math_rule(state: StateInline, silent: bool) -> bool:
    """``$…$`` (no space just inside the dollars, as in Pandoc, so "$5 and $10" stays text)
    and ``$$…$$``, as ``math_inline`` / ``math_display`` tokens."""
    source, start = state.src, state.pos
    if source[start] != "$":
        return False
    mark = "$$" if source.startswith("$$", start) else "$"
    opening = start + len(mark)
    closing = _closing(source, opening, mark)
    if closing is None:
        return False
    if not silent:
        token = state.push("math_display" if mark == "$$" else "math_inline", "math", 0)
        token.content = source[opening:closing]
        token.markup = mark
    state.pos = closing + len(mark)
    return True


def _closing(source: str, opening: int, mark: str) -> int | None:
    closing = opening
    while True:
        closing = source.find(mark, closing)
        if closing < 0 or closing == opening:
            return None
        if source[closing - 1] != "\\":
            break
        closing += 1
    inside = source[opening:closing]
    if mark == "$" and (inside[0].isspace() or inside[-1].isspace() or source[closing + 1 : closing + 2].isdigit()):
        return None
    return closing


def _render_inline(self: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
    return latex(tokens[index].content)


def _render_display(self: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
    return latex(tokens[index].content, display=True)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False})
    parser.disable("image")  # a page loads nothing: an image would be a request the CSP blocks
    parser.inline.ruler.before("escape", "math", _math_rule)
    parser.add_render_rule("math_inline", _render_inline)
    parser.add_render_rule("math_display", _render_display)
    return parser


@lru_cache(maxsize=1)
def _inline_parser() -> MarkdownIt:
    """Code spans and math only: a prompt is often code (``nn.Linear(d, ___(a)___)``), whose
    underscores and stars Markdown's emphasis would eat."""
    parser = MarkdownIt("commonmark", {"html": False}).disable(["emphasis", "link", "image", "autolink", "entity"])
    parser.inline.ruler.before("escape", "math", _math_rule)
    parser.add_render_rule("math_inline", _render_inline)
    parser.add_render_rule("math_display", _render_display)
    return parser


@lru_cache(maxsize=2048)
def inline(text: str | None) -> Markup:
    """A part's prompt as one line of HTML: ``code`` spans and ``$…$`` math, the rest as written."""
    if not text:
        return Markup("")
    return Markup(_inline_parser().renderInline(str(text)))


@lru_cache(maxsize=2048)
def markdown(text: str | None) -> Markup:
    """A spec's statement or prompt as HTML (the same texts repeat on every page: cached)."""
    if not text:
        return Markup("")
    return Markup(_parser().render(str(text)))


def mathml(markup: str | None) -> Markup:
    """Jinja filter: a typeset reading (``as_read_math``) as clean MathML, "" when it is not."""
    return Markup(clean(markup or ""))
