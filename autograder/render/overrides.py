"""``overrides.yaml``: an instructor's grades, applied on top of the graders'.

```yaml
03-typical-mistakes:            # submission (its folder name)
  q2.b:                         # answer id
    score: 1                    # points, 0 to the part's maximum
    comment: Mentions the zero gradient; half credit.   # shown to the student

groups:                         # decisions about answer groups (the report's review queue)
  "q2.b#1a2b3c4d":              # a group by its stable id, as the report shows it
    score: 1
    comment: Names the zero gradient but not its effect.
  q6.b:                         # or a part, with answers as the report reads them
    - answer: "sim(q,k) > 0 for all q, k"
      score: 1
      comment: Right condition.
```

A group decision grades every answer in the group at once. It is applied again at every
``autograder report``, so after a regrade it covers exactly the answers that still fall
in the group (same reading, same grader note): an answer its author changed, or that the
grader now reads differently, leaves the group and gets its graded score back. An answer
matches ``answer:`` when its answer as read, or the grader's canonical text of it, is that
text (white space ignored), whatever the grader now says of it; such a decision must
designate one group: when answers of several groups read alike (code is shown as a
summary, "Python source, 35 lines"), it is an error asking for the group ids. An entry
for one submission and part wins over a group decision that covers it.

Every entry must match something graded: a submission, part, group id or answer that
matches nothing is an error (with the closest names or groups), never skipped, because a
decision that silently stops applying would publish the grader's provisional score as
if the instructor had agreed with it. ``groups`` is therefore not usable as a
submission name here.

Overrides are applied when reports are built (``autograder report``); the
graders' records (``result.json``, ``results.json``) are never rewritten, so
removing a line restores the graded score.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from autograder.groups import group_of, shown
from autograder.render.records import GradedPart, GradedSubmission
from autograder.result import verdict_for_credit
from autograder.spec import suggest

OVERRIDES_FILE = "overrides.yaml"
GROUPS_KEY = "groups"
"""The top-level key of group decisions."""
GROUP_ID = re.compile(r"^(?P<part>[^#\s]+)#(?P<hex>[0-9a-f]+)$")
ENTRY_KEYS = ("score", "comment")
ANSWER_KEYS = ("answer", *ENTRY_KEYS)
SHOWN_GROUPS = 5
"""Groups of a part listed when a group entry matches nothing."""


class OverrideError(Exception):
    """An overrides file that cannot be applied, located as ``file: submission: part: what``."""


@dataclass(frozen=True)
class Override:
    submission: str
    part: str
    score: float
    comment: str


@dataclass(frozen=True)
class GroupDecision:
    """One grade for every answer in a group: by its stable id, or by the answer as read."""

    part: str
    score: float
    comment: str
    group: str = ""
    """A stable group id ``<part>#<hex>``; empty when the decision names an answer."""
    answer: str = ""
    """The answer as read (or the grader's canonical text); empty when it names a group id."""

    @property
    def label(self) -> str:
        """How reports and messages name the decision."""
        return self.group or f'{self.part}: "{self.answer}"'

    def matches(self, part: GradedPart, group: str) -> bool:
        """Whether the decision covers ``part``, whose group id is ``group``."""
        if self.group:
            return group == self.group
        if part.id != self.part or part.answer_as_read is None:
            return False
        wanted = _collapse(self.answer)
        return wanted in (_collapse(part.answer_as_read), _collapse(part.group))


@dataclass(frozen=True)
class Overrides:
    """Everything in one overrides file."""

    submissions: tuple[Override, ...] = ()
    groups: tuple[GroupDecision, ...] = ()


def load_overrides(path: Path) -> Overrides:
    """The overrides in ``path``; none when the file does not exist."""
    if not path.is_file():
        return Overrides()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise OverrideError(f"{path}: not valid YAML: {error}") from None
    if data is None:
        return Overrides()
    if not isinstance(data, Mapping):
        raise OverrideError(f"{path}: expected a mapping submission → {{part id: {{score, comment}}}}")
    overrides = []
    groups: list[GroupDecision] = []
    for submission, parts in data.items():
        where = f"{path}: {submission}"
        if str(submission) == GROUPS_KEY:
            groups.extend(_group_decisions(parts, where))
            continue
        if not isinstance(parts, Mapping):
            raise OverrideError(f"{where}: expected a mapping part id → {{score, comment}}")
        for part_id, entry in parts.items():
            overrides.append(_override(str(submission), str(part_id), entry, f"{where}: {part_id}"))
    return Overrides(tuple(overrides), tuple(groups))


def _override(submission: str, part_id: str, entry: Any, where: str) -> Override:
    score, comment = _entry(_mapping_entry(entry, where), ENTRY_KEYS, where)
    return Override(submission, part_id, score, comment)


def _group_decisions(data: Any, where: str) -> list[GroupDecision]:
    if not isinstance(data, Mapping):
        raise OverrideError(
            f"{where}: expected a mapping group id → {{score, comment}}, or part id → [{{answer, score, comment}}]"
        )
    decisions = []
    for key, value in data.items():
        name, here = str(key), f"{where}: {key}"
        if "#" in name:
            decisions.append(_by_id(name, value, here))
        else:
            entries = value if isinstance(value, list) else [value]
            decisions.extend(_by_answer(name, entry, f"{here}[{index}]") for index, entry in enumerate(entries))
    return decisions


def _by_id(name: str, value: Any, where: str) -> GroupDecision:
    found = GROUP_ID.match(name)
    if found is None:
        raise OverrideError(f"{where}: not a group id; copy one from the report's review queue (<part>#<hex digits>)")
    score, comment = _entry(_mapping_entry(value, where), ENTRY_KEYS, where)
    return GroupDecision(found["part"], score, comment, group=name)


def _by_answer(part_id: str, entry: Any, where: str) -> GroupDecision:
    if not isinstance(entry, Mapping):
        raise OverrideError(f"{where}: expected {{answer: <as read>, score: <points>, comment: <text>}}")
    answer = entry.get("answer")
    if not isinstance(answer, str) or not answer.strip():
        raise OverrideError(f"{where}: 'answer' must be the answer as the report reads it, not {answer!r}")
    score, comment = _entry(entry, ANSWER_KEYS, where)
    return GroupDecision(part_id, score, comment, answer=answer)


def _mapping_entry(entry: Any, where: str) -> Mapping[Any, Any]:
    if isinstance(entry, int | float) and not isinstance(entry, bool):
        return {"score": entry}
    if not isinstance(entry, Mapping):
        raise OverrideError(f"{where}: expected {{score: <points>, comment: <text>}}")
    return entry


def _entry(entry: Mapping[Any, Any], keys: Sequence[str], where: str) -> tuple[float, str]:
    unknown = [str(key) for key in entry if key not in keys]
    if unknown:
        raise OverrideError(f"{where}: unknown key '{unknown[0]}'{suggest(unknown[0], list(keys))}")
    score = entry.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise OverrideError(f"{where}: score must be a number of points, not {score!r}")
    return float(score), str(entry.get("comment") or "")


def apply_overrides(
    records: Sequence[GradedSubmission], overrides: Overrides | Sequence[Override], source: Path
) -> list[GradedSubmission]:
    """The records with each override applied (a per-submission entry before a group decision);
    an entry matching nothing graded is an error."""
    if not isinstance(overrides, Overrides):
        overrides = Overrides(tuple(overrides))
    wanted = _per_submission(records, overrides.submissions, source)
    decided = _decided(records, overrides.groups, source)
    return [
        _apply(record, wanted.get(record.submission, {}), decided.get(record.submission, {}), source)
        for record in records
    ]


def _per_submission(
    records: Sequence[GradedSubmission], overrides: Sequence[Override], source: Path
) -> dict[str, dict[str, Override]]:
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
    return wanted


def _decided(
    records: Sequence[GradedSubmission], decisions: Sequence[GroupDecision], source: Path
) -> dict[str, dict[str, GroupDecision]]:
    """``submission → part → the group decision`` covering it; every decision must cover one."""
    if decisions and any(record.submission == GROUPS_KEY for record in records):
        raise OverrideError(
            f"{source}: a graded submission is named '{GROUPS_KEY}', which overrides.yaml reserves for "
            "group decisions; rename its folder and grade it again"
        )
    decided: dict[str, dict[str, GroupDecision]] = {}
    matched: set[GroupDecision] = set()
    groups_covered: dict[GroupDecision, set[str]] = {}
    if not decisions:
        return decided
    for record in records:
        for part in record.parts:
            group = group_of(part)
            covering = [decision for decision in decisions if decision.matches(part, group)]
            if not covering:
                continue
            matched.update(covering)
            for decision in covering:
                groups_covered.setdefault(decision, set()).add(group)
            if len({(decision.score, decision.comment) for decision in covering}) > 1:
                labels = " and ".join(decision.label for decision in covering)
                raise OverrideError(
                    f"{source}: {GROUPS_KEY}: {labels} decide {record.submission}'s {part.id} differently; keep one"
                )
            decided.setdefault(record.submission, {})[part.id] = covering[0]
    for decision in decisions:
        if decision not in matched:
            raise OverrideError(f"{source}: {GROUPS_KEY}: {decision.label}: {_unmatched(decision, records)}")
        covered = sorted(groups_covered.get(decision, ()))
        if decision.answer and len(covered) > 1:  # a summary ("Python source, 35 lines") shared by different answers
            raise OverrideError(
                f"{source}: {GROUPS_KEY}: {decision.label}: answers of {len(covered)} different groups read like "
                f"this ({', '.join(covered[:SHOWN_GROUPS])}); decide each by its group id"
            )
    return decided


def _unmatched(decision: GroupDecision, records: Sequence[GradedSubmission]) -> str:
    """Why a group decision matched nothing, with the part's groups now to choose from."""
    parts = [part for record in records for part in record.parts]
    ids = list(dict.fromkeys(part.id for part in parts))
    if decision.part not in ids:
        return f"no such part{suggest(decision.part, ids)}"
    mine = [part for part in parts if part.id == decision.part]
    if decision.group:
        choices = list(dict.fromkeys(group_of(part) for part in mine))
        what = "no graded answer is in this group (a regraded answer that reads differently leaves its group)"
        close = difflib.get_close_matches(decision.group, choices, n=1, cutoff=0.8)
    else:
        choices = list(dict.fromkeys(shown(part) for part in mine))
        what = "no graded answer reads as this"
        close = difflib.get_close_matches(decision.answer, choices, n=1, cutoff=0.6)
    if close:
        return f"{what}; did you mean '{close[0]}'?"
    listed = ", ".join(f"'{choice}'" for choice in choices[:SHOWN_GROUPS])
    more = f" and {len(choices) - SHOWN_GROUPS} more" if len(choices) > SHOWN_GROUPS else ""
    return f"{what}; the report's review queue lists the groups (e.g. {listed}{more})"


def _apply(
    record: GradedSubmission,
    overrides: Mapping[str, Override],
    decided: Mapping[str, GroupDecision],
    source: Path,
) -> GradedSubmission:
    if not overrides and not decided:
        return record
    questions = []
    for question in record.questions:
        parts = []
        for part in question.parts:
            override = overrides.get(part.id)
            decision = decided.get(part.id)
            if override is not None:
                where = f"{override.submission}: {part.id}"
                part = _override_part(part, override.score, override.comment, where, source)
            elif decision is not None:
                where = f"{GROUPS_KEY}: {decision.label} ({record.submission})"
                part = _override_part(part, decision.score, decision.comment, where, source, decision.label)
            parts.append(part)
        questions.append(dataclasses.replace(question, parts=tuple(parts)))
    return dataclasses.replace(record, questions=tuple(questions))


def _override_part(
    part: GradedPart, score: float, comment: str, where: str, source: Path, group: str | None = None
) -> GradedPart:
    if not 0 <= score <= part.max_score:
        raise OverrideError(f"{source}: {where}: score {score:g} is outside 0 to {part.max_score:g}")
    credit = score / part.max_score if part.max_score else 1.0
    return dataclasses.replace(
        part,
        score=score,
        verdict=verdict_for_credit(credit),
        override_comment=comment,
        override_group=group,
        graded_score=part.score,
        graded_verdict=part.verdict,
    )


def _collapse(text: str | None) -> str:
    """The text without white space: ``sim(q,k)`` matches ``sim(q, k)`` as the report shows it."""
    return "".join((text or "").split())


__all__ = [
    "GROUPS_KEY",
    "OVERRIDES_FILE",
    "GroupDecision",
    "Override",
    "OverrideError",
    "Overrides",
    "apply_overrides",
    "load_overrides",
]
