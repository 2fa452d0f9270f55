"""A roster: which student each submission folder belongs to, for gradebook exports.

``grades.csv`` is keyed by folder name, which no gradebook knows; Gradescope
matches a row by email (or SID), Canvas by its user ID, SIS user ID or SIS
login. A roster maps folder → student:

- **CSV** (``roster.csv``): a header row, then one row per student. UTF-8, with
  or without a byte-order mark (Excel's "CSV UTF-8" adds one). Headers are
  matched case-insensitively, with spaces, ``_`` and ``-`` ignored, so
  ``Email``, ``e-mail`` and ``EMAIL`` are one column. Accepted headers
  (:data:`HEADERS`): ``folder`` (or ``submission``; required: the key),
  ``name`` (or ``student``, ``full name``), ``first name`` and ``last name``
  (joined into the name when there is no name column), ``email`` (``email
  address``), ``sid`` (``student id``, ``student number``, ``sis user id``),
  ``section`` (``sections``), ``login`` (``sis login id``, ``username``),
  ``canvas id`` (``id``: Canvas's own numeric user ID, as in its gradebook export).
- **YAML** (``roster.yaml``/``.yml``): a mapping folder → fields with the same
  names, e.g. ``alice: {name: Alice Doé, email: alice@example.edu, sid: 01001}``; every value is
  read as text, as written (YAML would otherwise read ``01001`` as a number and drop its zero).

Refused with the file and line: a folder listed twice, a row without a folder,
an unknown or repeated column, a row with more cells than the header, a file
that is not UTF-8. :func:`match` lists, as warnings, graded folders the roster
does not name and roster rows with no graded folder; neither is dropped
silently. Cells are kept as text (``007`` stays ``007``).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

ROSTER_FILES = ("roster.csv", "roster.yaml", "roster.yml")
"""Looked for in OUT when no ``--roster`` is given, in this order."""

MAX_ROSTER_BYTES = 10_000_000


class RosterError(Exception):
    """A roster file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Student:
    folder: str
    """The submission's folder name in OUT (the key)."""
    name: str = ""
    email: str = ""
    sid: str = ""
    """The institution's student ID (Canvas: SIS User ID; Gradescope: SID)."""
    section: str = ""
    login: str = ""
    """Canvas's SIS Login ID."""
    canvas_id: str = ""
    """Canvas's own numeric user ID (the ``ID`` column of its gradebook export)."""


FIELDS = tuple(field.name for field in fields(Student))

HEADERS: Mapping[str, str] = {
    "folder": "folder",
    "submission": "folder",
    "name": "name",
    "student": "name",
    "fullname": "name",
    "studentname": "name",
    "firstname": "first",
    "lastname": "last",
    "email": "email",
    "emailaddress": "email",
    "sid": "sid",
    "studentid": "sid",
    "studentnumber": "sid",
    "sisuserid": "sid",
    "section": "section",
    "sections": "section",
    "login": "login",
    "sisloginid": "login",
    "username": "login",
    "canvasid": "canvas_id",
    "id": "canvas_id",
}
"""Folded header (lower case, no spaces, ``_`` or ``-``) → the field it fills."""


def _fold(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header).lower()


@dataclass(frozen=True)
class Roster:
    path: Path
    students: tuple[Student, ...]
    """In the file's order."""

    def by_folder(self) -> dict[str, Student]:
        return {student.folder: student for student in self.students}

    def get(self, folder: str) -> Student | None:
        return self.by_folder().get(folder)


@dataclass(frozen=True)
class RosterMatch:
    """How a roster and the graded folders line up."""

    unlisted: list[str]
    """Graded folders the roster does not name: their rows have no student key."""
    ungraded: list[str]
    """Roster folders with no graded submission (no submission, a typo, or a renamed folder)."""
    shared: list[str]
    """Warnings: one email or SID given to two folders (that student would be imported twice)."""

    def warnings(self, roster: Roster) -> list[str]:
        lines = [f"{roster.path}: graded but not in the roster: {name}" for name in self.unlisted]
        lines += [f"{roster.path}: in the roster but not graded: {name}" for name in self.ungraded]
        return lines + [f"{roster.path}: {line}" for line in self.shared]


def match(roster: Roster, graded: Iterable[str]) -> RosterMatch:
    names = list(graded)
    listed = roster.by_folder()
    unlisted = [name for name in names if name not in listed]
    ungraded = [student.folder for student in roster.students if student.folder not in set(names)]
    shared = []
    for key in ("email", "sid"):
        owners: dict[str, list[str]] = {}
        for student in roster.students:
            value = getattr(student, key)
            if value:
                owners.setdefault(value.casefold() if key == "email" else value, []).append(student.folder)
        shared += [
            f"{key} {value!r} is given to {len(folders)} folders: {', '.join(folders)}"
            for value, folders in owners.items()
            if len(folders) > 1
        ]
    return RosterMatch(unlisted, ungraded, shared)


def find_roster(out: Path) -> Path | None:
    """The roster kept in OUT, if there is one."""
    for name in ROSTER_FILES:
        if (out / name).is_file():
            return out / name
    return None


def load_roster(path: Path) -> Roster:
    """The roster in ``path`` (CSV, or YAML by its suffix); RosterError says what is wrong and where."""
    text = _read_text(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return Roster(path, _from_yaml(path, text))
    return Roster(path, _from_csv(path, text))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise RosterError(f"{path}: cannot be read ({error.strerror or type(error).__name__})") from None
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterError(f"{path}: {len(data):,} bytes; a roster is at most {MAX_ROSTER_BYTES:,}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RosterError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[error.start]:02x}); save it as UTF-8 "
            "(Excel: 'CSV UTF-8 (Comma delimited)')"
        ) from None


def _from_csv(path: Path, text: str) -> tuple[Student, ...]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise RosterError(f"{path}: not a CSV file ({error})") from None
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise RosterError(f"{path}: empty; give a header row (folder,name,email,sid,section) and one row per student")
    header_line, header = numbered[0]
    columns = _columns(path, header_line, header)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for number, row in numbered[1:]:
        if len(row) > len(header):
            raise RosterError(f"{path}:{number}: {len(row)} cells but the header has {len(header)} columns")
        values: dict[str, str] = {}
        for column, cell in zip(columns, row, strict=False):
            values[column] = cell.strip()
        students.append(_student(path, number, values, seen))
    return tuple(students)


def _columns(path: Path, line: int, header: list[str]) -> list[str]:
    """The field each header cell fills; refuses unknown and repeated columns."""
    columns: list[str] = []
    for cell in header:
        folded = _fold(cell)
        if folded not in HEADERS:
            raise RosterError(f"{path}:{line}: {_unknown(cell)}")
        column = HEADERS[folded]
        if column in columns:
            raise RosterError(f"{path}:{line}: column {cell.strip()!r} repeats another {column!r} column")
        columns.append(column)
    if "folder" not in columns:
        raise RosterError(
            f"{path}:{line}: no 'folder' column; it names each student's submission folder (the key). "
            f"The header found: {', '.join(cell.strip() for cell in header)}"
        )
    return columns


ACCEPTED = (
    "folder (or submission), name (student, full name), first name, last name, email, "
    "sid (student id, sis user id), section, login (sis login id, username), canvas id (id)"
)


def _unknown(header: str) -> str:
    close = difflib.get_close_matches(_fold(header), list(HEADERS), n=1)
    hint = f" did you mean {close[0]!r}?" if close else ""
    return f"unknown column {header.strip()!r};{hint} accepted, in any case: {ACCEPTED}"


def _student(path: Path, line: int, values: dict[str, str], seen: dict[str, int]) -> Student:
    folder = values.pop("folder", "")
    if not folder:
        raise RosterError(f"{path}:{line}: no folder; every row needs the submission folder it belongs to")
    if folder in seen:
        raise RosterError(f"{path}:{line}: folder {folder!r} is already on line {seen[folder]}")
    seen[folder] = line
    first, last = values.pop("first", ""), values.pop("last", "")
    if not values.get("name"):
        values["name"] = " ".join(part for part in (first, last) if part)
    return Student(folder=folder, **values)


def _from_yaml(path: Path, text: str) -> tuple[Student, ...]:
    try:
        data = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar as written: a SID 0123 stays 0123
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise RosterError(f"{path}{where}: not YAML ({getattr(error, 'problem', None) or error})") from None
    if data is None or data == "":
        raise RosterError(f"{path}: empty; give one 'folder: {{name: ..., email: ...}}' entry per student")
    if not isinstance(data, dict):
        raise RosterError(f"{path}: a mapping of folder → {{name, email, sid, section}} is expected")
    _check_yaml_duplicates(path, text)
    lines = _yaml_key_lines(text)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for key, entry in data.items():
        folder = "" if key is None else str(key).strip()
        line = lines.get(folder, 0)
        if not isinstance(entry, dict):
            raise RosterError(f"{path}:{line}: {folder!r}: give its fields as a mapping (name: ..., email: ...)")
        values = {"folder": folder}
        for name, value in entry.items():
            column = HEADERS.get(_fold(str(name)))
            if column is None or column == "folder":
                raise RosterError(f"{path}:{line}: {folder!r}: {_unknown(str(name))}")
            if not isinstance(value, str):
                raise RosterError(f"{path}:{line}: {folder!r}: {name}: give one value, not a list or mapping")
            values[column] = "" if value.strip() in YAML_NULLS else value.strip()
        students.append(_student(path, line, values, seen))
    return tuple(students)


YAML_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
"""How YAML spells "no value"; read as an empty field (the roster is read with every scalar as text)."""

_TOP_KEY = re.compile(r"^(?P<quote>['\"]?)(?P<key>[^'\"#:\s][^'\"#:]*?)(?P=quote)\s*:")


def _yaml_key_lines(text: str) -> dict[str, int]:
    """The line of each top-level key (for messages); the first one when a key repeats."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _TOP_KEY.match(line)
        if found:
            lines.setdefault(found.group("key").strip(), number)
    return lines


def _check_yaml_duplicates(path: Path, text: str) -> None:
    """YAML keeps the last of two equal keys silently; a roster must not lose a student that way."""
    first: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        found = _TOP_KEY.match(line)
        if not found:
            continue
        key = found.group("key").strip()
        if key in first:
            raise RosterError(f"{path}:{number}: folder {key!r} is already on line {first[key]}")
        first[key] = number
