"""One answer finder for local grading and Gradescope: every upload layout graded through
``api.grade`` and through ``gradescope.run`` gives the same results.json (score, verdicts,
the messages about where the answers were found), the zip limits hold in both, files an
answers file names never come from outside the folder it was found in, and a local batch
may mix plain folders, nested folders and one zip per student.

The tiny fixture keeps this fast (no student code runs): its ``algo.name`` answer is given
as ``{file: name.txt}``, so a correct ``algo.name`` proves the named file was read from
beside the answers file.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autograder import api, gradescope, locate
from autograder.errors import ConfigError
from autograder.session import AnswerKey
from tests.conftest import HW9_REFERENCE, TINY

ANSWERS = """\
mech:
  g: 9.81
  energy: \\frac{1}{2} m v^2
  fall: g t^2 / 2
  velocity: [3, -9.81]
algo:
  sort: Θ(n log n)
  graph: O(m + n)
  name: {file: name.txt}
"""
WRONG = ANSWERS.replace("g: 9.81", "g: 10")
UPLOAD = {"answers.yaml": ANSWERS.encode(), "name.txt": b"sort\n"}


@dataclass(frozen=True)
class Link:
    """A symlink in an upload layout."""

    target: str


Files = Mapping[str, "bytes | Link"]


def under(prefix: str, files: Files | None = None) -> dict[str, bytes | Link]:
    return {prefix + name: content for name, content in (files or UPLOAD).items()}


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def zip_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("answers.yaml")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, str(HW9_REFERENCE / "answers.yaml"))
        archive.writestr("name.txt", b"sort\n")
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """Small to upload, more than MAX_ARCHIVE_BYTES unpacked."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("answers.yaml", ANSWERS)
        archive.writestr("name.txt", b"sort\n")
        with archive.open("padding.bin", "w", force_zip64=True) as padding:
            block = bytes(1 << 20)
            for _ in range(locate.MAX_ARCHIVE_BYTES // len(block) + 1):
                padding.write(block)
    return buffer.getvalue()


def zip_of_many() -> bytes:
    files = {f"filler/{index}.txt": b"" for index in range(locate.MAX_ARCHIVE_MEMBERS)}
    return zipped({**files, **{name: content for name, content in UPLOAD.items() if isinstance(content, bytes)}})


def plain(files: Files) -> dict[str, bytes]:
    return {name: content for name, content in files.items() if isinstance(content, bytes)}


GRADED, NOTHING = "graded", "nothing"
# id → (upload layout, graded or nothing, a phrase the top-level output must hold; "" = no output at all)
LAYOUTS: dict[str, tuple[Files, str, str]] = {
    "top": (UPLOAD, GRADED, ""),
    "nested-1": (under("hw9/"), GRADED, "Graded hw9/answers.yaml from your upload."),
    "nested-2": (under("hw9/hw9/"), GRADED, "Graded hw9/hw9/answers.yaml from your upload."),
    "nested-3": (under("a/b/c/"), GRADED, "Graded a/b/c/answers.yaml from your upload."),
    "too-deep": (under("a/b/c/d/"), NOTHING, locate.NO_ANSWERS),
    "answers.yml": ({"answers.yml": ANSWERS.encode(), "name.txt": b"sort\n"}, GRADED, ""),
    "ANSWERS.YAML": ({"ANSWERS.YAML": ANSWERS.encode(), "name.txt": b"sort\n"}, GRADED, "name it answers.yaml"),
    "zip-top": ({"hw9.zip": zipped(plain(UPLOAD))}, GRADED, "Graded answers.yaml from hw9.zip."),
    "zip-nested": (
        {"sub/hw9.zip": zipped(plain(UPLOAD)), "sub/notes.txt": b"x"},
        GRADED,
        "Graded answers.yaml from sub/hw9.zip.",
    ),
    "zip-with-folder": (
        {"hw9.zip": zipped(plain(under("hw9/")) | {"__MACOSX/hw9/._answers.yaml": b"\0"})},
        GRADED,
        "Graded hw9/answers.yaml from hw9.zip.",
    ),
    "zip-beside-data-zip": (
        under("hw9/", {"data.zip": zipped({"x.csv": b"1"}), "hw9.zip": zipped(plain(UPLOAD))}),
        GRADED,
        "Graded answers.yaml from hw9/hw9.zip.",
    ),
    "zip-two-depths": (
        {"hw9.zip": zipped({**plain(UPLOAD), "old/answers.yaml": WRONG.encode()})},
        GRADED,
        "Several answer files were found in hw9.zip (answers.yaml, old/answers.yaml); "
        "graded answers.yaml, the one nearest the top.",
    ),
    "top-beats-nested": (
        {**UPLOAD, "old/answers.yaml": WRONG.encode(), "old/name.txt": b"sorted"},
        GRADED,
        "graded answers.yaml, the one nearest the top",
    ),
    "yaml-beats-yml": (
        {**under("hw9/"), "hw9/answers.yml": WRONG.encode()},
        GRADED,
        "graded hw9/answers.yaml, named answers.yaml",
    ),
    "loose-beats-zip": (
        {**UPLOAD, "old.zip": zipped({"answers.yaml": WRONG.encode()})},
        GRADED,
        "Not opened, since answers were found outside them: old.zip.",
    ),
    "two-candidates": (
        under("hw9/", {**under("a/"), **under("b/")}),
        NOTHING,
        "Several answer files are equally near the top of your upload (hw9/a/answers.yaml, hw9/b/answers.yaml)",
    ),
    "two-zips": (
        {"hw9/a.zip": zipped(plain(UPLOAD)), "hw9/b.zip": zipped(plain(UPLOAD))},
        NOTHING,
        "Several .zip files hold answers (hw9/a.zip, hw9/b.zip)",
    ),
    "zip-slip-member": (
        {"hw9.zip": zipped({"../answers.yaml": ANSWERS.encode(), "/abs/answers.yaml": ANSWERS.encode()})},
        NOTHING,
        locate.NO_ANSWERS,
    ),
    # its name.txt is then the upload's one write-up (nothing in it answers a part)
    "symlink-member": ({"hw9.zip": zip_with_symlink()}, NOTHING, "No answers.yaml was found"),
    "zip-bomb": ({"hw9.zip": zip_bomb()}, NOTHING, "hw9.zip unpacks to more than 50 MB; it was not opened."),
    "zip-of-many": ({"hw9.zip": zip_of_many()}, NOTHING, "hw9.zip holds more than 2000 files"),
    "not-a-zip": ({"hw9.zip": b"not a zip"}, NOTHING, "hw9.zip could not be unpacked"),
    "symlinked-answers": (
        {"answers.yaml": Link(str(HW9_REFERENCE / "answers.yaml")), "name.txt": b"sort\n"},
        NOTHING,
        "answers.yaml is a symbolic link",
    ),
}


def materialize(folder: Path, files: Files) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            target.symlink_to(content.target)
        else:
            target.write_bytes(content)
    return folder


@pytest.fixture(scope="module")
def tiny_key() -> AnswerKey:
    return api.load_key(problems=TINY / "problems")


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder zips are unpacked under: checked empty after each grading."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def grade_locally(upload: Path, key: AnswerKey, out: Path) -> dict[str, Any]:
    [result] = api.grade(upload, key=key, out=out)
    data: dict[str, Any] = json.loads((out / result.submission / "results.json").read_text(encoding="utf-8"))
    return data


def gradescope_root(base: Path, files: Files) -> Path:
    """A root laid out like /autograder, with the tiny set as its source."""
    root = base / "root"
    shutil.copytree(TINY / "problems", root / "source" / "problems")
    shutil.copytree(TINY / "reference", root / "source" / "reference")
    (root / "source" / gradescope.CONFIG_FILE).write_text(
        json.dumps({"problems": "problems", "reference": "reference"}), encoding="utf-8"
    )
    materialize(root / "submission", files)
    (root / "results").mkdir()
    return root


def grade_on_gradescope(base: Path, files: Files) -> dict[str, Any]:
    root = gradescope_root(base, files)
    assert gradescope.run(root, log=io.StringIO()) == 0
    data: dict[str, Any] = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    return data


def verdicts(data: dict[str, Any]) -> dict[str, str]:
    return {test["extra_data"]["id"]: test["extra_data"]["verdict"] for test in data["tests"]}


@pytest.mark.parametrize(("files", "outcome", "said"), LAYOUTS.values(), ids=LAYOUTS.keys())
def test_every_layout_grades_alike_locally_and_on_gradescope(
    tmp_path: Path, private_tmp: Path, tiny_key: AnswerKey, files: Files, outcome: str, said: str
) -> None:
    local = grade_locally(materialize(tmp_path / "upload", files), tiny_key, tmp_path / "out")
    assert list(private_tmp.iterdir()) == [], "the unpacked zips are removed"
    remote = grade_on_gradescope(tmp_path, files)
    assert list(private_tmp.iterdir()) == []

    assert local.get("output") == remote.get("output")
    assert local["score"] == remote["score"] and verdicts(local) == verdicts(remote)
    by_id = verdicts(local)
    if outcome == GRADED:
        assert by_id["algo.name"] == "correct", "name.txt was read from beside the answers file"
        assert by_id["mech.g"] == by_id["mech.energy"] == "correct"
    else:
        assert local["score"] == 0 and set(by_id.values()) == {"unanswered"}
    if said:
        assert said in local["output"]
    else:
        assert "output" not in local, "nothing to say about a plain answers.yaml at the top"


def test_nothing_escapes_the_private_folder_when_unpacking(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    archive.write_bytes(
        zipped({"../escaped.txt": b"x", "../../escaped.txt": b"x", "/abs.txt": b"x", "hw9/answers.yaml": b"a: b"})
    )
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    assert locate.unpack(archive, work / "target") is None
    assert [str(path.relative_to(tmp_path)) for path in sorted(tmp_path.rglob("*")) if path.is_file()] == [
        "a/b/work/target/hw9/answers.yaml",
        "evil.zip",
    ]


# --- named files never come from outside the folder the answers were found in --------

ESCAPING = ANSWERS.replace("{file: name.txt}", "{file: ../name.txt}")
ESCAPES: dict[str, tuple[Files, str]] = {
    "nested-parent": ({"name.txt": b"sort\n", "hw9/answers.yaml": ESCAPING.encode()}, "must name a file inside"),
    "zip-parent": ({"name.txt": b"sort\n", "hw9.zip": zipped({"answers.yaml": ESCAPING.encode()})}, "must name"),
    "nested-symlink": (
        {
            "hw9/answers.yaml": ANSWERS.encode(),
            "hw9/name.txt": Link(str(HW9_REFERENCE / "answers.yaml")),
        },
        "is a symbolic link",
    ),
    "nested-linked-folder": (
        {
            "hw9/answers.yaml": ANSWERS.replace("{file: name.txt}", "{file: key/answers.yaml}").encode(),
            "hw9/key": Link(str(HW9_REFERENCE)),
        },
        "is not in your submission",
    ),
}


@pytest.mark.parametrize(("files", "why"), ESCAPES.values(), ids=ESCAPES.keys())
def test_named_files_stay_inside_the_folder_the_answers_were_found_in(
    tmp_path: Path, private_tmp: Path, tiny_key: AnswerKey, files: Files, why: str
) -> None:
    local = grade_locally(materialize(tmp_path / "upload", files), tiny_key, tmp_path / "out")
    remote = grade_on_gradescope(tmp_path, files)
    for data in (local, remote):
        name = next(test for test in data["tests"] if test["extra_data"]["id"] == "algo.name")
        assert name["extra_data"]["verdict"] == "unreadable" and why in name["output"]
        assert verdicts(data)["mech.g"] == "correct", "the rest of the answers are graded"
    assert local.get("output") == remote.get("output")


# --- what a submission is, locally -----------------------------------------------------

# id → (the folder given to grade, its submissions, relative to it; "." is the folder itself)
BATCHES: dict[str, tuple[Files, list[str]]] = {
    "answers-at-top": ({**UPLOAD, "extra/notes.txt": b"x", "more/x.txt": b"x"}, ["."]),
    "one-nested-folder": (under("hw9/") | {"README.md": b"x"}, ["."]),
    "one-zip": ({"hw9.zip": zipped(plain(UPLOAD))}, ["."]),
    "empty": ({}, ["."]),
    "folders": ({**under("alice/"), **under("bob/")}, ["alice", "bob"]),
    "zips-and-folders": (
        {"alice.zip": zipped(plain(UPLOAD)), "bob/x.txt": b"x", "carol.ZIP": zipped(plain(UPLOAD))},
        ["alice.zip", "bob", "carol.ZIP"],
    ),
    "tool-and-hidden-folders-skipped": (
        {**under("alice/"), **under("bob/"), "__MACOSX/x": b"x", ".git/x": b"x", "grades.csv": b"x"},
        ["alice", "bob"],
    ),
}


@pytest.mark.parametrize(("files", "expected"), BATCHES.values(), ids=BATCHES.keys())
def test_what_a_submission_is(tmp_path: Path, files: Files, expected: list[str]) -> None:
    folder = materialize(tmp_path / "batch", files)
    assert api.find_submissions(folder) == [folder / name if name != "." else folder for name in expected]


def test_a_zip_or_an_answers_file_given_by_path_is_one_submission(tmp_path: Path) -> None:
    folder = materialize(tmp_path / "s", {**UPLOAD, "hw9.zip": zipped(plain(UPLOAD)), "notes.docx": b"x"})
    for name in ("hw9.zip", "answers.yaml"):
        assert api.find_submissions(folder / name) == [folder / name]
    with pytest.raises(ConfigError, match=r"not a folder, a \.zip, an answers file or a write-up"):
        api.find_submissions(folder / "notes.docx")
    with pytest.raises(ConfigError, match="not a folder"):
        api.find_submissions(folder / "missing")


def test_a_batch_mixing_folders_nested_folders_and_zips(tmp_path: Path, private_tmp: Path, tiny_key: AnswerKey) -> None:
    batch = materialize(
        tmp_path / "batch",
        {
            **under("plain/"),
            **under("nested/hw9/"),
            "zipped.zip": zipped(plain(under("hw9/"))),
            "folder-with-zip/upload.zip": zipped(plain(UPLOAD)),
            "empty/notes.pdf": b"%PDF",
            "broken.zip": b"not a zip",
            "__MACOSX/._plain": b"\0",
            "submission_metadata.yml": b"{}",
        },
    )
    out = tmp_path / "out"
    results = {result.submission: result for result in api.grade(batch, key=tiny_key, out=out)}
    assert sorted(results) == ["broken", "empty", "folder-with-zip", "nested", "plain", "zipped"]
    assert list(private_tmp.iterdir()) == []
    score = results["plain"].score
    for name in ("nested", "zipped", "folder-with-zip"):
        assert results[name].score == score > 0
    assert results["nested"].messages == ("Graded hw9/answers.yaml from your upload.",)
    assert results["zipped"].messages == ("Graded hw9/answers.yaml from your upload.",)
    assert results["folder-with-zip"].messages == ("Graded answers.yaml from upload.zip.",)
    for name in ("empty", "broken"):
        written = json.loads((out / name / "results.json").read_text(encoding="utf-8"))
        assert written["score"] == 0 and written["output"].startswith("No answers.yaml was found")
    assert "notes.pdf" in results["empty"].messages[1]
    assert "broken.zip could not be unpacked" in results["broken"].messages[1]


def test_a_zip_and_a_folder_of_the_same_student_are_filed_apart(tmp_path: Path, tiny_key: AnswerKey) -> None:
    batch = materialize(tmp_path / "batch", {**under("alice/"), "alice.zip": zipped(plain(UPLOAD))})
    results = api.grade(batch, key=tiny_key, out=tmp_path / "out")
    assert sorted(result.submission for result in results) == ["alice", "alice-2"]
    assert all((tmp_path / "out" / result.submission / "results.json").is_file() for result in results)


def test_check_reads_every_layout_and_a_file_path(tmp_path: Path) -> None:
    upload = materialize(tmp_path / "upload", {"hw9.zip": zipped(plain(under("hw9/")))})
    submission, reads = api.check(upload, problems=TINY / "problems")
    assert submission.name == "upload" and submission.messages == ("Graded hw9/answers.yaml from hw9.zip.",)
    assert all(read is not None and read.problem is None for answer_id, read in reads if answer_id != "mech.explain")
    answers = materialize(tmp_path / "direct", UPLOAD) / "answers.yaml"
    submission, reads = api.check(answers, problems=TINY / "problems")
    assert submission.messages == ()
    assert dict(reads)["algo.name"] is not None


def test_found_where_names_the_file_as_the_student_knows_it(tmp_path: Path) -> None:
    upload = materialize(tmp_path / "upload", {"hw9.zip": zipped(plain(under("hw9/"))), "x/y/answers.txt": b""})
    with locate.find_answers(upload) as located:
        assert located.where == "hw9.zip: hw9/answers.yaml"
        assert located.folder is not None and (located.folder / "answers.yaml").is_file()
        work = located.folder.parents[1]
    assert not work.exists(), "the private folder is removed on leaving the with"
    with locate.find_answers(materialize(tmp_path / "nested", under("hw9/"))) as located:
        assert located.where == "hw9/answers.yaml" and located.folder == tmp_path / "nested" / "hw9"


def test_a_linked_submission_folder_is_refused(tmp_path: Path, tiny_key: AnswerKey) -> None:
    real = materialize(tmp_path / "real", UPLOAD)
    os.symlink(real, tmp_path / "linked")
    data = grade_locally(tmp_path / "linked", tiny_key, tmp_path / "out")
    assert data["score"] == 0 and "symbolic link" in data["output"]


@pytest.mark.parametrize(
    ("message", "note"),
    [
        ("Graded hw9/answers.yaml from your upload.", True),
        ("Graded answers.yaml from sub/hw9.zip.", True),
        (locate.NO_ANSWERS, False),
        ("Read Answers.YAML as answers.yaml; name it answers.yaml next time.", False),
        ("Several answer files were found (a, b); graded a, the one nearest the top.", False),
    ],
)
def test_where_the_answers_were_found_is_a_note_not_a_problem(message: str, note: bool) -> None:
    assert locate.is_found_note(message) is note
