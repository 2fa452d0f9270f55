"""The one way the grader touches the file system around student data.

- **Writing**: every output file (results.json, result.json, feedback, reports,
  grades.csv) is written by :func:`write_text` / :func:`write_json`: a new file
  in the same folder (``O_CREAT|O_EXCL|O_NOFOLLOW``, mode 0644), fsynced, then
  renamed over the target. A reader never sees half a file, and a symlink
  planted at the target is replaced, never written through.
- **Folders we write into**: :func:`ensure_folder` creates a missing one (0755)
  and refuses one that is a symlink, belongs to someone else or that others
  may write to, since whoever controls the folder can redirect what we write.
- **Reading a student's file** (answers.yaml, ``{file: model.py}``):
  :func:`read_student_file` refuses symlinks and hard links, which could point
  at the reference or a classmate's files, and anything but a plain file.
- **Text**: :func:`printable` makes text that cannot be encoded (a lone
  surrogate in an answer, a folder name that is not UTF-8) visible instead of
  fatal; :func:`for_terminal` also escapes control characters.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FILE_MODE = 0o644
FOLDER_MODE = 0o755
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls but newline, DEL, C1 controls: ESC sequences can rewrite a terminal.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


class UnsafePath(Exception):
    """A path the grader refuses to read or write through; the message says why and what to do."""


# --- text ------------------------------------------------------------------


def printable(text: str) -> str:
    """``text`` with every lone surrogate made visible, so it can always be encoded.

    An undecodable byte kept by ``surrogateescape`` (a folder name an old zip
    tool wrote in Latin-1: ``M\\udcfcller``) becomes ``\\xfc``; any other lone
    surrogate (``"\\ud800"`` in answers.yaml) becomes ``\\ud800``.
    """
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_escape_surrogate, text)


def _escape_surrogate(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """:func:`printable`, and control characters but newline (tab too) as ``\\x1b``."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", printable(text))


def printable_data(data: Any) -> Any:
    """JSON-like ``data`` with :func:`printable` applied to every string, keys included."""
    if isinstance(data, str):
        return printable(data)
    if isinstance(data, Mapping):
        return {printable_data(key): printable_data(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [printable_data(item) for item in data]
    return data


# --- writing ---------------------------------------------------------------


def write_json(path: Path, data: Any) -> Path:
    """``data`` as indented UTF-8 JSON, atomically (see :func:`write_bytes`)."""
    text = json.dumps(printable_data(data), indent=2, ensure_ascii=False) + "\n"
    return write_bytes(path, text.encode("utf-8"))


def write_text(path: Path, text: str) -> Path:
    """``text`` as UTF-8, atomically (see :func:`write_bytes`); lone surrogates are escaped."""
    return write_bytes(path, printable(text).encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``path`` atomically without following symlinks; the folder must exist.

    The folder is opened once (``O_NOFOLLOW``) and the file created and renamed
    relative to it, so swapping the folder for a symlink halfway changes nothing.
    """
    try:
        folder = os.open(path.parent, _FOLDER)
    except OSError as error:
        raise UnsafePath(f"{path.parent}: cannot write into it ({_reason(error)})") from None
    try:
        temporary = _create_temporary(folder, path.name)
        try:
            descriptor = os.open(temporary, _CREATE, FILE_MODE, dir_fd=folder)
            with open(descriptor, "wb") as handle:
                os.fchmod(descriptor, FILE_MODE)  # the umask may have taken bits away
                handle.write(data)
                handle.flush()
                os.fsync(descriptor)
            os.replace(temporary, path.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
            raise
    finally:
        os.close(folder)
    return path


def _create_temporary(folder: int, name: str) -> str:
    """A fresh name for the temporary file, hidden, beside the target."""
    for _ in range(100):
        candidate = f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            os.stat(candidate, dir_fd=folder, follow_symlinks=False)
        except FileNotFoundError:
            return candidate
    raise UnsafePath(f"{name}: no free temporary name beside it")  # pragma: no cover - 2^48 names


def ensure_folder(path: Path) -> Path:
    """Create ``path`` (0755, parents as needed) if it is missing; refuse a folder others control.

    Refused: a symlink, not a folder, owned by another user (when we are root:
    not owned by root), or writable by its group or others.
    """
    try:
        os.mkdir(path, FOLDER_MODE)
        os.chmod(path, FOLDER_MODE, follow_symlinks=False)  # the umask may have taken bits away
    except FileNotFoundError:
        path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        return ensure_folder(path)
    except FileExistsError:
        pass
    except OSError as error:
        raise UnsafePath(f"{path}: cannot create this folder ({_reason(error)})") from None
    problem = folder_problem(path)
    if problem is not None:
        raise UnsafePath(f"{path}: {problem}; refusing to write into it")
    return path


def folder_problem(path: Path) -> str | None:
    """Why writing into ``path`` is unsafe, or None."""
    try:
        info = os.lstat(path)
    except OSError as error:
        return f"cannot be checked ({_reason(error)})"
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link (give the real folder)"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    me = os.geteuid()
    if info.st_uid != me:
        owner = "root" if me == 0 else f"uid {me}"
        return f"is owned by uid {info.st_uid}, not by {owner} (use a folder of your own)"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"can be written by others (mode {stat.S_IMODE(info.st_mode):o}; run chmod go-w on it)"
    return None


# --- reading a student's files ---------------------------------------------


def read_student_file(path: Path, limit: int) -> bytes:
    """The bytes of a plain file, at most ``limit``; raises UnsafePath with a sentence for the student.

    Refused: a symlink, a hard link (``st_nlink > 1``: the same file under
    another name, possibly outside the submission), anything but a regular
    file, and a file larger than ``limit``.
    """
    name = path.name
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if os.path.islink(path):
            raise UnsafePath(f"{name} is a symbolic link; only plain files in your submission are read.") from None
        raise UnsafePath(f"{name} could not be opened: {_reason(error)}.") from None
    except ValueError:  # a NUL in the name
        raise UnsafePath(f"'{name}' is not a valid file name.") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePath(f"{name} is not a plain file; only plain files in your submission are read.")
        if info.st_nlink > 1:
            raise UnsafePath(
                f"{name} is a hard link (the same file under {info.st_nlink} names); "
                "only plain files in your submission are read. Upload a copy."
            )
        if info.st_size > limit:
            raise UnsafePath(f"{name} is {info.st_size:,} bytes; at most {limit:,} are read.")
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0 and (chunk := os.read(descriptor, left)):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > limit:
        raise UnsafePath(f"{name} is more than {limit:,} bytes; at most {limit:,} are read.")
    return data


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__
