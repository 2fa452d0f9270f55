"""A seccomp filter for the sandboxed child: the system calls student code never needs.

A short classic-BPF program, installed with ``prctl(PR_SET_SECCOMP)`` after
Landlock (it needs ``PR_SET_NO_NEW_PRIVS``, which the child sets anyway). It
refuses, with EPERM: tracing or reading other processes (ptrace,
process_vm_readv/writev, kcmp, pidfd_getfd), every ``socket()`` (only
``socketpair(AF_UNIX)`` remains: Landlock does not stop ``connect`` to a UNIX
socket file such as ``/var/run/docker.sock`` or an ssh agent), System V IPC and
POSIX message queues (they outlive the run and would let one run talk to the
next), new processes (fork, vfork, clone without CLONE_THREAD: threads stay allowed) and
new namespaces (unshare, setns, clone with a CLONE_NEW* flag), mounts,
bpf, keyrings, perf_event_open, userfaultfd, io_uring, module and kexec loading.
``clone3`` answers ENOSYS, as in Docker's profile, so the C library falls back to
``clone``, whose flags a filter can see. System calls of another ABI (x32 on
x86-64) or another architecture kill the process.

Written by hand rather than with libseccomp: its Python bindings are a Debian
package tied to Debian's own interpreter, and a deny list this short is clearer
as data than as a dependency. Numbers come from the kernel's tables for
x86-64 and arm64 (``tests/test_seccomp.py`` checks them against the headers).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000

LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
AND_K = 0x54  # BPF_ALU | BPF_AND | BPF_K
RET_K = 0x06  # BPF_RET | BPF_K

# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6].
OFFSET_NR = 0
OFFSET_ARCH = 4
OFFSET_ARG0_LOW = 16  # little-endian: the low 32 bits of args[0]

AF_UNIX = 1
CLONE_NEW_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80
"""CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET and NEWTIME."""

DENIED = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "open_by_handle_at",
    "name_to_handle_at",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "swapon",
    "swapoff",
    "reboot",
    "acct",
    "quotactl",
    "vhangup",
    "socket",
    "shmget",
    "shmat",
    "shmctl",
    "shmdt",
    "semget",
    "semop",
    "semctl",
    "semtimedop",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
)
"""Refused with EPERM."""

NUMBERS: dict[str, tuple[int, int]] = {
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "kcmp": (312, 272),
    "pidfd_getfd": (438, 438),
    "unshare": (272, 97),
    "setns": (308, 268),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "open_by_handle_at": (304, 265),
    "name_to_handle_at": (303, 264),
    "bpf": (321, 280),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "perf_event_open": (298, 241),
    "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "reboot": (169, 142),
    "acct": (163, 89),
    "quotactl": (179, 60),
    "vhangup": (153, 58),
    "clone3": (435, 435),
    "shmget": (29, 194),
    "shmat": (30, 196),
    "shmctl": (31, 195),
    "shmdt": (67, 197),
    "semget": (64, 190),
    "semop": (65, 193),
    "semctl": (66, 191),
    "semtimedop": (220, 192),
    "msgget": (68, 186),
    "msgsnd": (69, 189),
    "msgrcv": (70, 188),
    "msgctl": (71, 187),
    "mq_open": (240, 180),
    "mq_unlink": (241, 181),
    "mq_timedsend": (242, 182),
    "mq_timedreceive": (243, 183),
    "mq_notify": (244, 184),
    "mq_getsetattr": (245, 185),
    "socket": (41, 198),
    "socketpair": (53, 199),
    "clone": (56, 220),
}
"""System call numbers: (x86-64, arm64)."""
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
ARCHES: dict[str, tuple[int, dict[str, int]]] = {
    machine: (arch, {name: numbers[index] for name, numbers in NUMBERS.items()})
    for index, (machine, arch) in enumerate(AUDIT_ARCH.items())
}
"""Per architecture: its AUDIT_ARCH value and the numbers of the calls the filter looks at."""
CLONE_THREAD = 0x00010000
PROCESS_CALLS = {"x86_64": (57, 58)}
"""fork and vfork, which arm64 does not have (its C library forks with clone)."""
X32_BIT = 0x40000000


class SeccompError(OSError):
    """The filter could not be installed; the child must not run student code."""


def supported() -> bool:
    """Whether this architecture has a table here."""
    return platform.machine() in ARCHES


def program(machine: str | None = None) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions."""
    arch, numbers = ARCHES[machine or platform.machine()]
    deny = RET_ERRNO | errno.EPERM
    code: list[tuple[int, int, int, int]] = [
        (LD_W_ABS, 0, 0, OFFSET_ARCH),
        (JEQ_K, 1, 0, arch),
        (RET_K, 0, 0, RET_KILL_PROCESS),
        (LD_W_ABS, 0, 0, OFFSET_NR),
    ]
    if arch == ARCHES["x86_64"][0]:
        code += [(JGE_K, 0, 1, X32_BIT), (RET_K, 0, 0, RET_KILL_PROCESS)]
    for name in DENIED:
        code += [(JEQ_K, 0, 1, numbers[name]), (RET_K, 0, 0, deny)]
    for number in PROCESS_CALLS.get(machine or platform.machine(), ()):
        code += [(JEQ_K, 0, 1, number), (RET_K, 0, 0, deny)]
    code += [(JEQ_K, 0, 1, numbers["clone3"]), (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS)]
    # Each check below ends in a return, so "not this call" skips it with A = nr intact.
    code += [
        (JEQ_K, 0, 4, numbers["socketpair"]),
        (LD_W_ABS, 0, 0, OFFSET_ARG0_LOW),
        (JEQ_K, 0, 1, AF_UNIX),
        (RET_K, 0, 0, RET_ALLOW),
        (RET_K, 0, 0, RET_ERRNO | errno.EAFNOSUPPORT),
    ]
    # clone: a thread (CLONE_THREAD) with no CLONE_NEW* flag, nothing else. No second
    # process means RLIMIT_AS bounds the run's memory (32 processes would get 32 times it).
    code += [
        (JEQ_K, 0, 5, numbers["clone"]),
        (LD_W_ABS, 0, 0, OFFSET_ARG0_LOW),
        (AND_K, 0, 0, CLONE_NEW_FLAGS | CLONE_THREAD),
        (JEQ_K, 0, 1, CLONE_THREAD),
        (RET_K, 0, 0, RET_ALLOW),
        (RET_K, 0, 0, deny),
    ]
    code.append((RET_K, 0, 0, RET_ALLOW))
    return code


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> None:
    """Install the filter on this thread for good (inherited by what it starts)."""
    instructions = program()
    raw = b"".join(struct.pack("<HBBI", *instruction) for instruction in instructions)
    buffer = ctypes.create_string_buffer(raw, len(raw))
    fprog = _SockFprog(len(instructions), ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if int(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)) != 0:
        number = ctypes.get_errno()
        raise SeccompError(number, f"prctl(PR_SET_SECCOMP) failed: {os.strerror(number)}")
