"""``autograder validate``: prove an answer key before any student is graded against it.

``validate(key)`` returns the problems found, each a located sentence
(``file: key.path: what``); an empty list means the key is consistent. It checks:

1. every part's reference earns full credit on its own grader, graded exactly as a
   student's answer would be, and passes the kind's ``check_reference`` hook (code
   kinds run the reference in the sandbox there);
2. no rule is dead. The reference is compared first and rules are tried in order,
   so a rule answer that earns full credit as the reference, an answer an earlier
   rule already matches, a ``mentions:`` name an earlier rule already mentions, and
   ``mentions:`` on a kind that cannot tell which names an answer uses can never
   decide a grade. A ``mentions:`` name the reference itself uses is *not* dead
   (correct answers never reach the rules; the rule still fires for every wrong
   answer using the name), so it is not reported;
3. every id in the reference's answers.yaml is a part of the set (an unknown id is
   named with the closest part; one filed under the wrong question is called so);
4. no format example (the spec's ``example:``, else the kind's) earns full credit:
   it is shown to a student whose answer was unreadable, and would give the answer away;
5. every ``accept:`` sample earns full credit and every ``reject:`` sample less.

Checks 1, 2 and 4 need a reference that is compared: a kind whose reference is only
shown (``needs_reference=False``: ``manual`` never grades, so its model answer could
never earn credit) gets only check 5. A check that fails inside a grader is itself
reported, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from autograder.graders import REGISTRY
from autograder.grading import example, grade_part
from autograder.mathread import Unreadable
from autograder.problem import Part, ProblemSet, Rule
from autograder.result import PartResult
from autograder.spec import closest
from autograder.submission import ANSWERS_FILE, Answer

if TYPE_CHECKING:
    from autograder.session import AnswerKey


def validate(key: AnswerKey) -> list[str]:
    """Every problem of the key, as located sentences, in the order of the parts."""
    answers_file = f"{key.reference / ANSWERS_FILE}" if key.reference is not None else ANSWERS_FILE
    found = list(reference_ids(key.problems, list(key.texts), answers_file))
    hook_problems: dict[str, list[Part]] = {}
    for part in key.problems.parts:
        reading = key.readings.get(part.id)
        if reading is not None and REGISTRY[part.kind].needs_reference:  # else it is only shown
            text = key.texts.get(part.id)
            found.extend(_guarded("the reference", reference_problems, part, text, reading))
            for problem in hook_problems_of(part, reading):
                if problem not in hook_problems:
                    found.append(problem)  # its place; the parts that share it are added below
                hook_problems.setdefault(problem, []).append(part)
            found.extend(_guarded("the rules", dead_rules, part, reading))
            found.extend(_guarded("the format example", example_problems, part, reading))
        found.extend(_guarded("the samples", sample_problems, part, reading))
    return [_shared(problem, hook_problems.get(problem, [])) for problem in found]


def _guarded(what: str, check: Callable[..., Iterator[str]], part: Part, *args: Any) -> list[str]:
    """Run one check; a grader that fails while checking is reported, not raised."""
    try:
        return list(check(part, *args))
    except Exception as error:  # a grader bug must show up as a finding, not stop validate
        return [f"{part.where}: could not check {what}: {type(error).__name__}: {error}"]


def _shared(problem: str, parts: list[Part]) -> str:
    """One sentence for a hook problem several parts share (one broken blank breaks the
    template every blank of it runs in), located at the first, naming the others."""
    if len(parts) < 2:
        return f"{parts[0].where}: {problem}" if parts else problem
    others = ", ".join(part.id for part in parts[1:])
    return f"{parts[0].where}: {problem} (the same for {others})"


# --- 1. the reference earns full credit ------------------------------------------------------------


def reference_problems(part: Part, text: str | None, reading: Any) -> Iterator[str]:
    """The reference, graded as a student's answer, must earn full credit."""
    if text is not None:
        result = grade_part(part, Answer(text), reading)
        if result.verdict != "correct":
            yield (
                f"{part.where}: the reference answer {_short(text)} does not earn full credit on its own "
                f"grader: {_outcome(result)}"
            )


def hook_problems_of(part: Part, reading: Any) -> list[str]:
    """The kind's own proof of the reference (code kinds run it in the sandbox), unlocated."""
    hook = REGISTRY[part.kind].check_reference
    try:
        problem = hook(part, reading) if hook is not None else None
    except Exception as error:  # a grader bug must show up as a finding, not stop validate
        return [f"could not check the reference: {type(error).__name__}: {error}"]
    return [f"the reference answer fails: {problem}"] if problem else []


# --- 2. rules that can never fire ------------------------------------------------------------------


def dead_rules(part: Part, reference: Any) -> Iterator[str]:
    """Rules (or answers and names of rules) that can never decide a grade."""
    kind = REGISTRY[part.kind]
    for index, rule in enumerate(part.rules):
        where = f"{part.where}.rules[{index}]"
        earlier = part.rules[:index]
        for answer, reading in zip(rule.answers, rule.readings, strict=True):
            if kind.grade(reading, reference, part).verdict == "correct":
                yield (
                    f"{where}: answer {_short(answer)} earns full credit as the reference, which is "
                    "checked first, so this rule never fires for it"
                )
                continue
            catching = next((i for i, other in enumerate(earlier) if _applies(part, other, reading)), None)
            if catching is not None:
                yield (
                    f"{where}: answer {_short(answer)} is already matched by rules[{catching}], which is "
                    "tried first, so this rule never fires for it"
                )
        yield from _dead_mentions(part, rule, where, earlier)


def _dead_mentions(part: Part, rule: Rule, where: str, earlier: tuple[Rule, ...]) -> Iterator[str]:
    if not rule.mentions:
        return
    if REGISTRY[part.kind].names is None:
        yield (
            f"{where}.mentions: kind '{part.kind}' cannot tell which names an answer uses, "
            "so mentions never fire; list the answers instead"
        )
        return
    for name in rule.mentions:
        catching = next((i for i, other in enumerate(earlier) if name in other.mentions), None)
        if catching is not None:
            yield (
                f"{where}.mentions: '{name}' is already mentioned by rules[{catching}], which is tried "
                "first, so it never fires here"
            )


def _applies(part: Part, rule: Rule, reading: Any) -> bool:
    """Would ``rule`` fire for an answer read as ``reading``? (as :func:`grading.decide` tries it)"""
    kind = REGISTRY[part.kind]
    if rule.mentions and kind.names is not None and set(rule.mentions) & kind.names(reading):
        return True
    return any(kind.matches(reading, known, part) for known in rule.readings)


# --- 3. reference ids -----------------------------------------------------------------------------


def reference_ids(problems: ProblemSet, ids: list[str], answers_file: str) -> Iterator[str]:
    """Every reference id names a part; else say which part it was probably meant for."""
    parts = {part.id: part for part in problems.parts}
    for answer_id in ids:
        if answer_id in parts:
            continue
        rest = answer_id.partition(".")[2]
        elsewhere = [part.id for part in problems.parts if rest and part.id.partition(".")[2] == rest]
        inside = [part.id for part in problems.parts if part.id.startswith(answer_id + ".")]
        if inside:
            yield (
                f"{answers_file}: {answer_id}: not a part but a group of parts ({', '.join(inside[:4])}"
                f"{', …' if len(inside) > 4 else ''}); give each part its own reference answer"
            )
        elif elsewhere:
            yield (
                f"{answers_file}: {answer_id}: no part has this id; '{rest}' is a part of "
                f"{' and '.join(elsewhere)}: is this reference filed under the wrong question?"
            )
        else:
            close = closest(answer_id, sorted(parts))
            hint = f", did you mean '{close}'?" if close else ""
            yield f"{answers_file}: {answer_id}: no part has this id, so this reference is never used{hint}"


# --- 4. format examples ---------------------------------------------------------------------------


def example_problems(part: Part, reference: Any) -> Iterator[str]:
    """The format example shown with an unreadable answer must not be a correct answer."""
    shown = example(part)
    if not shown.strip():
        return
    try:
        REGISTRY[part.kind].read(shown, part)
    except Unreadable:
        return  # a prose example ("2x + 1 or 2*x + 1") is not an answer itself
    result = grade_part(part, Answer(shown), reference)
    if result.verdict == "correct":
        where = f"{part.where}.example" if part.example else f"{part.where}: the format example of kind '{part.kind}'"
        yield (
            f"{where}: {_short(shown)} earns full credit, so a student whose answer is unreadable "
            "would be shown the answer; give an example of the format that is not the answer"
        )


# --- 5. accept/reject samples ---------------------------------------------------------------------


def sample_problems(part: Part, reference: Any) -> Iterator[str]:
    """Every ``accept:`` sample earns full credit and every ``reject:`` sample less."""
    expected = [(sample, True) for sample in part.accept] + [(sample, False) for sample in part.reject]
    for sample, should_pass in expected:
        result = grade_part(part, Answer(sample), reference)
        if (result.verdict == "correct") != should_pass:
            wanted = "full credit" if should_pass else "less than full credit"
            yield f"{part.where}: sample {sample!r} should get {wanted}, got {_outcome(result)}"


def _outcome(result: PartResult) -> str:
    first = result.feedback.splitlines()[0] if result.feedback else ""
    return f"{result.verdict} ({result.score:g}/{result.max_score:g}): {first}"


def _short(text: str) -> str:
    """An answer quoted in a message; a long one (a whole class) by its first line and length."""
    lines = text.strip().splitlines() or [""]
    first = lines[0] if len(lines[0]) <= 50 else lines[0][:50] + "…"
    return repr(first) + (f" ({len(lines)} lines)" if len(lines) > 1 else "")
