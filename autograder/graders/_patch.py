"""Changed lines applied to a base program: an answer that gives only the lines it changes
(``self.proj = nn.Linear(2 * width, width)`` and a new ``return`` of one method) instead
of the whole class, for ``module_behaviour`` parts whose spec names a ``base``.

Each changed line is placed by what it is, never by similarity: an assignment by its
target (``self.proj``, ``scores``), a ``def`` line by the function's name, a ``return``
or a bare call by the start of its expression (``return x.view``). A line placed after a
``def`` line of the answer is looked for in that function only. A line must match exactly
one statement of the base, and no two lines the same one; otherwise nothing is applied and
the message says which line could not be placed (the part then goes to review). Lines equal
to the base's are fine (context quoted with the change).

A line typed in prose is cleaned as code in prose is (``\\texttt{…}``, ``\\_``, backticks: see
:func:`~autograder.mathread.pycode.unwrap`), and words after a ``;`` that are no Python
(``; nothing else changes.``) are left out as explanation.

Security: the base and the lines are parsed with :func:`ast.parse` only; the patched
program runs in the sandbox like any whole answer.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from autograder.mathread import pycode

MAX_LINES = 60
MAX_CONTINUATION = 8
BLANK = re.compile(r"___\((\w+)\)___")

NO_PLACE = "Line {line} of your answer ({text}) matches no statement of {base}{scope}."
SEVERAL_PLACES = (
    "Line {line} of your answer ({text}) matches {count} statements of {base} (lines {lines}){scope}; "
    "give the whole class, or the def line of the method it belongs to before it."
)
SAME_PLACE = "Lines {first} and {second} of your answer both replace line {target} of {base}."
NOT_A_LINE = "Line {line} of your answer ({text}) is not one Python statement."
UNSUPPORTED = "Line {line} of your answer ({text}) is a {what}; only single statements can be placed in {base}."
APPLIED = "Read as changes to {base}: {changes}."


@dataclass(frozen=True)
class Change:
    target: int
    """1-based line of the base that is replaced."""
    text: str
    """The answer's line as written (stripped)."""


@dataclass(frozen=True)
class Patched:
    source: str
    """The base with the changes applied (empty when they could not be placed)."""
    changes: tuple[Change, ...] = ()
    problem: str = ""
    """Why the lines could not be placed; empty when they were."""
    placed: int = 0
    """How many of the answer's lines were placed before one could not be."""

    def summary(self, base: str) -> str:
        shown = "; ".join(f"line {change.target} → {_short(change.text)}" for change in self.changes)
        return APPLIED.format(base=base, changes=shown)


@dataclass(frozen=True)
class _Statement:
    start: int
    end: int
    indent: str
    key: str
    function: str


def _short(text: str) -> str:
    return text if len(text) <= 70 else text[:67] + "…"


def _head(node: ast.expr) -> str:
    """The start of an expression: ``x.view`` for ``x.view(…).transpose(…)``, a name for a name."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
            node = node.value
        else:
            break
    try:
        return ast.unparse(node)
    except (ValueError, RecursionError):
        return ""


def key(node: ast.stmt) -> str:
    """What a statement is, for placing it: its target, its function's name or its expression's start."""
    if isinstance(node, ast.Assign):
        return "assign " + " = ".join(ast.unparse(target) for target in node.targets)
    if isinstance(node, ast.AugAssign | ast.AnnAssign):
        return "assign " + ast.unparse(node.target)
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return "def " + node.name
    if isinstance(node, ast.Return):
        return "return " + (_head(node.value) if node.value is not None else "")
    if isinstance(node, ast.Expr):
        return "expr " + _head(node.value)
    return ""


def _statements(base: str) -> list[_Statement]:
    """Every simple statement (and def line) of the base with its key and enclosing function."""
    tree = ast.parse(BLANK.sub(lambda match: f"__blank_{match.group(1)}__", base))
    lines = base.splitlines()
    found: list[_Statement] = []

    def visit(body: list[ast.stmt], function: str) -> None:
        for node in body:
            indent = re.match(r"\s*", lines[node.lineno - 1])
            spaces = indent.group() if indent else ""
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                header_end = node.body[0].lineno - 1 if node.body else node.lineno
                while header_end > node.lineno and not lines[header_end - 1].rstrip().endswith(":"):
                    header_end -= 1  # comments or blank lines before the body stay
                found.append(_Statement(node.lineno, header_end, spaces, key(node), function))
                visit(node.body, node.name)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, function)
            elif isinstance(node, ast.If | ast.For | ast.While | ast.With | ast.Try):
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []), function)
            else:
                found.append(_Statement(node.lineno, node.end_lineno or node.lineno, spaces, key(node), function))

    visit(tree.body, "")
    return found


def missing_imports(source: str, base: str) -> list[str]:
    """The base's top-level import lines that bind a name the source uses but neither imports
    nor defines (``nn`` in a class pasted without ``from torch import nn``)."""
    try:
        tree = ast.parse(source)
        base_tree = ast.parse(BLANK.sub(lambda match: f"__blank_{match.group(1)}__", base))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    bound: set[str] = set()
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            bound.add(node.name)
        elif isinstance(node, ast.Name):
            used.add(node.id)
    lines = base.splitlines()
    missing = []
    for node in base_tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = {(alias.asname or alias.name).split(".")[0] for alias in node.names}
            if names & (used - bound):
                missing.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
    return missing


def key_lines(base: str) -> int:
    """How many statements of the base can be placed; SyntaxError when the base is not Python."""
    return len(_statements(base))


def _answer_lines(text: str) -> list[tuple[int, str, ast.stmt | None]]:
    """(line number, text, statement or None) for each statement of the answer, line by line."""
    raw = text.splitlines()
    result: list[tuple[int, str, ast.stmt | None]] = []
    index = 0
    while index < len(raw):
        stripped = _cleaned(raw[index])
        number = index + 1
        index += 1
        if not stripped or stripped.startswith("#") or stripped in ("...", "…", "```", "```python"):
            continue
        if stripped.startswith(("def ", "async def ")) and stripped.endswith(":"):
            node = _parse(stripped + " pass")
            result.append((number, stripped, node))
            continue
        joined = stripped
        node = _parse(joined)
        extra = 0
        while node is None and extra < MAX_CONTINUATION and index < len(raw):
            joined += "\n" + raw[index].strip()
            index += 1
            extra += 1
            node = _parse(joined)
        if node is None:
            index -= extra
            result.append((number, stripped, None))
        else:
            result.append((number, " ".join(joined.split()), node))
    return result


def _cleaned(line: str) -> str:
    """One line as code: typeset code unwrapped, and prose after a ``;`` left out."""
    stripped = line.strip()
    if stripped.startswith(("```", "~~~")):
        return ""  # a Markdown fence around the lines
    if not stripped or _parse(stripped) is not None:
        return stripped
    cleaned = pycode.unwrap(stripped, trailing="")
    if _parse(cleaned) is not None or ";" not in cleaned:
        return cleaned
    code, _, rest = cleaned.partition(";")
    words = re.findall(r"[A-Za-z]+", rest)
    if _parse(code) is not None and len(words) >= 2 and _parse(rest.strip().rstrip(".")) is None:
        return code.strip()
    return cleaned


def _parse(text: str) -> ast.stmt | None:
    try:
        body = ast.parse(text).body  # parsing only: nothing here runs
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return body[0] if len(body) == 1 else None


def looks_like_lines(text: str) -> bool:
    """Some line of the text is a Python statement: worth placing (prose is not)."""
    return any(node is not None for _, _, node in _answer_lines(text)[:MAX_LINES])


def apply(text: str, base: str, base_name: str) -> Patched:
    """The base with the answer's lines put in place, or the reason they cannot be placed."""
    statements = _statements(base)
    lines = base.splitlines()
    changes: list[Change] = []
    used: dict[int, int] = {}
    function = ""
    new_lines: dict[int, tuple[int, str]] = {}
    for number, written, node in _answer_lines(text)[:MAX_LINES]:
        if node is None:
            return Patched("", problem=NOT_A_LINE.format(line=number, text=_short(written)), placed=len(new_lines))
        found = key(node)
        if not found:
            what = type(node).__name__.lower()
            problem = UNSUPPORTED.format(line=number, text=_short(written), what=what, base=base_name)
            return Patched("", problem=problem, placed=len(new_lines))
        if found.startswith("def "):
            candidates = [statement for statement in statements if statement.key == found]
        else:
            candidates = [s for s in statements if s.key == found and (not function or s.function == function)]
        scope = f" in {function}" if function and not found.startswith("def ") else ""
        if not candidates:
            problem = NO_PLACE.format(line=number, text=_short(written), base=base_name, scope=scope)
            return Patched("", problem=problem, placed=len(new_lines))
        if len(candidates) > 1:
            places = ", ".join(str(candidate.start) for candidate in candidates)
            problem = SEVERAL_PLACES.format(
                line=number, text=_short(written), count=len(candidates), base=base_name, lines=places, scope=scope
            )
            return Patched("", problem=problem, placed=len(new_lines))
        target = candidates[0]
        if target.start in used:
            problem = SAME_PLACE.format(first=used[target.start], second=number, target=target.start, base=base_name)
            return Patched("", problem=problem, placed=len(new_lines))
        used[target.start] = number
        if found.startswith("def "):
            function = found[len("def ") :]
            header = written if written.endswith(":") else written + ":"
            new_lines[target.start] = (target.end, target.indent + header)
        else:
            new_lines[target.start] = (target.end, target.indent + written)
        if " ".join(lines[target.start - 1].split()) != " ".join(written.split()):
            changes.append(Change(target.start, written))  # context quoted as in the base is no change
    if not new_lines:
        return Patched("", problem=NOT_A_LINE.format(line=1, text=_short(text.strip())))
    output: list[str] = []
    index = 1
    while index <= len(lines):
        if index in new_lines:
            end, replacement = new_lines[index]
            output.append(replacement)
            index = end + 1
            continue
        output.append(lines[index - 1])
        index += 1
    return Patched("\n".join(output) + "\n", tuple(sorted(changes, key=lambda change: change.target)))
