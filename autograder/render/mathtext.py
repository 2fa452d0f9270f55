"""``$…$`` math in spec text → plain Unicode, for ``feedback.md`` (a Markdown file that any
viewer must show readably: ``$\\mathbb{R}^{N \\times D}$`` → ``ℝ^(N×D)``, ``$\\sqrt{n}$`` → ``√(d)``).
The HTML pages show the same math as MathML (:mod:`autograder.render.mathml`).

Offline on purpose: no MathJax, no fonts, no network. Anything this table does
not know is shown as written; the text is escaped by the template afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable

SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η", "theta": "θ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "psi": "ψ", "omega": "ω", "Sigma": "Σ", "Phi": "Φ", "Omega": "Ω", "Delta": "Δ",
    "in": "∈", "sim": "∼", "times": "×", "cdot": "·", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥",
    "ne": "≠", "neq": "≠", "approx": "≈", "infty": "∞", "sum": "Σ", "prod": "Π", "to": "→",
    "top": "ᵀ", "ldots": "…", "dots": "…", "|": "‖", ",": " ", ";": " ", "quad": "  ",
    "left": "", "right": "", "max": "max", "min": "min", "exp": "exp", "log": "log",
}  # fmt: skip
FONTS = {"mathbb": {"R": "ℝ", "E": "𝔼", "N": "ℕ", "Z": "ℤ"}, "mathcal": {"N": "𝒩", "O": "𝒪"}}
SUPERSCRIPT_FROM, SUPERSCRIPT_TO = "0123456789+-()nTidkmNDM", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁿᵀⁱᵈᵏᵐᴺᴰᴹ"
SUPERSCRIPTS = str.maketrans(SUPERSCRIPT_FROM, SUPERSCRIPT_TO)
_GROUP = r"\{([^{}]*)\}"


def latex_to_unicode(math: str) -> str:
    text = math
    text = re.sub(r"\\frac" + _GROUP + _GROUP, r"(\1)/(\2)", text)
    text = re.sub(r"\\sqrt" + _GROUP, r"√(\1)", text)
    text = re.sub(r"\\(?:mathrm|text|operatorname)" + _GROUP, r"\1", text)
    for font, letters in FONTS.items():
        text = re.sub(rf"\\{font}" + _GROUP, _letter_in(letters), text)
    text = re.sub(r"\\([A-Za-z]+|[|,;])", lambda m: SYMBOLS.get(m[1], m[0]), text)
    text = re.sub(r"\^" + _GROUP, lambda m: _superscript(m[1]), text)
    text = re.sub(r"\^(\w)", lambda m: _superscript(m[1]), text)
    return text.replace("{", "").replace("}", "")


def _letter_in(letters: dict[str, str]) -> Callable[[re.Match[str]], str]:
    return lambda match: letters.get(match[1], match[1])


def _superscript(exponent: str) -> str:
    compact = exponent.replace(" ", "")
    if all(char in SUPERSCRIPT_FROM for char in compact):
        return compact.translate(SUPERSCRIPTS)
    return f"^({exponent})"


def math_to_unicode(text: str) -> str:
    """Every ``$…$`` span of ``text`` in Unicode; the prose around it unchanged."""
    return re.sub(r"\$([^$]+)\$", lambda m: latex_to_unicode(m[1]), text)
