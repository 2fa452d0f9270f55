"""Removing what a run left, whatever it built.

``shutil.rmtree`` recurses once per level, so a run that nests 3,000 folders
makes it raise ``RecursionError`` (which ``ignore_errors`` does not catch), and
path-based calls fail past ``PATH_MAX``; a folder the run made unreadable
(``chmod 0``) stops it too. :func:`remove_tree` walks with one directory
descriptor at a time, never follows a symlink, makes folders it owns
traversable before entering them, and never raises.
"""

from __future__ import annotations

import contextlib
import os
import stat

FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_STEPS = 1_000_000
"""Entries removed at most per call: a bound, not a budget any real run comes near."""


def remove_tree(path: str) -> bool:
    """Delete ``path`` (a folder or a file) and everything below it; True when it is gone."""
    with contextlib.suppress(Exception):  # clean-up must never stop the sandbox; the return value says so
        _remove(path)
    return not os.path.lexists(path)


def _remove(path: str) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode):
        os.unlink(path)
        return
    _make_traversable(path, None)
    fd = os.open(path, FOLDER)
    names: list[str] = []  # the folders entered, from the top
    skipped: set[tuple[int, int]] = set()  # folders that could not be emptied
    for _ in range(MAX_STEPS):
        entered = None
        with os.scandir(fd) as entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        key = (entry.inode(), os.fstat(fd).st_dev)
                        if key not in skipped:
                            entered = entry.name
                            break
                    else:
                        os.unlink(entry.name, dir_fd=fd)
                except OSError:
                    continue
        if entered is not None:
            try:
                _make_traversable(entered, fd)
                child = os.open(entered, FOLDER, dir_fd=fd)
            except OSError:
                skipped.add((os.stat(entered, dir_fd=fd, follow_symlinks=False).st_ino, os.fstat(fd).st_dev))
                continue
            os.close(fd)
            fd = child
            names.append(entered)
            continue
        if not names:  # the top folder is empty
            os.close(fd)
            os.rmdir(path)
            return
        parent = os.open("..", FOLDER, dir_fd=fd)
        here = os.fstat(fd)
        os.close(fd)
        fd = parent
        name = names.pop()
        try:
            os.rmdir(name, dir_fd=fd)
        except OSError:
            skipped.add((here.st_ino, here.st_dev))
    os.close(fd)


def _make_traversable(name: str, dir_fd: int | None) -> None:
    """A folder the run made unreadable (chmod 0): give ourselves rwx on it again (root needs not)."""
    with contextlib.suppress(OSError):
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode) and info.st_mode & 0o700 != 0o700 and info.st_uid == os.geteuid():
            os.chmod(name, stat.S_IMODE(info.st_mode) | 0o700, dir_fd=dir_fd)
