"""Landlock: the kernel's unprivileged access control (Linux 5.13 and later).

A process restricts itself, and every process it starts, to a ruleset: the
filesystem rights it keeps beneath a few folders, TCP ports it may use (ABI 4),
and whether it may signal or reach abstract UNIX sockets outside its own domain
(ABI 6). It needs neither root nor namespaces, and Docker's default seccomp
profile allows its three system calls, so it holds on an instructor's laptop and
on Gradescope alike. The restriction is per thread: the sandbox applies it in a
freshly forked, single-threaded child, before any student code runs.

Only the child calls :func:`enforce`; :func:`abi` is safe anywhere.
"""

from __future__ import annotations

import ctypes
import os
import struct
from collections.abc import Iterable

# The three system calls have the same numbers on every architecture (the
# unified table of Linux 5.13).
SYS_CREATE_RULESET = 444
SYS_ADD_RULE = 445
SYS_RESTRICT_SELF = 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

#: Rights that make sense on a regular file (a rule on a file may hold only these).
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ_RIGHTS = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class LandlockError(OSError):
    """The ruleset could not be built or applied; the child must not run student code."""


def abi() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    version = int(_libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION)))
    return max(version, 0)


def handled_fs(version: int) -> int:
    """Every filesystem right this ABI knows: all of them are denied unless a rule allows them."""
    rights = (1 << 13) - 1
    if version >= 2:
        rights |= FS_REFER
    if version >= 3:
        rights |= FS_TRUNCATE
    if version >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def build(*, read: Iterable[str], write: Iterable[str], version: int) -> int:
    """A ruleset file descriptor, for :func:`enforce`.

    ``read``: paths beneath which files may be read and executed and folders
    listed; ``write``: paths beneath which everything is allowed (the run's own
    folder). Paths this process cannot open are skipped (nothing beneath them
    will be reachable). TCP bind and connect are handled with no rule (so
    refused) from ABI 4; signals and abstract UNIX sockets are scoped to the
    domain from ABI 6. Built while still root, so the unprivileged child can be
    given paths (a Python under /root) it could not open itself.
    """
    if version < 1:
        raise LandlockError(0, "Landlock is not available")
    fs_rights = handled_fs(version)
    attribute = struct.pack("<Q", fs_rights)
    if version >= 4:
        attribute += struct.pack("<Q", NET_BIND_TCP | NET_CONNECT_TCP)
    if version >= 6:
        attribute += struct.pack("<Q", SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    buffer = ctypes.create_string_buffer(attribute, len(attribute))
    ruleset = int(_libc.syscall(SYS_CREATE_RULESET, buffer, ctypes.c_size_t(len(attribute)), ctypes.c_uint32(0)))
    if ruleset < 0:
        raise _error("landlock_create_ruleset")
    try:
        for path in read:
            _allow(ruleset, path, READ_RIGHTS & fs_rights)
        for path in write:
            _allow(ruleset, path, fs_rights)
    except BaseException:
        os.close(ruleset)
        raise
    return ruleset


def enforce(ruleset: int) -> None:
    """Confine this thread (and what it starts) for good; needs ``PR_SET_NO_NEW_PRIVS`` (or root)."""
    try:
        if int(_libc.syscall(SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))) != 0:
            raise _error("landlock_restrict_self")
    finally:
        os.close(ruleset)


def _allow(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:  # missing, or not reachable by this process: nothing beneath it is allowed
        return
    try:
        if not os.path.isdir(path):
            rights &= FILE_RIGHTS
        # struct landlock_path_beneath_attr is packed: u64 allowed_access, s32 parent_fd.
        rule = ctypes.create_string_buffer(struct.pack("<Qi", rights, fd), 12)
        if int(_libc.syscall(SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH), rule, 0)) != 0:
            raise _error(f"landlock_add_rule({path})")
    finally:
        os.close(fd)


def _error(call: str) -> LandlockError:
    number = ctypes.get_errno()
    return LandlockError(number, f"{call} failed: {os.strerror(number)}")
