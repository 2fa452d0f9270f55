"""The ``autograder`` command's entry point: start the sandbox first, then import the rest.

``grade`` needs the sandbox's warm torch process (about 2 s to import torch).
Spawning it before sympy, the specs and the graders are imported lets the two
overlap, which is most of the cold start of grading one submission.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["grade"]:
        from autograder.sandbox import shared

        shared().prestart()
    from autograder.cli import main as cli_main

    try:
        return cli_main(arguments)
    except BrokenPipeError:  # `autograder grade | head`: the reader left; the files are written
        sys.stderr.close()
        return 0
