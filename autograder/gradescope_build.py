"""``autograder gradescope build``: the ``autograder.zip`` Gradescope is given.

Layout of the zip (unpacked by Gradescope into ``/autograder/source``)::

    setup.sh            installs Python, CPU-only torch and the pinned requirements (gradescope/setup.sh)
    run_autograder      calls ``python -m autograder gradescope run`` (gradescope/run_autograder)
    requirements.txt    every runtime dependency but torch, pinned to the versions installed here
    autograder.json     where the specs and the reference are, relative to source/
    pyproject.toml, README.md, autograder/   the package, installed by setup.sh
    problems/<set>/     the specs
    reference/<set>/    the reference answers (root-only while grading)

The zip is reproducible: sorted entries, fixed timestamps and modes.
"""

from __future__ import annotations

import io
import json
import re
import tomllib
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from autograder import api, safeio
from autograder.gradescope import CONFIG_FILE

PROJECT = Path(__file__).resolve().parents[1]
"""The checkout this package runs from: the zip is built from its files."""
TEMPLATES = PROJECT / "gradescope"
PACKAGE = "attention-autograder"
TORCH_PIN = "torch==2.13.0"
"""Installed by setup.sh from TORCH_INDEX (the Makefile pins the same build)."""
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
GRADE_EXTRA = "grade"
"""pyproject.toml's extra for grading (torch, matplotlib); `check` needs none of it."""
EXECUTABLES = ("setup.sh", "run_autograder")
PROJECT_FILES = ("pyproject.toml", "README.md")
SKIPPED = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
TIMESTAMP = (2020, 1, 1, 0, 0, 0)
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""\bextra\s*==""")


def build(
    out: Path,
    *,
    problems: Path,
    reference: Path | None = None,
) -> Path:
    """Write the zip to ``out``; raises ConfigError when the specs or reference do not load.
    ``reference``: by default the folder the problem set's set.yaml names."""
    key = api.load_key(problems=problems, reference=reference)  # a broken key fails here, not on Gradescope
    assert key.reference is not None, "load_key always records the folder it read"
    reference = key.reference
    missing = [name for name in (*EXECUTABLES, *PROJECT_FILES) if not _template_or_project(name).is_file()]
    if missing or not (PROJECT / "autograder").is_dir():
        raise api.ConfigError(
            f"{PROJECT}: not a checkout of {PACKAGE} (missing {', '.join(missing) or 'autograder/'}); "
            "build the zip from the repository"
        )
    config = {"problems": f"problems/{problems.resolve().name}", "reference": f"reference/{reference.resolve().name}"}
    entries: dict[str, bytes | Path] = {
        CONFIG_FILE: (json.dumps(config, indent=2) + "\n").encode(),
        "requirements.txt": requirements().encode(),
    }
    for name in (*EXECUTABLES, *PROJECT_FILES):
        entries[name] = _template_or_project(name)
    for base, prefix in ((PROJECT / "autograder", "autograder"), (problems, config["problems"])):
        entries.update((f"{prefix}/{relative}", path) for relative, path in _files(base))
    entries.update((f"{config['reference']}/{relative}", path) for relative, path in _files(reference))
    out.parent.mkdir(parents=True, exist_ok=True)
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            content = entries[name]
            info = zipfile.ZipInfo(name, TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if name in EXECUTABLES else 0o100644) << 16
            archive.writestr(info, content if isinstance(content, bytes) else content.read_bytes())
    return safeio.write_bytes(out, packed.getvalue())


def _template_or_project(name: str) -> Path:
    return TEMPLATES / name if name in EXECUTABLES else PROJECT / name


def _files(base: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(base.rglob("*")):
        relative = path.relative_to(base)
        hidden = any(part in SKIPPED or part.startswith(".") for part in relative.parts)
        if path.is_file() and not hidden and path.suffix not in (".pyc", ".pyo"):
            yield relative.as_posix(), path


def requirements() -> str:
    """``name==version`` for every runtime dependency (and torch's), torch excepted.

    The roots are pyproject.toml's ``dependencies`` and its ``grade`` extra; versions are the ones
    installed here, what this checkout is tested with. setup.sh installs these
    first, from PyPI, then torch from the CPU index (PyPI's torch is the
    multi-GB CUDA build), which then finds its own dependencies already there.
    """
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    roots = [*project["dependencies"], *project.get("optional-dependencies", {}).get(GRADE_EXTRA, [])]
    pending = [_name(requirement) for requirement in roots]
    pins: dict[str, str] = {}
    while pending:
        name = pending.pop()
        key = name.lower().replace("_", "-")
        if not key or key in pins:
            continue
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # a dependency for another platform or Python
        if key != "torch":
            pins[key] = version
        pending += _requires(name)
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    header = f"# Generated by `autograder gradescope build`; setup.sh installs these, then {TORCH_PIN} (CPU).\n"
    return header + "\n".join(lines) + "\n"


def _requires(name: str) -> list[str]:
    """Names of a distribution's unconditional requirements (extras are left out)."""
    try:
        declared = metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return []
    return [_name(requirement) for requirement in declared if not _EXTRA.search(requirement)]


def _name(requirement: str) -> str:
    match = _NAME.match(requirement)
    return match.group(1) if match else ""
