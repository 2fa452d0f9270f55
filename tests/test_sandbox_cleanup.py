"""autograder.sandbox.cleanup: whatever a run built in its folder is removed, and nothing else."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.sandbox.cleanup import remove_tree


def _deep(root: Path) -> None:
    """3,000 nested folders: past Python's recursion limit and PATH_MAX."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(3000):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    with open(os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as leaf:
        leaf.write("x")
    os.close(fd)


def _locked(root: Path) -> None:
    trap = root / "trap"
    trap.mkdir()
    for n in range(5):
        (trap / f"f{n}").write_text("x" * 1000)
    (trap / "inner").mkdir()
    (trap / "inner").chmod(0)
    trap.chmod(0)


def _links(root: Path) -> None:
    (root / "to-outside").symlink_to(root.parent / "outside")
    (root / "to-outside-folder").symlink_to(root.parent / "outside-folder", target_is_directory=True)
    os.mkfifo(root / "fifo")


BUILDS: dict[str, Callable[[Path], None]] = {"3000 nested folders": _deep, "chmod 0": _locked, "links": _links}


@pytest.mark.parametrize("build", BUILDS)
def test_whatever_a_run_built_is_removed_and_nothing_outside(tmp_path: Path, build: str) -> None:
    outside = tmp_path / "outside"
    outside.write_text("keep me")
    (tmp_path / "outside-folder").mkdir()
    (tmp_path / "outside-folder" / "file").write_text("keep me too")
    run = tmp_path / "run"
    run.mkdir()
    BUILDS[build](run)

    assert remove_tree(str(run)) is True
    assert not run.exists()
    assert outside.read_text() == "keep me"
    assert (tmp_path / "outside-folder" / "file").read_text() == "keep me too"


def test_a_file_or_a_missing_path_is_fine(tmp_path: Path) -> None:
    single = tmp_path / "file"
    single.write_text("x")
    assert remove_tree(str(single)) is True
    assert remove_tree(str(tmp_path / "missing")) is True
