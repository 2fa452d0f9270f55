"""Length-prefixed frames between the grader and the zygote (both trusted).

A frame is a 4-byte big-endian length followed by that many bytes. The student's
child never holds these pipes: it closes them right after the fork, so nothing it
prints or writes can be mistaken for a frame.
"""

from __future__ import annotations

import os
import select
import struct
import time

HEADER = struct.Struct(">I")


class FrameTimeout(TimeoutError):
    """The other side did not send a whole frame before the deadline."""


def write_frame(fd: int, data: bytes) -> None:
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exactly(fd: int, size: int, deadline: float | None = None) -> bytes:
    """``size`` bytes from ``fd``; EOFError if the writer went away first."""
    chunks: list[bytes] = []
    missing = size
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FrameTimeout(f"no answer within the deadline ({missing} bytes missing)")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, deadline: float | None = None) -> bytes:
    (size,) = HEADER.unpack(read_exactly(fd, HEADER.size, deadline))
    return read_exactly(fd, size, deadline)
