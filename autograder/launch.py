"""The ``autograder`` command's entry point: start the sandbox first, then import the rest.

``grade`` needs the sandbox's warm torch process (about 2 s to import torch).
Spawning it before sympy, the specs and the graders are imported lets the two
overlap, which is most of the cold start of grading one submission.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

ALLOW_UNCONFINED_FLAG = "--allow-unconfined-code"


def allow_unconfined_code() -> None:
    """Let the sandbox run student code even where nothing confines it to less than the grader's
    own rights (it refuses otherwise); set in the environment, so forked workers inherit it."""
    from autograder.sandbox import ALLOW_UNCONFINED_ENV

    os.environ[ALLOW_UNCONFINED_ENV] = "1"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["grade"]:
        from autograder.sandbox import shared

        if ALLOW_UNCONFINED_FLAG in arguments:  # before the sandbox starts; the CLI sets it again
            allow_unconfined_code()

        shared().prestart()
    from autograder.cli import main as cli_main

    try:
        return cli_main(arguments)
    except BrokenPipeError:  # `autograder grade | head`: the reader left; the files are written
        sys.stderr.close()
        return 0
