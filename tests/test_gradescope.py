"""Gradescope packaging: the zip, setup.sh, and run_autograder on a root laid out like /autograder.

Every results.json is validated against tests/schemas/gradescope-results.schema.json
(Gradescope's documented format). The hostile submission runs through the real
run_autograder script, once per sandbox mode, as root where possible: the reference
must stay unreadable and results.json unforgeable for its code.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from autograder import gradescope, gradescope_build, locate
from autograder.cli import EXIT_OK, main
from autograder.result import PartResult, SubmissionResult
from autograder.sandbox import bwrap_problem
from tests.conftest import HW9_PROBLEMS, HW9_REFERENCE, ROOT, SUBMISSIONS

SCHEMA = json.loads((ROOT / "tests" / "schemas" / "gradescope-results.schema.json").read_text(encoding="utf-8"))
IS_ROOT = os.geteuid() == 0
MODES = ["rlimits", "bwrap"] if bwrap_problem() is None else ["rlimits"]
FORGED_SCORE = 987654.0
FORGED_MARK = "FORGED-BY-STUDENT-3c1e"
LEAK_MARK = "LEAKED-BY-STUDENT-9f2a"

# q3.b code that tries to read the reference and to write results.json (under the
# real /autograder and under the test's root), prints forged results, then defines
# the right class: if every attack fails, it earns q3.b honestly. The marks are
# assembled at run time: the feedback quotes the source, never what it computes.
HOSTILE_PRELUDE = """
import json as _json

_FORGED = {{"score": 987000.0 + 654, "output": "{mark_a}" + "{mark_b}", "tests": []}}
_LEAKS = []
for _root in ("/autograder", "{root}"):
    try:
        with open(_root + "/source/reference/hw9/answers.yaml", encoding="utf-8") as _file:
            _LEAKS.append(_file.read())
    except OSError:
        pass
    try:
        with open(_root + "/results/results.json", "w", encoding="utf-8") as _file:
            _file.write(_json.dumps(_FORGED))
        _LEAKS.append("wrote " + _root + "/results/results.json")
    except OSError:
        pass
print(_json.dumps(_FORGED))
if _LEAKS:
    raise RuntimeError("{leak_a}" + "{leak_b} " + " ".join(_LEAKS))
"""


def validate(data: dict[str, Any]) -> dict[str, Any]:
    jsonschema.validate(data, SCHEMA, cls=jsonschema.Draft202012Validator)
    return data


# --- the zip -----------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """autograder.zip, built through the CLI."""
    out = tmp_path_factory.mktemp("dist") / "autograder.zip"
    argv = ["gradescope", "build", "--problems", str(HW9_PROBLEMS), "--reference", str(HW9_REFERENCE), "-o", str(out)]
    assert main(argv, io.StringIO()) == EXIT_OK
    return out


def test_zip_holds_scripts_package_specs_and_reference(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        config = json.loads(archive.read("autograder.json"))
    for name in ("setup.sh", "run_autograder"):
        assert name in names and modes[name] & 0o111, f"{name} must be at the root and executable"
    assert {"pyproject.toml", "README.md", "requirements.txt", "autograder/gradescope.py"} <= names
    assert "problems/hw9/q1.yaml" in names and "reference/hw9/answers.yaml" in names
    assert config == {"problems": "problems/hw9", "reference": "reference/hw9"}
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]


def test_zip_is_reproducible(bundle: Path, tmp_path: Path) -> None:
    again = gradescope_build.build(tmp_path / "again.zip", problems=HW9_PROBLEMS, reference=HW9_REFERENCE)
    assert again.read_bytes() == bundle.read_bytes()


def _setup_commands() -> list[list[str]]:
    text = (ROOT / "gradescope" / "setup.sh").read_text(encoding="utf-8")
    text = re.sub(r"<<'PY'\n.*?\nPY\n", "\n", text, flags=re.DOTALL)  # the inline Python check
    text = text.replace("\\\n", " ")
    return [shlex.split(line, comments=True) for line in text.splitlines() if shlex.split(line, comments=True)]


def test_setup_sh_pins_cpu_torch_and_installs_the_package() -> None:
    subprocess.run(["bash", "-n", str(ROOT / "gradescope" / "setup.sh")], check=True)
    commands = _setup_commands()
    assignments = dict(word.split("=", 1) for command in commands for word in command[:1] if re.match(r"^\w+=", word))
    assert assignments["TORCH"] == gradescope_build.TORCH_PIN == "torch==2.13.0"
    assert assignments["TORCH_INDEX"] == gradescope_build.TORCH_INDEX == "https://download.pytorch.org/whl/cpu"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^TORCH := (\S+)$", makefile, re.MULTILINE)[1] == assignments["TORCH"]  # type: ignore[index]
    pip = [command[command.index("install") + 1 :] for command in commands if command[1:3] == ["-m", "pip"]]
    assert ["--index-url", "$TORCH_INDEX", "$TORCH"] in pip, "torch must come from the CPU index"
    assert ["-r", "$SOURCE/requirements.txt"] in pip
    assert ["--no-deps", "$SOURCE"] in pip, "the package itself is installed from the unpacked zip"
    # requirements first: torch then finds its dependencies installed and takes nothing else from the CPU index
    assert pip.index(["-r", "$SOURCE/requirements.txt"]) < pip.index(["--index-url", "$TORCH_INDEX", "$TORCH"])
    apt = [command for command in commands if command[:2] == ["apt-get", "install"]]
    assert any("bubblewrap" in command for command in apt)


def test_requirements_pin_every_dependency_but_torch(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        lines = [line for line in archive.read("requirements.txt").decode().splitlines() if not line.startswith("#")]
    names = {line.split("==")[0] for line in lines}
    assert all(re.fullmatch(r"[a-z0-9._-]+==\S+", line) for line in lines), lines
    assert {"sympy", "pyyaml", "numpy", "jinja2"} <= names and "torch" not in names


# --- a root laid out like /autograder ---------------------------------------------

Root = Callable[[dict[str, bytes]], Path]


@pytest.fixture
def make_root(bundle: Path) -> Iterator[Root]:
    """root/{source,submission,results}: the zip unpacked as Gradescope does (world-readable
    files under a traversable root, so the protection tested is run_autograder's own)."""
    made: list[Path] = []

    def make(files: dict[str, bytes]) -> Path:
        root = Path(tempfile.mkdtemp(prefix="gradescope-root-"))
        made.append(root)
        os.chmod(root, 0o755)
        with zipfile.ZipFile(bundle) as archive:
            for info in archive.infolist():
                target = root / "source" / info.filename
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(info))
                os.chmod(target, (info.external_attr >> 16) & 0o777)
        for name, content in files.items():
            target = root / "submission" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        (root / "submission").mkdir(exist_ok=True)
        (root / "results").mkdir()
        for path in root.rglob("*"):
            if path.is_dir():
                os.chmod(path, 0o755)
        return root

    yield make
    for root in made:
        shutil.rmtree(root, ignore_errors=True)


def folder_files(folder: Path, prefix: str = "") -> dict[str, bytes]:
    return {prefix + str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def run_in_process(root: Path) -> tuple[int, dict[str, Any]]:
    code = gradescope.run(root, log=io.StringIO())
    return code, validate(json.loads((root / "results" / "results.json").read_text(encoding="utf-8")))


def run_script(root: Path, mode: str) -> tuple[int, dict[str, Any], str]:
    """The real run_autograder, as Gradescope starts it (from the root, as this user)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AUTOGRADER_ROOT": str(root),
        "AUTOGRADER_PYTHON": sys.executable,
        "AUTOGRADER_SANDBOX": mode,
    }
    script = root / "source" / "run_autograder"
    done = subprocess.run([str(script)], cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    text = (root / "results" / "results.json").read_text(encoding="utf-8")
    return done.returncode, validate(json.loads(text)), done.stdout + done.stderr


PERFECT = SUBMISSIONS / "01-perfect-plain"


def perfect_score() -> float:
    return float(sum(_max_scores().values()))


def _max_scores() -> dict[str, float]:
    from autograder.api import load_key

    key = load_key(problems=HW9_PROBLEMS, reference=HW9_REFERENCE)
    return {part.id: part.points for part in key.problems.parts}


def assert_perfect(data: dict[str, Any]) -> None:
    failed = [test["name"] for test in data["tests"] if test.get("status") != "passed"]
    assert not failed
    assert data["score"] == perfect_score()


def test_perfect_submission(make_root: Root) -> None:
    root = make_root(folder_files(PERFECT))
    code, data = run_in_process(root)
    assert code == 0
    assert_perfect(data)
    assert "output" not in data, "nothing to say about the upload as a whole"
    assert data["visibility"] == "visible" and data["stdout_visibility"] == "hidden"
    assert {test["visibility"] for test in data["tests"]} == {"visible"}
    assert data["output_format"] == "text" and isinstance(data["execution_time"], int)
    assert data["extra_data"]["isolation"], "how the student's code was confined"


def test_zip_with_a_folder_inside(make_root: Root) -> None:
    root = make_root({"hw9.zip": zipped(folder_files(PERFECT, "hw9/") | {"__MACOSX/hw9/._answers.yaml": b"\0"})})
    code, data = run_in_process(root)
    assert code == 0
    assert_perfect(data)
    assert "hw9.zip" in data["output"]


@pytest.mark.parametrize("prefix", ["hw9/", "hw9/hw9/"])
def test_folder_nested_one_or_two_levels(make_root: Root, prefix: str) -> None:
    code, data = run_in_process(make_root(folder_files(PERFECT, prefix)))
    assert code == 0
    assert_perfect(data)


def test_answers_yml_spelling(make_root: Root) -> None:
    files = folder_files(PERFECT)
    files["answers.yml"] = files.pop("answers.yaml")
    code, data = run_in_process(make_root(files))
    assert code == 0
    assert_perfect(data)


def test_capitalized_name_is_read_and_noted(make_root: Root) -> None:
    files = folder_files(PERFECT)
    files["Answers.YAML"] = files.pop("answers.yaml")
    code, data = run_in_process(make_root(files))
    assert code == 0
    assert_perfect(data)
    assert "name it answers.yaml" in data["output"]


@pytest.mark.parametrize(
    "files",
    [{}, {"notes.pdf": b"%PDF-1.4", "hw9/answer.yaml": b"q1: {a: d}"}, {"hw9.zip": b"not a zip"}],
    ids=["empty", "misnamed", "broken-zip"],
)
def test_nothing_readable_still_gives_results(make_root: Root, files: dict[str, bytes]) -> None:
    code, data = run_in_process(make_root(files))
    assert code == 0
    assert data["score"] == 0
    assert data["output"].startswith(locate.NO_ANSWERS)
    assert "answers.yaml" in data["output"]
    for name in files:
        assert name in data["output"], "the student is told what their upload held"
    assert all(test["score"] == 0 for test in data["tests"])


def test_zip_members_cannot_escape(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("../escaped.txt", "x")
        packed.writestr("/absolute.txt", "x")
        link = zipfile.ZipInfo("hw9/link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        packed.writestr(link, "/etc/passwd")
        packed.writestr("hw9/answers.yaml", "q1: {b: d}")
    target = tmp_path / "out"
    assert locate.unpack(archive, target) is None
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == ["hw9", "hw9/answers.yaml"]
    assert not (tmp_path / "escaped.txt").exists()


def test_misconfigured_grader_still_writes_results(make_root: Root) -> None:
    root = make_root(folder_files(PERFECT))
    (root / "source" / gradescope.CONFIG_FILE).unlink()
    code, data = run_in_process(root)
    assert code == 1
    assert data["score"] == 0 and data["output"] == gradescope.INTERNAL_ERROR


# --- visibility of the reference --------------------------------------------------


def test_reference_only_after_publication() -> None:
    part = PartResult("q1.c", "q1", "the scale", 1.0, 0.0, "incorrect", "No.", "d", "d")
    data = validate(gradescope.to_gradescope(SubmissionResult("s", (part,)), reveal={"q1.c": "\\sqrt{d}"}))
    graded, reference = data["tests"]
    assert graded["visibility"] == "visible" and "sqrt" not in graded["output"]
    assert reference["visibility"] == "after_published"
    assert "\\sqrt{d}" in reference["output"] and "score" not in reference and "status" not in reference


def test_show_reference_spec_reveals_after_publication(make_root: Root) -> None:
    root = make_root(folder_files(SUBMISSIONS / "03-typical-mistakes"))
    spec = root / "source" / "problems" / "hw9" / "q1.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("show_reference: false", "show_reference: true"))
    code, data = run_in_process(root)
    assert code == 0
    revealed = [test for test in data["tests"] if test.get("extra_data", {}).get("reference")]
    assert [test["name"] for test in revealed] == ["q1.a: reference answer"]
    assert revealed[0]["visibility"] == "after_published"
    assert "\\|\\mu\\|^2" in revealed[0]["output"]


# --- hostile code -----------------------------------------------------------------


@pytest.mark.skipif(not IS_ROOT, reason="the sandbox switches to uids of its own only when the grader is root")
def test_protected_hides_source_and_results_from_the_sandbox_s_uids(make_root: Root) -> None:
    root = make_root({})
    source, results = root / "source", root / "results"
    reference = source / "reference" / "hw9" / "answers.yaml"
    os.chmod(results, 0o777)
    exposed = gradescope.probe(gradescope.SANDBOX_UID, read=[reference], write=[results])
    assert len(exposed) == 2, "control: the unpacked zip is world-readable and results/ is open"
    with gradescope.protected(source, results) as during:
        assert during == []
        assert gradescope.probe(gradescope.SANDBOX_UID, read=[reference], write=[results]) == []
    assert stat.S_IMODE(source.stat().st_mode) == 0o755 and stat.S_IMODE(results.stat().st_mode) == 0o777


@pytest.mark.skipif(not IS_ROOT, reason="the sandbox switches to uids of its own only when the grader is root")
@pytest.mark.parametrize("mode", MODES)
def test_hostile_code_cannot_read_reference_or_forge_results(make_root: Root, mode: str) -> None:
    hostile = SUBMISSIONS / "05-unreadable-and-hostile"
    honest_root = make_root(folder_files(hostile))
    _, honest = run_in_process(honest_root)

    root = make_root({})
    answers = (hostile / "answers.yaml").read_text(encoding="utf-8")
    answers = answers.replace("q3:\n  a:\n", "q3:\n  b: {file: mha.py}\n  a:\n")
    marks = {"mark_a": FORGED_MARK[:9], "mark_b": FORGED_MARK[9:], "leak_a": LEAK_MARK[:9], "leak_b": LEAK_MARK[9:]}
    prelude = HOSTILE_PRELUDE.format(root=root, **marks)
    (root / "submission" / "answers.yaml").write_text(answers, encoding="utf-8")
    (root / "submission" / "mha.py").write_text(prelude + (PERFECT / "mha.py").read_text(encoding="utf-8"))

    code, data, log = run_script(root, mode)
    assert code == 0, log
    text = json.dumps(data)
    assert FORGED_MARK not in text and str(FORGED_SCORE) not in text and LEAK_MARK not in text
    reference = (root / "source" / "reference" / "hw9" / "answers.yaml").read_text(encoding="utf-8")
    for line in reference.splitlines():
        if len(line.strip()) > 40:  # the long, distinctive reference answers (q2.b, q6.a)
            assert line.strip() not in text
    q3b = next(test for test in data["tests"] if test["extra_data"]["id"] == "q3.b")
    assert q3b["extra_data"]["verdict"] == "correct", q3b["output"]
    assert data["score"] == pytest.approx(honest["score"] + q3b["max_score"]), "its honest score"
    assert data["score"] == pytest.approx(sum(test["score"] for test in data["tests"]))
