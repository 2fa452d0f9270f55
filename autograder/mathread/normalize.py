"""Plain, LaTeX and Unicode math text → one stream of tokens.

Every spelling of the same thing becomes the same token (``\\cdot``, ``·`` and
``⋅`` are all ``·``; ``\\alpha``, ``α`` and ``alpha`` are all the name ``alpha``), so the
parser only knows one notation. Positions are offsets into the original text
so that a message can point at what the student wrote.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from autograder.mathread.api import MAX_INTEGER_DIGITS
from autograder.mathread.errors import ReadError

#: The mark ``ᵀ``, ``\top`` and ``\intercal`` become; never a student's own name.
TRANSPOSE = "⊤"
#: ``ℝ`` and ``\mathbb{R}`` (only meaningful in tensor shapes).
REALS = "ℝ"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    """``num``, ``name``, ``op`` or ``end``."""
    text: str
    """Canonical text: digits, a name in ASCII (``alpha``), or an operator symbol."""
    start: int
    end: int
    offsets: tuple[int, ...] = ()
    """For names: the source offset of each character of ``text`` (Greek letters
    spell several characters from one)."""
    piece: bool = False
    """A name already split into declared names (see :mod:`names`)."""


GREEK_LETTERS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "omicron",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Pi",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
]
_GREEK_VARIANTS = {
    "varepsilon": "epsilon",
    "vartheta": "theta",
    "varpi": "pi",
    "varrho": "rho",
    "varsigma": "sigma",
    "varphi": "phi",
}
GREEK_CHARS = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "µ": "mu", "ν": "nu", "ξ": "xi", "ο": "omicron", "π": "pi",
    "ϖ": "pi", "ρ": "rho", "ϱ": "rho", "σ": "sigma", "ς": "sigma", "τ": "tau",
    "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi",
    "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}  # fmt: skip

_VULGAR_FRACTIONS = {
    "½": ("1", "2"),
    "⅓": ("1", "3"),
    "⅔": ("2", "3"),
    "¼": ("1", "4"),
    "¾": ("3", "4"),
    "⅕": ("1", "5"),
    "⅙": ("1", "6"),
    "⅛": ("1", "8"),
}
#: Code points of Unicode's superscript and subscript forms (modifier letters included).
_SCRIPT_RANGES = (
    (0x00B2, 0x00BA), (0x02B0, 0x02B9), (0x02E0, 0x02E5), (0x1D2C, 0x1D6B), (0x1D78, 0x1D79),
    (0x1D9B, 0x1DC0), (0x2070, 0x209D), (0x2C7C, 0x2C7E),
)  # fmt: skip
_SCRIPT_SIGNS = {"+": "+", "-": "-", "−": "-", "(": "(", ")": ")"}
#: Latin letters that superscripts decompose to where a Greek letter is meant (``ᵅ``, ``ᶲ``).
_LATIN_GREEK = {"ɑ": "alpha", "ɸ": "phi"}


def _script_tables() -> tuple[dict[str, str], dict[str, str]]:
    """Every superscript and subscript character → what it stands for, from Unicode's own data.

    ``ᵗ`` is ``t``, ``ᴺ`` is ``N``, ``ᵝ`` is ``beta``, ``ₜ`` is ``t``, ``⁻`` is ``-``: the
    ``<super>``/``<sub>`` decomposition of each character, kept when it is an ASCII letter or
    digit, a Greek letter or a sign. Built from the data, not listed by hand, so that no letter
    of the family is forgotten; ``ᵀ`` stays the transpose mark.
    """
    tables: dict[str, dict[str, str]] = {"<super>": {}, "<sub>": {}}
    for first, last in _SCRIPT_RANGES:
        for point in range(first, last):
            char = chr(point)
            tag, _, code = unicodedata.decomposition(char).partition(" ")
            if tag not in tables or not code or " " in code:
                continue
            base = chr(int(code, 16))
            if base.isascii() and (base.isalpha() or base.isdigit()):
                tables[tag][char] = base
            elif base in GREEK_CHARS or base in _LATIN_GREEK:
                tables[tag][char] = GREEK_CHARS.get(base) or _LATIN_GREEK[base]
            elif base in _SCRIPT_SIGNS:
                tables[tag][char] = _SCRIPT_SIGNS[base]
    tables["<super>"]["ᵀ"] = TRANSPOSE
    return tables["<super>"], tables["<sub>"]


_SUPERSCRIPTS, _SUBSCRIPTS = _script_tables()

_CHAR_OPS = {
    "+": "+", "-": "-", "−": "-", "–": "-", "‐": "-", "‑": "-", "*": "*", "∗": "*", "/": "/",
    "÷": "/", "^": "^", "_": "_", "(": "(", ")": ")", "[": "[", "]": "]", "{": "{", "}": "}",
    ",": ",", ";": ";", "&": "&", "=": "=", "|": "|", "‖": "‖", "∥": "‖", "<": "⟨", ">": "⟩",
    "⟨": "⟨", "⟩": "⟩", "〈": "⟨", "〉": "⟩", "@": "@", "·": "·", "⋅": "·", "∙": "·", "•": "·",
    "×": "×", "✕": "×", "⨯": "×", "√": "√", "∑": "Σ", "Σ": "Σ", "±": "±", "∓": "∓", ".": ".",
    "≈": "≈", "∼": "≈", "≃": "≈", "!": "!", ":": ":", "∈": "∈", "≤": "≤", "≥": "≥", "≠": "≠",
    "…": "…", "⌊": "⌊", "⌋": "⌋", "⌈": "⌈", "⌉": "⌉",
}  # fmt: skip
_CHAR_NAMES = {TRANSPOSE: TRANSPOSE, "ℝ": REALS}
#: Several ASCII characters typed for one symbol, longest first.
_DIGRAPHS = (("+/-", "±"), ("+-", "±"), ("||", "‖"), ("//", "//"), ("...", "…"))
_DIGRAPH_STARTS = frozenset(spelled[0] for spelled, _ in _DIGRAPHS)
_IGNORED_CHARS = "$`~"

_SKIPPED_COMMANDS = frozenset(
    [
        ",",
        ";",
        ":",
        "!",
        ">",
        "(",
        ")",
        "[",
        "]",
        "quad",
        "qquad",
        "displaystyle",
        "textstyle",
        "limits",
        "nolimits",
        "enspace",
        "thinspace",
        "medspace",
        "thickspace",
        "negthinspace",
    ]
) | {" ", "\n", "\t"}
_SIZE_COMMANDS = frozenset(
    [
        "left",
        "right",
        "middle",
        "big",
        "Big",
        "bigg",
        "Bigg",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "biggl",
        "biggr",
        "Biggl",
        "Biggr",
    ]
)
_OP_COMMANDS = {
    "|": "‖", "Vert": "‖", "lVert": "‖", "rVert": "‖", "vert": "|", "lvert": "|", "rvert": "|",
    "mid": "|", "{": "(", "}": ")", "lbrace": "(", "rbrace": ")", "lbrack": "[", "rbrack": "]",
    "langle": "⟨", "rangle": "⟩", "cdot": "·", "cdotp": "·", "bullet": "·", "times": "×",
    "ast": "*", "div": "/", "pm": "±", "mp": "∓", "frac": "frac", "dfrac": "frac",
    "tfrac": "frac", "cfrac": "frac", "sqrt": "√", "sum": "Σ", "Sigma": "Σ", "approx": "≈",
    "sim": "≈", "simeq": "≈", "\\": "\\\\", "cdots": "…", "ldots": "…", "dots": "…", "in": "∈",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠", "lfloor": "⌊", "rfloor": "⌋",
    "lceil": "⌈", "rceil": "⌉",
}  # fmt: skip
_LATEX_OPERATOR_NAMES = "sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh coth det gcd arg sup inf lg"
_NAME_COMMANDS = {
    **{name: name for name in GREEK_LETTERS},
    **_GREEK_VARIANTS,
    **{name: name for name in ("exp", "log", "ln", "max", "min", "floor", "ceil")},
    # LaTeX's other operator names: names like any other, usable where a spec declares the function
    **{name: name for name in _LATEX_OPERATOR_NAMES.split()},
    "top": TRANSPOSE,
    "intercal": TRANSPOSE,
    "T": TRANSPOSE,
}
_WRAPPER_COMMANDS = frozenset(
    [
        "mathrm",
        "text",
        "textrm",
        "textnormal",
        "operatorname",
        "mathit",
        "mathbf",
        "boldsymbol",
        "bm",
        "vec",
        "mathcal",
        "mathsf",
        "mathbb",
        "textbf",
        "textit",
        "mathnormal",
        "mathscr",
        "mathfrak",
        "pmb",
    ]
)
_MATRIX_ENVIRONMENTS = frozenset(
    ["matrix", "bmatrix", "pmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix", "array"]
)
_IGNORED_ENVIRONMENTS = frozenset(
    [
        "equation",
        "equation*",
        "align",
        "align*",
        "aligned",
        "gather",
        "gather*",
        "displaymath",
        "math",
    ]
)

_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
#: Scientific notation right after a number's digits: ``1.216e-1``, ``6E23``, ``2e+3``. Only
#: digits may follow the ``e`` (and its sign), so ``2e`` and ``2e - 1`` keep Euler's number
#: (or a declared ``e``); ``2e3x`` is 2000·x.
_EXPONENT = re.compile(r"[eE][+\-−]?[0-9]+(?![0-9.])")
#: The largest power of ten scientific notation may write (``1e99``).
MAX_DECIMAL_EXPONENT = 99
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_WRAPPED_WORD = re.compile(r"\s*\{\s*([A-Za-z]+[0-9]*)\s*\}")
_ENVIRONMENT = re.compile(r"\s*\{\s*([A-Za-z]+\*?)\s*\}")


def canonical_name(name: str) -> str:
    """How a declared name is spelled in tokens: ``α`` / ``\\alpha`` → ``alpha``, ``x_1`` → ``x1``."""
    name = name.strip().lstrip("\\")
    name = _GREEK_VARIANTS.get(name, name)
    name = "".join(GREEK_CHARS.get(char, char) for char in name)
    return re.sub(r"_\{?([0-9]+)\}?", r"\1", name)


def _is_letter(char: str) -> bool:
    return ("a" <= char <= "z") or ("A" <= char <= "Z")


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


class _Tokenizer:
    def __init__(self, source: str, start: int, stop: int) -> None:
        self.source = source
        self.pos = start
        self.stop = stop
        self.tokens: list[Token] = []

    def op(self, text: str, start: int, end: int) -> None:
        self.tokens.append(Token("op", text, start, end))

    def name(self, text: str, start: int, end: int) -> None:
        self.tokens.append(Token("name", text, start, end, (start,) * len(text)))

    def run(self) -> list[Token]:
        source, stop = self.source, self.stop
        while self.pos < stop:
            char = source[self.pos]
            start = self.pos
            if char.isspace() or char in _IGNORED_CHARS:
                self.pos += 1
            elif _is_digit(char) or (char == "." and start + 1 < stop and _is_digit(source[start + 1])):
                self.number()
            elif _is_letter(char) or char in GREEK_CHARS:
                self.name_run()
            elif char == "\\":
                self.command()
            elif char in _SUPERSCRIPTS:
                self.superscripts()
            elif char in _SUBSCRIPTS:
                self.subscripts()
            elif char in _VULGAR_FRACTIONS:
                self.vulgar_fraction()
            elif char == "*" and source.startswith("**", start) and start + 1 < stop:
                self.op("^", start, start + 2)
                self.pos += 2
            elif self.digraph(char, start):
                pass
            elif char in _CHAR_OPS:
                self.op(_CHAR_OPS[char], start, start + 1)
                self.pos += 1
            elif char in _CHAR_NAMES:
                self.name(_CHAR_NAMES[char], start, start + 1)
                self.pos += 1
            elif char in "'′" and start > 0 and (_is_letter(source[start - 1]) or source[start - 1] in "}′'"):
                self.op("'", start, start + 1)  # MATLAB's transpose: w' * w, (q'k + 1)^2
                self.pos += 1
            elif unicodedata.category(char) == "Cf":  # zero-width spaces pasted from documents
                self.pos += 1
            else:
                raise ReadError(f"unexpected character '{char}'", start)
        return self.tokens

    def digraph(self, char: str, start: int) -> bool:
        """ASCII spellings of one symbol: ``||`` (‖), ``+-`` and ``+/-`` (±), ``...`` (…), and
        ``//``, Python's floor division (kept as its own operator: ``7 // 2`` is 3, not 7/2)."""
        if char not in _DIGRAPH_STARTS:
            return False
        for spelled, meaning in _DIGRAPHS:
            if self.source.startswith(spelled, start) and start + len(spelled) <= self.stop:
                self.op(meaning, start, start + len(spelled))
                self.pos += len(spelled)
                return True
        return False

    def vulgar_fraction(self) -> None:
        """``½`` is read as ``(1/2)``: one grouped token run, so ``½mv²`` is (1/2)·m·v²."""
        start = self.pos
        numerator, denominator = _VULGAR_FRACTIONS[self.source[start]]
        self.op("(", start, start + 1)
        self.tokens.append(Token("num", numerator, start, start + 1))
        self.op("/", start, start + 1)
        self.tokens.append(Token("num", denominator, start, start + 1))
        self.op(")", start, start + 1)
        self.pos += 1

    def number(self) -> None:
        match = _NUMBER.match(self.source, self.pos, self.stop)
        assert match is not None
        digits = match.group().replace(".", "")
        if len(digits.lstrip("0")) > MAX_INTEGER_DIGITS:
            raise ReadError(f"number too long (at most {MAX_INTEGER_DIGITS} digits)", self.pos)
        end = match.end()
        text = match.group()
        exponent = _EXPONENT.match(self.source, end, self.stop)
        if exponent is not None:
            power = int(exponent.group()[1:].replace("−", "-"))
            if abs(power) > MAX_DECIMAL_EXPONENT:
                raise ReadError(f"exponent too large (at most e{MAX_DECIMAL_EXPONENT})", end, "1.2e-3")
            end = exponent.end()
            text = f"{text}e{power}"
        self.tokens.append(Token("num", text, match.start(), end))
        self.pos = end

    def name_run(self) -> None:
        chars: list[str] = []
        offsets: list[int] = []
        start = self.pos
        while self.pos < self.stop:
            char = self.source[self.pos]
            if _is_letter(char) or (_is_digit(char) and chars):
                chars.append(char)
                offsets.append(self.pos)
            elif char in GREEK_CHARS:
                spelled = GREEK_CHARS[char]
                chars.append(spelled)
                offsets.extend([self.pos] * len(spelled))
            else:
                break
            self.pos += 1
        self.tokens.append(Token("name", "".join(chars), start, self.pos, tuple(offsets)))

    def superscripts(self) -> None:
        """``β₁ᵗ``, ``n⁻¹``, ``2ᵈᵏ``: a run of superscripts is one braced exponent, ``^{t}``."""
        start = self.pos
        self.op("^", start, start)
        self.op("{", start, start)
        self.script_run(_SUPERSCRIPTS)
        self.op("}", self.pos, self.pos)

    def subscripts(self) -> None:
        """``x₁`` is ``x_1``, ``mₜ`` is ``m_t``, ``xᵢₙ`` is ``x_{in}``, ``aₜ₋₁`` is ``a_{t-1}``."""
        start = self.pos
        self.op("_", start, start)
        first = len(self.tokens)
        self.script_run(_SUBSCRIPTS)
        if len(self.tokens) - first > 1:
            self.tokens.insert(first, Token("op", "{", start, start))
            self.op("}", self.pos, self.pos)

    def script_run(self, table: dict[str, str]) -> None:
        """The tokens of a run of characters of one ``table``: numbers, names and signs.

        Adjacent letters make one name (``ᵈᵏ`` → ``dk``, split later like any run of
        letters); digits right after letters belong to the name (``ₓ₁`` → ``x1``).
        """
        while self.pos < self.stop and self.source[self.pos] in table:
            value = table[self.source[self.pos]]
            here = self.pos
            self.pos += 1
            last = self.tokens[-1]
            joins = last.end == here and last.start != last.end
            if value in "+-()":
                self.op(value, here, self.pos)
            elif _is_digit(value) and joins and last.kind == "num":
                self.tokens[-1] = Token("num", last.text + value, last.start, self.pos)
            elif joins and last.kind == "name" and (_is_letter(value[0]) or _is_digit(value)):
                offsets = last.offsets + (here,) * len(value)
                self.tokens[-1] = Token("name", last.text + value, last.start, self.pos, offsets)
            elif _is_digit(value):
                self.tokens.append(Token("num", value, here, self.pos))
            elif value == TRANSPOSE:
                self.name(value, here, self.pos)
            else:
                self.tokens.append(Token("name", value, here, self.pos, (here,) * len(value)))

    def command(self) -> None:
        start = self.pos
        match = _COMMAND.match(self.source, start, self.stop)
        if match is None:
            raise ReadError("a lone '\\' at the end", start, "\\sqrt{n}")
        word = match.group(1)
        self.pos = match.end()
        if word in _SKIPPED_COMMANDS:
            return
        if word in _SIZE_COMMANDS:
            # \left. and \right. are invisible delimiters
            while self.pos < self.stop and self.source[self.pos] == " ":
                self.pos += 1
            if self.pos < self.stop and self.source[self.pos] == ".":
                self.pos += 1
            return
        if word in _OP_COMMANDS:
            self.op(_OP_COMMANDS[word], start, self.pos)
        elif word in _NAME_COMMANDS:
            self.name(_NAME_COMMANDS[word], start, self.pos)
        elif word in _WRAPPER_COMMANDS:
            self.wrapper(word)
        elif word in ("begin", "end"):
            self.environment(word, start)
        else:
            raise ReadError(f"unknown LaTeX command '\\{word}'", start, "\\frac{a}{b}, \\sqrt{n}")

    def wrapper(self, word: str) -> None:
        """``\\mathrm{max}`` is the name ``max``; ``\\mathbf{\\alpha}`` is just its group."""
        simple = _WRAPPED_WORD.match(self.source, self.pos, self.stop)
        if simple is None:
            return
        text = simple.group(1)
        if word == "mathbb" and text == "R":
            text = REALS
        start = simple.start(1)
        self.tokens.append(Token("name", text, start, simple.end(1), tuple(range(start, start + len(text)))))
        self.pos = simple.end()

    def environment(self, word: str, start: int) -> None:
        match = _ENVIRONMENT.match(self.source, self.pos, self.stop)
        if match is None:
            raise ReadError(f"'\\{word}' without '{{…}}'", start, "\\begin{bmatrix}1\\\\4\\end{bmatrix}")
        name = match.group(1)
        self.pos = match.end()
        if name in _IGNORED_ENVIRONMENTS:
            return
        if name not in _MATRIX_ENVIRONMENTS:
            raise ReadError(f"unknown environment '{name}'", start, "\\begin{bmatrix}1\\\\4\\end{bmatrix}")
        if word == "begin" and name == "array":
            columns = _ENVIRONMENT.match(self.source, self.pos, self.stop)
            if columns is not None:
                self.pos = columns.end()
        self.op("⟦" if word == "begin" else "⟧", start, self.pos)


def tokenize(source: str, start: int = 0, stop: int | None = None) -> list[Token]:
    """The tokens of ``source[start:stop]``, positioned in ``source``."""
    return _Tokenizer(source, start, len(source) if stop is None else stop).run()


_SUM_SUBSCRIPT_BEFORE = re.compile(r"(?:\\sum|Σ|∑)\s*_\s*\{?\s*[A-Za-z]\s*$")
_LATEX_IN = re.compile(r"\\in(?![A-Za-z])")
#: ``≈`` typed as LaTeX (``\\approx``, ``\\simeq``): one separator for :func:`last_side`.
_LATEX_APPROX = re.compile(r"\\(?:approx|simeq)(?![A-Za-z])")
#: The characters of ``≈``, when it separates sides (``x ≈ 0.12``).
APPROX_CHARS = "≈≃"


def last_side(text: str, start: int, stop: int, *, extra: str = "") -> tuple[int, str]:
    """Where the last side of a top-level ``a = b = c`` chain starts, and the separator.

    Only ``=`` separates unless ``extra`` names more characters (``∈:`` for lists,
    where ``\\in`` counts too). Brackets are tracked so ``\\sum_{i=1}`` is not a side.
    """
    depth = 0
    cut, separator = start, ""
    index = start
    while index < stop:
        char = text[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            if char == "=":
                previous = text[index - 1] if index > start else ""
                if not (previous and previous in "<>!") and not _SUM_SUBSCRIPT_BEFORE.search(
                    text[max(start, index - 12) : index]
                ):
                    cut, separator = index + 1, "="
            elif char in extra:
                cut, separator = index + 1, "≈" if char in APPROX_CHARS else char
            elif char == "\\" and "∈" in extra and _LATEX_IN.match(text, index, stop):
                cut, separator = index + 3, "∈"
            elif char == "\\" and "≈" in extra:
                approx = _LATEX_APPROX.match(text, index, stop)
                if approx is not None:
                    cut, separator = approx.end(), "≈"
        index += 1
    return cut, separator


def side_note(separator: str) -> str:
    if separator == "=":
        return "read the right-hand side of '='"
    if separator == "≈":
        return "read the value after '≈' as an approximate value"
    return f"read the part after '{separator}'"
