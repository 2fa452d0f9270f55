"""``validate`` proves an answer key: each problem is one located sentence, and the CLI fails on it."""

from __future__ import annotations

import dataclasses
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from autograder import validation
from autograder.cli import EXIT_CONFIG, EXIT_OK, main
from autograder.graders import REGISTRY
from autograder.graders.base import GraderKind
from autograder.mathread import Unreadable
from autograder.result import Outcome
from autograder.session import load_key
from autograder.spec import Part
from tests.conftest import HW9_PROBLEMS, HW9_REFERENCE, TINY

# --- a fake kind, so each check is seen on its own -------------------------------------------------


def _read(text: str, part: Part) -> str:
    if "!" in text:
        raise Unreadable("no '!' here")
    return text.strip()


def _grade(answer: str, reference: str, part: Part) -> Outcome:
    if answer == reference and answer != "broken":  # "broken": a reference that cannot earn credit
        return Outcome("correct", 1.0, "Correct.", "echo:equal")
    return Outcome("incorrect", 0.0, "Not the same.", "echo:different")


def _check_reference(part: Part, reference: Any) -> str | None:
    if reference == "boom":
        raise RuntimeError("the hook itself failed")
    return "the reference class does not run" if reference == "crashes" else None


ECHO = GraderKind(
    name="echo",
    params=REGISTRY["manual"].params,
    read=_read,
    grade=_grade,
    matches=lambda a, b, part: a == b,
    show=str,
    example="some text",
    check_reference=_check_reference,
)


@pytest.fixture
def echo_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, "echo", ECHO)
    monkeypatch.setitem(REGISTRY, "echo_named", dataclasses.replace(ECHO, name="echo_named", names=lambda r: {r}))


def _set(tmp_path: Path, part: str, reference: str, kind: str = "echo") -> Path:
    problems = tmp_path / "problems"
    problems.mkdir()
    (problems / "q.yaml").write_text(f"id: q\nparts:\n  a:\n    kind: {kind}\n{part}", encoding="utf-8")
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "answers.yaml").write_text(f"q:\n  a: {reference}\n", encoding="utf-8")
    return problems


def _validate(problems: Path) -> list[str]:
    return validation.validate(load_key(problems=problems, reference=problems.parent / "reference"))


FAKE_KIND_CASES = [
    # (part keys, reference answer, the exact problems validate reports)
    ("", "fine", []),
    (
        "",
        "broken",
        [
            "q.yaml: parts.a: the reference answer 'broken' does not earn full credit on its own grader: "
            "incorrect (0/1): Not the same."
        ],
    ),
    ("", "crashes", ["q.yaml: parts.a: the reference answer fails: the reference class does not run"]),
    ("", "boom", ["q.yaml: parts.a: could not check the reference: RuntimeError: the hook itself failed"]),
    (
        "    rules: [{answer: fine, message: m}]\n",
        "fine",
        [
            "q.yaml: parts.a.rules[0]: answer 'fine' earns full credit as the reference, which is checked "
            "first, so this rule never fires for it"
        ],
    ),
    (
        "    rules: [{answers: [x, y], message: m}, {answers: [z, y], message: n}]\n",
        "fine",
        [
            "q.yaml: parts.a.rules[1]: answer 'y' is already matched by rules[0], which is tried first, "
            "so this rule never fires for it"
        ],
    ),
    (
        "    rules: [{mentions: [x], message: m}]\n    symbols: {x: real}\n",
        "fine",
        [
            "q.yaml: parts.a.rules[0].mentions: kind 'echo' cannot tell which names an answer uses, "
            "so mentions never fire; list the answers instead"
        ],
    ),
    ("    example: 'a format, not an answer'\n", "fine", []),
    ("    example: 'fine!'\n", "fine", []),  # unreadable as an answer: prose, never a correct answer
    (
        "    example: fine\n",
        "fine",
        [
            "q.yaml: parts.a.example: 'fine' earns full credit, so a student whose answer is unreadable "
            "would be shown the answer; give an example of the format that is not the answer"
        ],
    ),
    (
        "",
        "some text",  # the kind's own format example is this part's answer
        [
            "q.yaml: parts.a: the format example of kind 'echo': 'some text' earns full credit, so a student "
            "whose answer is unreadable would be shown the answer; give an example of the format that is "
            "not the answer"
        ],
    ),
    (
        "    accept: [fine, other]\n    reject: [fine]\n",
        "fine",
        [
            "q.yaml: parts.a: sample 'other' should get full credit, got incorrect (0/1): Not the same.",
            "q.yaml: parts.a: sample 'fine' should get less than full credit, got correct (1/1): Correct.",
        ],
    ),
]


@pytest.mark.usefixtures("echo_kind")
@pytest.mark.parametrize(("part", "reference", "expected"), FAKE_KIND_CASES)
def test_each_check_reports_a_located_sentence(tmp_path: Path, part: str, reference: str, expected: list[str]) -> None:
    assert _validate(_set(tmp_path, part, reference)) == expected


@pytest.mark.usefixtures("echo_kind")
def test_a_hook_problem_several_parts_share_is_one_sentence(tmp_path: Path) -> None:
    problems = tmp_path / "problems"
    problems.mkdir()
    (problems / "q.yaml").write_text("id: q\nparts:\n  a: {kind: echo}\n  b: {kind: echo}\n", encoding="utf-8")
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "answers.yaml").write_text("q:\n  a: crashes\n  b: crashes\n", encoding="utf-8")
    assert _validate(problems) == [
        "q.yaml: parts.a: the reference answer fails: the reference class does not run (the same for q.b)"
    ]


MENTIONS_CASES = [
    # a kind that can name an answer's symbols: which mentions are dead
    (
        "[{mentions: [x], message: m}, {mentions: [x, y], message: n}]",
        [
            "q.yaml: parts.a.rules[1].mentions: 'x' is already mentioned by rules[0], which is tried first, "
            "so it never fires here"
        ],
    ),
    ("[{mentions: [x], message: m}, {mentions: [y], message: n}]", []),
    ("[{mentions: [fine], message: m}]", []),  # a name the reference uses: fires for wrong answers using it
]


@pytest.mark.usefixtures("echo_kind")
@pytest.mark.parametrize(("rules", "expected"), MENTIONS_CASES)
def test_a_mention_an_earlier_rule_already_makes_is_dead(tmp_path: Path, rules: str, expected: list[str]) -> None:
    part = f"    symbols: {{x: real, y: real, fine: real}}\n    rules: {rules}\n"
    assert _validate(_set(tmp_path, part, "fine", kind="echo_named")) == expected


# --- the real kinds, on a copy of the tiny set ------------------------------------------------------


def _tiny(tmp_path: Path) -> Path:
    shutil.copytree(TINY / "problems", tmp_path / "problems")
    shutil.copytree(TINY / "reference", tmp_path / "reference")
    return tmp_path / "problems"


REFERENCE_ID_CASES = [
    (
        "algo.nmae: sort",
        "algo.nmae: no part has this id, so this reference is never used, did you mean 'algo.name'?",
    ),
    (
        "mech.sort: O(n)",
        "mech.sort: no part has this id; 'sort' is a part of algo.sort: is this reference filed under the "
        "wrong question?",
    ),
    ("physics.zzz: 1", "physics.zzz: no part has this id, so this reference is never used"),
]


@pytest.mark.parametrize(("line", "expected"), REFERENCE_ID_CASES)
def test_unknown_and_misplaced_reference_ids_are_named(tmp_path: Path, line: str, expected: str) -> None:
    problems = _tiny(tmp_path)
    answers = tmp_path / "reference" / "answers.yaml"
    answers.write_text(answers.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")
    assert _validate(problems) == [f"{answers}: {expected}"]


def test_a_reference_for_a_group_of_parts_is_named(tmp_path: Path) -> None:
    problems = tmp_path / "problems"
    problems.mkdir()
    (problems / "q.yaml").write_text(
        "id: q\nparts:\n  a.i: {kind: numeric}\n  a.ii: {kind: numeric}\n", encoding="utf-8"
    )
    (tmp_path / "reference").mkdir()
    answers = tmp_path / "reference" / "answers.yaml"
    answers.write_text("q.a.i: 1\nq.a.ii: 2\nq.a: 3\n", encoding="utf-8")
    assert _validate(problems) == [
        f"{answers}: q.a: not a part but a group of parts (q.a.i, q.a.ii); give each part its own reference answer"
    ]


def test_real_kinds_report_dead_rules_and_examples(tmp_path: Path) -> None:
    problems = _tiny(tmp_path)
    mech = problems / "mech.yaml"
    text = mech.read_text(encoding="utf-8")
    text = text.replace(
        "        message: Check the factor 1/2 in the kinetic energy.\n",
        "        message: Check the factor 1/2 in the kinetic energy.\n"
        "      - {answers: ['v^2 m', 'm v^2/2'], message: dead}\n",
    )
    text = text.replace("    abs_tol: 0.005\n", "    abs_tol: 0.005\n    example: '9.810'\n")
    mech.write_text(text, encoding="utf-8")
    assert _validate(problems) == [
        "mech.yaml: parts.energy.rules[1]: answer 'v^2 m' is already matched by rules[0], which is tried first, "
        "so this rule never fires for it",
        "mech.yaml: parts.energy.rules[1]: answer 'm v^2/2' earns full credit as the reference, which is "
        "checked first, so this rule never fires for it",
        "mech.yaml: parts.g.example: '9.810' earns full credit, so a student whose answer is unreadable would be "
        "shown the answer; give an example of the format that is not the answer",
    ]


def test_a_reference_that_is_only_shown_is_not_graded(tmp_path: Path) -> None:
    """``manual`` never compares: its reference (a model answer) earns no credit and is fine."""
    problems = _tiny(tmp_path)
    answers = tmp_path / "reference" / "answers.yaml"
    answers.write_text(
        answers.read_text(encoding="utf-8").replace("mech:\n", "mech:\n  explain: Air drag aside, g is the same.\n"),
        encoding="utf-8",
    )
    assert _validate(problems) == []


def test_hw9_and_the_tiny_set_are_consistent(tmp_path: Path) -> None:
    assert _validate(_tiny(tmp_path)) == []
    assert validation.validate(load_key(problems=HW9_PROBLEMS, reference=HW9_REFERENCE)) == []


# --- through the CLI: exit code and the sentences --------------------------------------------------


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["validate", *args], out=out)
    return code, out.getvalue()


def test_cli_fails_on_a_mistyped_boolean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problems = _tiny(tmp_path)
    mech = problems / "mech.yaml"
    mech.write_text(
        mech.read_text(encoding="utf-8").replace("    kind: manual\n", "    kind: manual\n    show_reference: flase\n"),
        encoding="utf-8",
    )
    code, _ = _cli(str(problems))
    assert code == EXIT_CONFIG
    assert "mech.yaml: parts.explain.show_reference: expected true or false, not the text 'flase'" in (
        capsys.readouterr().err
    )


def test_cli_fails_on_an_unknown_reference_id(tmp_path: Path) -> None:
    problems = _tiny(tmp_path)
    answers = tmp_path / "reference" / "answers.yaml"
    answers.write_text(answers.read_text(encoding="utf-8") + "algo.sorting: O(n log n)\n", encoding="utf-8")
    code, printed = _cli(str(problems))
    assert code == EXIT_CONFIG
    assert f"{answers}: algo.sorting: no part has this id, so this reference is never used, did you mean" in printed


def test_cli_passes_the_tiny_set(tmp_path: Path) -> None:
    code, printed = _cli(str(_tiny(tmp_path)))
    assert code == EXIT_OK, printed


def _hw9_without_samples(tmp_path: Path, question: str) -> tuple[Path, Path]:
    """A copy of HW9 with one question's accept:/reject: samples removed (a broken reference
    must be found without them)."""
    problems = tmp_path / "problems"
    shutil.copytree(HW9_PROBLEMS, problems)
    (problems / "set.yaml").write_text("reference: ../reference\n", encoding="utf-8")
    spec = problems / f"{question}.yaml"
    lines = spec.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith(("accept:", "reject:"))]
    spec.write_text("".join(kept), encoding="utf-8")
    shutil.copytree(HW9_REFERENCE, tmp_path / "reference")
    return problems, tmp_path / "reference"


def test_cli_fails_on_a_broken_reference_class_without_samples(tmp_path: Path) -> None:
    problems, reference = _hw9_without_samples(tmp_path, "q3")
    mha = reference / "mha.py"
    mha.write_text(mha.read_text(encoding="utf-8").replace("def forward", "def forwrd"), encoding="utf-8")
    code, printed = _cli(str(problems))
    assert code == EXIT_CONFIG
    assert "q3.yaml: parts.b: the reference answer" in printed, printed


def test_cli_fails_on_a_broken_reference_blank_without_samples(tmp_path: Path) -> None:
    problems, reference = _hw9_without_samples(tmp_path, "q3")
    answers = reference / "answers.yaml"
    answers.write_text(
        answers.read_text(encoding="utf-8").replace("    g: self.num_heads\n", "    g: self.num_head\n"),
        encoding="utf-8",
    )
    code, printed = _cli(str(problems))
    assert code == EXIT_CONFIG
    # every blank runs in the one reference-filled template: one sentence, naming the blank
    (sentence,) = [line for line in printed.splitlines() if "the reference answer fails" in line]
    assert sentence.startswith("q3.yaml: parts.a.a: the reference answer fails: reference blank (g)"), printed
    assert sentence.endswith("(the same for q3.a.b, q3.a.c, q3.a.d, q3.a.e, q3.a.f, q3.a.g, q3.a.h)"), printed
