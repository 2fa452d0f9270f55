"""``overrides.yaml``: an instructor's grades, applied on top of the graders'.

```yaml
03-typical-mistakes:            # submission (its folder name)
  q2.b:                         # answer id
    score: 1                    # points, 0 to the part's maximum
    comment: Mentions the zero gradient; half credit.   # shown to the student
```

Overrides are applied when reports are built (``autograder report``); the
graders' records (``result.json``, ``results.json``) are never rewritten, so
removing a line restores the graded score.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from autograder.render.records import GradedPart, GradedSubmission
from autograder.result import verdict_for_credit
from autograder.spec import suggest

OVERRIDES_FILE = "overrides.yaml"


class OverrideError(Exception):
    """An overrides file that cannot be applied, located as ``file: submission: part: what``."""


@dataclass(frozen=True)
class Override:
    submission: str
    part: str
    score: float
    comment: str


def load_overrides(path: Path) -> list[Override]:
    """The overrides in ``path``; none when the file does not exist."""
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise OverrideError(f"{path}: not valid YAML: {error}") from None
    if data is None:
        return []
    if not isinstance(data, Mapping):
        raise OverrideError(f"{path}: expected a mapping submission → {{part id: {{score, comment}}}}")
    overrides = []
    for submission, parts in data.items():
        where = f"{path}: {submission}"
        if not isinstance(parts, Mapping):
            raise OverrideError(f"{where}: expected a mapping part id → {{score, comment}}")
        for part_id, entry in parts.items():
            overrides.append(_override(str(submission), str(part_id), entry, f"{where}: {part_id}"))
    return overrides


def _override(submission: str, part_id: str, entry: Any, where: str) -> Override:
    if isinstance(entry, int | float) and not isinstance(entry, bool):
        entry = {"score": entry}
    if not isinstance(entry, Mapping):
        raise OverrideError(f"{where}: expected {{score: <points>, comment: <text>}}")
    unknown = [str(key) for key in entry if key not in ("score", "comment")]
    if unknown:
        raise OverrideError(f"{where}: unknown key '{unknown[0]}'{suggest(unknown[0], ['score', 'comment'])}")
    score = entry.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise OverrideError(f"{where}: score must be a number of points, not {score!r}")
    return Override(submission, part_id, float(score), str(entry.get("comment") or ""))


def apply_overrides(
    records: Sequence[GradedSubmission], overrides: Sequence[Override], source: Path
) -> list[GradedSubmission]:
    """The records with each override applied; an override naming nothing graded is an error."""
    by_name = {record.submission: record for record in records}
    wanted: dict[str, dict[str, Override]] = {}
    for override in overrides:
        record = by_name.get(override.submission)
        if record is None:
            names = sorted(by_name)
            raise OverrideError(
                f"{source}: {override.submission}: no such graded submission{suggest(override.submission, names)}"
            )
        ids = [part.id for part in record.parts]
        if override.part not in ids:
            raise OverrideError(
                f"{source}: {override.submission}: {override.part}: no such part{suggest(override.part, ids)}"
            )
        wanted.setdefault(override.submission, {})[override.part] = override
    return [_apply(record, wanted.get(record.submission, {}), source) for record in records]


def _apply(record: GradedSubmission, overrides: Mapping[str, Override], source: Path) -> GradedSubmission:
    if not overrides:
        return record
    questions = []
    for question in record.questions:
        parts = []
        for part in question.parts:
            override = overrides.get(part.id)
            parts.append(part if override is None else _override_part(part, override, source))
        questions.append(dataclasses.replace(question, parts=tuple(parts)))
    return dataclasses.replace(record, questions=tuple(questions))


def _override_part(part: GradedPart, override: Override, source: Path) -> GradedPart:
    if not 0 <= override.score <= part.max_score:
        raise OverrideError(
            f"{source}: {override.submission}: {part.id}: score {override.score:g} is outside 0 to {part.max_score:g}"
        )
    credit = override.score / part.max_score if part.max_score else 1.0
    return dataclasses.replace(
        part,
        score=override.score,
        verdict=verdict_for_credit(credit),
        override_comment=override.comment,
        graded_score=part.score,
        graded_verdict=part.verdict,
    )


__all__ = ["OVERRIDES_FILE", "Override", "OverrideError", "apply_overrides", "load_overrides"]
