"""HW9 lives in data only: no homework's names, shapes or answers in ``autograder/``.

Everything specific to a homework is in its YAML specs, its templates and its
reference folder; the engine's code, docstrings and messages included, must read
the same to a student of any other homework. This test reads every source file
of the package and fails on a word that only HW9 gives meaning to.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "autograder"

#: Words that mean something only in HW9 (attention): its class, its attributes and sizes, its
#: question ids and folder, its default build, its feedback.
HW9_WORDS = (
    r"MultiHeadAttention",
    r"\bmha\w*",
    r"\bhw9\b",
    r"num_heads",
    r"d_model",
    r"\bd_k\b",
    r"\bW_[qkvo]\b",
    r"\(12, 3\)",
    r"residual",
    r"split_heads",
    r"combine_heads",
    r"""["']mu["'],\s*["']sigma["']""",
)
PATTERN = re.compile("|".join(HW9_WORDS))


def _sources() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*") if path.suffix in {".py", ".j2", ".html", ".md", ".css"})


def test_the_package_has_sources_to_check() -> None:
    assert len(_sources()) > 30


@pytest.mark.parametrize("path", _sources(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_hw9_name_in_the_engine(path: Path) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {match.group(0)!r} in {line.strip()[:100]}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for match in PATTERN.finditer(line)
    ]
    assert not found, "HW9-specific words in the engine:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "class MultiHeadAttention(nn.Module):",
        "{file: mha.py}",
        "problems/hw9",
        "self.num_heads",
        "x.view(B, d_model)",
        "init_args = (12, 3)",
        "in a residual connection",
        'prefer = ("mu", "sigma")',
        "W_o",
    ],
)
def test_the_check_catches_each_kind_of_hw9_word(line: str) -> None:
    assert PATTERN.search(line)


@pytest.mark.parametrize(
    "line", ["self.size", "{file: model.py}", "problems/<set>", "q4.yaml", "mu^2 + sigma^2", "W_x"]
)
def test_the_check_leaves_neutral_words_alone(line: str) -> None:
    assert not PATTERN.search(line)
