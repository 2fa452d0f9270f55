"""Grader kinds, keyed by the YAML ``kind:`` that selects them.

The contract every kind follows is written once, in :mod:`autograder.graders.base`.
To add a kind: write a module here that builds a ``GraderKind`` named ``KIND``
and add it to :data:`REGISTRY`.
"""

from __future__ import annotations

from autograder.graders import (
    code_blanks,
    complexity,
    einsum,
    feature_map,
    manual,
    matrix,
    matrix_expression,
    module_behaviour,
    numeric,
    rubric,
    shape,
    symbolic,
    token,
    vector,
)
from autograder.graders.base import GraderKind

REGISTRY: dict[str, GraderKind] = {
    module.KIND.name: module.KIND
    for module in (
        symbolic,
        vector,
        matrix,
        numeric,
        shape,
        complexity,
        feature_map,
        token,
        rubric,
        einsum,
        matrix_expression,
        code_blanks,
        module_behaviour,
        manual,
    )
}

__all__ = ["REGISTRY", "GraderKind"]
