"""Where a submission's answers are: the one answer finder of local ``grade``/``check``
and of ``gradescope run``, so an upload grades the same wherever it is graded.

A submission (an upload) is a folder, a ``.zip`` file or an answers file itself.
Looked for in a folder, nearest first: ``answers.yaml`` or ``answers.yml`` (any
case) at the top or up to :data:`SEARCH_DEPTH` folders down (``homework/answers.yaml``),
then inside the upload's .zip files, each unpacked (bounded: no absolute paths, no
``..``, no symlinks, at most :data:`MAX_ARCHIVE_MEMBERS` files and
:data:`MAX_ARCHIVE_BYTES`) into a private temporary folder that is removed once the
answers are read. Hidden folders, ``__MACOSX`` and the like are skipped.

When several answer files are found, the nearest the top wins, then the exact name
``answers.yaml``, then ``answers.yml``; two that are still equal (``a/answers.yaml``
and ``b/answers.yaml``, two zips that both hold answers) are refused, since either
could be the one the student meant: nothing is graded and the message says why.
Every choice made becomes a message for the student ("Graded homework/answers.yaml from
your upload."); a plain ``answers.yaml`` at the top says nothing.

Files an answers file names (``{file: model.py}``) are read relative to the folder
the answers file was found in, with :func:`autograder.submission.read_named_file`'s
containment (no ``..``, no absolute paths, no symlinks or hard links).

An upload with no answers file anywhere (nor in its zips) but exactly one write-up
(:data:`WRITEUP_SUFFIXES`: Markdown, LaTeX, a notebook, plain text; ``README*`` and the like
are not write-ups) is a write-up submission: its answers are extracted
(:mod:`autograder.writeup`) with where each was found. Several write-ups are refused,
naming them (either could be the one meant); a PDF is read only when it is the only one
(its text layer is refused with what to upload instead). answers.yaml wins over a
write-up, with a note saying the write-up was not read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.problem import ProblemSet
from autograder.safeio import UnsafePath, printable, read_student_file
from autograder.submission import (
    ANSWERS_FILE,
    MAX_ANSWERS_BYTES,
    Submission,
    from_extraction,
    load_submission,
    parse_answers,
    read_named_file,
)
from autograder.submission import submission_name as folder_name
from autograder.writeup import formats
from autograder.writeup.extract import extract
from autograder.writeup.model import Extraction, Refused, Stage

ANSWER_FILES = (ANSWERS_FILE, "answers.yml")
"""The names looked for (compared without case), the preferred one first."""
ANSWER_SUFFIXES = (".yaml", ".yml")
"""A file given by path with one of these is read as the answers file, whatever its name."""
ARCHIVE_SUFFIX = ".zip"
SEARCH_DEPTH = 3
"""Folders searched below the upload: ``hw/answers.yaml``, ``hw/hw/answers.yaml``, one more for luck."""
MAX_ENTRIES_SEARCHED = 5000
MAX_ARCHIVES = 5
MAX_ARCHIVE_MEMBERS = 2000
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
IGNORED_FOLDERS = frozenset({"__MACOSX", "__pycache__", "node_modules"})
EXPECTED_LAYOUT = (
    "Expected a file named answers.yaml (answers.yml works too) at the top of your upload "
    "or inside a folder of it (e.g. homework/answers.yaml), or a .zip holding one."
)
NO_ANSWERS = "No answers.yaml was found in your submission, so nothing could be graded. " + EXPECTED_LAYOUT
UPLOAD = "your upload"
WRITEUP_SUFFIXES = (".md", ".markdown", ".tex", ".ipynb", ".txt")
"""Files whose answers are extracted when the upload holds no answers file."""
PDF_SUFFIX = ".pdf"
"""Read only when it is the upload's one write-up: its text layer mangles math (refused, saying why)."""
NOT_WRITEUPS = ("readme", "license", "licence", "changelog", "requirements")
"""Name stems (compared without case, as prefixes) of files that come with code, not write-ups."""
WRITEUP_FOUND = "No answers.yaml was found, so the answers were extracted from your write-up {where}."
WRITEUP_IGNORED = "Not read, since {answers} was found: {writeups} (answers.yaml wins over a write-up)."
SEVERAL_WRITEUPS = (
    "Several write-ups were found in {container} ({names}), so nothing was graded: either could be the one "
    "you meant. Upload only one, or an answers.yaml (autograder extract WRITEUP drafts one)."
)
PDF_IGNORED = "Not read: {pdfs} (a PDF's text layer garbles math; your write-up {where} was graded)."
FOUND = "Graded {where} from {container}."
"""Where the answers were found, when not at the top: information, not a problem to fix."""
_FOUND = re.compile(r"Graded .+ from .+\.|" + re.escape(WRITEUP_FOUND).replace(re.escape("{where}"), ".+"))


@dataclass(frozen=True)
class Located:
    """Where an upload's answers file was found, and what to tell the student about it."""

    folder: Path | None
    """The folder holding the answers file (named files are read relative to it); None: nothing to grade."""
    answers_file: str = ANSWERS_FILE
    """The answers file's name in ``folder`` (``Answers.YAML`` is read as it is)."""
    messages: tuple[str, ...] = ()
    where: str = ""
    """The answers file as the student knows it (``homework/answers.yaml``, ``homework.zip: answers.yaml``);
    empty when there is none."""
    writeup: Path | None = None
    """The write-up to extract the answers from, when the upload holds no answers file."""
    if_unread: tuple[str, ...] = ()
    """What to say instead of ``messages`` when the write-up cannot be read (a PDF refused):
    that no answers.yaml was found, and what the upload held."""
    unread: tuple[tuple[Path, str], ...] = ()
    """Write-ups (path, as shown) not read since an answers file was found: a note names those
    the answers file does not name (``{file: notes.txt}`` is an answer, not a write-up)."""


@contextlib.contextmanager
def find_answers(upload: Path) -> Iterator[Located]:
    """:func:`locate_answers` with a private temporary folder for unpacked zips, removed on exit:
    read what ``Located.folder`` holds inside the ``with``. The folder is made only when a zip
    is opened (making and removing it costs more than finding a plain answers.yaml)."""
    with contextlib.ExitStack() as stack:

        @functools.cache
        def workspace() -> Path:
            return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="autograder-upload-")))

        yield locate_answers(upload, workspace)


WriteupReader = Callable[[Path, ProblemSet], Extraction]
"""A write-up file and the problem set (its cues) → what it answers; raises
:class:`~autograder.writeup.model.Refused` for a file that must not be graded."""


def load_answers(
    upload: Path,
    problems: ProblemSet | None = None,
    *,
    stage: Stage = "final",
    reader: WriteupReader | None = None,
) -> Submission:
    """The submission in ``upload`` (folder, .zip, answers file or write-up), however it was
    packed, named after ``upload``; where the answers were found comes first among its messages.
    A write-up is extracted with ``problems``' cues by ``reader`` (default
    :func:`read_writeup`), its attempts at ``stage`` becoming the answers.
    Never raises for bad content: with nothing found, no answers and the reason."""
    name = submission_name(upload)
    with find_answers(upload) as located:
        if located.folder is None:
            return Submission(name, upload, {}, located.messages)
        if located.writeup is not None:
            loaded = _load_writeup(located, problems, stage, reader or read_writeup)
            if loaded.extraction is None:  # refused: the student must hear what was expected too
                return Submission(name, upload, {}, (*(located.if_unread or located.messages), *loaded.messages))
        else:
            loaded = _load_located(located)
            loaded = dataclasses.replace(loaded, messages=(*loaded.messages, *_unread_note(located, loaded)))
    return dataclasses.replace(loaded, name=name, folder=upload, messages=(*located.messages, *loaded.messages))


def _unread_note(located: Located, loaded: Submission) -> tuple[str, ...]:
    """That answers.yaml won over the write-ups found beside it, naming those it does not name."""
    assert located.folder is not None, "checked by the caller"
    named = {
        os.path.normpath(located.folder / answer.file) for answer in loaded.answers.values() if answer.file is not None
    }
    unread = [shown for path, shown in located.unread if os.path.normpath(path) not in named]
    if not unread:
        return ()
    listed = ", ".join(unread[:5]) + (f" and {len(unread) - 5} more" if len(unread) > 5 else "")
    return (WRITEUP_IGNORED.format(answers=located.where or ANSWERS_FILE, writeups=listed),)


def read_writeup(path: Path, problems: ProblemSet) -> Extraction:
    """The default :data:`WriteupReader`: the format readers (which refuse a link, a file too
    large, a PDF, a mangled text layer), then the extractor with the problem set's cues."""
    return extract(formats.load(path), problems)


def _load_writeup(located: Located, problems: ProblemSet | None, stage: Stage, reader: WriteupReader) -> Submission:
    """The answers a located write-up gives; a file that cannot be read (a link, too large,
    refused by its format reader) grades nothing and says why."""
    path = located.writeup
    assert path is not None and located.folder is not None, "checked by the caller"
    name, shown = folder_name(located.folder), located.where or printable(path.name)
    if problems is None:
        return Submission(name, located.folder, {}, (f"{shown} is a write-up; it is read with a problem set.",))
    try:
        extraction = reader(path, problems)
    except Refused as error:
        return Submission(name, located.folder, {}, (f"{printable(str(error))} Nothing was graded.",))
    return from_extraction(name, located.folder, extraction, stage=stage, writeup=shown)


def submission_name(upload: Path) -> str:
    """The name an upload is shown and filed under: its folder name, or a zip file's stem
    (an LMS download holds ``alice.zip``, ``bob.zip``, …)."""
    if upload.suffix.lower() == ARCHIVE_SUFFIX and not upload.is_dir():
        return printable(upload.name[: -len(ARCHIVE_SUFFIX)]) or folder_name(upload)
    return folder_name(upload)


def _load_located(located: Located) -> Submission:
    folder = located.folder
    assert folder is not None, "checked by the caller"
    if located.answers_file == ANSWERS_FILE or folder.is_symlink():
        return load_submission(folder)  # the usual case, and the refusal of a linked folder
    return _load_named(folder, located.answers_file)


def _load_named(folder: Path, name: str) -> Submission:
    """:func:`load_submission` for an answers file of another name (``answers.yml``,
    ``Answers.YAML``, a file given by path): the same reading and the same refusals."""
    path = folder / name
    try:
        raw = read_student_file(path, MAX_ANSWERS_BYTES)
    except UnsafePath as error:
        return Submission(folder_name(folder), folder, {}, (f"{printable(str(error))} Nothing was graded.",))
    answers, messages = parse_answers(raw, printable(name))
    for answer_id, answer in answers.items():
        if answer.file is not None and answer.problem is None:
            answers[answer_id] = read_named_file(folder, answer.file)
    return Submission(folder_name(folder), folder, answers, tuple(messages))


# --- finding ---------------------------------------------------------------


def locate_answers(upload: Path, work: Path | Callable[[], Path]) -> Located:
    """Find the answers file in ``upload``; zips are unpacked under ``work`` (a folder, or what
    makes one when first needed), which the caller removes."""
    if isinstance(work, Path):
        work = functools.partial(Path, work)
    if upload.is_symlink():
        if upload.is_dir() or not upload.exists():
            return Located(upload)  # load_submission refuses it, saying why
        return Located(
            None, messages=(f"{printable(upload.name)} is a symbolic link, so it was not read. " + EXPECTED_LAYOUT,)
        )
    if upload.is_file():
        return _locate_in_file(upload, work)
    files = list(walk(upload, links=True))
    candidates = [path for path in files if is_answers_name(path.name)]
    archives = [path for path in files if _is_archive(path)]
    writeups = [path for path in files if is_writeup_name(path.name)]
    if candidates:
        located = choose(candidates, upload, UPLOAD)
        notes: list[str] = []
        if located.folder is not None and archives:
            unopened = ", ".join(_shown(path, upload) for path in archives[:MAX_ARCHIVES])
            notes.append(f"Not opened, since answers were found outside them: {unopened}.")
        return dataclasses.replace(located, messages=(*located.messages, *notes), unread=_unread(writeups, upload))
    return _locate_in_archives(upload, archives, work, writeups)


def _locate_in_file(upload: Path, work: Callable[[], Path]) -> Located:
    """An answers file given by path, or a .zip that is the whole upload."""
    name = upload.name
    if upload.suffix.lower() in ANSWER_SUFFIXES:
        return Located(upload.parent, name, _rename_note(name), name)
    if upload.suffix.lower() in (*WRITEUP_SUFFIXES, PDF_SUFFIX):
        return Located(upload.parent, "", (), printable(name), upload)
    if upload.suffix.lower() != ARCHIVE_SUFFIX:
        return Located(None, messages=(f"{printable(name)} is neither an answers file nor a .zip. " + EXPECTED_LAYOUT,))
    target = work() / "upload"
    problem = unpack(upload, target)
    if problem is not None:
        return Located(None, messages=(NO_ANSWERS, problem))
    candidates = search(target)
    if not candidates:
        writeups = search_writeups(target)
        return choose_writeup(writeups, target, UPLOAD) if writeups else _nothing_found(target, ())
    located = choose(candidates, target, UPLOAD)
    return dataclasses.replace(located, unread=_unread(search_writeups(target), target))


def _locate_in_archives(
    upload: Path, archives: list[Path], work: Callable[[], Path], writeups: list[Path] | None = None
) -> Located:
    """The answers inside the upload's zips: the one zip that holds them, unpacked; with none,
    the upload's one write-up (``writeups``, found outside the zips), else the one in a zip."""
    messages: list[str] = []
    if len(archives) > MAX_ARCHIVES:
        messages.append(f"Only the first {MAX_ARCHIVES} of the {len(archives)} .zip files were looked in.")
    holding: list[tuple[Path, Path, list[Path]]] = []
    writing: list[tuple[Path, Path, list[Path]]] = []
    for index, archive in enumerate(archives[:MAX_ARCHIVES]):
        if not _may_hold_answers(archive, writeups=not writeups):
            continue
        target = work() / f"archive-{index}"
        problem = unpack(archive, target)
        if problem is not None:
            messages.append(problem)
            continue
        found = search(target)
        if found:
            holding.append((archive, target, found))
        elif found_writeups := search_writeups(target):
            writing.append((archive, target, found_writeups))
    if not holding and writeups:
        located = choose_writeup(writeups, upload, UPLOAD)
        return dataclasses.replace(located, messages=(*messages, *located.messages))
    if not holding and writing:
        return _one_archive(writing, upload, messages, "write-ups", choose_writeup)
    if not holding:
        return _nothing_found(upload, tuple(messages))
    return _one_archive(holding, upload, messages, "answers", choose)


def _one_archive(
    candidates: list[tuple[Path, Path, list[Path]]],
    upload: Path,
    messages: list[str],
    what: str,
    chooser: Callable[[list[Path], Path, str], Located],
) -> Located:
    """What the one zip holding ``what`` (answers, or write-ups) holds; several such zips are
    refused: either could be the one the student meant."""
    if len(candidates) > 1:
        names = ", ".join(_shown(archive, upload) for archive, _, _ in candidates)
        refusal = (
            f"Several .zip files hold {what} ({names}), so nothing was graded: either could be "
            "the one you meant. Upload only one."
        )
        return Located(None, messages=(refusal, *messages))
    archive, target, found = candidates[0]
    located = chooser(found, target, _shown(archive, upload))
    return dataclasses.replace(located, messages=(*messages, *located.messages))


def choose_writeup(found: list[Path], base: Path, container: str) -> Located:
    """The one write-up among ``found`` (below ``base``, known to the student as ``container``):
    several are refused, naming them; a PDF counts only when it is the only file found."""
    texts = [path for path in found if path.suffix.lower() != PDF_SUFFIX]
    pdfs = [path for path in found if path.suffix.lower() == PDF_SUFFIX]
    chosen = texts or pdfs
    if len(chosen) > 1:
        shown = [_shown(path, base) for path in chosen]
        listed = ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
        return Located(None, messages=(SEVERAL_WRITEUPS.format(container=container, names=listed),))
    best = chosen[0]
    where = _shown(best, base) if container == UPLOAD else f"{container}: {_shown(best, base)}"
    messages = [WRITEUP_FOUND.format(where=where)]
    if texts and pdfs:
        messages.append(PDF_IGNORED.format(pdfs=", ".join(_shown(path, base) for path in pdfs[:5]), where=where))
    return Located(best.parent, "", tuple(messages), where, best, _nothing_found(base, ()).messages)


def _unread(writeups: list[Path], base: Path) -> tuple[tuple[Path, str], ...]:
    return tuple((path, _shown(path, base)) for path in writeups)


def _nothing_found(base: Path, messages: tuple[str, ...]) -> Located:
    return Located(None, messages=(NO_ANSWERS, f"Your upload contained: {_listing(base)}.", *messages))


def choose(candidates: list[Path], base: Path, container: str) -> Located:
    """The answers file among ``candidates`` (found below ``base``, which the student knows as
    ``container``): the nearest the top, then by name; a tie is refused."""
    ranked = sorted(candidates, key=lambda path: (_rank(path, base), str(path)))
    best = ranked[0]
    shown = [_shown(path, base) for path in ranked]
    tied = [name for path, name in zip(ranked, shown, strict=True) if _rank(path, base) == _rank(best, base)]
    if len(tied) > 1:
        refusal = (
            f"Several answer files are equally near the top of {container} ({', '.join(tied[:5])}), "
            "so nothing was graded: either could be the one you meant. Upload only one."
        )
        return Located(None, messages=(refusal,))
    origin = "" if container == UPLOAD else f" in {container}"
    where = shown[0] if container == UPLOAD else f"{container}: {shown[0]}"
    messages: list[str] = []
    if len(ranked) > 1:
        why = "the one nearest the top" if _depth(best, base) < _depth(ranked[1], base) else f"named {best.name}"
        listed = ", ".join(shown[:5]) + (f" and {len(shown) - 5} more" if len(shown) > 5 else "")
        messages.append(f"Several answer files were found{origin} ({listed}); graded {shown[0]}, {why}.")
    elif container != UPLOAD or best.parent != base:
        messages.append(FOUND.format(where=shown[0], container=container))
    messages.extend(_rename_note(best.name))
    return Located(best.parent, best.name, tuple(messages), where)


def is_found_note(message: str) -> bool:
    """Whether a submission message only says where its answers were found (:data:`FOUND`):
    a summary of problems can leave it out."""
    return _FOUND.fullmatch(message) is not None


def _rank(path: Path, base: Path) -> tuple[int, int]:
    names = (*ANSWER_FILES, path.name)
    return _depth(path, base), names.index(path.name)


def _depth(path: Path, base: Path) -> int:
    return len(path.relative_to(base).parts) - 1


def _rename_note(name: str) -> tuple[str, ...]:
    if name in ANSWER_FILES:
        return ()
    return (f"Read {printable(name)} as {ANSWERS_FILE}; name it {ANSWERS_FILE} next time.",)


def _shown(path: Path, base: Path) -> str:
    return printable(str(path.relative_to(base)))


def is_answers_name(name: str) -> bool:
    return name.lower() in ANSWER_FILES


def is_writeup_name(name: str) -> bool:
    """A file that may be a write-up: a write-up suffix or a PDF, and not a README, a licence, …"""
    lowered = name.lower()
    if not lowered.endswith((*WRITEUP_SUFFIXES, PDF_SUFFIX)):
        return False
    return not lowered.startswith(NOT_WRITEUPS)


def search_writeups(base: Path, *, depth: int = SEARCH_DEPTH) -> list[Path]:
    """The possible write-ups below ``base``; symlinks included, so that reading them says they are refused."""
    return [path for path in walk(base, depth=depth, links=True) if is_writeup_name(path.name)]


def _is_archive(path: Path) -> bool:
    return path.suffix.lower() == ARCHIVE_SUFFIX and not path.is_symlink()


def answers_at_top(folder: Path) -> bool:
    """Whether ``folder`` holds an answers file itself (a symlink counts: it is refused when read)."""
    return bool(search(folder, depth=0))


def writeup_at_top(folder: Path) -> bool:
    """Whether ``folder`` is one write-up submission rather than a batch: it holds a write-up
    itself and none of its child folders or zips holds answers or a write-up (a batch folder's
    notes.md beside the students' folders does not make it one submission)."""
    if not search_writeups(folder, depth=0):
        return False
    for member in batch_members(folder):
        if member.is_dir() and (search(member) or search_writeups(member)):
            return False
        if not member.is_dir() and _may_hold_answers(member, writeups=True):
            return False
    return True


def batch_members(folder: Path) -> list[Path]:
    """What would be the submissions of a batch folder: its child folders and .zip files,
    hidden and tool folders (``__MACOSX``) left out; symlinked folders are kept, to be refused."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    members = []
    for entry in entries:
        if entry.name.startswith(".") or entry.name in IGNORED_FOLDERS:
            continue
        if entry.is_dir() or (entry.name.lower().endswith(ARCHIVE_SUFFIX) and entry.is_file()):
            members.append(Path(entry.path))
    return members


def walk(base: Path, *, depth: int = SEARCH_DEPTH, links: bool = False) -> Iterator[Path]:
    """Files below ``base`` (regular ones, and with ``links`` symlinks too, never followed),
    at most ``depth`` folders down, breadth first, nearest first, bounded."""
    level = [base]
    seen = 0
    for _ in range(depth + 1):
        below: list[Path] = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > MAX_ENTRIES_SEARCHED:
                    return
                if entry.name.startswith("."):
                    continue
                if entry.is_symlink():
                    if links:
                        yield Path(entry.path)
                elif entry.is_dir():
                    if entry.name not in IGNORED_FOLDERS:
                        below.append(Path(entry.path))
                elif entry.is_file():
                    yield Path(entry.path)
        level = below


def search(base: Path, *, depth: int = SEARCH_DEPTH) -> list[Path]:
    """The answers files below ``base``; symlinks included, so that reading them says they are refused."""
    return [path for path in walk(base, depth=depth, links=True) if is_answers_name(path.name)]


def _listing(base: Path, limit: int = 10) -> str:
    names = [_shown(path, base) for path in walk(base)]
    if not names:
        return "no files"
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


# --- zips ------------------------------------------------------------------


def _may_hold_answers(archive: Path, *, writeups: bool = False) -> bool:
    """Whether a zip lists an answers file (with ``writeups``, or a write-up; or cannot be
    listed: unpacking then says why), so a zip of data next to the one with the answers is
    never unpacked."""
    wanted = (lambda name: is_answers_name(name) or is_writeup_name(name)) if writeups else is_answers_name
    try:
        with zipfile.ZipFile(archive) as zipped:
            return any(wanted(PurePosixPath(name.replace("\\", "/")).name) for name in zipped.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        return True


def unpack(archive: Path, target: Path) -> str | None:
    """Extract a student's zip safely (no absolute paths, no ``..``, no symlinks, bounded); a problem or None."""
    name = printable(archive.name)
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                return f"{name} holds more than {MAX_ARCHIVE_MEMBERS} files; it was not opened."
            budget = MAX_ARCHIVE_BYTES
            written: set[tuple[str, ...]] = set()
            root = target.resolve()
            for member in members:
                parts = PurePosixPath(member.filename.replace("\\", "/")).parts
                kind = stat.S_IFMT(member.external_attr >> 16)
                # "//etc/passwd" parses as ("//", "etc", "passwd"): a part holding a slash is a root.
                if not parts or any("/" in part for part in parts) or ".." in parts:
                    continue
                if kind == stat.S_IFLNK or member.is_dir():
                    continue
                destination = target.joinpath(*parts)
                if not destination.resolve().is_relative_to(root):  # never outside the private folder
                    continue
                if parts in written:  # one copy silently replacing another would be a guess
                    shown = printable("/".join(parts))
                    return f"{name} holds {shown} twice; upload a zip with one copy of each file."
                written.add(parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as packed, open(destination, "wb") as unpacked:
                    while chunk := packed.read(1 << 16):
                        budget -= len(chunk)
                        if budget < 0:
                            return f"{name} unpacks to more than {MAX_ARCHIVE_BYTES // 2**20} MB; it was not opened."
                        unpacked.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
        return f"{name} could not be unpacked ({error}); upload answers.yaml itself or a plain .zip."
    return None
