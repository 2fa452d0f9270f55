"""The one safe math reader: plain, LaTeX or Unicode text → sympy, or Unreadable."""

from autograder.mathread.api import (
    MAX_CHARS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_INTEGER_DIGITS,
    MAX_NODES,
    BigOReading,
    ListReading,
    MatrixReading,
    Reading,
    Unreadable,
    Vocabulary,
    dot_symbol,
)
from autograder.mathread.bigo import read_big_o
from autograder.mathread.expression import read_expression
from autograder.mathread.lists import read_list, read_matrix

__all__ = [
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_INTEGER_DIGITS",
    "MAX_NODES",
    "BigOReading",
    "ListReading",
    "MatrixReading",
    "Reading",
    "Unreadable",
    "Vocabulary",
    "dot_symbol",
    "read_big_o",
    "read_expression",
    "read_list",
    "read_matrix",
]
