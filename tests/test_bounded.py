"""bounded.call: results come back, exceptions and exits are reported, hangs are killed,
memory bombs fail in the child."""

from __future__ import annotations

import os
import sys
import time

import sympy

from autograder import bounded


def _add(a: int, b: int) -> int:
    return a + b


def _spin() -> None:
    while True:
        pass


def _fail() -> None:
    raise ValueError("boom")


def _exit() -> None:
    sys.exit(0)


def _die() -> None:
    os._exit(3)


def test_value_comes_back() -> None:
    assert bounded.call(_add, 2, 3, timeout=5) == bounded.Finished("ok", 5)


def test_a_hang_is_killed_at_the_deadline() -> None:
    start = time.monotonic()
    finished = bounded.call(_spin, timeout=0.5)
    assert finished.status == "timeout"
    assert time.monotonic() - start < 3


def test_exceptions_and_exits_are_reported() -> None:
    assert bounded.call(_fail, timeout=5).detail == "ValueError: boom"
    assert bounded.call(_exit, timeout=5).status == "error"
    assert bounded.call(_die, timeout=5).status == "crashed"


def test_memory_beyond_the_limit_fails_in_the_child() -> None:
    finished = bounded.call(bytearray, bounded.MEMORY_LIMIT_BYTES + 512 * bounded.MiB, timeout=30)
    assert finished.status == "memory"
    assert f"more than {bounded.MEMORY_LIMIT_BYTES // bounded.MiB} MB" in finished.detail
    assert bounded.call(bytearray, 64 * bounded.MiB, timeout=30).status == "ok"  # what fits still works


def test_a_sympy_expansion_that_grows_without_bound_stops_at_the_limit() -> None:
    start = time.monotonic()
    huge = sympy.Add(*sympy.symbols("a b c d e f g")) ** 40  # 10^7 terms
    finished = bounded.call(sympy.expand, huge, timeout=60, memory_bytes=16 * bounded.MiB)
    assert finished.status == "memory", finished.detail
    assert time.monotonic() - start < 30
