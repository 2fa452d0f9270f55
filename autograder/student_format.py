"""What a student bundle (``autograder bundle --student``) keeps of a problem set, and why.

A student bundle's specs let ``autograder check`` read every answer exactly as grading
will, and nothing more: whatever gives an answer away or only serves grading is left
out. The loader (:mod:`autograder.spec`) reads such a set in *read mode*: it accepts only
the keys kept here, loads no rules, runs a kind's ``prepare`` only where reading needs
it, and the set refuses to be graded (:data:`GRADING_REFUSED`).

Question keys kept: ``id``, ``title``, ``statement``, ``symbols``, ``aliases``,
``functions`` (the reader's vocabulary; the statement is the student's anyway), ``cues``
(how a write-up announces the question). Part keys kept: ``kind``, ``title``, ``prompt``,
``points``, ``symbols``, ``functions``, ``cues`` (how a write-up announces it) and
``example`` (written into every part, as grading computes it, so a format example never
needs the answers to be chosen). Dropped: ``rules`` (known answers and their
messages), ``accept`` / ``reject`` (sample answers), ``show_reference``.

Each kind's parameters, field by field (:data:`POLICIES`; a test checks every field of
every kind is listed):

================== ======================================== ==========================================
kind               kept (the reader needs it)               dropped (an answer, or grading only)
================== ======================================== ==========================================
symbolic           substitute (an answer may restate them)  —
shape              substitute (likewise)                    —
vector             named (an answer may name a given        abs_tol, rel_tol (comparison)
                   vector: ``v2``)
matrix             —                                        abs_tol, rel_tol (comparison)
numeric            unit (units an answer may carry)         abs_tol, rel_tol (comparison)
complexity         —  (a bound is read with the vocabulary) substitute, assumable (comparison),
                                                            term_names (names the answer's terms)
feature_map        variables, partners, kernel (the         —
                   question's K(x, y); prepare checks
                   them), size_name (general-D lists)
token              aliases, strip_prefix (applied while     alternatives (other correct answers)
                   reading)
rubric             —  (prepare skipped: it needs concepts)  concepts, misconceptions (the patterns
                                                            and descriptions are the answer)
einsum             operands (a bare equation takes them     sizes (the numeric check),
                   in order; names a call passes)           accept_matmul (grading)
matrix_expression  matrices, feature_maps, sizes (names     known_wrong (known wrong answers),
                   and axes an expression may use),         draws (comparison)
                   math_notation (how it is read)
code_blanks        template, blank, strip_prefix (the       also_init_args, cases, compare,
                   blank's scope and reading); class_name,  output_shape (part of the answer),
                   function, init_args, init_kwargs,        describe, tolerance, forbidden
                   inputs, sizes (the code's own signature, (grading runs only)
                   which the parameters' check requires)
module_behaviour   class_name, function (the class or       attributes (values of the answer),
                   function must be defined); init_args,    output_shape, partial_credit, cases,
                   init_kwargs, inputs, sizes (likewise),   compare, describe, tolerance, forbidden
                   base (changed lines are placed in it)
manual             —                                        —
================== ======================================== ==========================================

Files kept: the question specs (rewritten), ``set.yaml`` with its title and
``student: true`` (no reference), and the files a kept parameter names (a code
template, whose blanks are the questions). Nothing else of the set's folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

BUNDLE_FILE = "bundle.json"
"""At a bundle's root: says what it is (:data:`BUNDLE_FORMAT`) and where its specs are."""
BUNDLE_FORMAT = "attention-autograder student bundle"
STUDENT_KEY = "student"
"""``set.yaml``'s key marking a student set (read mode, never graded)."""
GRADING_REFUSED = (
    "this is a student bundle without answers; grading needs the instructor's problem set "
    "(the folder with the full question specs and a reference)"
)

QUESTION_KEYS = ("id", "title", "statement", "symbols", "aliases", "functions", "parts", "cues")
PART_KEYS = ("kind", "title", "prompt", "points", "symbols", "functions", "example", "cues")
FILE_PARAMS = ("template", "base")
"""Kept parameters that name a file next to the spec, copied into the bundle."""


@dataclass(frozen=True)
class Policy:
    """What a student set keeps of one kind's parameters."""

    keep: tuple[str, ...]
    """The fields reading an answer needs (everything else is left out)."""
    drop: tuple[str, ...]
    """The fields left out: an answer, a hint to one, or used only to compare."""
    prepare: bool = True
    """Run the kind's ``prepare`` at load: False where it checks grading data only."""


_CODE_SIGNATURE = ("class_name", "function", "init_args", "init_kwargs", "inputs", "sizes")
_CODE_GRADING = ("cases", "compare", "output_shape", "describe", "tolerance", "forbidden")
_TOLERANCES = ("abs_tol", "rel_tol")

POLICIES: dict[str, Policy] = {
    "symbolic": Policy(keep=("substitute",), drop=()),
    "shape": Policy(keep=("substitute",), drop=()),
    "vector": Policy(keep=("named",), drop=_TOLERANCES),
    "matrix": Policy(keep=(), drop=_TOLERANCES),
    "numeric": Policy(keep=("unit",), drop=_TOLERANCES),
    "complexity": Policy(keep=(), drop=("substitute", "assumable", "term_names")),
    "feature_map": Policy(keep=("variables", "partners", "kernel", "size_name"), drop=()),
    "token": Policy(keep=("aliases", "strip_prefix"), drop=("alternatives",)),
    "rubric": Policy(keep=(), drop=("concepts", "misconceptions"), prepare=False),
    "einsum": Policy(keep=("operands",), drop=("sizes", "accept_matmul")),
    "matrix_expression": Policy(
        keep=("matrices", "feature_maps", "sizes", "math_notation"), drop=("known_wrong", "draws")
    ),
    "code_blanks": Policy(
        keep=("template", "blank", "strip_prefix", *_CODE_SIGNATURE), drop=("also_init_args", *_CODE_GRADING)
    ),
    "module_behaviour": Policy(
        keep=("base", "base_changes", *_CODE_SIGNATURE), drop=("attributes", "partial_credit", *_CODE_GRADING)
    ),
    "manual": Policy(keep=(), drop=()),
}


def policy(kind: str) -> Policy:
    """The kind's policy; a kind without one cannot go into a student bundle (KeyError)."""
    return POLICIES[kind]


def problems_in_bundle(folder: Path) -> Path | None:
    """The problem set folder a bundle's ``bundle.json`` names, when ``folder`` is a bundle's root
    (so ``--problems <bundle>`` works); None when it is not one. The path stays inside the bundle."""
    marker = folder / BUNDLE_FILE
    if not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    named = data.get("problems") if isinstance(data, dict) and data.get("format") == BUNDLE_FORMAT else None
    if not isinstance(named, str):
        return None
    target = (folder / named).resolve()
    if not target.is_relative_to(folder.resolve()):
        return None
    return target
