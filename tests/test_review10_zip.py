"""Review of issue 10 (reviewer-safety): a student's zip must never write outside the
private folder it is unpacked into.

``locate.unpack`` refuses members whose first path part is ``/``, but POSIX keeps a leading
``//`` as its own root part (``PurePosixPath("//etc/x").parts == ("//", "etc", "x")``), and
``Path.joinpath`` restarts at an absolute part: a member named ``//tmp/x`` is written to
``/tmp/x``. Local ``grade``/``check`` now open students' zips too (issue 10), as root.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pytest

from autograder import locate


def _zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as zipped:
        for name, text in members.items():
            zipped.writestr(name, text)
    return path


@pytest.mark.parametrize("prefix", ["//", "\\\\"])
def test_double_slash_member_stays_inside_the_target(tmp_path: Path, prefix: str) -> None:
    outside = tmp_path / "outside" / "escaped.txt"
    outside.parent.mkdir()
    member = prefix + str(outside).lstrip("/").replace("/", "/" if prefix == "//" else "\\")
    archive = _zip(tmp_path / "upload.zip", {"answers.yaml": "q1.a: 1\n", member: "written by a student\n"})
    target = tmp_path / "target"
    locate.unpack(archive, target)
    assert not outside.exists(), f"{member!r} was written outside {target}"


def test_load_answers_of_a_zip_writes_nothing_outside(tmp_path: Path) -> None:
    outside = tmp_path / "escaped.txt"
    archive = _zip(tmp_path / "alice.zip", {"answers.yaml": "q1.a: 1\n", "/" + str(outside): "x\n"})
    submission = locate.load_answers(archive)
    assert "q1.a" in submission.answers
    assert not outside.exists()


@pytest.mark.parametrize("names", [("answers.yaml", "answers.yaml"), ("hw/answers.yaml", "hw\\answers.yaml")])
def test_two_different_copies_of_one_member_are_not_settled_silently(tmp_path: Path, names: tuple[str, str]) -> None:
    """locate refuses two answer files equally near the top ("either could be the one you
    meant"); two members of one zip that unpack to the same path are that case too, but the
    second overwrites the first and is graded with no message."""
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as zipped, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of a duplicate name, as it should
        zipped.writestr(names[0], "q1:\n  a: d\n")
        zipped.writestr(names[1], "q1:\n  a: d^2\n")
    submission = locate.load_answers(archive)
    problems = [message for message in submission.messages if not locate.is_found_note(message)]
    assert problems or not submission.answers, {k: v.text for k, v in submission.answers.items()}
