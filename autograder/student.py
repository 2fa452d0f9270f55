"""``autograder bundle --student``: what students can run to see how their answers are read.

Layout (a folder, or the same under one top folder in a zip)::

    README.md                       how to install the checker and run ``autograder check``
    bundle.json                     marks a student bundle: format, problem set, package, files (sha256)
    attention_autograder-<v>-py3-none-any.whl   the package (torch is the ``grade`` extra)
    problems/<set>/set.yaml         the set's title and ``student: true``, no reference
    problems/<set>/*.yaml           the question specs without anything that gives answers away
    problems/<set>/<template>       files the kept parameters name (code templates)

What the specs keep, kind by kind and field by field, is :mod:`autograder.student_format`.
Every part gets its ``example`` as grading computes it (the answer key loaded), so the
format example a student sees is the one their feedback will show and is never an
answer. The reference is read to build that, never written.

The package is a wheel written here from the checkout (the files of ``autograder/`` and
``pyproject.toml``'s metadata): no build backend, no network and no build folders in
the checkout, and two builds of the same tree are identical bytes (sorted entries, fixed
timestamps and modes, as ``autograder gradescope build`` does). Its long description is
the students' README (the project's README is the instructors').
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import shutil
import tomllib
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from autograder import safeio, student_format
from autograder.errors import ConfigError
from autograder.graders import REGISTRY
from autograder.grading import decide, example
from autograder.mathread import Unreadable
from autograder.problem import Part, ProblemSet
from autograder.session import AnswerKey, load_key
from autograder.spec import SET_FILE, read_yaml
from autograder.submission import ANSWERS_FILE

PROJECT = Path(__file__).resolve().parents[1]
"""The checkout this package runs from: the wheel is built from its files."""
PACKAGE_DIR = PROJECT / "autograder"
TIMESTAMP = (2020, 1, 1, 0, 0, 0)
FORMAT_VERSION = 1
SKIPPED = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
README = "README.md"
_NORMALIZED = re.compile(r"[-_.]+")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ALTERNATIVES = re.compile(r"\s+or\s+(?:just\s+)?|\s*\((?:plain|LaTeX)\),?\s*")
"""How a format example lists its spellings: ``A or just "B"``, ``a (plain), b (LaTeX)``."""
EXAMPLE_IS_AN_ANSWER = (
    "{where}: its format example {example!r} holds {piece!r}, which earns credit for {part}; a student "
    "bundle shows every example, so give the part an `example:` in its spec that is no answer"
)
WHEEL = "Wheel-Version: 1.0\nGenerator: autograder bundle\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


@dataclass(frozen=True)
class Bundle:
    """What :func:`build` wrote."""

    path: Path
    files: tuple[str, ...]
    """The bundle's files, relative to its root."""
    wheel: str
    """The wheel's file name."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``bundle`` subcommand (``autograder bundle --student --problems P -o OUT``)."""
    bundle = commands.add_parser("bundle", help="write a student bundle: specs without answers and the checker")
    bundle.add_argument(
        "--student",
        action="store_true",
        required=True,
        help="the bundle students get: `autograder check` reads every answer and grades nothing",
    )
    bundle.add_argument("--problems", type=Path, required=True, help="the instructor's folder of question specs")
    bundle.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="reference answers folder (read to choose format examples, never copied; default: set.yaml's)",
    )
    bundle.add_argument(
        "-o", "--output", type=Path, required=True, help="a folder to write, or a .zip file (one top folder inside)"
    )


def run(args: argparse.Namespace, stdout: TextIO) -> int:
    """The ``bundle`` command: write the bundle and say where; a ConfigError propagates to the CLI."""
    written = build(args.output, problems=args.problems, reference=args.reference)
    print(f"wrote {written.path}: a student bundle of {len(written.files)} file(s), no answers", file=stdout)
    print(f"students: pip install {written.wheel}, then autograder check <folder> --problems <bundle>", file=stdout)
    return 0


def build(out: Path, *, problems: Path, reference: Path | None = None) -> Bundle:
    """Write the student bundle of ``problems`` to ``out`` (a folder, or a ``.zip``)."""
    key = load_key(problems=problems, reference=reference, grading=False)  # every example can be chosen
    entries = bundle_entries(problems, key)
    if out.suffix.lower() == ".zip":
        _write_zip(out, entries)
    else:
        _write_folder(out, entries)
    wheel = next(name for name in entries if name.endswith(".whl"))
    return Bundle(out, tuple(sorted(entries)), wheel)


def bundle_entries(problems: Path, key: AnswerKey) -> dict[str, bytes]:
    """Every file of the bundle, by its path relative to the bundle's root."""
    problem_set = key.problems
    prefix = f"problems/{problems.resolve().name}"
    leaks = [leak for part in problem_set.parts if (leak := example_leak(part, key)) is not None]
    if leaks:
        raise ConfigError("\n".join(leaks))
    entries: dict[str, bytes] = {f"{prefix}/{SET_FILE}": _yaml({"title": problem_set.title, "student": True})}
    for path in _spec_files(problems):
        stripped, named = strip_question(read_yaml(path, path.name), problem_set, path.name)
        entries[f"{prefix}/{path.name}"] = _header(problem_set) + _yaml(stripped)
        for name in named:
            entries[f"{prefix}/{name}"] = _named_file(problems, name, path.name)
    readme = student_readme(problem_set, prefix)
    wheel_name, wheel = build_wheel(readme)
    entries[README] = readme.encode("utf-8")
    entries[wheel_name] = wheel
    marker = {
        "format": student_format.BUNDLE_FORMAT,
        "version": FORMAT_VERSION,
        "problem_set": problem_set.name,
        "title": problem_set.title,
        "problems": prefix,
        "wheel": wheel_name,
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(entries.items())},
    }
    entries[student_format.BUNDLE_FILE] = (json.dumps(marker, indent=2, sort_keys=True) + "\n").encode("utf-8")
    return entries


def _spec_files(problems: Path) -> list[Path]:
    """The question specs, as the loader finds them."""
    found = sorted(problems.glob("*.yaml")) + sorted(problems.glob("*.yml"))
    return [path for path in found if path.name != SET_FILE]


def strip_question(data: Any, problem_set: ProblemSet, where: str) -> tuple[dict[str, Any], list[str]]:
    """A question spec (as YAML data) without what gives answers away, and the files its kept
    parameters name. ``problem_set``: the same set loaded with its key (for the examples)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: a question spec must be a mapping")  # the loader refused it already
    kept = {key: data[key] for key in student_format.QUESTION_KEYS if key in data and key != "parts"}
    parts: dict[str, Any] = {}
    named: list[str] = []
    for part_key, raw in data.get("parts", {}).items():
        part = problem_set.part(f"{data['id']}.{part_key}")
        policy = student_format.policy(part.kind)
        stripped = {key: raw[key] for key in student_format.PART_KEYS if key in raw}
        stripped["example"] = example(part)
        stripped.update((name, raw[name]) for name in policy.keep if name in raw)
        named += [str(raw[name]) for name in student_format.FILE_PARAMS if name in stripped]
        parts[str(part_key)] = stripped
    kept["parts"] = parts
    return kept, sorted(set(named))


def example_leak(part: Part, key: AnswerKey) -> str | None:
    """Why the part's format example gives an answer away (one of its spellings, read and graded
    against the key, earns credit), or None. Kinds that run code are not run here."""
    kind = REGISTRY[part.kind]
    if kind.runs_code or part.id not in key.readings:
        return None
    shown = example(part)
    for piece in dict.fromkeys([shown, *(piece.strip().strip('"') for piece in _ALTERNATIVES.split(shown))]):
        try:
            reading = kind.read(piece, part)
        except Unreadable:
            continue
        if decide(part, reading, key.readings[part.id]).credit > 0:
            return EXAMPLE_IS_AN_ANSWER.format(where=part.where, example=shown, piece=piece, part=part.id)
    return None


def _named_file(problems: Path, name: str, where: str) -> bytes:
    """A file a kept parameter names (a code template): inside the set's folder, or refused."""
    path = (problems / name).resolve()
    if not path.is_relative_to(problems.resolve()) or not path.is_file():
        raise ConfigError(f"{problems / where}: {name!r} is not a file in {problems}; it cannot go into the bundle")
    return path.read_bytes()


class _Dumper(yaml.SafeDumper):
    """Writes every value in full: anchors of the instructor's spec (``*inputs``) are expanded."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    """Multi-line text (a statement) as a ``|`` block, as an instructor writes it."""
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


def _list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.SequenceNode:
    """A list of plain values on one line (``shape: [batch, seq, width]``), as specs write them."""
    flat = all(not isinstance(item, dict | list) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(list, _list)


def _yaml(data: Any) -> bytes:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return text.encode("utf-8")


def _header(problem_set: ProblemSet) -> bytes:
    return (f"# Student bundle of {problem_set.name} (autograder bundle --student): no answers, no grading.\n").encode()


def student_readme(problem_set: ProblemSet, prefix: str) -> str:
    """The bundle's README: install the checker, run it, the answer ids."""
    title = problem_set.title or problem_set.name
    rows = "\n".join(f"| `{part.id}` | {_cell(part.title)} |" for part in problem_set.parts)
    needs = ", ".join(_requirement_name(requirement) for requirement in _project().get("dependencies", []))
    return f"""# {title}: how your answers are read

This folder holds a checker for the homework: the question specs, without any answers,
and the autograder's package. `autograder check` shows how each answer in your
`{ANSWERS_FILE}` is read (an expression, a list, a code fragment, …) and which ones cannot
be read, with an accepted way to write them. It grades nothing and knows no answers.

## Install (once)

Python 3.11 or newer. The checker needs no torch (only grading does).

```
python3 -m venv checker
checker/bin/pip install {_wheel_name()}
```

(On Windows: `checker\\Scripts\\pip install ...`.) pip also installs what the checker uses:
{needs}.

## Check

Put your answers in `{ANSWERS_FILE}` in a folder (the submission folder you upload), then,
from this folder:

```
checker/bin/autograder check path/to/your/folder --problems .
```

(`--problems` takes this folder from anywhere, or its `{prefix}`.)

Each answer id is listed with how it was read, `not answered`, or `COULD NOT BE READ` and
why. Fix the unreadable ones before you submit: an answer that cannot be read earns no
points until it can. A reading that is not what you meant is worth fixing too.

## Answer ids

| id | part |
| --- | --- |
{rows}
"""


def _requirement_name(requirement: str) -> str:
    """``sympy`` of ``sympy>=1.12,<2``."""
    match = _NAME.match(requirement)
    return match.group(0) if match else requirement


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# --- the wheel ---------------------------------------------------------------------------


def _project() -> dict[str, Any]:
    path = PROJECT / "pyproject.toml"
    if not path.is_file() or not PACKAGE_DIR.is_dir():
        raise ConfigError(f"{PROJECT}: not a checkout of the autograder (no pyproject.toml); bundle from a checkout")
    project: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    return project


def _wheel_name() -> str:
    project = _project()
    return f"{_dist_name(project['name'])}-{project['version']}-py3-none-any.whl"


def _dist_name(name: str) -> str:
    return _NORMALIZED.sub("_", name).lower()


def build_wheel(description: str) -> tuple[str, bytes]:
    """(file name, bytes) of a pure-Python wheel of the package, ``description`` as its README."""
    project = _project()
    dist_info = f"{_dist_name(project['name'])}-{project['version']}.dist-info"
    files: dict[str, bytes] = {f"autograder/{relative}": path.read_bytes() for relative, path in _package_files()}
    files[f"{dist_info}/METADATA"] = _metadata(project, description).encode("utf-8")
    files[f"{dist_info}/WHEEL"] = WHEEL.encode()
    scripts = "".join(f"{name} = {target}\n" for name, target in sorted(project.get("scripts", {}).items()))
    files[f"{dist_info}/entry_points.txt"] = f"[console_scripts]\n{scripts}".encode()
    record = f"{dist_info}/RECORD"
    lines = [f"{name},sha256={_digest(content)},{len(content)}" for name, content in sorted(files.items())]
    files[record] = ("\n".join([*lines, f"{record},,"]) + "\n").encode("utf-8")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files, key=lambda name: (name == record, name)):  # RECORD last, as installers expect
            archive.writestr(_info(name), files[name])
    return _wheel_name(), packed.getvalue()


def _package_files() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE_DIR.rglob("*")):
        relative = path.relative_to(PACKAGE_DIR)
        hidden = any(part in SKIPPED or part.startswith(".") for part in relative.parts)
        if path.is_file() and not hidden and path.suffix not in (".pyc", ".pyo"):
            yield relative.as_posix(), path


def _metadata(project: Mapping[str, Any], description: str) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project.get('description', '')}",
        f"Requires-Python: {project.get('requires-python', '')}",
    ]
    license_ = project.get("license", {})
    if isinstance(license_, Mapping) and "text" in license_:
        lines.append(f"License: {license_['text']}")
    lines += [f"Requires-Dist: {requirement}" for requirement in project.get("dependencies", [])]
    for extra, requirements in sorted(project.get("optional-dependencies", {}).items()):
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {requirement}; extra == "{extra}"' for requirement in requirements]
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + description


def _digest(content: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode("ascii")


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o100644 << 16
    return info


# --- writing -----------------------------------------------------------------------------


def _write_zip(out: Path, entries: Mapping[str, bytes]) -> None:
    top = out.stem
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            archive.writestr(_info(f"{top}/{name}"), entries[name])
    _folder(out.parent)
    safeio.write_bytes(out, packed.getvalue())


def _write_folder(out: Path, entries: Mapping[str, bytes]) -> None:
    """Write the bundle into ``out``: a new or empty folder, or an earlier bundle (replaced whole)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: not a folder; give a new folder or a .zip path")
    if out.is_dir() and any(out.iterdir()):
        if not (out / student_format.BUNDLE_FILE).is_file() or out.is_symlink():
            raise ConfigError(f"{out}: this folder is not empty and holds no student bundle; give a new folder")
        shutil.rmtree(out)  # an earlier bundle: rebuilt whole, so no stale spec stays behind
    for name in sorted(entries):
        target = out / name
        _folder(target.parent)
        safeio.write_bytes(target, entries[name])


def _folder(path: Path) -> None:
    try:
        safeio.ensure_folder(path)
    except safeio.UnsafePath as error:
        raise ConfigError(str(error)) from None


__all__ = ["Bundle", "add_parser", "build", "build_wheel", "bundle_entries", "run", "strip_question"]
