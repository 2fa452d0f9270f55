"""The student bundle (``autograder bundle --student``), built from the real problem sets.

It must give no answer away (reference answers, sample answers, rules, rubric
concepts: none of it in any bundled file, the wheel included), read every answer of
the example submissions exactly as the full specs do, refuse to be graded, build
twice to the same bytes, and install in a fresh venv without torch, where
``autograder check`` works.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from autograder import api, student, student_format
from autograder.cli import EXIT_CONFIG, main
from autograder.errors import ConfigError
from autograder.graders import REGISTRY
from autograder.spec import SpecError, load_problem_set
from autograder.submission import load_submission
from tests.conftest import ROOT

SETS = {
    "hw9": ROOT / "submissions",
    "hw10": ROOT / "tests" / "fixtures" / "hw10" / "submissions",
}
WHITESPACE = re.compile(r"\s+")
SHORT = 8
"""Secrets shorter than this (``Q``, ``d``, ``[h, d, q]``) are looked for as whole values
of their own part's text in the bundled specs (its title, prompt and example; a ``12``
of the kept constructor arguments, or a given vector's name ``v2``, is no leak), longer
ones anywhere in them."""
IN_WHEEL = 25
"""Secrets at least this long (messages, descriptions, patterns, reference code) must not
be in the wheel either; shorter ones (``softmax``) are ordinary words of the package's code."""


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """hw9's and hw10's student bundles, each built once into a folder."""
    root = tmp_path_factory.mktemp("bundles")
    return {name: student.build(root / name, problems=ROOT / "problems" / name).path for name in SETS}


def _normalized(text: str) -> str:
    return WHITESPACE.sub("", text)


def _bundle_files(folder: Path) -> Iterator[tuple[str, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(folder).as_posix(), path.read_bytes()


def _strings(data: Any) -> Iterator[str]:
    """Every text (and number, as YAML wrote it) in YAML data, keys included."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)
    elif data is not None and not isinstance(data, bool):
        yield str(data)


def _secrets(problem_set: str) -> dict[str, set[str]]:
    """Answer id → everything of that part a student must not get: its reference answer (each
    line of a file answer too), accept/reject samples, rules, rubric concepts and
    misconceptions, and the dropped parameters that name answers (term_names,
    alternatives, known_wrong, attributes)."""
    found: dict[str, set[str]] = {}
    reference = load_submission(ROOT / "reference" / problem_set)
    for answer_id, answer in reference.answers.items():
        found.setdefault(answer_id, set()).update([answer.text, *answer.text.splitlines()])
    for part_id, part in _parts(problem_set, "q*.yaml", ROOT / "problems"):
        for key in ("accept", "reject", "rules", "concepts", "misconceptions"):
            found.setdefault(part_id, set()).update(_strings(part.get(key, [])))
        for key in ("term_names", "alternatives", "known_wrong", "attributes"):
            found[part_id].update(_strings(part.get(key, {})))
    return {part_id: {_normalized(text) for text in texts if _normalized(text)} for part_id, texts in found.items()}


def _example_pieces(example: str) -> Iterator[str]:
    """A format example and each alternative it lists (``A or just "B"``, ``A (plain), B (LaTeX)``)."""
    yield example
    for piece in re.split(r"\s+or\s+(?:just\s+)?|\s*\((?:plain|LaTeX)\),?\s*", example):
        yield piece.strip().strip('"')


def _parts(problem_set: str, pattern: str, root: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(answer id, the part's YAML data) of every question spec of the set under ``root``."""
    for path in sorted((root / problem_set).glob(pattern)):
        question = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, part in question["parts"].items():
            yield f"{question['id']}.{key}", part


def _visible(problem_set: str) -> str:
    """What students see anyway: statements, titles, prompts, examples and the code templates."""
    folder = ROOT / "problems" / problem_set
    shown: list[str] = []
    for question in load_problem_set(folder).questions:
        shown += [question.title, question.statement]
        for part in question.parts:
            shown += [part.title, part.prompt, part.example]
            template = getattr(part.params, "template", "")
            if template:
                shown.append((folder / template).read_text(encoding="utf-8"))
    return _normalized("\n".join(shown))


@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_parameter_of_every_kind_is_kept_or_dropped(kind: str) -> None:
    policy = student_format.policy(kind)
    fields = {field.name for field in dataclasses.fields(REGISTRY[kind].params) if not field.metadata.get("internal")}
    assert not set(policy.keep) & set(policy.drop), "a field is either kept or dropped"
    assert set(policy.keep) | set(policy.drop) == fields, "decide (and document) every field"


@pytest.mark.parametrize("problem_set", sorted(SETS))
def test_no_answer_is_in_the_bundle(bundles: dict[str, Path], problem_set: str) -> None:
    visible = _visible(problem_set)
    hidden = {
        part_id: {secret for secret in secrets if secret not in visible}
        for part_id, secrets in _secrets(problem_set).items()
    }
    assert sum(map(len, hidden.values())) > 50, "the secrets were collected"  # a guard against an empty check
    spec_text, wheel_text = "", ""
    for name, content in _bundle_files(bundles[problem_set]):
        if name.endswith(".whl"):
            with zipfile.ZipFile(io.BytesIO(content)) as wheel:
                wheel_text = "".join(_normalized(wheel.read(member).decode("utf-8")) for member in wheel.namelist())
        else:
            spec_text += _normalized(content.decode("utf-8"))
    values = {
        part_id: {_normalized(str(part.get(key, ""))) for key in ("title", "prompt")}
        | {_normalized(piece) for piece in _example_pieces(str(part["example"]))}
        for part_id, part in _parts(problem_set, "q*.yaml", bundles[problem_set] / "problems")
    }
    leaked = sorted(
        (part_id, secret)
        for part_id, secrets in hidden.items()
        for secret in secrets
        if (secret in spec_text if len(secret) >= SHORT else secret in values.get(part_id, set()))
    )
    assert leaked == []
    in_wheel = [secret for secrets in hidden.values() for secret in secrets if len(secret) >= IN_WHEEL]
    assert [secret for secret in in_wheel if secret in wheel_text] == []


@pytest.mark.parametrize("problem_set", sorted(SETS))
def test_check_reads_every_answer_as_the_full_specs_do(bundles: dict[str, Path], problem_set: str) -> None:
    folders = sorted(path for path in SETS[problem_set].iterdir() if path.is_dir())
    assert len(folders) >= 7
    for folder in folders:
        _, full = api.check(folder, problems=ROOT / "problems" / problem_set)
        _, bundled = api.check(folder, problems=bundles[problem_set])  # the bundle's root works as --problems
        assert [answer_id for answer_id, _ in bundled] == [answer_id for answer_id, _ in full]
        for (answer_id, mine), (_, theirs) in zip(bundled, full, strict=True):
            where = f"{folder.name}: {answer_id}"
            if theirs is None:
                assert mine is None, where
                continue
            assert mine is not None, where
            assert (mine.as_read, mine.group, mine.as_read_math) == (theirs.as_read, theirs.group, theirs.as_read_math)
            assert _problem(mine.problem) == _problem(theirs.problem), where


def _problem(problem: str | None) -> str | None:
    """Why an answer cannot be read, without the format example (grading's, which knows the key)."""
    return None if problem is None else problem.split("\nAn accepted way to write it:")[0]


def test_the_bundle_reads_every_answer_of_a_set_and_grades_nothing(bundles: dict[str, Path]) -> None:
    problem_set = api.check(ROOT / "submissions" / "01-perfect-plain", problems=bundles["hw9"])[1]
    assert len(problem_set) == len(load_problem_set(ROOT / "problems" / "hw9").parts)
    loaded = load_problem_set(bundles["hw9"] / "problems" / "hw9")
    assert loaded.student and loaded.reference is None
    assert all(part.rules == () and part.accept == () and part.reject == () for part in loaded.parts)
    rubric = next(part for part in loaded.parts if part.kind == "rubric")
    assert rubric.params.concepts == () and rubric.params.misconceptions == ()


@pytest.mark.parametrize("where", ["", "problems/hw9"])
def test_a_student_bundle_refuses_to_be_graded(bundles: dict[str, Path], where: str) -> None:
    with pytest.raises(ConfigError, match="this is a student bundle without answers; grading needs the instructor"):
        api.load_key(problems=bundles["hw9"] / where)


def test_grade_with_a_student_bundle_says_why(bundles: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["grade", str(ROOT / "submissions"), "--problems", str(bundles["hw9"]), "--out", "/nonexistent"])
    assert code == EXIT_CONFIG
    assert "this is a student bundle without answers" in capsys.readouterr().err
    assert not Path("/nonexistent").exists()


def test_two_builds_are_the_same_bytes(tmp_path: Path) -> None:
    first = student.build(tmp_path / "a" / "hw9-checker.zip", problems=ROOT / "problems" / "hw9")
    second = student.build(tmp_path / "b" / "hw9-checker.zip", problems=ROOT / "problems" / "hw9")
    folder = student.build(tmp_path / "c", problems=ROOT / "problems" / "hw9")
    assert first.path.read_bytes() == second.path.read_bytes()
    with zipfile.ZipFile(first.path) as archive:
        zipped = {name.removeprefix("hw9-checker/"): archive.read(name) for name in archive.namelist()}
        assert {info.date_time for info in archive.infolist()} == {student.TIMESTAMP}
    assert zipped == dict(_bundle_files(folder.path)), "the zip holds the folder's files under one top folder"


def test_bundle_json_marks_the_bundle_and_lists_its_files(bundles: dict[str, Path]) -> None:
    folder = bundles["hw10"]
    marker = json.loads((folder / student_format.BUNDLE_FILE).read_text(encoding="utf-8"))
    assert marker["format"] == student_format.BUNDLE_FORMAT
    assert marker["problems"] == "problems/hw10"
    files = dict(_bundle_files(folder))
    assert set(marker["files"]) == set(files) - {student_format.BUNDLE_FILE}
    assert all(hashlib.sha256(files[name]).hexdigest() == digest for name, digest in marker["files"].items())
    assert sorted(name for name in files if name.startswith("problems/")) == [
        "problems/hw10/cnn_template.py",
        "problems/hw10/q1.yaml",
        "problems/hw10/q2.yaml",
        "problems/hw10/q3.yaml",
        "problems/hw10/q4.yaml",
        "problems/hw10/rnn_cell_template.py",
        "problems/hw10/set.yaml",
    ]
    assert "autograder check" in files["README.md"].decode("utf-8")


def test_the_wheel_installs_the_checker_without_torch(bundles: dict[str, Path]) -> None:
    marker = json.loads((bundles["hw9"] / student_format.BUNDLE_FILE).read_text(encoding="utf-8"))
    with zipfile.ZipFile(bundles["hw9"] / marker["wheel"]) as wheel:
        names = wheel.namelist()
        info = next(name for name in names if name.endswith(".dist-info/METADATA"))
        metadata = wheel.read(info).decode("utf-8").split("\n\n")[0].splitlines()
        entry_points = wheel.read(info.replace("METADATA", "entry_points.txt")).decode("utf-8")
        record = wheel.read(info.replace("METADATA", "RECORD")).decode("utf-8").splitlines()
        for line in record[:-1]:
            name, digest, size = line.rsplit(",", 2)
            content = wheel.read(name)
            hashed = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={hashed}"
            assert int(size) == len(content)
    requires = [line.removeprefix("Requires-Dist: ") for line in metadata if line.startswith("Requires-Dist: ")]
    assert [req for req in requires if req.startswith(("torch", "matplotlib"))] == [
        'torch>=2.2,<=2.14.1; extra == "grade"',
        'matplotlib>=3.7; extra == "grade"',
    ]
    assert "autograder = autograder.launch:main" in entry_points
    assert "autograder/render/templates/report.html" in names and "autograder/py.typed" in names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_a_student_set_carries_no_grading_data(tmp_path: Path) -> None:
    (tmp_path / "set.yaml").write_text("student: true\n", encoding="utf-8")
    spec = "id: q1\nparts:\n  a: {kind: symbolic, symbols: {d: positive}, rules: [{answer: d, message: m}]}\n"
    (tmp_path / "q1.yaml").write_text(spec, encoding="utf-8")
    with pytest.raises(SpecError, match="'rules' is grading data, which a student set"):
        load_problem_set(tmp_path)
    (tmp_path / "q1.yaml").write_text("id: q1\nparts:\n  a: {kind: rubric, concepts: []}\n", encoding="utf-8")
    with pytest.raises(SpecError, match="'concepts' is grading data"):
        load_problem_set(tmp_path)
    (tmp_path / "q1.yaml").write_text("id: q1\nparts:\n  a: {kind: rubric}\n", encoding="utf-8")
    assert load_problem_set(tmp_path).student  # a rubric with no concepts loads: prepare is skipped
    (tmp_path / "set.yaml").write_text("student: true\nreference: ../ref\n", encoding="utf-8")
    with pytest.raises(SpecError, match="a student set"):
        load_problem_set(tmp_path)


def test_a_folder_that_is_no_bundle_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty and holds no student bundle"):
        student.build(tmp_path, problems=ROOT / "problems" / "hw10")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


BLOCKED = "import sys; sys.modules['torch'] = None; sys.modules['matplotlib'] = None; "


def _blocked(code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter where ``import torch`` and ``import matplotlib`` fail."""
    return subprocess.run(
        [sys.executable, "-c", BLOCKED + code], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )


def test_check_never_imports_torch(bundles: dict[str, Path]) -> None:
    folder = ROOT / "submissions" / "01-perfect-plain"
    arguments = ["check", str(folder), "--problems", str(bundles["hw9"])]
    code = f"from autograder.launch import main; sys.exit(main({arguments!r}))"
    finished = _blocked(code)
    assert finished.returncode == 0, finished.stderr
    assert "q1.a" in finished.stdout and "read as:" in finished.stdout
    assert "Traceback" not in finished.stderr


def test_grading_code_parts_without_torch_names_the_extra() -> None:
    code = f"from autograder.cli import main; sys.exit(main(['validate', {str(ROOT / 'problems' / 'hw9')!r}]))"
    finished = _blocked(code)
    assert finished.returncode == EXIT_CONFIG
    assert "pip install 'attention-autograder[grade]'" in finished.stderr
    assert "q3.a.a" in finished.stderr and "Traceback" not in finished.stderr


def test_report_without_matplotlib_names_the_extra(tmp_path: Path) -> None:
    tiny = ROOT / "tests" / "fixtures" / "tiny"
    out = tmp_path / "out"
    api.grade_with_feedback(tiny / "submissions", problems=tiny / "problems", reference=tiny / "reference", out=out)
    finished = _blocked(f"from autograder.cli import main; sys.exit(main(['report', {str(out)!r}]))")
    assert finished.returncode == EXIT_CONFIG
    assert "matplotlib" in finished.stderr and "pip install 'attention-autograder[grade]'" in finished.stderr
    assert "Traceback" not in finished.stderr


def _quiet(command: list[str], env: dict[str, str]) -> None:
    """Run a pip command; its output only when it fails."""
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stdout + finished.stderr


@pytest.mark.slow
def test_the_bundle_installs_in_a_fresh_venv_without_torch_and_checks(bundles: dict[str, Path], tmp_path: Path) -> None:
    """The done-when: a fresh venv, the bundle's wheel installed (its dependencies from the
    package index, through a wheelhouse and pip cache kept under /tmp), no torch, and the
    installed ``autograder check`` reads a submission from the bundle."""
    started = time.monotonic()
    folder = bundles["hw9"]
    wheel = folder / json.loads((folder / student_format.BUNDLE_FILE).read_text(encoding="utf-8"))["wheel"]
    wheelhouse = Path("/tmp/autograder-test-wheelhouse")
    env = {**os.environ, "PIP_CACHE_DIR": "/tmp/autograder-test-pip-cache", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    pip = [sys.executable, "-m", "pip"]
    _quiet([*pip, "download", "-q", "--dest", str(wheelhouse), str(wheel)], env)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    offline = ["--no-compile", "--no-index", "--find-links", str(wheelhouse)]
    _quiet([str(venv / "bin" / "pip"), "install", "-q", *offline, str(wheel)], env)
    python = str(venv / "bin" / "python")
    probe = subprocess.run([python, "-c", "import torch"], capture_output=True, text=True, check=False)
    assert probe.returncode != 0 and "No module named 'torch'" in probe.stderr
    submission = ROOT / "submissions" / "02-perfect-latex-unicode"
    checked = subprocess.run(
        [str(venv / "bin" / "autograder"), "check", str(submission), "--problems", "."],  # as the README says
        capture_output=True,
        text=True,
        cwd=folder,  # not the checkout: the installed package runs
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "q1.a" in checked.stdout and "read as:" in checked.stdout
    where = subprocess.run(
        [python, "-c", "import autograder; print(autograder.__file__)"], capture_output=True, text=True, cwd=tmp_path
    )
    assert where.stdout.startswith(str(venv)), "the check ran the installed package"
    graded = subprocess.run(
        [str(venv / "bin" / "autograder"), "grade", str(submission), "--problems", str(folder)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert graded.returncode == EXIT_CONFIG and "student bundle without answers" in graded.stderr
    print(f"fresh venv, install and check: {time.monotonic() - started:.1f} s")


def test_a_format_example_that_is_an_answer_stops_the_bundle(tmp_path: Path) -> None:
    problems, reference = tmp_path / "problems", tmp_path / "reference"
    problems.mkdir()
    reference.mkdir()
    (problems / "set.yaml").write_text("reference: ../reference\n", encoding="utf-8")
    spec = "id: q1\nsymbols: {d: positive}\nparts:\n  a: {kind: symbolic, example: 'sqrt(d) or d^(1/2)'}\n"
    (problems / "q1.yaml").write_text(spec, encoding="utf-8")
    (reference / "answers.yaml").write_text("q1:\n  a: d**0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"holds 'sqrt\(d\)', which earns credit for q1.a"):
        student.build(tmp_path / "out", problems=problems)
    assert not (tmp_path / "out").exists()
